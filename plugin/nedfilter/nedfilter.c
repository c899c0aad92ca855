/* C side of the nedfilter element; see nedfilter.h. */
#include "nedfilter.h"

#include <gst/analytics/analytics.h>
#include <string.h>

#include "_cgo_export.h"

GST_DEBUG_CATEGORY_STATIC (ned_debug);
#define GST_CAT_DEFAULT ned_debug

static GQuark q_face, q_frame, q_pts, q_running_time, q_width, q_height,
    q_detected, q_num_faces, q_faces, q_timings, q_track_id, q_x, q_y, q_w,
    q_h, q_score, q_yaw, q_pitch, q_roll, q_age, q_landmarks, q_occluded, q_blendshapes, q_emotion, q_intensity,
    q_detect, q_iris, q_pose, q_total, q_element;
static GQuark q_blend[NED_BLENDSHAPES];

static gpointer
init_func (gpointer data)
{
  (void) data;
  GST_DEBUG_CATEGORY_INIT (ned_debug, "nedfilter", 0,
      "nedstream face analysis filter");
  q_face = g_quark_from_static_string ("face");
  q_frame = g_quark_from_static_string ("frame");
  q_pts = g_quark_from_static_string ("pts");
  q_running_time = g_quark_from_static_string ("running-time");
  q_width = g_quark_from_static_string ("width");
  q_height = g_quark_from_static_string ("height");
  q_detected = g_quark_from_static_string ("detected");
  q_num_faces = g_quark_from_static_string ("num-faces");
  q_faces = g_quark_from_static_string ("faces");
  q_timings = g_quark_from_static_string ("timings");
  q_track_id = g_quark_from_static_string ("track-id");
  q_x = g_quark_from_static_string ("x");
  q_y = g_quark_from_static_string ("y");
  q_w = g_quark_from_static_string ("w");
  q_h = g_quark_from_static_string ("h");
  q_score = g_quark_from_static_string ("score");
  q_yaw = g_quark_from_static_string ("yaw");
  q_pitch = g_quark_from_static_string ("pitch");
  q_roll = g_quark_from_static_string ("roll");
  q_age = g_quark_from_static_string ("age");
  q_landmarks = g_quark_from_static_string ("landmarks");
  q_occluded = g_quark_from_static_string ("occluded");
  q_emotion = g_quark_from_static_string ("emotion");
  q_intensity = g_quark_from_static_string ("intensity");
  q_blendshapes = g_quark_from_static_string ("blendshapes");
  q_detect = g_quark_from_static_string ("detect");
  q_iris = g_quark_from_static_string ("iris");
  q_pose = g_quark_from_static_string ("pose");
  q_total = g_quark_from_static_string ("total");
  q_element = g_quark_from_static_string ("element");
  return NULL;
}

void
ned_init_once (void)
{
  static GOnce once = G_ONCE_INIT;
  g_once (&once, init_func, NULL);
}

void
ned_set_blendshape_name (int i, const char *name)
{
  if (i >= 0 && i < NED_BLENDSHAPES)
    q_blend[i] = g_quark_from_string (name);
}

/* ---- enums ---- */

GType
ned_overlay_mode_get_type (void)
{
  static gsize id = 0;
  static const GEnumValue values[] = {
    {0, "Draw nothing", "none"},
    {1, "Face boxes and track ids", "box"},
    {2, "Boxes and landmark dots", "landmarks"},
    {3, "Boxes and the triangle mesh", "mesh"},
    {4, "Boxes and head-pose axes", "axes"},
    {0, NULL, NULL}
  };
  if (g_once_init_enter (&id))
    g_once_init_leave (&id, g_enum_register_static ("GstNedFilterOverlay",
            values));
  return id;
}

GType
ned_emotion_get_type (void)
{
  static gsize id = 0;
  /* The manipulator's class order (models/manipulator.Classes). */
  static const GEnumValue values[] = {
    {0, "Neutral", "neutral"},
    {1, "Angry", "angry"},
    {2, "Contempt", "contempt"},
    {3, "Disgusted", "disgusted"},
    {4, "Fear", "fear"},
    {5, "Happy", "happy"},
    {6, "Sad", "sad"},
    {7, "Surprised", "surprised"},
    {0, NULL, NULL}
  };
  if (g_once_init_enter (&id))
    g_once_init_leave (&id, g_enum_register_static ("GstNedFilterEmotion",
            values));
  return id;
}

