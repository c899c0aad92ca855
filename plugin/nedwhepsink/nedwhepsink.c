#include "nedwhepsink.h"

GST_DEBUG_CATEGORY_STATIC (ned_whep_debug);
#define GST_CAT_DEFAULT ned_whep_debug

void
ned_whep_init_once (void)
{
  static gsize done = 0;
  if (g_once_init_enter (&done)) {
    GST_DEBUG_CATEGORY_INIT (ned_whep_debug, "nedwhepsink", 0,
        "nedstream WHEP server sink");
    g_once_init_leave (&done, 1);
  }
}

void
ned_whep_log (GstElement * e, int level, const char *msg)
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

/* kind: 0 settings, 1 open (address busy), 2 negotiation/format, 3 failed. */
void
ned_whep_error (GstElement * e, int kind, const char *text, const char *debug)
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
      GST_ELEMENT_ERROR (e, STREAM, FORMAT, ("%s", text), ("%s", debug));
      break;
    default:
      GST_ELEMENT_ERROR (e, STREAM, FAILED, ("%s", text), ("%s", debug));
      break;
  }
}

void
ned_whep_viewer_message (GstElement * e, const char *event, const char *id,
    const char *reason, const char *remote)
{
  GstStructure *s = gst_structure_new ("nedstream-whep-viewer",
      "event", G_TYPE_STRING, event,
      "id", G_TYPE_STRING, id,
      "reason", G_TYPE_STRING, reason,
      "remote-addr", G_TYPE_STRING, remote, NULL);
  gst_element_post_message (e, gst_message_new_element (GST_OBJECT (e), s));
}

gboolean
ned_whep_force_key_unit (GstBaseSink * sink, const char *reason)
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
ned_whep_buffer_map (GstBuffer * buf, GstMapInfo * info)
{
  return gst_buffer_map (buf, info, GST_MAP_READ);
}

void
ned_whep_buffer_unmap (GstBuffer * buf, GstMapInfo * info)
{
  gst_buffer_unmap (buf, info);
}

GstClockTime
ned_whep_buffer_pts (GstBuffer * buf)
{
  return GST_BUFFER_PTS (buf);
}

GstClockTime
ned_whep_buffer_duration (GstBuffer * buf)
{
  return GST_BUFFER_DURATION (buf);
}

const char *
ned_whep_caps_media (GstCaps * caps)
{
  if (caps == NULL || gst_caps_get_size (caps) == 0)
    return NULL;
  return gst_structure_get_name (gst_caps_get_structure (caps, 0));
}
