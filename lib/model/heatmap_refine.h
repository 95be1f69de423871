/* Where inside its cell a heatmap peak lies.
 *
 * A keypoint heatmap at stride 4 names a cell, 4 input pixels wide: 6
 * frame pixels on the `small` benchmark, where a person's eye must be
 * placed within about 1.5 pixels for COCO's OKS to count it. The training
 * targets (targets.h) therefore centre each keypoint's Gaussian on the
 * keypoint's exact position, scaled so its own cell is 1, and the
 * neighbours of a peak carry the offset. Along each axis the logarithm of
 * a Gaussian is a parabola; through the peak and its two neighbours it
 * gives the centre exactly (and scaling by the peak cell's value moves
 * the three logarithms alike, which the fit ignores):
 *
 *   d = (ln r - ln l) / (2 (2 ln c - ln l - ln r))   cells, kept in [-0.5, 0.5].
 *
 * An axis at the map's border or with a neighbour at 0 stays at the cell
 * centre; so does a concave neighbourhood or one flatter than a Gaussian
 * of sigma 10 cells.
 */
#ifndef DD_MODEL_HEATMAP_REFINE_H
#define DD_MODEL_HEATMAP_REFINE_H

/* The position of the peak at cell (x, y) of an h x w plane, in cells
 * (the cell's centre is x + 0.5, y + 0.5). */
void dd_heatmap_refine (const float *plane, int h, int w, int x, int y,
    float *fx, float *fy);

#endif
