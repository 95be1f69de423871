/* Drawing scenes and labelling what was drawn. */
#include "synth_render.h"

#include <glib.h>
#include <math.h>
#include <string.h>

/* Everything drawn over the background, in drawing order. */
typedef struct {
  const dd_shape *shape;
  int person;                   /* -1 for an occluder */
  int item;                     /* body part, or occluder index */
} primitive;

typedef struct {
  int n;
  primitive prims[DD_SCENE_MAX_PEOPLE * DD_PART_COUNT + DD_SCENE_MAX_OCCLUDERS];
  int index[DD_SCENE_MAX_PEOPLE][DD_PART_COUNT];       /* position in prims */
  dd_shape occluders[DD_SCENE_MAX_OCCLUDERS];   /* in frame pixels */
} draw_list;

static void
build_draw_list (const dd_scene *scene, double pan, const dd_frame_truth *truth,
    draw_list *dl)
{
  int n_layers = scene->n_people + scene->n_occluders;
  int order[DD_SCENE_MAX_PEOPLE + DD_SCENE_MAX_OCCLUDERS];
  double depth[DD_SCENE_MAX_PEOPLE + DD_SCENE_MAX_OCCLUDERS];
  for (int i = 0; i < n_layers; i++) {
    order[i] = i;
    depth[i] = i < scene->n_people ? scene->people[i].depth
        : scene->occluders[i - scene->n_people].depth;
  }
  /* Stable: equal depths keep people before occluders, in index order. */
  for (int i = 1; i < n_layers; i++)
    for (int j = i; j > 0 && depth[order[j]] < depth[order[j - 1]]; j--) {
      int t = order[j];
      order[j] = order[j - 1];
      order[j - 1] = t;
    }
  dl->n = 0;
  for (int l = 0; l < n_layers; l++) {
    int i = order[l];
    if (i < scene->n_people) {
      const dd_figure *fig = &truth->figures[i];
      for (int k = 0; k < DD_PART_COUNT; k++) {
        int part = fig->order[k];
        dl->index[i][part] = dl->n;
        dl->prims[dl->n++] = (primitive) { &fig->parts[part].shape, i, part };
      }
    } else {
      int o = i - scene->n_people;
      dl->occluders[o] = scene->occluders[o].shape;
      for (int k = 0; k < dl->occluders[o].n; k++)
        dl->occluders[o].p[k][0] -= pan;
      dl->prims[dl->n++] = (primitive) { &dl->occluders[o], -1, o };
    }
  }
}

static dd_material
part_material (const dd_look *look, int part)
{
  switch (part) {
    case DD_PART_TORSO:
    case DD_PART_UPPER_ARM_L:
    case DD_PART_UPPER_ARM_R:
      return DD_MATERIAL_TOP;
    case DD_PART_FOREARM_L:
    case DD_PART_FOREARM_R:
      return look->long_sleeves ? DD_MATERIAL_TOP : DD_MATERIAL_SKIN;
    case DD_PART_THIGH_L:
    case DD_PART_THIGH_R:
      return DD_MATERIAL_BOTTOM;
    case DD_PART_SHIN_L:
    case DD_PART_SHIN_R:
      return look->long_pants ? DD_MATERIAL_BOTTOM : DD_MATERIAL_SKIN;
    case DD_PART_FOOT_L:
    case DD_PART_FOOT_R:
      return DD_MATERIAL_SHOES;
    default:
      return DD_MATERIAL_SKIN;
  }
}

/* A thin dark edge inside the shape, as shading would give. */
static void
outline (cairo_t *cr, const dd_shape *s, double width, double alpha)
{
  cairo_save (cr);
  dd_shape_path (s, cr);
  cairo_clip_preserve (cr);
  cairo_set_source_rgba (cr, 0, 0, 0, alpha);
  cairo_set_line_width (cr, 2 * width);
  cairo_stroke (cr);
  cairo_restore (cr);
}

/* Hair and face. The hair is an ellipse like the head, shifted up (and
 * away from the face in profile) and clipped to the head: a cap seen from
 * the front, nearly all of the head seen from behind. */