GType
ned_provider_get_type (void)
{
  static gsize id = 0;
  static const GEnumValue values[] = {
    {0, "TensorRT, then CUDA, then CPU", "auto"},
    {1, "TensorRT (GPU)", "tensorrt"},
    {2, "CUDA (GPU)", "cuda"},
    {3, "CPU", "cpu"},
    {0, NULL, NULL}
  };
  if (g_once_init_enter (&id))
    g_once_init_leave (&id, g_enum_register_static ("GstNedFilterProvider",
            values));
  return id;
}

GType
ned_model_error_get_type (void)
{
  static gsize id = 0;
  static const GEnumValue values[] = {
    {0, "Post a warning and pass video through unchanged", "warning"},
    {1, "Post an error and stop the pipeline", "error"},
    {0, NULL, NULL}
  };
  if (g_once_init_enter (&id))
    g_once_init_leave (&id, g_enum_register_static ("GstNedFilterModelError",
            values));
  return id;
}

/* ---- virtual methods ---- */

static GstBaseTransformClass *ned_parent_class;

static GstFlowReturn
ned_transform_frame_ip (GstVideoFilter * filter, GstVideoFrame * frame)
{
  return nedfilterTransformFrameIp (filter, frame);
}

static gboolean
ned_set_info (GstVideoFilter * filter, GstCaps * incaps, GstVideoInfo * in_info,
    GstCaps * outcaps, GstVideoInfo * out_info)
{
  (void) incaps;
  (void) outcaps;
  (void) out_info;
  return nedfilterSetInfo (filter,
      (char *) gst_video_format_to_string (GST_VIDEO_INFO_FORMAT (in_info)),
      GST_VIDEO_INFO_WIDTH (in_info), GST_VIDEO_INFO_HEIGHT (in_info),
      GST_VIDEO_INFO_FPS_N (in_info), GST_VIDEO_INFO_FPS_D (in_info));
}

/* Pushes the frames the lookahead still holds (end of stream, new caps or
 * segment), in order, before the event that ends them goes downstream. */
static GstFlowReturn
ned_drain (GstBaseTransform * trans)
{
  GstBuffer *buf;
  GstFlowReturn ret = GST_FLOW_OK;

  while ((buf = nedfilterDrainOne ((GstVideoFilter *) trans)) != NULL) {
    if (ret == GST_FLOW_OK)
      ret = gst_pad_push (trans->srcpad, buf);
    else
      gst_buffer_unref (buf);
  }
  return ret;
}

static gboolean
ned_sink_event (GstBaseTransform * trans, GstEvent * event)
{
  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_FLUSH_STOP:
      nedfilterFlush ((GstVideoFilter *) trans);
      nedfilterReset ((GstVideoFilter *) trans);
      break;
    case GST_EVENT_STREAM_START:
      ned_drain (trans);
      nedfilterReset ((GstVideoFilter *) trans);
      break;
    case GST_EVENT_EOS:
    case GST_EVENT_CAPS:
    case GST_EVENT_SEGMENT:
    case GST_EVENT_GAP:
      ned_drain (trans);
      break;
    default:
      break;
  }
  return ned_parent_class->sink_event (trans, event);
}

/* generate_output: the parent class transforms the queued input buffer in
 * place (analysis, and the edit when there is no lookahead); Go then either
 * hands it straight back or holds it until the lookahead has seen enough
 * newer frames. The base class calls this again until it returns no buffer,
 * so frames the lookahead no longer needs (after lowering it) all leave. */
static GstFlowReturn
ned_generate_output (GstBaseTransform * trans, GstBuffer ** outbuf)
{
  GstBuffer *b = NULL;
  GstFlowReturn ret;

  *outbuf = NULL;
  if (trans->queued_buf != NULL) {
    ret = ned_parent_class->generate_output (trans, &b);
    if (ret != GST_FLOW_OK) {
      if (b != NULL)
        gst_buffer_unref (b);
      return ret;
    }
  }
  return nedfilterGenerate ((GstVideoFilter *) trans, b, outbuf);
}

