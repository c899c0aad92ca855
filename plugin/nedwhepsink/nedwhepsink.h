/* C side of the nedwhepsink element: the debug category, element errors and
 * messages, buffer access and the upstream force-key-unit event. Go code in
 * this package calls these through cgo. */
#ifndef NEDSTREAM_NEDWHEPSINK_H
#define NEDSTREAM_NEDWHEPSINK_H

#include <gst/gst.h>
#include <gst/base/gstbasesink.h>
#include <gst/video/video.h>

void ned_whep_init_once (void);
void ned_whep_log (GstElement * e, int level, const char *msg);
void ned_whep_error (GstElement * e, int kind, const char *text, const char *debug);
void ned_whep_viewer_message (GstElement * e, const char *event, const char *id,
    const char *reason, const char *remote);
gboolean ned_whep_force_key_unit (GstBaseSink * sink, const char *reason);
gboolean ned_whep_buffer_map (GstBuffer * buf, GstMapInfo * info);
void ned_whep_buffer_unmap (GstBuffer * buf, GstMapInfo * info);
GstClockTime ned_whep_buffer_pts (GstBuffer * buf);
GstClockTime ned_whep_buffer_duration (GstBuffer * buf);
const char *ned_whep_caps_media (GstCaps * caps);

#endif