static void
draw_head_details (cairo_t *cr, const dd_scene_person *p, const dd_figure *fig)
{
  const dd_shape *head = &fig->parts[DD_PART_HEAD].shape;
  double r = head->r[0];
  double up[2] = { sin (head->angle), -cos (head->angle) };
  double fx = fig->face[0] - head->p[0][0], fy = fig->face[1] - head->p[0][1];
  double lift = r * (0.9 + 0.5 * fig->face_forward + 0.6 * p->look.hairline);
  dd_shape hair;
  dd_shape_ellipse (&hair, head->p[0][0] + up[0] * lift - 1.2 * fx,
      head->p[0][1] + up[1] * lift - 1.2 * fy, 1.05 * head->r[0],
      1.05 * head->r[1], head->angle);
  cairo_save (cr);
  dd_shape_path (head, cr);
  cairo_clip (cr);
  dd_shape_path (&hair, cr);
  dd_paint_fill (&p->look.paint[DD_MATERIAL_HAIR], cr, 0, 0, fig->scale);
  /* Every face keypoint the camera sees is drawn where it is labelled: the
   * nose and ears darker than the skin, the eyes dark. COCO's OKS wants
   * the face's keypoints within a pixel or two at these sizes, which only
   * something drawn there can give, and it must survive the camera: marks
   * under a pixel across (the eyes were 0.9) were lost to its blur, noise
   * and JPEG, leaving the face's keypoints to be guessed from the head's
   * outline (bench/RESULTS.md, "Detector", run 11). */
  const double *skin = p->look.paint[DD_MATERIAL_SKIN].rgb;
  cairo_set_source_rgb (cr, 0.55 * skin[0], 0.45 * skin[1], 0.42 * skin[2]);
  static const int features[] = { DD_KP_NOSE, DD_KP_LEFT_EAR, DD_KP_RIGHT_EAR };
  for (size_t i = 0; i < G_N_ELEMENTS (features); i++) {
    int k = features[i];
    if (fig->kp_facing[k]) {
      cairo_new_sub_path (cr);
      cairo_arc (cr, fig->kp[k][0], fig->kp[k][1], fmax (0.65, 0.18 * r), 0, 2 * M_PI);
    }
  }
  cairo_fill (cr);
  if (fig->face_forward > 0.2 && r >= 1.5) {
    cairo_set_source_rgb (cr, 0.05, 0.04, 0.03);
    for (int k = DD_KP_LEFT_EYE; k <= DD_KP_RIGHT_EYE; k++)
      if (fig->kp_facing[k]) {
        cairo_new_sub_path (cr);
        cairo_arc (cr, fig->kp[k][0], fig->kp[k][1], fmax (0.75, 0.15 * r), 0,
            2 * M_PI);
      }
    cairo_fill (cr);
  }
  cairo_restore (cr);
}

/* Which way the torso faces: the shoulder line's turn from the body's
 * axis (neck to pelvis), in [-1, 1] of the shoulder width: > 0 when the
 * chest faces the camera, < 0 for the back, near 0 in profile. */
static double
torso_facing (const dd_figure *fig)
{
  const double (*kp)[2] = fig->kp;
  double ux = 0.5 * (kp[DD_KP_LEFT_SHOULDER][0] + kp[DD_KP_RIGHT_SHOULDER][0])
      - 0.5 * (kp[DD_KP_LEFT_HIP][0] + kp[DD_KP_RIGHT_HIP][0]);
  double uy = 0.5 * (kp[DD_KP_LEFT_SHOULDER][1] + kp[DD_KP_RIGHT_SHOULDER][1])
      - 0.5 * (kp[DD_KP_LEFT_HIP][1] + kp[DD_KP_RIGHT_HIP][1]);
  double sx = kp[DD_KP_LEFT_SHOULDER][0] - kp[DD_KP_RIGHT_SHOULDER][0];
  double sy = kp[DD_KP_LEFT_SHOULDER][1] - kp[DD_KP_RIGHT_SHOULDER][1];
  double u = hypot (ux, uy), w = hypot (sx, sy);
  if (u < 1e-9 || w < 1e-9)
    return 0.0;
  /* Image y points down, so "up" x "to the person's left" is -z. */
  return (sx * uy - sy * ux) / -(u * w) * fmin (1.0, 2.5 * w / u);
}