static gboolean
ned_query (GstBaseTransform * trans, GstPadDirection direction,
    GstQuery * query)
{
  gboolean res;

  if (direction == GST_PAD_SINK && GST_QUERY_TYPE (query) == GST_QUERY_DRAIN) {
    /* Upstream wants its buffers back (e.g. before it reconfigures its
     * pool): let the held frames go first. */
    ned_drain (trans);
  }
  res = ned_parent_class->query (trans, direction, query);

  if (direction == GST_PAD_SINK
      && GST_QUERY_TYPE (query) == GST_QUERY_ALLOCATION) {
    /* The lookahead keeps up to N + 1 buffers of upstream's pool: ask for
     * that many more, so a pool with a fixed size (a camera's) cannot run
     * dry while they are held. */
    guint extra = nedfilterHeldBuffers ((GstVideoFilter *) trans);
    guint i, n = gst_query_get_n_allocation_pools (query);

    for (i = 0; extra > 0 && i < n; i++) {
      GstBufferPool *pool;
      guint size, min, max;

      gst_query_parse_nth_allocation_pool (query, i, &pool, &size, &min, &max);
      min += extra;
      if (max != 0 && max < min)
        max = min;
      gst_query_set_nth_allocation_pool (query, i, pool, size, min, max);
      if (pool)
        gst_object_unref (pool);
    }
    if (extra > 0 && n == 0) {
      GstCaps *caps;
      GstVideoInfo info;

      gst_query_parse_allocation (query, &caps, NULL);
      /* Downstream proposed nothing: still tell upstream to keep that
       * many buffers in its own pool. */
      if (caps && gst_video_info_from_caps (&info, caps)) {
        gst_query_add_allocation_pool (query, NULL,
            GST_VIDEO_INFO_SIZE (&info), extra, 0);
        res = TRUE;
      }
    }
  }

  if (res && direction == GST_PAD_SRC
      && GST_QUERY_TYPE (query) == GST_QUERY_LATENCY) {
    gboolean live;
    GstClockTime min, max, extra = nedfilterLatency ((GstVideoFilter *) trans);

    gst_query_parse_latency (query, &live, &min, &max);
    GST_DEBUG_OBJECT (trans, "upstream latency min %" GST_TIME_FORMAT
        " max %" GST_TIME_FORMAT ", lookahead adds %" GST_TIME_FORMAT,
        GST_TIME_ARGS (min), GST_TIME_ARGS (max), GST_TIME_ARGS (extra));
    min += extra;
    if (GST_CLOCK_TIME_IS_VALID (max))
      max += extra;
    gst_query_set_latency (query, live, min, max);
  }
  return res;
}

static void
ned_set_face_override (GstElement * e, guint64 track_id, const gchar * emotion,
    gdouble intensity, gpointer user_data)
{
  (void) user_data;
  nedfilterSetFaceOverride ((GstVideoFilter *) e, track_id, (char *) emotion,
      intensity);
}

static void
ned_clear_face_overrides (GstElement * e, gpointer user_data)
{
  (void) user_data;
  nedfilterClearFaceOverrides ((GstVideoFilter *) e);
}

void
ned_class_setup (GstVideoFilterClass * klass)
{
  GstBaseTransformClass *bt = GST_BASE_TRANSFORM_CLASS (klass);
  GType type = G_TYPE_FROM_CLASS (klass);

  ned_init_once ();
  ned_parent_class = g_type_class_peek_parent (klass);
  klass->transform_frame_ip = ned_transform_frame_ip;
  klass->set_info = ned_set_info;
  bt->sink_event = ned_sink_event;
  bt->generate_output = ned_generate_output;
  bt->query = ned_query;
  /* Called even in passthrough, so that analysis runs when nothing is drawn. */
  bt->transform_ip_on_passthrough = TRUE;

  /* Action signals (registered here: go-glib v0.0.2's NewSignal drops the
   * class handler). */
  g_signal_new_class_handler ("set-face-override", type,
      G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION, G_CALLBACK (ned_set_face_override),
      NULL, NULL, NULL, G_TYPE_NONE, 3, G_TYPE_UINT64, G_TYPE_STRING,
      G_TYPE_DOUBLE);
  g_signal_new_class_handler ("clear-face-overrides", type,
      G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (ned_clear_face_overrides), NULL, NULL, NULL, G_TYPE_NONE, 0);
}

