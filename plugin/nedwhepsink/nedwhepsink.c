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

static void
ned_whep_set_stats (GstStructure * s, const NedWhepStats * st)
{
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
      NULL);
}

void
ned_whep_viewer_message (GstElement * e, const char *event, const char *id,
    const char *reason, const char *remote, const NedWhepStats * st)
{
  GstStructure *s = gst_structure_new ("nedstream-whep-viewer",
      "event", G_TYPE_STRING, event,
      "id", G_TYPE_STRING, id,
      "reason", G_TYPE_STRING, reason,
      "remote-addr", G_TYPE_STRING, remote, NULL);
  if (st != NULL)
    ned_whep_set_stats (s, st);
  gst_element_post_message (e, gst_message_new_element (GST_OBJECT (e), s));
}

void
ned_whep_stats_message (GstElement * e, const char *id, const char *remote,
    const NedWhepStats * st)
{
  GstStructure *s = gst_structure_new ("nedstream-whep-stats",
      "id", G_TYPE_STRING, id,
      "remote-addr", G_TYPE_STRING, remote, NULL);
  ned_whep_set_stats (s, st);
  gst_element_post_message (e, gst_message_new_element (GST_OBJECT (e), s));
}