/* Sports kit: a light number panel on the back, a skin-coloured collar at
 * the chest's top. Telling left from right needs to know which way a
 * person faces, and at the benchmarks' scale the face is a few pixels
 * (bench/RESULTS.md, "Detector"); the kit shows it on the torso, the
 * largest part, as players' shirts do. Both marks look the same in a
 * mirror, so a flipped image is still a possible image: flips stay valid
 * for augmentation and for the teacher's test-time transforms. */
static void
draw_kit (cairo_t *cr, const dd_scene_person *p, const dd_figure *fig)
{
  double facing = torso_facing (fig);
  if (fabs (facing) < 0.25)
    return;
  const double (*kp)[2] = fig->kp;
  double sl[2] = { kp[DD_KP_LEFT_SHOULDER][0], kp[DD_KP_LEFT_SHOULDER][1] };
  double sr[2] = { kp[DD_KP_RIGHT_SHOULDER][0], kp[DD_KP_RIGHT_SHOULDER][1] };
  double hl[2] = { kp[DD_KP_LEFT_HIP][0], kp[DD_KP_LEFT_HIP][1] };
  double hr[2] = { kp[DD_KP_RIGHT_HIP][0], kp[DD_KP_RIGHT_HIP][1] };
  /* A point of the torso at (a across from right to left, b down from the
   * shoulders to the hips), bilinear between the four joints. */
#define TORSO_AT(a, b, i) ((1 - (b)) * ((1 - (a)) * sr[i] + (a) * sl[i]) \
      + (b) * ((1 - (a)) * hr[i] + (a) * hl[i]))
  cairo_save (cr);
  dd_shape_path (&fig->parts[DD_PART_TORSO].shape, cr);
  cairo_clip (cr);
  if (facing > 0) {
    const double *skin = p->look.paint[DD_MATERIAL_SKIN].rgb;
    cairo_set_source_rgb (cr, skin[0], skin[1], skin[2]);
    cairo_move_to (cr, TORSO_AT (0.25, -0.1, 0), TORSO_AT (0.25, -0.1, 1));
    cairo_line_to (cr, TORSO_AT (0.75, -0.1, 0), TORSO_AT (0.75, -0.1, 1));
    cairo_line_to (cr, TORSO_AT (0.5, 0.35, 0), TORSO_AT (0.5, 0.35, 1));
  } else {
    cairo_set_source_rgb (cr, 0.93, 0.93, 0.88);
    cairo_move_to (cr, TORSO_AT (0.25, 0.15, 0), TORSO_AT (0.25, 0.15, 1));
    cairo_line_to (cr, TORSO_AT (0.75, 0.15, 0), TORSO_AT (0.75, 0.15, 1));
    cairo_line_to (cr, TORSO_AT (0.75, 0.6, 0), TORSO_AT (0.75, 0.6, 1));
    cairo_line_to (cr, TORSO_AT (0.25, 0.6, 0), TORSO_AT (0.25, 0.6, 1));
  }
#undef TORSO_AT
  cairo_close_path (cr);
  cairo_fill (cr);
  cairo_restore (cr);
}

static void
draw_part (cairo_t *cr, const dd_scene_person *p, const dd_figure *fig,
    int part)
{
  const dd_shape *s = &fig->parts[part].shape;
  /* Textures hang from the pelvis, so clothes move with the body. */
  double ax = 0.5 * (fig->kp[DD_KP_LEFT_HIP][0] + fig->kp[DD_KP_RIGHT_HIP][0]);
  double ay = 0.5 * (fig->kp[DD_KP_LEFT_HIP][1] + fig->kp[DD_KP_RIGHT_HIP][1]);
  dd_shape_path (s, cr);
  dd_paint_fill (&p->look.paint[part_material (&p->look, part)], cr, ax, ay,
      fig->scale);
  if (part == DD_PART_TORSO)
    draw_kit (cr, p, fig);
  if (part == DD_PART_HEAD)
    draw_head_details (cr, p, fig);
  outline (cr, s, fmax (0.5, 0.01 * fig->scale), 0.35);
}

