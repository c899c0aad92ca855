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

#endif
