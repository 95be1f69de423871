/* The size a detector's network runs an image at: the image is padded on
 * the right and at the bottom with the fill. One rule for every caller
 * (ddinfer, `ddistill label`), so their labels agree. */
#ifndef DD_MODEL_PADDED_SIZE_H
#define DD_MODEL_PADDED_SIZE_H

#include "model/detector.h"

/* The smallest multiple of the detector's stride from `size` up that its
 * network takes along one axis (width when `horizontal`, the other axis at
 * the network's default size): the stride is enough for most networks,
 * but one that downsamples further and concatenates across scales needs
 * more. Reshapes det->net, so `det` must not be set up (or be in use
 * elsewhere). Returns -1 when nothing within 64 strides fits. */
int dd_detector_padded_side (dd_detector *det, int size, int horizontal);

#endif