static void
draw (const dd_scene *scene, const draw_list *dl, const dd_frame_truth *truth,
    double pan, cairo_surface_t *surface)
{
  cairo_t *cr = cairo_create (surface);
  dd_background_draw (&scene->background, cr, scene->width, scene->height, pan);
  for (int i = 0; i < dl->n; i++) {
    const primitive *pr = &dl->prims[i];
    if (pr->person < 0) {
      const dd_scene_occluder *o = &scene->occluders[pr->item];
      dd_shape_path (pr->shape, cr);
      dd_paint_fill (&o->paint, cr, pr->shape->p[0][0], pr->shape->p[0][1],
          scene->height);
      outline (cr, pr->shape, 0.6, 0.25);
    } else {
      draw_part (cr, &scene->people[pr->person], &truth->figures[pr->person],
          pr->item);
    }
  }
  cairo_destroy (cr);
}

cairo_surface_t *
dd_synth_person_mask (const dd_scene *scene, const dd_figure *fig)
{
  cairo_surface_t *mask = cairo_image_surface_create (CAIRO_FORMAT_A8,
      scene->width, scene->height);
  cairo_t *cr = cairo_create (mask);
  for (int k = 0; k < DD_PART_COUNT; k++)
    dd_shape_path (&fig->parts[k].shape, cr);
  /* Nonzero winding: overlapping parts cover once. */
  cairo_set_fill_rule (cr, CAIRO_FILL_RULE_WINDING);
  cairo_fill (cr);
  cairo_destroy (cr);
  cairo_surface_flush (mask);
  return mask;
}

/* The covered pixels' area and their bounds (x0, y0, x1, y1: pixel edges). */
static double
mask_cover (cairo_surface_t *mask, double bounds[4])
{
  const unsigned char *data = cairo_image_surface_get_data (mask);
  int w = cairo_image_surface_get_width (mask);
  int h = cairo_image_surface_get_height (mask);
  int stride = cairo_image_surface_get_stride (mask);
  uint64_t sum = 0;
  int x0 = w, y0 = h, x1 = 0, y1 = 0;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      int a = data[(size_t) y * stride + x];
      if (!a)
        continue;
      sum += a;
      x0 = MIN (x0, x), y0 = MIN (y0, y), x1 = MAX (x1, x + 1), y1 = MAX (y1, y + 1);
    }
  bounds[0] = x0, bounds[1] = y0, bounds[2] = x1, bounds[3] = y1;
  return sum / 255.0;
}

static int
keypoint_visibility (const dd_scene *scene, const draw_list *dl, int person,
    const dd_figure *fig, int k)
{
  double x = fig->kp[k][0], y = fig->kp[k][1];
  if (!(x >= 0 && x < scene->width && y >= 0 && y < scene->height)
      || !fig->kp_facing[k])
    return 0;
  dd_body_part owners[2];
  int n = dd_figure_keypoint_owners (fig, k, owners);
  int last = 0;
  for (int i = 0; i < n; i++)
    last = MAX (last, dl->index[person][owners[i]]);
  for (int i = last + 1; i < dl->n; i++)
    if (dd_shape_contains (dl->prims[i].shape, x, y))
      return 1;
  return 2;
}

double
dd_synth_keypoint_min_area (const dd_scene *scene)
{
  return scene->width * (double) scene->height / 300.0;
}

/* False when no part of the person is in the frame. */
static bool
label_person (const dd_scene *scene, const draw_list *dl, int person,
    const dd_figure *fig, dd_person_label *l)
{
  double box[4] = { INFINITY, INFINITY, -INFINITY, -INFINITY };
  for (int k = 0; k < DD_PART_COUNT; k++)
    dd_shape_extend_box (&fig->parts[k].shape, box);
  if (box[2] <= 0 || box[3] <= 0 || box[0] >= scene->width
      || box[1] >= scene->height)
    return false;
  cairo_surface_t *mask = dd_synth_person_mask (scene, fig);
  double cover[4];
  double area = mask_cover (mask, cover);
  cairo_surface_destroy (mask);
  if (area < 1)
    return false;
  /* The exact extent of the shapes, cut down to the frame and, where the
   * frame cut the figure, to the pixels it still covers. */
  double x0 = fmax (box[0], cover[0]), y0 = fmax (box[1], cover[1]);
  double x1 = fmin (box[2], cover[2]), y1 = fmin (box[3], cover[3]);
  /* On cairo's 1/256 pixel grid, like the shapes themselves. */
  x0 = floor (x0 * 256) / 256;
  y0 = floor (y0 * 256) / 256;
  x1 = ceil (x1 * 256) / 256;
  y1 = ceil (y1 * 256) / 256;
  memset (l, 0, sizeof *l);     /* padding too: labels compare as bytes */
  l->person = person;
  l->bbox[0] = x0;
  l->bbox[1] = y0;
  l->bbox[2] = x1 - x0;
  l->bbox[3] = y1 - y0;
  l->area = area;
  if (area < dd_synth_keypoint_min_area (scene))
    return true;
  for (int k = 0; k < DD_KP_COUNT; k++) {
    int v = keypoint_visibility (scene, dl, person, fig, k);
    l->keypoints[3 * k] = v ? (float) fig->kp[k][0] : 0;
    l->keypoints[3 * k + 1] = v ? (float) fig->kp[k][1] : 0;
    l->keypoints[3 * k + 2] = (float) v;
    l->num_keypoints += v > 0;
  }
  return true;
}

