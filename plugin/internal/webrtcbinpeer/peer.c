#include "peer.h"
#include <gst/sdp/sdp.h>
#define GST_USE_UNSTABLE_API
#include <gst/webrtc/webrtc.h>
#include <string.h>

struct NedWbPeer
{
  GstElement *pipeline;
  GstElement *webrtc;
  GMutex lock;
  GString *candidates[8];       /* a=candidate lines per m-line */
  guint64 frames;
  char *caps;
};

gboolean
ned_wb_init (char **err)
{
  GError *e = NULL;
  if (!gst_init_check (NULL, NULL, &e)) {
    *err = g_strdup (e ? e->message : "gst_init failed");
    g_clear_error (&e);
    return FALSE;
  }
  return TRUE;
}

static GstPadProbeReturn
on_frame (GstPad * pad, GstPadProbeInfo * info, gpointer user)
{
  NedWbPeer *p = user;
  g_mutex_lock (&p->lock);
  p->frames++;
  if (p->caps == NULL) {
    GstCaps *c = gst_pad_get_current_caps (pad);
    if (c) {
      p->caps = gst_caps_to_string (c);
      gst_caps_unref (c);
    }
  }
  g_mutex_unlock (&p->lock);
  return GST_PAD_PROBE_OK;
}

static void
on_decoded_pad (GstElement * dec, GstPad * pad, gpointer user)
{
  NedWbPeer *p = user;
  GstCaps *caps = gst_pad_get_current_caps (pad);
  gboolean video = caps
      && g_str_has_prefix (gst_structure_get_name (gst_caps_get_structure (caps,
              0)), "video/");
  GstElement *sink = gst_element_factory_make ("fakesink", NULL);
  GstPad *sinkpad;
  if (caps)
    gst_caps_unref (caps);
  g_object_set (sink, "sync", FALSE, "async", FALSE, NULL);
  gst_bin_add (GST_BIN (p->pipeline), sink);
  gst_element_sync_state_with_parent (sink);
  sinkpad = gst_element_get_static_pad (sink, "sink");
  if (video)
    gst_pad_add_probe (sinkpad, GST_PAD_PROBE_TYPE_BUFFER, on_frame, p, NULL);
  gst_pad_link (pad, sinkpad);
  gst_object_unref (sinkpad);
}

static void
on_incoming_pad (GstElement * webrtc, GstPad * pad, gpointer user)
{
  NedWbPeer *p = user;
  GstElement *dec;
  GstPad *sinkpad;
  if (GST_PAD_DIRECTION (pad) != GST_PAD_SRC)
    return;
  dec = gst_element_factory_make ("decodebin", NULL);
  g_signal_connect (dec, "pad-added", G_CALLBACK (on_decoded_pad), p);
  gst_bin_add (GST_BIN (p->pipeline), dec);
  gst_element_sync_state_with_parent (dec);
  sinkpad = gst_element_get_static_pad (dec, "sink");
  gst_pad_link (pad, sinkpad);
  gst_object_unref (sinkpad);
}

static void
on_candidate (GstElement * webrtc, guint mline, gchar * cand, gpointer user)
{
  NedWbPeer *p = user;
  if (mline >= G_N_ELEMENTS (p->candidates) || cand == NULL || cand[0] == '\0')
    return;                     /* an empty candidate ends gathering */
  g_mutex_lock (&p->lock);
  if (p->candidates[mline] == NULL)
    p->candidates[mline] = g_string_new (NULL);
  g_string_append_printf (p->candidates[mline], "a=%s\r\n", cand);
  g_mutex_unlock (&p->lock);
}

NedWbPeer *
ned_wb_new (char **err)
{
  NedWbPeer *p = g_new0 (NedWbPeer, 1);
  GstElement *webrtc;
  GObject *ice = NULL;
  GstElementFactory *nice = gst_element_factory_find ("nicesrc");
  if (nice == NULL) {
    *err = g_strdup ("GStreamer's nice plugin (Debian package gstreamer1.0-nice, "
        "webrtcbin's ICE) is missing: run scripts/setup");
    g_free (p);
    return NULL;
  }
  gst_object_unref (nice);
  g_mutex_init (&p->lock);
  p->pipeline = gst_pipeline_new (NULL);
  webrtc = gst_element_factory_make ("webrtcbin", NULL);
  if (webrtc == NULL) {
    *err = g_strdup ("no webrtcbin element (gstreamer1.0-plugins-bad): run scripts/setup");
    gst_object_unref (p->pipeline);
    g_mutex_clear (&p->lock);
    g_free (p);
    return NULL;
  }
  p->webrtc = webrtc;
  g_object_set (webrtc, "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE,
      NULL);
  gst_bin_add (GST_BIN (p->pipeline), webrtc);
  g_signal_connect (webrtc, "pad-added", G_CALLBACK (on_incoming_pad), p);
  g_signal_connect (webrtc, "on-ice-candidate", G_CALLBACK (on_candidate), p);
  /* libnice leaves loopback out unless asked: the publisher is on loopback. */
  g_object_get (webrtc, "ice-agent", &ice, NULL);
  if (ice != NULL) {
    gboolean ok = FALSE;
    g_signal_emit_by_name (ice, "add-local-ip-address", "127.0.0.1", &ok);
    g_object_unref (ice);
  }
  if (gst_element_set_state (p->pipeline,
          GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    *err = g_strdup ("webrtcbin pipeline does not start");
    ned_wb_free (p);
    return NULL;
  }
  return p;
}

static GstPromise *
wait_promise (GstPromise * promise, int timeout_ms, char **err, const char *what)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  while (gst_promise_wait (promise) == GST_PROMISE_RESULT_PENDING) {
    if (g_get_monotonic_time () > end) {
      *err = g_strdup_printf ("%s: timed out", what);
      return NULL;
    }
  }
  return promise;
}

