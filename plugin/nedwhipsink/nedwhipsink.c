#include "nedwhipsink.h"

GST_DEBUG_CATEGORY_STATIC (ned_whip_debug);
#define GST_CAT_DEFAULT ned_whip_debug

void
ned_whip_init_once (void)
{
  static gsize done = 0;
  if (g_once_init_enter (&done)) {
    GST_DEBUG_CATEGORY_INIT (ned_whip_debug, "nedwhipsink", 0,
        "nedstream WHIP publisher sink");
    g_once_init_leave (&done, 1);
  }
}

void
ned_whip_log (GstElement * e, int level, const char *msg)
{
  switch (level) {
    case 0:
      GST_ERROR_OBJECT (e, "%s", msg);
      break;
    case 1:
      GST_WARNING_OBJECT (e, "%s", msg);
      break;
    case 2:
      GST_INFO_OBJECT (e, "%s", msg);
      break;
    default:
      GST_DEBUG_OBJECT (e, "%s", msg);
      break;
  }
}

/* kind: 0 settings, 1 not authorized, 2 negotiation/format, 3 failed. */
void
ned_whip_error (GstElement * e, int kind, const char *text, const char *debug)
{
  switch (kind) {
    case 0:
      GST_ELEMENT_ERROR (e, RESOURCE, SETTINGS, ("%s", text), ("%s", debug));
      break;
    case 1:
      GST_ELEMENT_ERROR (e, RESOURCE, NOT_AUTHORIZED, ("%s", text), ("%s",
              debug));
      break;
    case 2:
      GST_ELEMENT_ERROR (e, STREAM, FORMAT, ("%s", text), ("%s", debug));
      break;
    default:
      GST_ELEMENT_ERROR (e, STREAM, FAILED, ("%s", text), ("%s", debug));
      break;
  }
}

void
ned_whip_status_message (GstElement * e, const char *event, int attempt,
    const char *error, guint64 retry_ms)
{
  GstStructure *s = gst_structure_new ("nedstream-whip-status",
      "event", G_TYPE_STRING, event,
      "attempt", G_TYPE_INT, attempt,
      "error", G_TYPE_STRING, error,
      "retry-ms", G_TYPE_UINT64, retry_ms, NULL);
  gst_element_post_message (e, gst_message_new_element (GST_OBJECT (e), s));
}

gboolean
ned_whip_force_key_unit (GstBaseSink * sink, const char *reason)
{
  GstPad *pad = GST_BASE_SINK_PAD (sink);
  GstEvent *ev = gst_video_event_new_upstream_force_key_unit
      (GST_CLOCK_TIME_NONE, TRUE, 0);
  gboolean ok;
  GST_DEBUG_OBJECT (sink, "requesting a keyframe upstream (%s)", reason);
  ok = gst_pad_push_event (pad, ev);
  if (!ok)
    GST_DEBUG_OBJECT (sink, "force-key-unit event was not handled upstream");
  return ok;
}

gboolean
ned_whip_buffer_map (GstBuffer * buf, GstMapInfo * info)
{
  return gst_buffer_map (buf, info, GST_MAP_READ);
}

void
ned_whip_buffer_unmap (GstBuffer * buf, GstMapInfo * info)
{
  gst_buffer_unmap (buf, info);
}

GstClockTime
ned_whip_buffer_pts (GstBuffer * buf)
{
  return GST_BUFFER_PTS (buf);
}

GstClockTime
ned_whip_buffer_duration (GstBuffer * buf)
{
  return GST_BUFFER_DURATION (buf);
}

const char *
ned_whip_caps_media (GstCaps * caps)
{
  if (caps == NULL || gst_caps_get_size (caps) == 0)
    return NULL;
  return gst_structure_get_name (gst_caps_get_structure (caps, 0));
}
