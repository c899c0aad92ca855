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

