#include "nedwhipsink.h"

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

