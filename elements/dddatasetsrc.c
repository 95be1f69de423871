/**
 * SECTION:element-dddatasetsrc
 * @title: dddatasetsrc
 *
 * Streams a COCO dataset (`location`, its images in `images` or the JSON's
 * folder): each image decoded to RGB, with its annotations in a
 * DdAnnotationsMeta (COCO's boxes, keypoints with their visibility flags,
 * crowd flags and category names, tagged with `origin`: manual ground
 * truth or automatic labels, which ddtrain mixes at a fixed ratio) and its
 * identity in a DdFrameMeta (the file's URI), so the frames can also go
 * through the labeling elements.
 *
 * Every image keeps its own size: the caps change whenever the next image
 * has another size than the last (datasets mix sizes; resampling here
 * would only blur what the trainer's own augmentation resamples anyway).
 * Put videoscale behind it for a fixed size; the annotations follow a
 * scale. Images are not video: buffers carry no timestamps, their offset
 * is their position in the stream.
 *
 * The stream is `epochs` passes over the dataset (0: endless), each in a
 * new random order drawn from `seed` and the epoch when `shuffle`, so the
 * same settings always give the same stream. An image that does not
 * decode, or whose size is not the one the dataset states, stops the
 * stream with an error naming it.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 dddatasetsrc location=labeled.json epochs=1 shuffle=false ! videoconvert ! autovideosink
 * ]|
 */
#include "elements/dddatasetsrc.h"

#include <gst/video/video.h>
#include <string.h>

#include "elements/dataset_items.h"
#include "elements/ddannotationsmeta.h"
#include "elements/ddframemeta.h"

GST_DEBUG_CATEGORY_STATIC (dd_dataset_src_debug);
#define GST_CAT_DEFAULT dd_dataset_src_debug

#define DEFAULT_SHUFFLE TRUE
#define DEFAULT_EPOCHS 1
#define DEFAULT_SEED 0
#define DEFAULT_ORIGIN DD_LABELS_MANUAL

enum {
  PROP_0,
  PROP_LOCATION,
  PROP_IMAGES,
  PROP_SHUFFLE,
  PROP_EPOCHS,
  PROP_SEED,
  PROP_ORIGIN,
  PROP_N_IMAGES,
};

struct _DdDatasetSrc {
  GstPushSrc parent;

  /* Properties, under the object lock. */
  gchar *location;
  gchar *images;
  gboolean shuffle;
  guint epochs;
  guint64 seed;
  DdLabelsOrigin origin;
  guint n_images;

  /* Between start and stop, in the streaming thread. */
  dd_dataset_items *items;
  gboolean run_shuffle;
  guint run_epochs;
  guint64 run_seed;
  DdLabelsOrigin run_origin;
  guint *order;                 /* the current epoch's */
  guint64 position;             /* images emitted */
  gint width, height;           /* of the caps last set; 0 before the first */
  GstVideoInfo info;
};

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE ("RGB")));

#define dd_dataset_src_parent_class parent_class
G_DEFINE_TYPE (DdDatasetSrc, dd_dataset_src, GST_TYPE_PUSH_SRC);
GST_ELEMENT_REGISTER_DEFINE (dddatasetsrc, "dddatasetsrc", GST_RANK_NONE,
    DD_TYPE_DATASET_SRC);

/* ---- Start and stop -------------------------------------------------------- */

static gboolean
dd_dataset_src_start (GstBaseSrc *base)
{
  DdDatasetSrc *self = DD_DATASET_SRC (base);
  GST_OBJECT_LOCK (self);
  g_autofree gchar *location = g_strdup (self->location);
  g_autofree gchar *images = g_strdup (self->images);
  self->run_shuffle = self->shuffle;
  self->run_epochs = self->epochs;
  self->run_seed = self->seed;
  self->run_origin = self->origin;
  GST_OBJECT_UNLOCK (self);
  if (!location) {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND, ("No dataset to read"),
        ("set location to a COCO dataset's JSON file"));
    return FALSE;
  }
  g_autoptr (GError) error = NULL;
  self->items = dd_dataset_items_open (location, images, &error);
  if (!self->items) {
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ, ("%s", error->message),
        ("location=%s images=%s", location, images ? images : "(its folder)"));
    return FALSE;
  }
  guint n = dd_dataset_items_n_images (self->items);
  self->order = g_new (guint, n);
  self->position = 0;
  self->width = self->height = 0;
  GST_OBJECT_LOCK (self);
  self->n_images = n;
  GST_OBJECT_UNLOCK (self);
  GST_INFO_OBJECT (self, "%s: %u images, %u epochs%s", location, n,
      self->run_epochs, self->run_shuffle ? ", shuffled" : "");
  return TRUE;
}