gboolean
ned_map_frame (GstVideoFilter * f, GstBuffer * buf, GstVideoFrame * frame,
    gboolean write)
{
  return gst_video_frame_map (frame, &f->in_info, buf,
      write ? GST_MAP_READWRITE : GST_MAP_READ);
}

void
ned_unmap_frame (GstVideoFrame * frame)
{
  gst_video_frame_unmap (frame);
}

GstBuffer *
ned_make_writable (GstBuffer * buf)
{
  return gst_buffer_make_writable (buf);
}

void
ned_buffer_unref (GstBuffer * buf)
{
  gst_buffer_unref (buf);
}

void
ned_reconfigure_sink (GstElement * e)
{
  gst_base_transform_reconfigure_sink (GST_BASE_TRANSFORM (e));
}

void
ned_post_latency (GstElement * e)
{
  gst_element_post_message (e, gst_message_new_latency (GST_OBJECT (e)));
}

gint
ned_fps (GstVideoFilter * f, gint * d)
{
  *d = GST_VIDEO_INFO_FPS_D (&f->in_info);
  return GST_VIDEO_INFO_FPS_N (&f->in_info);
}

void
ned_set_passthrough (GstElement * e, gboolean passthrough)
{
  gst_base_transform_set_passthrough (GST_BASE_TRANSFORM (e), passthrough);
}

GstClockTime
ned_running_time (GstElement * e, GstClockTime pts)
{
  GstBaseTransform *bt = GST_BASE_TRANSFORM (e);
  GstClockTime rt = GST_CLOCK_TIME_NONE;

  if (GST_CLOCK_TIME_IS_VALID (pts) && bt->segment.format == GST_FORMAT_TIME) {
    GST_OBJECT_LOCK (e);
    rt = gst_segment_to_running_time (&bt->segment, GST_FORMAT_TIME, pts);
    GST_OBJECT_UNLOCK (e);
  }
  return rt;
}

/* ---- logging ---- */

gboolean
ned_log_enabled (GstDebugLevel level)
{
  return gst_debug_category_get_threshold (ned_debug) >= level;
}

void
ned_log (GObject * obj, GstDebugLevel level, const char *file,
    const char *func, int line, const char *msg)
{
  gst_debug_log (ned_debug, level, file, func, line, obj, "%s", msg);
}

/* ---- messages and metadata ---- */

void
ned_post_model_error (GstElement * e, gboolean is_error, const char *text,
    const char *debug)
{
  gst_element_message_full (e,
      is_error ? GST_MESSAGE_ERROR : GST_MESSAGE_WARNING, GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_OPEN_READ, g_strdup (text), g_strdup (debug),
      "plugin/nedfilter", G_STRFUNC, __LINE__);
}

void
ned_post_stream_warning (GstElement * e, const char *text, const char *debug)
{
  gst_element_message_full (e, GST_MESSAGE_WARNING, GST_STREAM_ERROR,
      GST_STREAM_ERROR_FAILED, g_strdup (text), g_strdup (debug),
      "plugin/nedfilter", G_STRFUNC, __LINE__);
}

static void
set_uint64 (GstStructure * s, GQuark q, guint64 v)
{
  GValue val = G_VALUE_INIT;
  g_value_init (&val, G_TYPE_UINT64);
  g_value_set_uint64 (&val, v);
  gst_structure_id_take_value (s, q, &val);
}

static void
set_int (GstStructure * s, GQuark q, gint v)
{
  GValue val = G_VALUE_INIT;
  g_value_init (&val, G_TYPE_INT);
  g_value_set_int (&val, v);
  gst_structure_id_take_value (s, q, &val);
}

static void
set_bool (GstStructure * s, GQuark q, gboolean v)
{
  GValue val = G_VALUE_INIT;
  g_value_init (&val, G_TYPE_BOOLEAN);
  g_value_set_boolean (&val, v);
  gst_structure_id_take_value (s, q, &val);
}

static void
set_float (GstStructure * s, GQuark q, gfloat v)
{
  GValue val = G_VALUE_INIT;
  g_value_init (&val, G_TYPE_FLOAT);
  g_value_set_float (&val, v);
  gst_structure_id_take_value (s, q, &val);
}

