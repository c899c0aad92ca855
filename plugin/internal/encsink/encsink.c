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
