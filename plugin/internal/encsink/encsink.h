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
GstClockTime ned_enc_running_time (GstBaseSink * sink, GstClockTime pts);

/* One viewer's statistics (fanout.ViewerStats) for element messages. */
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
  /* the audio stream's (zero without audio) */
  double audio_fraction_lost;
  double audio_jitter_ms;
  guint64 audio_packets_sent;
  guint64 audio_bytes_sent;
  gint64 audio_packets_lost;
  guint64 audio_receiver_reports;
} NedEncStats;

/* ned_enc_post_message posts an element message name with n string fields
 * (keys[i] = values[i]) and, when st is not NULL, the statistics fields. */
void ned_enc_post_message (GstElement * e, const char *name,
    const char **keys, const char **values, int n, const NedEncStats * st);

/* The optional audio pad: a request pad "audio" (audio/x-opus) added to a
 * GstBaseSink subclass. ned_enc_audio_install patches the class (pad
 * template, request/release pad, change_state) before the element is
 * registered; buffers are synchronised to the clock like the base sink's
 * own pad and handed to the Go side (nedEncAudioWrite). */
#define NED_ENC_AUDIO_CAPS "audio/x-opus, rate=(int)48000, channels=(int)[ 1, 2 ]"
void ned_enc_audio_install (GType type);
gboolean ned_enc_has_audio_pad (GstElement * e);

/* An element's debug category (created once per name) and logging into it
 * at level 0 error, 1 warning, 2 info, 3 debug. */
GstDebugCategory *ned_enc_category (const char *name, const char *description);
void ned_enc_log (GstDebugCategory * cat, GstElement * e, int level,
    const char *msg);

/* ned_enc_error posts an element error of kind 0 settings, 1 open (address
 * busy), 2 not authorized, 3 negotiation/format, 4 failed. */
void ned_enc_error (GstElement * e, int kind, const char *text,
    const char *debug);

#endif