static gboolean
dd_dataset_src_stop (GstBaseSrc *base)
{
  DdDatasetSrc *self = DD_DATASET_SRC (base);
  g_clear_pointer (&self->items, dd_dataset_items_free);
  g_clear_pointer (&self->order, g_free);
  return TRUE;
}

/* The caps follow the images: each buffer's are set before it is pushed,
 * so there is nothing to agree on beforehand. */
static gboolean
dd_dataset_src_negotiate (GstBaseSrc *base)
{
  (void) base;
  return TRUE;
}

/* ---- Images ---------------------------------------------------------------- */

static gboolean
set_size (DdDatasetSrc *self, gint width, gint height)
{
  if (width == self->width && height == self->height)
    return TRUE;
  gst_video_info_set_format (&self->info, GST_VIDEO_FORMAT_RGB, width, height);
  GST_VIDEO_INFO_FPS_N (&self->info) = 0;
  GST_VIDEO_INFO_FPS_D (&self->info) = 1;
  GstCaps *caps = gst_video_info_to_caps (&self->info);
  gboolean ok = gst_base_src_set_caps (GST_BASE_SRC (self), caps);
  gst_caps_unref (caps);
  if (!ok) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, ("Downstream refuses %dx%d RGB "
            "images", width, height), ("dddatasetsrc emits each image at its own "
            "size; put videoconvert ! videoscale behind it for another format or "
            "a fixed size"));
    return FALSE;
  }
  self->width = width;
  self->height = height;
  return TRUE;
}

/* The image's rows into a buffer laid out as the caps say. */
static GstBuffer *
pixels_to_buffer (DdDatasetSrc *self, const dd_image *img)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, GST_VIDEO_INFO_SIZE (&self->info),
      NULL);
  GstMapInfo map;
  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  gsize stride = GST_VIDEO_INFO_PLANE_STRIDE (&self->info, 0);
  gsize row = (gsize) img->width * 3;
  for (int y = 0; y < img->height; y++) {
    memcpy (map.data + stride * y, img->data + row * y, row);
    memset (map.data + stride * y + row, 0, stride - row);
  }
  gst_buffer_unmap (buf, &map);
  return buf;
}

static void
add_metas (DdDatasetSrc *self, GstBuffer *buf, guint i)
{
  const dd_coco_image *image = dd_dataset_items_image (self->items, i);
  guint n;
  const dd_coco_annotation *anns = dd_dataset_items_annotations (self->items, i, &n);
  dd_buffer_add_annotations_meta (buf, self->run_origin, image->width,
      image->height, image->id, anns, dd_dataset_items_categories (self->items, i),
      n);
  g_autofree char *path = dd_dataset_items_path (self->items, i);
  g_autofree char *uri = g_filename_to_uri (path, NULL, NULL);
  dd_buffer_add_frame_meta (buf, uri, 0, -1, image->width, image->height);
}

static GstFlowReturn
dd_dataset_src_create (GstPushSrc *src, GstBuffer **out)
{
  DdDatasetSrc *self = DD_DATASET_SRC (src);
  guint n = dd_dataset_items_n_images (self->items);
  guint64 epoch = self->position / n;
  guint at = (guint) (self->position % n);
  if (self->run_epochs > 0 && epoch >= self->run_epochs)
    return GST_FLOW_EOS;
  if (at == 0)
    dd_dataset_items_order (self->items, self->run_shuffle, self->run_seed, epoch,
        self->order);
  guint i = self->order[at];
  g_autoptr (GError) error = NULL;
  dd_image *img = dd_dataset_items_load (self->items, i, &error);
  if (!img) {
    GST_ELEMENT_ERROR (self, RESOURCE, READ, ("%s", error->message), (NULL));
    return GST_FLOW_ERROR;
  }
  if (!set_size (self, img->width, img->height)) {
    dd_image_free (img);
    return GST_FLOW_NOT_NEGOTIATED;
  }
  GstBuffer *buf = pixels_to_buffer (self, img);
  dd_image_free (img);
  add_metas (self, buf, i);
  GST_BUFFER_OFFSET (buf) = self->position;
  GST_BUFFER_OFFSET_END (buf) = self->position + 1;
  self->position++;
  *out = buf;
  return GST_FLOW_OK;
}

/* ---- Properties -------------------------------------------------------------- */