char *
ned_wb_answer (NedWbPeer * p, const char *offer, int timeout_ms, char **err)
{
  GstSDPMessage *sdp = NULL;
  GstWebRTCSessionDescription *desc, *answer = NULL;
  GstPromise *promise;
  const GstStructure *reply;
  char *text, *out;
  GString *s;
  gint64 end;
  GstWebRTCICEGatheringState state;

  if (gst_sdp_message_new_from_text (offer, &sdp) != GST_SDP_OK) {
    *err = g_strdup ("cannot parse the offer");
    return NULL;
  }
  desc = gst_webrtc_session_description_new (GST_WEBRTC_SDP_TYPE_OFFER, sdp);
  promise = gst_promise_new ();
  g_signal_emit_by_name (p->webrtc, "set-remote-description", desc, promise);
  gst_webrtc_session_description_free (desc);
  if (!wait_promise (promise, timeout_ms, err, "set-remote-description")) {
    gst_promise_unref (promise);
    return NULL;
  }
  gst_promise_unref (promise);

  promise = gst_promise_new ();
  g_signal_emit_by_name (p->webrtc, "create-answer", NULL, promise);
  if (!wait_promise (promise, timeout_ms, err, "create-answer")) {
    gst_promise_unref (promise);
    return NULL;
  }
  reply = gst_promise_get_reply (promise);
  if (reply)
    gst_structure_get (reply, "answer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION,
        &answer, NULL);
  gst_promise_unref (promise);
  if (answer == NULL) {
    GError *e = NULL;
    if (reply)
      gst_structure_get (reply, "error", G_TYPE_ERROR, &e, NULL);
    *err = g_strdup_printf ("create-answer failed: %s",
        e ? e->message : "no answer");
    g_clear_error (&e);
    return NULL;
  }
  promise = gst_promise_new ();
  g_signal_emit_by_name (p->webrtc, "set-local-description", answer, promise);
  wait_promise (promise, timeout_ms, err, "set-local-description");
  gst_promise_unref (promise);
  if (*err) {
    gst_webrtc_session_description_free (answer);
    return NULL;
  }

  end = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  for (;;) {
    g_object_get (p->webrtc, "ice-gathering-state", &state, NULL);
    if (state == GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE)
      break;
    if (g_get_monotonic_time () > end) {
      *err = g_strdup ("ICE gathering did not complete");
      gst_webrtc_session_description_free (answer);
      return NULL;
    }
    g_usleep (10000);
  }

  /* Put the gathered candidates into the answer (non-trickle). */
  text = gst_sdp_message_as_text (answer->sdp);
  gst_webrtc_session_description_free (answer);
  s = g_string_new (NULL);
  {
    gchar **lines = g_strsplit (text, "\r\n", -1);
    int mline = -1;
    g_mutex_lock (&p->lock);
    for (int i = 0; lines[i] != NULL; i++) {
      if (lines[i][0] == '\0')
        continue;
      if (g_str_has_prefix (lines[i], "m=")) {
        if (mline >= 0 && mline < 8 && p->candidates[mline])
          g_string_append (s, p->candidates[mline]->str);
        mline++;
      }
      if (g_str_has_prefix (lines[i], "a=candidate"))
        continue;
      g_string_append_printf (s, "%s\r\n", lines[i]);
    }
    if (mline >= 0 && mline < 8 && p->candidates[mline])
      g_string_append (s, p->candidates[mline]->str);
    g_mutex_unlock (&p->lock);
    g_strfreev (lines);
  }
  g_free (text);
  out = g_string_free (s, FALSE);
  return out;
}

guint64
ned_wb_frames (NedWbPeer * p)
{
  guint64 n;
  g_mutex_lock (&p->lock);
  n = p->frames;
  g_mutex_unlock (&p->lock);
  return n;
}

char *
ned_wb_caps (NedWbPeer * p)
{
  char *c;
  g_mutex_lock (&p->lock);
  c = g_strdup (p->caps);
  g_mutex_unlock (&p->lock);
  return c;
}

void
ned_wb_free (NedWbPeer * p)
{
  gst_element_set_state (p->pipeline, GST_STATE_NULL);
  gst_object_unref (p->pipeline);
  for (guint i = 0; i < G_N_ELEMENTS (p->candidates); i++)
    if (p->candidates[i])
      g_string_free (p->candidates[i], TRUE);
  g_free (p->caps);
  g_mutex_clear (&p->lock);
  g_free (p);
}
