/* C side of the nedwhipsink element: the debug category, element errors and
 * messages. Go code in
 * this package calls these through cgo. */
#ifndef NEDSTREAM_NEDWHIPSINK_H
#define NEDSTREAM_NEDWHIPSINK_H

#include <gst/gst.h>
#include <gst/base/gstbasesink.h>
#include <gst/video/video.h>

void ned_whip_init_once (void);
void ned_whip_log (GstElement * e, int level, const char *msg);
void ned_whip_error (GstElement * e, int kind, const char *text, const char *debug);
void ned_whip_status_message (GstElement * e, const char *event, int attempt,
    const char *error, guint64 retry_ms);

#endif
