/* The `ddistill` GStreamer plugin: every dd* element.
 *
 * Built twice: as libgstddistill.so for GST_PLUGIN_PATH, and with
 * GST_PLUGIN_BUILD_STATIC for programs (the tests) that link the elements
 * and call gst_plugin_ddistill_register(). */
#include <gst/gst.h>

#include "elements/ddcorpussrc.h"
#include "elements/dddatasetsrc.h"
#include "elements/dddatasetsink.h"
#include "elements/ddensemble.h"
#include "elements/ddinfer.h"
#include "elements/ddlabel.h"
#include "elements/ddoverlay.h"
#include "elements/ddsampler.h"
#include "elements/ddtrain.h"
#include "elements/ddtransform.h"

static gboolean
plugin_init (GstPlugin *plugin)
{
  gboolean ok = FALSE;
  ok |= GST_ELEMENT_REGISTER (ddcorpussrc, plugin);
  ok |= GST_ELEMENT_REGISTER (ddsampler, plugin);
  ok |= GST_ELEMENT_REGISTER (ddtransform, plugin);
  ok |= GST_ELEMENT_REGISTER (dddatasetsink, plugin);
  ok |= GST_ELEMENT_REGISTER (ddinfer, plugin);
  ok |= GST_ELEMENT_REGISTER (ddensemble, plugin);
  ok |= GST_ELEMENT_REGISTER (ddlabel, plugin);
  ok |= GST_ELEMENT_REGISTER (dddatasetsrc, plugin);
  ok |= GST_ELEMENT_REGISTER (ddoverlay, plugin);
  ok |= GST_ELEMENT_REGISTER (ddtrain, plugin);
  return ok;
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, ddistill,
    "Data distillation: video corpora, frame sampling, test-time transforms, "
    "labelled datasets", plugin_init, VERSION, "LGPL", PACKAGE,
    "ddistill project")
