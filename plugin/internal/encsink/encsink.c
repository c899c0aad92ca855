#include "encsink.h"

gboolean
ned_enc_force_key_unit (GstBaseSink * sink)
{
  GstEvent *ev = gst_video_event_new_upstream_force_key_unit
      (GST_CLOCK_TIME_NONE, TRUE, 0);
  return gst_pad_push_event (GST_BASE_SINK_PAD (sink), ev);
}

gboolean
ned_enc_buffer_map (GstBuffer * buf, GstMapInfo * info)
{
  return gst_buffer_map (buf, info, GST_MAP_READ);
}

void
ned_enc_buffer_unmap (GstBuffer * buf, GstMapInfo * info)
{
  gst_buffer_unmap (buf, info);
}

GstClockTime
ned_enc_buffer_pts (GstBuffer * buf)
{
  return GST_BUFFER_PTS (buf);
}

GstClockTime
ned_enc_buffer_duration (GstBuffer * buf)
{
  return GST_BUFFER_DURATION (buf);
}

const char *
ned_enc_caps_media (GstCaps * caps)
{
  if (caps == NULL || gst_caps_get_size (caps) == 0)
    return NULL;
  return gst_structure_get_name (gst_caps_get_structure (caps, 0));
}

GstClockTime
ned_enc_running_time (GstBaseSink * sink, GstClockTime pts)
{
  GstClockTime rt;
  if (!GST_CLOCK_TIME_IS_VALID (pts))
    return GST_CLOCK_TIME_NONE;
  GST_OBJECT_LOCK (sink);
  rt = gst_segment_to_running_time (&sink->segment, GST_FORMAT_TIME, pts);
  GST_OBJECT_UNLOCK (sink);
  return rt;
}

void
ned_enc_post_message (GstElement * e, const char *name, const char **keys,
    const char **values, int n, const NedEncStats * st)
{
  GstStructure *s = gst_structure_new_empty (name);
  for (int i = 0; i < n; i++)
    gst_structure_set (s, keys[i], G_TYPE_STRING, values[i], NULL);
  if (st != NULL)
    gst_structure_set (s,
        "bitrate", G_TYPE_DOUBLE, st->bitrate,
        "fraction-lost", G_TYPE_DOUBLE, st->fraction_lost,
        "packets-lost", G_TYPE_INT64, st->packets_lost,
        "jitter-ms", G_TYPE_DOUBLE, st->jitter_ms,
        "rtt-ms", G_TYPE_DOUBLE, st->rtt_ms,
        "receiver-reports", G_TYPE_UINT64, st->receiver_reports,
        "packets-sent", G_TYPE_UINT64, st->packets_sent,
        "bytes-sent", G_TYPE_UINT64, st->bytes_sent,
        "plis", G_TYPE_UINT64, st->plis,
        "firs", G_TYPE_UINT64, st->firs,
        "overflows", G_TYPE_UINT64, st->overflows,
        "time-to-first-frame-ms", G_TYPE_DOUBLE, st->time_to_first_frame_ms,
        "audio-packets-sent", G_TYPE_UINT64, st->audio_packets_sent,
        "audio-bytes-sent", G_TYPE_UINT64, st->audio_bytes_sent,
        "audio-fraction-lost", G_TYPE_DOUBLE, st->audio_fraction_lost,
        "audio-packets-lost", G_TYPE_INT64, st->audio_packets_lost,
        "audio-jitter-ms", G_TYPE_DOUBLE, st->audio_jitter_ms,
        "audio-receiver-reports", G_TYPE_UINT64, st->audio_receiver_reports,
        NULL);
  gst_element_post_message (e, gst_message_new_element (GST_OBJECT (e), s));
}

/* ---- the audio pad ------------------------------------------------------ */

extern GstFlowReturn nedEncAudioWrite (GstElement * e, guint8 * data,
    gsize size, GstClockTime running_time, GstClockTime duration);

GST_DEBUG_CATEGORY_STATIC (ned_enc_audio_debug);
#define GST_CAT_DEFAULT ned_enc_audio_debug

/* Per-element audio state, kept as qdata on the element. */
typedef struct
{
  GMutex lock;
  GCond cond;
  GstPad *pad;                  /* not owned: the element holds it */
  GstSegment segment;
  gboolean flushing;
  gboolean playing;
  GstClockID clock_id;
} NedAudio;

