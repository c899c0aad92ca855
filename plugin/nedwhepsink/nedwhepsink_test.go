package nedwhepsink_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/nedstream/nedstream/pipeline/webrtc/peer"
	"github.com/nedstream/nedstream/pipeline/webrtc/whepclient"
	"github.com/nedstream/nedstream/plugin/internal/gsttest"
	"github.com/nedstream/nedstream/plugin/nedwhepsink"
)

func TestMain(m *testing.M) { os.Exit(gsttest.Main(m)) }

var wantProperties = []string{
	"address", "path", "token", "max-viewers", "ice-servers", "udp-port", "nat-ip", "cors-origins", "stats-interval",
}

func TestInspectListsEveryProperty(t *testing.T) {
	gsttest.CheckInspect(t, nedwhepsink.ElementName, nedwhepsink.PropertyNames(), wantProperties,
		"Sink/Network/Video", "video/x-h264", "stream-format: byte-stream", "alignment: au", "video/x-vp8",
		`String. Default: "127.0.0.1:8080"`, `String. Default: "/whep"`, "Integer. Range: 0 - 65535 Default: 0")
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

const h264Source = "videotestsrc is-live=true num-buffers=%d ! video/x-raw,width=320,height=240,framerate=30/1 ! " +
	"x264enc tune=zerolatency key-int-max=300 ! h264parse ! " +
	"video/x-h264,stream-format=byte-stream,alignment=au ! nedwhepsink %s"

// launch runs gst-launch-1.0 -m in the background; the channel gets its output.
func launch(t *testing.T, timeout time.Duration, description string) <-chan gsttest.Output {
	t.Helper()
	done := make(chan gsttest.Output, 1)
	go func() {
		done <- gsttest.Command(t, timeout, "gst-launch-1.0", append([]string{"-m"}, strings.Fields(description)...)...)
	}()
	return done
}

// viewer is a minimal pion WHEP receiver recording H.264 NAL unit types.
type viewer struct {
	pc       *webrtc.PeerConnection
	api      *peer.API
	resource string // session URL from Location
	vp8      bool

	mu     sync.Mutex
	units  []int
	mime   string   // the track's codec
	frames []uint32 // distinct RTP timestamps, in arrival order
}

func (v *viewer) close() {
	_ = v.pc.Close()
	_ = v.api.Close()
}

func (v *viewer) snapshot() []int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]int(nil), v.units...)
}

// received returns the track's codec and the number of frames (distinct
// RTP timestamps) so far.
func (v *viewer) received() (string, int) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.mime, len(v.frames)
}

// isVP8 reports whether the viewer's track was VP8.
func (v *viewer) isVP8() bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.vp8
}

// nalTypes returns the NAL types an H.264 RTP payload starts (RFC 6184):
// single NAL units, STAP-A aggregates and the first fragment of FU-As.
func nalTypes(p []byte) []int {
	if len(p) == 0 {
		return nil
	}
	switch typ := int(p[0] & 0x1f); typ {
	case 24: // STAP-A
		var out []int
		for b := p[1:]; len(b) > 2; {
			n := int(b[0])<<8 | int(b[1])
			if n == 0 || len(b) < 2+n {
				break
			}
			out = append(out, int(b[2]&0x1f))
			b = b[2+n:]
		}
		return out
	case 28: // FU-A
		if len(p) > 1 && p[1]&0x80 != 0 {
			return []int{int(p[1] & 0x1f)}
		}
		return nil
	default:
		return []int{typ}
	}
}

// vp8Key returns 1 for the start of a VP8 keyframe, 0 for the start of an
// interframe, nothing for continuation packets (RFC 7741 payload descriptor).
func vp8Key(p []byte) []int {
	if len(p) < 1 || p[0]&0x10 == 0 || p[0]&0x07 != 0 { // S bit, partition 0
		return nil
	}
	i := 1
	if p[0]&0x80 != 0 { // X: extension byte
		if len(p) < 2 {
			return nil
		}
		x := p[1]
		i = 2
		if x&0x80 != 0 { // I: picture id
			if len(p) > i && p[i]&0x80 != 0 {
				i += 2
			} else {
				i++
			}
		}
		if x&0x40 != 0 { // L: TL0PICIDX
			i++
		}
		if x&0x30 != 0 { // T or K
			i++
		}
	}
	if len(p) <= i {
		return nil
	}
	if p[i]&0x01 == 0 {
		return []int{1}
	}
	return []int{0}
}

// del ends the session with a DELETE.
func (v *viewer) del(ctx context.Context) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, v.resource, nil)
	if err != nil {
		return 0, err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	res.Body.Close()
	return res.StatusCode, nil
}