/* Poses everyone at time t, orders what is drawn and labels the people. */
static draw_list *
prepare (const dd_scene *scene, double t, dd_frame_truth *truth)
{
  for (int i = 0; i < scene->n_people; i++)
    dd_scene_pose_person (scene, i, t, &truth->figures[i]);
  draw_list *dl = g_new (draw_list, 1);
  build_draw_list (scene, dd_scene_pan (scene, t), truth, dl);
  truth->n = 0;
  for (int i = 0; i < scene->n_people; i++)
    if (label_person (scene, dl, i, &truth->figures[i], &truth->labels[truth->n]))
      truth->n++;
  return dl;
}

cairo_surface_t *
dd_synth_render (const dd_scene *scene, double t, uint64_t frame,
    const dd_render_options *opt, dd_frame_truth *truth)
{
  static const dd_render_options defaults = { .raw = false };
  if (!opt)
    opt = &defaults;
  draw_list *dl = prepare (scene, t, truth);
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24,
      scene->width, scene->height);
  draw (scene, dl, truth, dd_scene_pan (scene, t), surface);
  if (!opt->raw) {
    dd_rng noise;
    dd_rng_seed (&noise, scene->noise_seed, frame);
    dd_camera_fx_apply (&scene->fx, surface, &noise);
  }
  cairo_surface_flush (surface);
  g_free (dl);
  return surface;
}

cairo_surface_t *
dd_synth_render_parts (const dd_scene *scene, double t, int zoom,
    dd_frame_truth *truth)
{
  draw_list *dl = prepare (scene, t, truth);
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24,
      scene->width * zoom, scene->height * zoom);
  cairo_t *cr = cairo_create (surface);
  cairo_set_antialias (cr, CAIRO_ANTIALIAS_NONE);
  cairo_set_operator (cr, CAIRO_OPERATOR_SOURCE);
  cairo_scale (cr, zoom, zoom);
  for (int i = 0; i < dl->n; i++) {
    const primitive *pr = &dl->prims[i];
    uint32_t id = pr->person < 0 ? DD_PART_MAP_OCCLUDER | (uint32_t) (pr->item + 1)
        : (uint32_t) (pr->person + 1) << 8 | (uint32_t) (pr->item + 1);
    /* 8-bit channels set exactly: v / 255 comes back as v. */
    cairo_set_source_rgb (cr, (id >> 16) / 255.0, ((id >> 8) & 0xff) / 255.0,
        (id & 0xff) / 255.0);
    dd_shape_path (pr->shape, cr);
    cairo_fill (cr);
  }
  cairo_destroy (cr);
  cairo_surface_flush (surface);
  g_free (dl);
  return surface;
}

dd_image *
dd_synth_surface_to_image (cairo_surface_t *surface)
{
  cairo_surface_flush (surface);
  int w = cairo_image_surface_get_width (surface);
  int h = cairo_image_surface_get_height (surface);
  int stride = cairo_image_surface_get_stride (surface);
  const unsigned char *data = cairo_image_surface_get_data (surface);
  dd_image *img = dd_image_new (w, h, NULL);
  for (int y = 0; y < h; y++) {
    const uint32_t *row = (const uint32_t *) (data + (size_t) y * stride);
    uint8_t *out = img->data + (size_t) y * 3 * w;
    for (int x = 0; x < w; x++) {
      out[3 * x] = (row[x] >> 16) & 0xff;
      out[3 * x + 1] = (row[x] >> 8) & 0xff;
      out[3 * x + 2] = row[x] & 0xff;
    }
  }
  return img;
}