static GQuark ned_audio_quark;
static GstElementClass *ned_audio_parent_class_of (GType type);

static void
ned_audio_free (gpointer p)
{
  NedAudio *a = p;
  g_mutex_clear (&a->lock);
  g_cond_clear (&a->cond);
  g_free (a);
}

static NedAudio *
ned_audio_get (GstElement * e)
{
  return g_object_get_qdata (G_OBJECT (e), ned_audio_quark);
}

gboolean
ned_enc_has_audio_pad (GstElement * e)
{
  NedAudio *a = ned_audio_get (e);
  return a != NULL && a->pad != NULL;
}

/* ned_audio_wait blocks until the buffer's running time (plus the
 * pipeline latency) is reached on the clock, as GstBaseSink does for its
 * own pad. It returns FALSE when flushing. */
static gboolean
ned_audio_wait (GstElement * e, NedAudio * a, GstClockTime rt)
{
  for (;;) {
    GstClock *clock;
    GstClockTime base, latency;
    GstClockID id;
    GstClockReturn ret;

    g_mutex_lock (&a->lock);
    while (!a->flushing && !a->playing)
      g_cond_wait (&a->cond, &a->lock);
    if (a->flushing) {
      g_mutex_unlock (&a->lock);
      return FALSE;
    }
    clock = gst_element_get_clock (e);
    if (clock == NULL) {        /* no clock: render at once */
      g_mutex_unlock (&a->lock);
      return TRUE;
    }
    base = gst_element_get_base_time (e);
    latency = gst_base_sink_get_latency (GST_BASE_SINK (e));
    if (!GST_CLOCK_TIME_IS_VALID (latency))
      latency = 0;
    id = gst_clock_new_single_shot_id (clock, base + rt + latency);
    gst_object_unref (clock);
    a->clock_id = id;
    g_mutex_unlock (&a->lock);

    ret = gst_clock_id_wait (id, NULL);

    g_mutex_lock (&a->lock);
    a->clock_id = NULL;
    g_mutex_unlock (&a->lock);
    gst_clock_id_unref (id);
    if (ret != GST_CLOCK_UNSCHEDULED)
      return TRUE;
    /* unscheduled: flushing, or paused; check again */
  }
}

static void
ned_audio_unschedule (NedAudio * a)
{
  if (a->clock_id != NULL)
    gst_clock_id_unschedule (a->clock_id);
  g_cond_broadcast (&a->cond);
}

static GstFlowReturn
ned_audio_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  GstElement *e = GST_ELEMENT (parent);
  NedAudio *a = ned_audio_get (e);
  GstClockTime rt = GST_CLOCK_TIME_NONE;
  GstFlowReturn flow;
  GstMapInfo info;

  if (a == NULL) {
    gst_buffer_unref (buf);
    return GST_FLOW_FLUSHING;
  }
  if (GST_BUFFER_PTS_IS_VALID (buf)) {
    g_mutex_lock (&a->lock);
    rt = gst_segment_to_running_time (&a->segment, GST_FORMAT_TIME,
        GST_BUFFER_PTS (buf));
    g_mutex_unlock (&a->lock);
  }
  if (GST_CLOCK_TIME_IS_VALID (rt) && gst_base_sink_get_sync (GST_BASE_SINK (e))) {
    if (!ned_audio_wait (e, a, rt)) {
      gst_buffer_unref (buf);
      return GST_FLOW_FLUSHING;
    }
  }
  if (!gst_buffer_map (buf, &info, GST_MAP_READ)) {
    gst_buffer_unref (buf);
    GST_ELEMENT_ERROR (e, STREAM, FAILED, ("cannot map an audio buffer"),
        (NULL));
    return GST_FLOW_ERROR;
  }
  flow = nedEncAudioWrite (e, info.data, info.size, rt,
      GST_BUFFER_DURATION (buf));
  gst_buffer_unmap (buf, &info);
  gst_buffer_unref (buf);
  return flow;
}