static void
set_double (GstStructure * s, GQuark q, gdouble v)
{
  GValue val = G_VALUE_INIT;
  g_value_init (&val, G_TYPE_DOUBLE);
  g_value_set_double (&val, v);
  gst_structure_id_take_value (s, q, &val);
}

static void
take_structure (GstStructure * s, GQuark q, GstStructure * child)
{
  GValue val = G_VALUE_INIT;
  g_value_init (&val, GST_TYPE_STRUCTURE);
  g_value_take_boxed (&val, child);
  gst_structure_id_take_value (s, q, &val);
}

void
ned_post_faces (GstElement * e, guint64 frame, GstClockTime pts, int width,
    int height, gboolean detected, const NedFace * faces, int n,
    const NedTimings * t)
{
  GstStructure *s, *timings;
  GValue list = G_VALUE_INIT;
  GValue b = G_VALUE_INIT;
  int i, k;

  s = gst_structure_new_id_empty (g_quark_from_static_string
      ("nedstream-faces"));
  set_uint64 (s, q_frame, frame);
  set_uint64 (s, q_pts, pts);
  set_uint64 (s, q_running_time, ned_running_time (e, pts));
  set_int (s, q_width, width);
  set_int (s, q_height, height);
  g_value_init (&b, G_TYPE_BOOLEAN);
  g_value_set_boolean (&b, detected);
  gst_structure_id_take_value (s, q_detected, &b);
  set_int (s, q_num_faces, n);

  g_value_init (&list, GST_TYPE_ARRAY);
  for (i = 0; i < n; i++) {
    const NedFace *f = &faces[i];
    GstStructure *fs = gst_structure_new_id_empty (q_face);
    GstStructure *bs =
        gst_structure_new_id_empty (g_quark_from_static_string
        ("blendshapes"));
    GValue fv = G_VALUE_INIT;

    set_uint64 (fs, q_track_id, f->track_id);
    set_float (fs, q_x, f->x);
    set_float (fs, q_y, f->y);
    set_float (fs, q_w, f->w);
    set_float (fs, q_h, f->h);
    set_float (fs, q_score, f->score);
    set_double (fs, q_yaw, f->yaw);
    set_double (fs, q_pitch, f->pitch);
    set_double (fs, q_roll, f->roll);
    set_int (fs, q_age, f->age);
    set_int (fs, q_landmarks, f->n_landmarks);
    set_bool (fs, q_occluded, f->occluded);
    if (f->emotion[0] != '\0') {
      gst_structure_id_set (fs, q_emotion, G_TYPE_STRING, f->emotion, NULL);
      set_float (fs, q_intensity, f->intensity);
    }
    for (k = 0; k < NED_BLENDSHAPES; k++)
      if (q_blend[k] != 0)
        set_float (bs, q_blend[k], f->blendshapes[k]);
    take_structure (fs, q_blendshapes, bs);

    g_value_init (&fv, GST_TYPE_STRUCTURE);
    g_value_take_boxed (&fv, fs);
    gst_value_array_append_and_take_value (&list, &fv);
  }
  gst_structure_id_take_value (s, q_faces, &list);

  timings = gst_structure_new_id_empty (q_timings);
  set_uint64 (timings, q_detect, t->detect);
  set_uint64 (timings, q_landmarks, t->landmarks);
  set_uint64 (timings, q_iris, t->iris);
  set_uint64 (timings, q_blendshapes, t->blendshapes);
  set_uint64 (timings, q_pose, t->pose);
  set_uint64 (timings, q_total, t->total);
  set_uint64 (timings, q_element, t->element);
  take_structure (s, q_timings, timings);

  gst_element_post_message (e, gst_message_new_element (GST_OBJECT (e), s));
}

