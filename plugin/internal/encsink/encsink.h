/* C side of package encsink: buffer access, caps and the upstream
 * force-key-unit event for the encoded-video sinks. */
#ifndef NEDSTREAM_ENCSINK_H
#define NEDSTREAM_ENCSINK_H

#include <gst/gst.h>
#include <gst/base/gstbasesink.h>
#include <gst/video/video.h>

gboolean ned_enc_force_key_unit (GstBaseSink * sink);
gboolean ned_enc_buffer_map (GstBuffer * buf, GstMapInfo * info);
void ned_enc_buffer_unmap (GstBuffer * buf, GstMapInfo * info);
GstClockTime ned_enc_buffer_pts (GstBuffer * buf);
GstClockTime ned_enc_buffer_duration (GstBuffer * buf);
const char *ned_enc_caps_media (GstCaps * caps);

#endif