static gboolean
ned_audio_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  NedAudio *a = ned_audio_get (GST_ELEMENT (parent));
  gboolean ret = TRUE;

  if (a == NULL) {
    gst_event_unref (event);
    return FALSE;
  }
  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_SEGMENT:{
      const GstSegment *seg;
      gst_event_parse_segment (event, &seg);
      if (seg->format != GST_FORMAT_TIME) {
        GST_ELEMENT_ERROR (parent, STREAM, FORMAT,
            ("the audio pad needs a TIME segment"), (NULL));
        ret = FALSE;
        break;
      }
      g_mutex_lock (&a->lock);
      gst_segment_copy_into (seg, &a->segment);
      g_mutex_unlock (&a->lock);
      break;
    }
    case GST_EVENT_FLUSH_START:
      g_mutex_lock (&a->lock);
      a->flushing = TRUE;
      ned_audio_unschedule (a);
      g_mutex_unlock (&a->lock);
      break;
    case GST_EVENT_FLUSH_STOP:
      g_mutex_lock (&a->lock);
      a->flushing = FALSE;
      gst_segment_init (&a->segment, GST_FORMAT_TIME);
      g_mutex_unlock (&a->lock);
      break;
    case GST_EVENT_CAPS:{
      GstCaps *caps, *tmpl;
      gst_event_parse_caps (event, &caps);
      tmpl = gst_caps_from_string (NED_ENC_AUDIO_CAPS);
      ret = gst_caps_can_intersect (caps, tmpl);
      gst_caps_unref (tmpl);
      break;
    }
    default:
      /* EOS and the rest: the video pad decides the element's EOS. */
      break;
  }
  gst_event_unref (event);
  return ret;
}

static GstPad *
ned_audio_request_new_pad (GstElement * e, GstPadTemplate * templ,
    const gchar * name, const GstCaps * caps)
{
  NedAudio *a;
  GstPad *pad;

  GST_OBJECT_LOCK (e);
  a = ned_audio_get (e);
  if (a != NULL && a->pad != NULL) {
    GST_OBJECT_UNLOCK (e);
    GST_WARNING_OBJECT (e, "there is already an audio pad");
    return NULL;
  }
  if (a == NULL) {
    a = g_new0 (NedAudio, 1);
    g_mutex_init (&a->lock);
    g_cond_init (&a->cond);
    gst_segment_init (&a->segment, GST_FORMAT_TIME);
    g_object_set_qdata_full (G_OBJECT (e), ned_audio_quark, a, ned_audio_free);
  }
  GST_OBJECT_UNLOCK (e);

  pad = gst_pad_new_from_template (templ, "audio");
  gst_pad_set_chain_function (pad, ned_audio_chain);
  gst_pad_set_event_function (pad, ned_audio_event);
  GST_PAD_SET_ACCEPT_TEMPLATE (pad);
  g_mutex_lock (&a->lock);
  a->pad = pad;
  a->flushing = GST_STATE (e) <= GST_STATE_READY;
  a->playing = GST_STATE (e) == GST_STATE_PLAYING;
  g_mutex_unlock (&a->lock);
  if (GST_STATE (e) > GST_STATE_READY)
    gst_pad_set_active (pad, TRUE);
  gst_element_add_pad (e, pad);
  return pad;
}

static void
ned_audio_release_pad (GstElement * e, GstPad * pad)
{
  NedAudio *a = ned_audio_get (e);
  if (a != NULL) {
    g_mutex_lock (&a->lock);
    a->flushing = TRUE;
    ned_audio_unschedule (a);
    a->pad = NULL;
    g_mutex_unlock (&a->lock);
  }
  gst_pad_set_active (pad, FALSE);
  gst_element_remove_pad (e, pad);
}

static GstStateChangeReturn
ned_audio_change_state (GstElement * e, GstStateChange transition)
{
  NedAudio *a = ned_audio_get (e);
  GstElementClass *parent = ned_audio_parent_class_of (G_OBJECT_TYPE (e));
  GstStateChangeReturn ret;

  if (a != NULL) {
    g_mutex_lock (&a->lock);
    switch (transition) {
      case GST_STATE_CHANGE_READY_TO_PAUSED:
        a->flushing = FALSE;
        gst_segment_init (&a->segment, GST_FORMAT_TIME);
        break;
      case GST_STATE_CHANGE_PAUSED_TO_PLAYING:
        a->playing = TRUE;
        g_cond_broadcast (&a->cond);
        break;
      case GST_STATE_CHANGE_PLAYING_TO_PAUSED:
        a->playing = FALSE;
        ned_audio_unschedule (a);
        break;
      case GST_STATE_CHANGE_PAUSED_TO_READY:
        a->flushing = TRUE;
        ned_audio_unschedule (a);
        break;
      default:
        break;
    }
    g_mutex_unlock (&a->lock);
  }
  ret = parent->change_state (e, transition);
  return ret;
}