void
ned_post_stats (GstElement * e, const NedStats * st)
{
  GstStructure *s = gst_structure_new ("nedstream-stats",
      "frames", G_TYPE_UINT64, st->frames,
      "interval-frames", G_TYPE_UINT64, st->interval_frames,
      "analysed-frames", G_TYPE_UINT64, st->analysed_frames,
      "frames-with-faces", G_TYPE_UINT64, st->frames_with_faces,
      "interval", G_TYPE_DOUBLE, st->interval_s,
      "fps", G_TYPE_DOUBLE, st->fps,
      "mean-faces", G_TYPE_DOUBLE, st->mean_faces,
      "detections-per-frame", G_TYPE_DOUBLE, st->detections_per_frame,
      "detect-ms", G_TYPE_DOUBLE, st->detect_ms,
      "landmarks-ms", G_TYPE_DOUBLE, st->landmarks_ms,
      "iris-ms", G_TYPE_DOUBLE, st->iris_ms,
      "blendshapes-ms", G_TYPE_DOUBLE, st->blendshapes_ms,
      "pose-ms", G_TYPE_DOUBLE, st->pose_ms,
      "total-ms", G_TYPE_DOUBLE, st->total_ms,
      "element-ms", G_TYPE_DOUBLE, st->element_ms,
      NULL);
  gst_element_post_message (e, gst_message_new_element (GST_OBJECT (e), s));
}

gboolean
ned_add_analytics (GstBuffer * buf, const NedFace * faces, int n,
    const GstClockTime * first_seen)
{
  GstAnalyticsRelationMeta *meta;
  int i;

  if (!gst_buffer_is_writable (buf))
    return FALSE;
  meta = gst_buffer_get_analytics_relation_meta (buf);
  if (meta == NULL)
    meta = gst_buffer_add_analytics_relation_meta (buf);
  if (meta == NULL)
    return FALSE;
  for (i = 0; i < n; i++) {
    const NedFace *f = &faces[i];
    GstAnalyticsODMtd od;
    GstAnalyticsTrackingMtd trk;

    if (!gst_analytics_relation_meta_add_od_mtd (meta, q_face,
            (gint) f->x, (gint) f->y, (gint) f->w, (gint) f->h, f->score, &od))
      return FALSE;
    if (gst_analytics_relation_meta_add_tracking_mtd (meta, f->track_id,
            first_seen[i], &trk)) {
      gst_analytics_tracking_mtd_update_last_seen (&trk,
          GST_BUFFER_PTS (buf));
      gst_analytics_relation_meta_set_relation (meta,
          GST_ANALYTICS_REL_TYPE_RELATE_TO, od.id, trk.id);
    }
  }
  return TRUE;
}

/* ---- reading messages back ---- */

static guint64
get_u64 (const GstStructure * s, GQuark q)
{
  const GValue *v = gst_structure_id_get_value (s, q);
  return v && G_VALUE_HOLDS_UINT64 (v) ? g_value_get_uint64 (v) : 0;
}

static gint
get_int (const GstStructure * s, GQuark q)
{
  const GValue *v = gst_structure_id_get_value (s, q);
  return v && G_VALUE_HOLDS_INT (v) ? g_value_get_int (v) : 0;
}

static gboolean
get_bool (const GstStructure * s, GQuark q)
{
  const GValue *v = gst_structure_id_get_value (s, q);
  return v && G_VALUE_HOLDS_BOOLEAN (v) ? g_value_get_boolean (v) : FALSE;
}

static gfloat
get_float (const GstStructure * s, GQuark q)
{
  const GValue *v = gst_structure_id_get_value (s, q);
  return v && G_VALUE_HOLDS_FLOAT (v) ? g_value_get_float (v) : 0.f;
}

static gdouble
get_double (const GstStructure * s, GQuark q)
{
  const GValue *v = gst_structure_id_get_value (s, q);
  return v && G_VALUE_HOLDS_DOUBLE (v) ? g_value_get_double (v) : 0.;
}

static const GstStructure *
get_structure (const GstStructure * s, GQuark q)
{
  const GValue *v = gst_structure_id_get_value (s, q);
  return v && GST_VALUE_HOLDS_STRUCTURE (v) ? gst_value_get_structure (v) :
      NULL;
}

