package fanout

import (
	"strings"
	"testing"

	"github.com/pion/webrtc/v4"
)

// TestSendOnlyOfferNamesOnlyTheTrackCodec: a publisher's offer lists only
// the codec it sends, so an answerer that picks one codec (GStreamer's
// webrtcbin) cannot pick another.
func TestSendOnlyOfferNamesOnlyTheTrackCodec(t *testing.T) {
	for _, c := range []struct {
		codec      Codec
		want, not  string
		wantAudio  bool
		audioTrack bool
	}{
		{codec: H264, want: "H264/90000", not: "VP8/90000"},
		{codec: VP8, want: "VP8/90000", not: "H264/90000", audioTrack: true, wantAudio: true},
	} {
		b, err := New(Options{Video: c.codec, Audio: c.audioTrack})
		if err != nil {
			t.Fatal(err)
		}
		pc, err := webrtc.NewPeerConnection(webrtc.Configuration{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.AddViewer(pc, ViewerOptions{SendOnly: true}); err != nil {
			t.Fatal(err)
		}
		offer, err := pc.CreateOffer(nil)
		if err != nil {
			t.Fatal(err)
		}
		sdp := offer.SDP
		if !strings.Contains(sdp, c.want) || strings.Contains(sdp, c.not) {
			t.Errorf("%s: offer should name %s and not %s:\n%s", c.codec, c.want, c.not, sdp)
		}
		if strings.Contains(sdp, "fmtp:") && c.codec == H264 &&
			!strings.Contains(sdp, "profile-level-id=42e01f") {
			t.Errorf("H.264 offer lacks the track's profile 42e01f:\n%s", sdp)
		}
		if got := strings.Contains(sdp, "opus/48000"); got != c.wantAudio {
			t.Errorf("%s: opus in offer = %v, want %v", c.codec, got, c.wantAudio)
		}
		_ = pc.Close()
		_ = b.Close()
	}
}
