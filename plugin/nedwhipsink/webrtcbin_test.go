package nedwhipsink_test

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/nedstream/nedstream/plugin/internal/gsttest"
	"github.com/nedstream/nedstream/plugin/internal/webrtcbinpeer"
)

// TestPublishesToWebrtcbin: nedwhipsink (pion) publishes to a WHIP endpoint
// whose receiving peer is GStreamer's webrtcbin (libnice, its own DTLS/SRTP
// and depayloaders), a second, independent WebRTC implementation; the
// received stream decodes to frames of the sent size, for H.264 and VP8.
func TestPublishesToWebrtcbin(t *testing.T) {
	gsttest.Init(t) // this process: plain GStreamer, no nedstream plugin loaded
	if err := webrtcbinpeer.Init(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, enc string }{
		{"h264", "x264enc tune=zerolatency key-int-max=30 ! h264parse ! video/x-h264,stream-format=byte-stream,alignment=au"},
		{"vp8", "vp8enc deadline=1 keyframe-max-dist=30"},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := webrtcbinpeer.NewServer()
			hs := httptest.NewServer(srv)
			defer func() { hs.Close(); srv.Close() }()
			desc := fmt.Sprintf("videotestsrc is-live=true num-buffers=150 ! video/x-raw,format=I420,width=320,height=240,framerate=30/1 ! "+
				"%s ! nedwhipsink endpoint=%s/whip", c.enc, hs.URL)
			out := gsttest.Command(t, 60*time.Second, "gst-launch-1.0", append([]string{"-m"}, strings.Fields(desc)...)...)
			if out.Err != nil {
				t.Fatalf("gst-launch: %v\n%s", out.Err, out.Combined())
			}
			st := srv.Stats()
			t.Logf("webrtcbin: %d posts, %d deletes, %d decoded frames, caps %s", st.Posts, st.Deletes, st.Frames, st.Caps)
			if len(st.Errors) > 0 {
				t.Errorf("webrtcbin endpoint errors: %v", st.Errors)
			}
			if st.Posts < 1 || st.Frames == 0 {
				t.Fatalf("nothing was received (%d posts)\noffer:\n%s\nanswer:\n%s\n%s", st.Posts, st.Offer, st.Answer, out.Combined())
			}
			// 150 frames at 30 fps: most must arrive after the ICE/DTLS setup.
			if st.Frames < 60 {
				t.Errorf("webrtcbin decoded %d frames, want >= 60 of 150\n%s", st.Frames, out.Combined())
			}
			if !strings.Contains(st.Caps, "width=(int)320") || !strings.Contains(st.Caps, "height=(int)240") {
				t.Errorf("decoded caps %q, want 320x240", st.Caps)
			}
			if st.Deletes < 1 {
				t.Errorf("the session was not DELETEd at the end of the stream")
			}
		})
	}
}
