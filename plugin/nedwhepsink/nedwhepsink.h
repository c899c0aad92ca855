/* C side of the nedwhepsink element: the debug category, element errors and
 * messages. Go code in
 * this package calls these through cgo. */
#ifndef NEDSTREAM_NEDWHEPSINK_H
#define NEDSTREAM_NEDWHEPSINK_H

#include <gst/gst.h>
#include <gst/base/gstbasesink.h>
#include <gst/video/video.h>

void ned_whep_init_once (void);
void ned_whep_log (GstElement * e, int level, const char *msg);
void ned_whep_error (GstElement * e, int kind, const char *text, const char *debug);
/* One viewer's statistics (fanout.ViewerStats) for the element messages. */
typedef struct
{
  double bitrate;               /* bit/s */
  double fraction_lost;         /* 0..1, latest receiver report */
  double jitter_ms;
  double rtt_ms;
  double time_to_first_frame_ms;
  guint64 packets_sent;
  guint64 bytes_sent;
  gint64 packets_lost;
  guint64 receiver_reports;
  guint64 plis;
  guint64 firs;
  guint64 overflows;
} NedWhepStats;

void ned_whep_viewer_message (GstElement * e, const char *event, const char *id,
    const char *reason, const char *remote, const NedWhepStats * st);
void ned_whep_stats_message (GstElement * e, const char *id,
    const char *remote, const NedWhepStats * st);

#endif