gboolean
ned_parse_faces_header (const GstStructure * s, NedFacesHeader * h)
{
  const GstStructure *t;
  const GValue *faces;

  ned_init_once ();
  memset (h, 0, sizeof *h);
  if (!gst_structure_has_name (s, "nedstream-faces"))
    return FALSE;
  h->frame = get_u64 (s, q_frame);
  h->pts = get_u64 (s, q_pts);
  h->running_time = get_u64 (s, q_running_time);
  h->width = get_int (s, q_width);
  h->height = get_int (s, q_height);
  gst_structure_id_get (s, q_detected, G_TYPE_BOOLEAN, &h->detected, NULL);
  faces = gst_structure_id_get_value (s, q_faces);
  h->num_faces = faces && GST_VALUE_HOLDS_ARRAY (faces) ?
      (gint) gst_value_array_get_size (faces) : 0;
  t = get_structure (s, q_timings);
  if (t) {
    h->timings.detect = get_u64 (t, q_detect);
    h->timings.landmarks = get_u64 (t, q_landmarks);
    h->timings.iris = get_u64 (t, q_iris);
    h->timings.blendshapes = get_u64 (t, q_blendshapes);
    h->timings.pose = get_u64 (t, q_pose);
    h->timings.total = get_u64 (t, q_total);
    h->timings.element = get_u64 (t, q_element);
  }
  return TRUE;
}

gboolean
ned_parse_face (const GstStructure * s, int i, NedFace * f)
{
  const GValue *faces = gst_structure_id_get_value (s, q_faces);
  const GValue *fv;
  const GstStructure *fs, *bs;
  int k;

  memset (f, 0, sizeof *f);
  if (!faces || !GST_VALUE_HOLDS_ARRAY (faces) || i < 0
      || (guint) i >= gst_value_array_get_size (faces))
    return FALSE;
  fv = gst_value_array_get_value (faces, i);
  if (!GST_VALUE_HOLDS_STRUCTURE (fv))
    return FALSE;
  fs = gst_value_get_structure (fv);
  f->track_id = get_u64 (fs, q_track_id);
  f->x = get_float (fs, q_x);
  f->y = get_float (fs, q_y);
  f->w = get_float (fs, q_w);
  f->h = get_float (fs, q_h);
  f->score = get_float (fs, q_score);
  f->yaw = get_double (fs, q_yaw);
  f->pitch = get_double (fs, q_pitch);
  f->roll = get_double (fs, q_roll);
  f->age = get_int (fs, q_age);
  f->n_landmarks = get_int (fs, q_landmarks);
  f->occluded = get_bool (fs, q_occluded);
  {
    const GValue *ev = gst_structure_id_get_value (fs, q_emotion);
    const gchar *em = ev && G_VALUE_HOLDS_STRING (ev) ? g_value_get_string (ev) : NULL;
    if (em) {
      g_strlcpy (f->emotion, em, sizeof f->emotion);
      f->intensity = get_float (fs, q_intensity);
    }
  }
  bs = get_structure (fs, q_blendshapes);
  if (bs)
    for (k = 0; k < NED_BLENDSHAPES; k++)
      if (q_blend[k] != 0)
        f->blendshapes[k] = get_float (bs, q_blend[k]);
  return TRUE;
}

int
ned_read_analytics (GstBuffer * buf, NedMetaFace * out, int max)
{
  GstAnalyticsRelationMeta *meta;
  gpointer state = NULL;
  GstAnalyticsMtd mtd;
  int n = 0;

  ned_init_once ();
  meta = gst_buffer_get_analytics_relation_meta (buf);
  if (meta == NULL)
    return 0;
  while (n < max && gst_analytics_relation_meta_iterate (meta, &state,
          gst_analytics_od_mtd_get_mtd_type (), &mtd)) {
    GstAnalyticsODMtd *od = (GstAnalyticsODMtd *) & mtd;
    GstAnalyticsMtd trk;
    NedMetaFace *f = &out[n];

    if (gst_analytics_od_mtd_get_obj_type (od) != q_face)
      continue;
    memset (f, 0, sizeof *f);
    f->first_seen = GST_CLOCK_TIME_NONE;
    gst_analytics_od_mtd_get_location (od, &f->x, &f->y, &f->w, &f->h,
        &f->confidence);
    if (gst_analytics_relation_meta_get_direct_related (meta, od->id,
            GST_ANALYTICS_REL_TYPE_RELATE_TO,
            gst_analytics_tracking_mtd_get_mtd_type (), NULL, &trk)) {
      GstClockTime last;
      gboolean lost;
      gst_analytics_tracking_mtd_get_info ((GstAnalyticsTrackingMtd *) & trk,
          &f->track_id, &f->first_seen, &last, &lost);
    }
    n++;
  }
  return n;
}
