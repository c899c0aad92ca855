// Package webrtc is the root of nedstream's WebRTC output: plain Go on pion,
// without GStreamer, so it is unit-tested on the host.
//
// Sub-packages:
//
//   - peer: ICE and PeerConnection setup shared by both directions
//     (STUN/TURN servers, single UDP port mux, NAT 1:1 addresses, timeouts).
//   - fanout: one encoded stream shared by every viewer (no per-viewer
//     encoding), keyframe gating per viewer and rate-limited keyframe requests.
//   - whep: a WHEP server (http.Handler) with a built-in viewer page.
//   - whip: a WHIP client (RFC 9725) that publishes a fanout stream and
//     reconnects with exponential backoff; whip/ingest is a minimal WHIP
//     ingest server used by the tests.
package webrtc
