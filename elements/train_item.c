#include "elements/train_item.h"

#include <string.h>

#include "model/model_error.h"

static int
class_of (const dd_detector *det, const char *category)
{
  for (int i = 0; i < det->n_classes; i++)
    if (strcmp (det->classes[i], category) == 0)
      return i;
  return -1;
}

static gboolean
check_meta (const DdAnnotationsMeta *am, const GstVideoInfo *info, GError **error)
{
  if (!am) {
    g_set_error (error, DD_MODEL_ERROR, DD_MODEL_ERROR_INPUT,
        "a buffer came without labels (no DdAnnotationsMeta): ddtrain trains on "
        "images with their annotations, as dddatasetsrc emits them");
    return FALSE;
  }
  if (am->width != GST_VIDEO_INFO_WIDTH (info)
      || am->height != GST_VIDEO_INFO_HEIGHT (info)) {
    g_set_error (error, DD_MODEL_ERROR, DD_MODEL_ERROR_INPUT,
        "image %" G_GINT64_FORMAT ": its labels are for %dx%d pixels but the "
        "buffer is %dx%d; scale with videoscale, which scales the labels too",
        am->image_id, am->width, am->height, GST_VIDEO_INFO_WIDTH (info),
        GST_VIDEO_INFO_HEIGHT (info));
    return FALSE;
  }
  return TRUE;
}

static gboolean
take_annotations (dd_train_item *item, const DdAnnotationsMeta *am,
    const dd_detector *det, GError **error)
{
  item->n_annotations = am->n_annotations;
  item->annotations = g_new0 (dd_coco_annotation, MAX (am->n_annotations, 1));
  item->classes = g_new (int, MAX (am->n_annotations, 1));
  for (guint i = 0; i < am->n_annotations; i++) {
    const dd_coco_annotation *a = &am->annotations[i];
    item->annotations[i] = *a;
    item->annotations[i].keypoints = a->n_keypoints
        ? g_memdup2 (a->keypoints, sizeof (float) * 3 * a->n_keypoints) : NULL;
    item->classes[i] = class_of (det, am->categories[i]);
    if (item->classes[i] < 0) {
      g_autofree char *classes = g_strjoinv (", ", det->classes);
      g_set_error (error, DD_MODEL_ERROR, DD_MODEL_ERROR_INPUT,
          "image %" G_GINT64_FORMAT ": category '%s' is not a class of the model "
          "%s (%s); drop the category from the dataset or train a model that has "
          "it", am->image_id, am->categories[i], det->origin, classes);
      return FALSE;
    }
    if (a->n_keypoints != 0 && a->n_keypoints != det->n_keypoints) {
      g_set_error (error, DD_MODEL_ERROR, DD_MODEL_ERROR_INPUT,
          "image %" G_GINT64_FORMAT ": annotation %" G_GINT64_FORMAT " has %d "
          "keypoints, the model %s has %d", am->image_id, a->id, a->n_keypoints,
          det->origin, det->n_keypoints);
      return FALSE;
    }
  }
  return TRUE;
}

static dd_image *
copy_pixels (GstBuffer *buf, const GstVideoInfo *info, GError **error)
{
  GstVideoFrame frame;
  if (!gst_video_frame_map (&frame, (GstVideoInfo *) info, buf, GST_MAP_READ)) {
    g_set_error (error, DD_MODEL_ERROR, DD_MODEL_ERROR_INPUT,
        "a buffer of %" G_GSIZE_FORMAT " bytes does not hold a %dx%d RGB image",
        gst_buffer_get_size (buf), GST_VIDEO_INFO_WIDTH (info),
        GST_VIDEO_INFO_HEIGHT (info));
    return NULL;
  }
  dd_image *img = dd_image_new (GST_VIDEO_INFO_WIDTH (info),
      GST_VIDEO_INFO_HEIGHT (info), error);
  if (img) {
    const guint8 *src = GST_VIDEO_FRAME_PLANE_DATA (&frame, 0);
    gint stride = GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0);
    gsize row = (gsize) img->width * 3;
    for (int y = 0; y < img->height; y++)
      memcpy (img->data + row * y, src + (gsize) stride * y, row);
  }
  gst_video_frame_unmap (&frame);
  return img;
}

dd_train_item *
dd_train_item_from_buffer (GstBuffer *buf, const GstVideoInfo *info,
    const dd_detector *det, GError **error)
{
  const DdAnnotationsMeta *am = dd_buffer_get_annotations_meta (buf);
  if (!check_meta (am, info, error))
    return NULL;
  dd_train_item *item = g_new0 (dd_train_item, 1);
  item->origin = am->origin;
  item->image_id = am->image_id;
  if (!take_annotations (item, am, det, error)
      || !(item->image = copy_pixels (buf, info, error))) {
    dd_train_item_free (item);
    return NULL;
  }
  return item;
}

void
dd_train_item_free (dd_train_item *item)
{
  if (!item)
    return;
  dd_image_free (item->image);
  for (guint i = 0; i < item->n_annotations; i++)
    g_free (item->annotations[i].keypoints);
  g_free (item->annotations);
  g_free (item->classes);
  g_free (item);
}

gboolean
dd_train_item_encode (const dd_train_item *item, const dd_augment_params *p,
    dd_rng *rng, float *input, dd_targets *t, int slot, GError **error)
{
  dd_augment_result r;
  if (!dd_augment (p, rng, item->image, item->annotations, (int) item->n_annotations,
          &r, error))
    return FALSE;
  /* Augmentation drops the annotations whose box left the image and keeps
   * the others in order: their classes are found by walking along. */
  int *classes = g_new (int, MAX (r.annotations->len, 1));
  for (guint i = 0, j = 0; i < r.annotations->len; i++, j++) {
    const dd_coco_annotation *a = &g_array_index (r.annotations, dd_coco_annotation, i);
    while (j + 1 < item->n_annotations && item->annotations[j].id != a->id)
      j++;
    classes[i] = item->classes[MIN (j, item->n_annotations - 1)];
  }
  dd_detector_image_to_input (r.image, input);
  const dd_coco_annotation *anns = (const dd_coco_annotation *) r.annotations->data;
  dd_targets_encode (t, slot, anns, classes, (int) r.annotations->len);
  /* The teacher's labels leave out the keypoints it was unsure of: unknown,
   * not absent, unlike a manual label's v = 0. */
  if (item->origin == DD_LABELS_AUTOMATIC)
    dd_targets_ignore_unlabelled_keypoints (t, slot, anns, classes,
        (int) r.annotations->len);
  g_free (classes);
  dd_augment_result_clear (&r);
  return TRUE;
}