static void
dd_dataset_src_set_property (GObject *object, guint prop_id, const GValue *value,
    GParamSpec *pspec)
{
  DdDatasetSrc *self = DD_DATASET_SRC (object);
  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_LOCATION:
      g_free (self->location);
      self->location = g_value_dup_string (value);
      break;
    case PROP_IMAGES:
      g_free (self->images);
      self->images = g_value_dup_string (value);
      break;
    case PROP_SHUFFLE:
      self->shuffle = g_value_get_boolean (value);
      break;
    case PROP_EPOCHS:
      self->epochs = g_value_get_uint (value);
      break;
    case PROP_SEED:
      self->seed = g_value_get_uint64 (value);
      break;
    case PROP_ORIGIN:
      self->origin = g_value_get_enum (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
dd_dataset_src_get_property (GObject *object, guint prop_id, GValue *value,
    GParamSpec *pspec)
{
  DdDatasetSrc *self = DD_DATASET_SRC (object);
  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_LOCATION:
      g_value_set_string (value, self->location);
      break;
    case PROP_IMAGES:
      g_value_set_string (value, self->images);
      break;
    case PROP_SHUFFLE:
      g_value_set_boolean (value, self->shuffle);
      break;
    case PROP_EPOCHS:
      g_value_set_uint (value, self->epochs);
      break;
    case PROP_SEED:
      g_value_set_uint64 (value, self->seed);
      break;
    case PROP_ORIGIN:
      g_value_set_enum (value, self->origin);
      break;
    case PROP_N_IMAGES:
      g_value_set_uint (value, self->n_images);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
dd_dataset_src_finalize (GObject *object)
{
  DdDatasetSrc *self = DD_DATASET_SRC (object);
  g_free (self->location);
  g_free (self->images);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
dd_dataset_src_class_init (DdDatasetSrcClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseSrcClass *base_class = GST_BASE_SRC_CLASS (klass);
  GstPushSrcClass *push_class = GST_PUSH_SRC_CLASS (klass);

  gobject_class->set_property = dd_dataset_src_set_property;
  gobject_class->get_property = dd_dataset_src_get_property;
  gobject_class->finalize = dd_dataset_src_finalize;

  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
      | GST_PARAM_MUTABLE_READY;
  g_object_class_install_property (gobject_class, PROP_LOCATION,
      g_param_spec_string ("location", "Location",
          "The COCO dataset's JSON file", NULL, rw));
  g_object_class_install_property (gobject_class, PROP_IMAGES,
      g_param_spec_string ("images", "Images",
          "The folder its file_name entries are relative to (default: the JSON "
          "file's folder)", NULL, rw));
  g_object_class_install_property (gobject_class, PROP_SHUFFLE,
      g_param_spec_boolean ("shuffle", "Shuffle",
          "Each epoch in a new random order (from seed and the epoch), else in "
          "the file's order", DEFAULT_SHUFFLE, rw));
  g_object_class_install_property (gobject_class, PROP_EPOCHS,
      g_param_spec_uint ("epochs", "Epochs",
          "Passes over the dataset before EOS (0: endless, for a trainer that "
          "stops by itself)", 0, G_MAXUINT, DEFAULT_EPOCHS, rw));
  g_object_class_install_property (gobject_class, PROP_SEED,
      g_param_spec_uint64 ("seed", "Seed",
          "Seed of the shuffled orders", 0, G_MAXUINT64, DEFAULT_SEED, rw));
  g_object_class_install_property (gobject_class, PROP_ORIGIN,
      g_param_spec_enum ("origin", "Origin",
          "Who labelled the dataset, recorded in each buffer's annotations meta: "
          "ddtrain takes manual and automatic labels in its own ratio",
          DD_TYPE_LABELS_ORIGIN, DEFAULT_ORIGIN, rw));
  g_object_class_install_property (gobject_class, PROP_N_IMAGES,
      g_param_spec_uint ("n-images", "Images in the dataset",
          "How many images an epoch has (known once started)", 0, G_MAXUINT, 0,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class, "COCO dataset source",
      "Source/Video", "Streams a COCO dataset's images with their annotations "
      "(shuffled, for a number of epochs)", "ddistill project");

  base_class->start = GST_DEBUG_FUNCPTR (dd_dataset_src_start);
  base_class->stop = GST_DEBUG_FUNCPTR (dd_dataset_src_stop);
  base_class->negotiate = GST_DEBUG_FUNCPTR (dd_dataset_src_negotiate);
  push_class->create = GST_DEBUG_FUNCPTR (dd_dataset_src_create);

  gst_type_mark_as_plugin_api (DD_TYPE_LABELS_ORIGIN, 0);
  GST_DEBUG_CATEGORY_INIT (dd_dataset_src_debug, "dddatasetsrc", 0,
      "COCO dataset source");
}

static void
dd_dataset_src_init (DdDatasetSrc *self)
{
  self->shuffle = DEFAULT_SHUFFLE;
  self->epochs = DEFAULT_EPOCHS;
  self->seed = DEFAULT_SEED;
  self->origin = DEFAULT_ORIGIN;
  gst_base_src_set_format (GST_BASE_SRC (self), GST_FORMAT_TIME);
}