// dial POSTs a recvonly video offer to endpoint, retrying while the server
// is not listening yet.
func dial(ctx context.Context, endpoint, token string) (*viewer, error) {
	api, err := peer.NewAPI(peer.Options{IncludeLoopback: true})
	if err != nil {
		return nil, err
	}
	pc, err := api.NewPeerConnection()
	if err != nil {
		_ = api.Close()
		return nil, err
	}
	v := &viewer{pc: pc, api: api}
	fail := func(err error) (*viewer, error) { v.close(); return nil, err }
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo,
		webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
		return fail(err)
	}
	pc.OnTrack(func(tr *webrtc.TrackRemote, r *webrtc.RTPReceiver) {
		go func() {
			for {
				if _, _, err := r.ReadRTCP(); err != nil {
					return
				}
			}
		}()
		for {
			p, _, err := tr.ReadRTP()
			if err != nil {
				return
			}
			v.mu.Lock()
			v.mime = tr.Codec().MimeType
			if n := len(v.frames); n == 0 || v.frames[n-1] != p.Timestamp {
				v.frames = append(v.frames, p.Timestamp)
			}
			if strings.EqualFold(tr.Codec().MimeType, webrtc.MimeTypeVP8) {
				v.vp8 = true
				v.units = append(v.units, vp8Key(p.Payload)...)
			} else {
				v.units = append(v.units, nalTypes(p.Payload)...)
			}
			v.mu.Unlock()
		}
	})
	// Retried while the server is not listening yet: it starts at the first caps.
	sub, err := whepclient.Subscribe(ctx, http.DefaultClient, endpoint, token, pc, 100*time.Millisecond)
	if err != nil {
		return fail(err)
	}
	v.resource = sub.Resource
	return v, nil
}

