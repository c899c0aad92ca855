/* C side of the nedwhipsink element: its status message (the debug category
 * and element errors are package encsink's). Go code in this package calls
 * it through cgo. */
#ifndef NEDSTREAM_NEDWHIPSINK_H
#define NEDSTREAM_NEDWHIPSINK_H

#include <gst/gst.h>
#include <gst/base/gstbasesink.h>
#include <gst/video/video.h>

void ned_whip_status_message (GstElement * e, const char *event, int attempt,
    const char *error, guint64 retry_ms);

#endif
