/* C side of package webrtcbinpeer: GStreamer's webrtcbin as a WHIP
 * receiving peer (answerer), decoding what it receives. */
#ifndef NEDSTREAM_WEBRTCBINPEER_H
#define NEDSTREAM_WEBRTCBINPEER_H

#include <gst/gst.h>

typedef struct NedWbPeer NedWbPeer;

gboolean ned_wb_init (char **err);
NedWbPeer *ned_wb_new (char **err);
/* ned_wb_answer takes an SDP offer and returns the answer with every ICE
 * candidate (non-trickle), or NULL with *err set. */
char *ned_wb_answer (NedWbPeer * p, const char *offer, int timeout_ms, char **err);
guint64 ned_wb_frames (NedWbPeer * p);
char *ned_wb_caps (NedWbPeer * p);
void ned_wb_free (NedWbPeer * p);

#endif