// TestViewerStartsOnIDR: a viewer joining a running H.264 stream whose
// encoder makes keyframes only every 300 frames gets an IDR first (the join
// sends force-key-unit upstream), and the join is posted as a message.
func TestViewerStartsOnIDR(t *testing.T) {
	port := freePort(t)
	done := launch(t, 60*time.Second, fmt.Sprintf(h264Source, 240, fmt.Sprintf("address=127.0.0.1:%d", port)))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	time.Sleep(time.Second) // join after the stream's first (and only natural) IDR
	v, err := dial(ctx, fmt.Sprintf("http://127.0.0.1:%d/whep", port), "")
	if err != nil {
		t.Fatalf("dial: %v\n%s", err, (<-done).Combined())
	}
	defer v.close()
	var units []int
	for ctx.Err() == nil {
		units = v.snapshot()
		if len(units) >= 20 && contains(units, 5) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if code, err := v.del(ctx); err != nil || code != http.StatusOK {
		t.Errorf("DELETE %s: %d %v", v.resource, code, err)
	}
	out := <-done
	if out.Err != nil {
		t.Fatalf("gst-launch: %v\n%s", out.Err, out.Combined())
	}
	if len(units) == 0 {
		t.Fatalf("the viewer received no video\n%s", out.Combined())
	}
	first := firstSlice(units)
	if first != 5 {
		t.Errorf("first slice NAL type = %d, want 5 (IDR); units %v", first, head(units))
	}
	if units[0] != 7 && units[0] != 5 {
		t.Errorf("first NAL type = %d, want SPS (7) or IDR (5); units %v", units[0], head(units))
	}
	t.Logf("viewer received %d NAL units, first %v", len(units), head(units))
	text := out.Combined()
	if !strings.Contains(text, nedwhepsink.MessageName) || !strings.Contains(text, "event=(string)joined") {
		t.Errorf("no %s joined message in gst-launch output:\n%s", nedwhepsink.MessageName, text)
	}
	if !strings.Contains(text, "event=(string)left") || !strings.Contains(text, "reason=(string)deleted") {
		t.Errorf("no %s left/deleted message in gst-launch output:\n%s", nedwhepsink.MessageName, text)
	}
}

// TestVP8ViewerStartsOnKeyframe: the same with VP8 (vp8enc, keyframes
// every 300 frames only): the joining viewer's first frame is a keyframe.
func TestVP8ViewerStartsOnKeyframe(t *testing.T) {
	port := freePort(t)
	done := launch(t, 60*time.Second, fmt.Sprintf("videotestsrc is-live=true num-buffers=150 ! "+
		"video/x-raw,width=320,height=240,framerate=30/1 ! vp8enc deadline=1 keyframe-max-dist=300 ! "+
		"nedwhepsink address=127.0.0.1:%d path=/live/whep", port))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	time.Sleep(time.Second)
	v, err := dial(ctx, fmt.Sprintf("http://127.0.0.1:%d/live/whep", port), "")
	if err != nil {
		t.Fatalf("dial: %v\n%s", err, (<-done).Combined())
	}
	defer v.close()
	var units []int
	for ctx.Err() == nil {
		if units = v.snapshot(); len(units) >= 10 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	out := <-done
	if out.Err != nil {
		t.Fatalf("gst-launch: %v\n%s", out.Err, out.Combined())
	}
	if len(units) == 0 || !v.isVP8() {
		t.Fatalf("the viewer received no VP8 video (%v)\n%s", units, out.Combined())
	}
	if units[0] != 1 {
		t.Errorf("first VP8 frame is not a keyframe: %v", head(units))
	}
	t.Logf("viewer received %d VP8 frames, key flags %v", len(units), head(units))
}

// TestVP9AndAV1Viewers: VP9 (vp9enc) and AV1 (av1enc + av1parse, OBU
// temporal units) reach a pion viewer as their own codec, frame after frame.
func TestVP9AndAV1Viewers(t *testing.T) {
	for _, c := range []struct{ name, enc, mime string }{
		{"vp9", "vp9enc deadline=1 keyframe-max-dist=300", webrtc.MimeTypeVP9},
		{"av1", "av1enc cpu-used=10 usage-profile=realtime keyframe-max-dist=300 ! av1parse", webrtc.MimeTypeAV1},
	} {
		t.Run(c.name, func(t *testing.T) {
			port := freePort(t)
			done := launch(t, 90*time.Second, fmt.Sprintf("videotestsrc is-live=true num-buffers=150 ! "+
				"video/x-raw,width=320,height=240,framerate=30/1 ! %s ! "+
				"nedwhepsink address=127.0.0.1:%d path=/live/whep", c.enc, port))
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			time.Sleep(time.Second)
			v, err := dial(ctx, fmt.Sprintf("http://127.0.0.1:%d/live/whep", port), "")
			if err != nil {
				t.Fatalf("dial: %v\n%s", err, (<-done).Combined())
			}
			defer v.close()
			var mime string
			var frames int
			for ctx.Err() == nil {
				if mime, frames = v.received(); frames >= 10 {
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
			out := <-done
			if out.Err != nil {
				t.Fatalf("gst-launch: %v\n%s", out.Err, out.Combined())
			}
			if !strings.EqualFold(mime, c.mime) || frames < 10 {
				t.Fatalf("viewer got %d frames of %q, want >= 10 of %s\n%s", frames, mime, c.mime, out.Combined())
			}
			t.Logf("viewer received %d %s frames", frames, mime)
		})
	}
}

func contains(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// firstSlice returns the first coded slice type (1 or 5) in units.
func firstSlice(units []int) int {
	for _, u := range units {
		if u == 1 || u == 5 {
			return u
		}
	}
	return -1
}

func head(s []int) []int {
	if len(s) > 20 {
		return s[:20]
	}
	return s
}

// TestWrongTokenIsRejected: a viewer with the wrong bearer token gets 401.
func TestWrongTokenIsRejected(t *testing.T) {
	port := freePort(t)
	done := launch(t, 60*time.Second, fmt.Sprintf(h264Source, 90, fmt.Sprintf("address=127.0.0.1:%d token=secret", port)))
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	v, err := dial(ctx, fmt.Sprintf("http://127.0.0.1:%d/whep", port), "wrong")
	if err == nil {
		v.close()
	}
	out := <-done
	var se *whepclient.StatusError
	if !errors.As(err, &se) || se.Status != http.StatusUnauthorized {
		t.Fatalf("dial with a wrong token: %v, want status 401\n%s", err, out.Combined())
	}
	if out.Err != nil {
		t.Errorf("gst-launch: %v\n%s", out.Err, out.Combined())
	}
}

// TestBadSettingsAndBusyAddress: invalid properties and an address in use
// end the pipeline with a clear element error, not a crash.
func TestBadSettingsAndBusyAddress(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	for _, c := range []struct{ props, want string }{
		{"address=nonsense", "Invalid nedwhepsink settings: property address"},
		{"address=127.0.0.1:0 path=whep", "property path"},
		{"address=127.0.0.1:0 nat-ip=not-an-ip", "property nat-ip"},
		{"address=" + busy.Addr().String(), "is already in use"},
	} {
		out := gsttest.Command(t, 30*time.Second, "gst-launch-1.0",
			append([]string{"-m"}, strings.Fields(fmt.Sprintf(h264Source, 30, c.props))...)...)
		text := out.Combined()
		if out.Err == nil {
			t.Errorf("%s: gst-launch succeeded, want an error\n%s", c.props, text)
			continue
		}
		if !strings.Contains(text, c.want) {
			t.Errorf("%s: output lacks %q\n%s", c.props, c.want, text)
		}
		if strings.Contains(text, "panic") || strings.Contains(text, "SIGSEGV") {
			t.Errorf("%s: crashed\n%s", c.props, text)
		}
	}
}
