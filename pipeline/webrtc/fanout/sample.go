package fanout

import "time"

// Sample is one encoded unit: an H.264 Annex-B access unit, a VP8/VP9 frame,
// an AV1 temporal unit (low-overhead OBUs) or an Opus packet. Data is not
// retained after WriteVideo/WriteAudio return.
type Sample struct {
	Data []byte
	// Duration advances the RTP timestamp when the sample carries no PTS.
	Duration time.Duration
	// PTS, used when HasPTS is set, places the sample on the RTP clock
	// relative to the first sample's PTS (GStreamer buffer PTS).
	PTS    time.Duration
	HasPTS bool
}