/* The classes patched by ned_enc_audio_install and the change_state they
 * had (GstBaseSink's). Written once per type under the registration lock
 * of the caller, read afterwards. */
#define NED_AUDIO_MAX_TYPES 4
static GType ned_audio_types[NED_AUDIO_MAX_TYPES];
static GstElementClass ned_audio_parents[NED_AUDIO_MAX_TYPES];

static GstElementClass *
ned_audio_parent_class_of (GType type)
{
  for (int i = 0; i < NED_AUDIO_MAX_TYPES; i++) {
    if (ned_audio_types[i] != 0 && g_type_is_a (type, ned_audio_types[i]))
      return &ned_audio_parents[i];
  }
  g_assert_not_reached ();
  return NULL;
}

void
ned_enc_audio_install (GType type)
{
  static gsize init = 0;
  GstElementClass *klass;
  GstCaps *caps;
  int i;

  if (g_once_init_enter (&init)) {
    GST_DEBUG_CATEGORY_INIT (ned_enc_audio_debug, "nedencaudio", 0,
        "nedstream sinks: Opus audio pad");
    ned_audio_quark = g_quark_from_static_string ("nedstream-enc-audio");
    g_once_init_leave (&init, 1);
  }
  for (i = 0; i < NED_AUDIO_MAX_TYPES; i++) {
    if (ned_audio_types[i] == type)
      return;
    if (ned_audio_types[i] == 0)
      break;
  }
  g_assert (i < NED_AUDIO_MAX_TYPES);
  klass = g_type_class_ref (type);      /* kept for the process lifetime */
  ned_audio_parents[i] = *klass;        /* the inherited vfuncs */
  ned_audio_types[i] = type;
  caps = gst_caps_from_string (NED_ENC_AUDIO_CAPS);
  gst_element_class_add_pad_template (klass,
      gst_pad_template_new ("audio", GST_PAD_SINK, GST_PAD_REQUEST, caps));
  gst_caps_unref (caps);
  klass->request_new_pad = ned_audio_request_new_pad;
  klass->release_pad = ned_audio_release_pad;
  klass->change_state = ned_audio_change_state;
}

GstDebugCategory *
ned_enc_category (const char *name, const char *description)
{
  /* Returns the existing category when one of that name exists. */
  return _gst_debug_category_new (name, 0, description);
}

void
ned_enc_log (GstDebugCategory * cat, GstElement * e, int level,
    const char *msg)
{
  GstDebugLevel l;
  switch (level) {
    case 0:
      l = GST_LEVEL_ERROR;
      break;
    case 1:
      l = GST_LEVEL_WARNING;
      break;
    case 2:
      l = GST_LEVEL_INFO;
      break;
    default:
      l = GST_LEVEL_DEBUG;
      break;
  }
  GST_CAT_LEVEL_LOG (cat, l, e, "%s", msg);
}

void
ned_enc_error (GstElement * e, int kind, const char *text, const char *debug)
{
  switch (kind) {
    case 0:
      GST_ELEMENT_ERROR (e, RESOURCE, SETTINGS, ("%s", text), ("%s", debug));
      break;
    case 1:
      GST_ELEMENT_ERROR (e, RESOURCE, OPEN_READ_WRITE, ("%s", text), ("%s",
              debug));
      break;
    case 2:
      GST_ELEMENT_ERROR (e, RESOURCE, NOT_AUTHORIZED, ("%s", text), ("%s",
              debug));
      break;
    case 3:
      GST_ELEMENT_ERROR (e, STREAM, FORMAT, ("%s", text), ("%s", debug));
      break;
    default:
      GST_ELEMENT_ERROR (e, STREAM, FAILED, ("%s", text), ("%s", debug));
      break;
  }
}
