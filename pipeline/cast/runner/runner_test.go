package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-gst/go-gst/pkg/gst"
	"github.com/pion/webrtc/v4"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/nedstream/nedstream/models/manipulator"
	"github.com/nedstream/nedstream/models/modeltest"
	"github.com/nedstream/nedstream/models/pack"
	"github.com/nedstream/nedstream/pipeline/cast"
	"github.com/nedstream/nedstream/pipeline/internal/mediaprobe"
	"github.com/nedstream/nedstream/pipeline/webrtc/peer"
	"github.com/nedstream/nedstream/pipeline/webrtc/whepclient"
)

var (
	packOnce sync.Once
	packDir  string
	packErr  error
)

// testPack builds one full model pack for the package's tests.
func testPack(t *testing.T) string {
	t.Helper()
	up := modeltest.Upstream(t)
	packOnce.Do(func() {
		dir, err := os.MkdirTemp("", "nedcast-pack-")
		if err != nil {
			packErr = err
			return
		}
		packDir = dir
		_, packErr = pack.Build(pack.BuildOptions{From: up, Out: dir, Parts: manipulator.PackParts()})
	})
	if packErr != nil {
		t.Fatal(packErr)
	}
	return packDir
}

func TestMain(m *testing.M) {
	code := m.Run()
	if packDir != "" {
		os.RemoveAll(packDir)
	}
	os.Exit(code)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// discover returns a file's duration and whether it has video and audio.
func discover(t *testing.T, path string) (time.Duration, int, int) {
	t.Helper()
	info, err := mediaprobe.Probe((&url.URL{Scheme: "file", Path: path}).String(), 10*time.Second)
	if err != nil {
		t.Fatalf("the recording %s does not play back: %v", path, err)
	}
	return info.Duration, info.Count("video"), info.Count("audio")
}

// makeClip writes the first frames of the talking-face clip (rotation
// applied) to a short H.264 MP4.
func makeClip(t *testing.T, frames int) string {
	t.Helper()
	if err := Init(); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "clip.mp4")
	desc := fmt.Sprintf("filesrc location=%q ! decodebin3 ! videoflip video-direction=auto ! videoconvert ! identity eos-after=%d ! "+
		"x264enc speed-preset=ultrafast ! h264parse ! mp4mux ! filesink location=%q",
		filepath.Join(modeltest.Media(t), "talking_face.mp4"), frames, out)
	p := playing(t, desc)
	defer p.SetState(gst.StateNull)
	msg := p.GetBus().TimedPopFiltered(gst.ClockTime(60*time.Second), gst.MessageEOS|gst.MessageError)
	if msg == nil || msg.Type() != gst.MessageEOS {
		t.Fatalf("making the test clip failed: %v", msg)
	}
	return out
}

// viewer is a pion WHEP viewer counting the RTP packets it receives.
type viewer struct {
	pc      *webrtc.PeerConnection
	api     *peer.API
	packets atomic.Int64 // video
	audio   atomic.Int64
}

func (v *viewer) close() { _ = v.pc.Close(); _ = v.api.Close() }

// dialWHEP connects a video-only viewer, retrying while the WHEP server is not up.
func dialWHEP(ctx context.Context, endpoint, token string) (*viewer, error) {
	return dialWHEPMedia(ctx, endpoint, token, false)
}

// dialWHEPMedia connects a viewer that also asks for audio when audio is set.
func dialWHEPMedia(ctx context.Context, endpoint, token string, audio bool) (*viewer, error) {
	kinds := []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo}
	if audio {
		kinds = append(kinds, webrtc.RTPCodecTypeAudio)
	}
	api, pc, err := whepclient.NewReceiver(peer.Options{IncludeLoopback: true}, kinds...)
	if err != nil {
		return nil, err
	}
	v := &viewer{pc: pc, api: api}
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		count := &v.packets
		if tr.Kind() == webrtc.RTPCodecTypeAudio {
			count = &v.audio
		}
		for {
			if _, _, err := tr.ReadRTP(); err != nil {
				return
			}
			count.Add(1)
		}
	})
	if _, err := whepclient.Subscribe(ctx, http.DefaultClient, endpoint, token, pc, 200*time.Millisecond); err != nil {
		v.close()
		return nil, err
	}
	return v, nil
}

func api(t *testing.T, method, u, token, body string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, u, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return res.StatusCode, raw
}

// start runs a Runner in the background; wait returns its error (it waits
// once: later calls return the same error at once, so a deferred
// cancel-and-wait is safe after an explicit one).
func start(t *testing.T, cfg cast.Config, ctx context.Context) (r *Runner, ctl string, wait func() error) {
	t.Helper()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	listening := make(chan string, 1)
	r, err := New(cfg, testLogger(t), Options{ICE: peer.Options{IncludeLoopback: true}, OnListening: func(a string) { listening <- a }})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	if cfg.ControlEnabled() {
		select {
		case ctl = <-listening:
		case err := <-done:
			t.Fatalf("nedcast stopped before listening: %v", err)
		case <-time.After(30 * time.Second):
			t.Fatal("the control server did not start")
		}
	}
	return r, "http://" + ctl, sync.OnceValue(func() error {
		select {
		case err := <-done:
			return err
		case <-time.After(3 * time.Minute):
			t.Error("nedcast did not stop")
			return errors.New("nedcast did not stop within 3 minutes")
		}
	})
}

// startFlowing starts nedcast with cfg and waits until it has edited n
// frames; stop cancels the run and waits for it (again at cleanup, which
// then returns at once).
func startFlowing(t *testing.T, cfg cast.Config, n uint64) (r *Runner, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r, _, wait := start(t, cfg, ctx)
	stop = func() error { cancel(); return wait() }
	t.Cleanup(func() { _ = stop() })
	if !waitFor(30*time.Second, func() bool { return r.frames.Load() >= n }) {
		t.Fatalf("only %d frames (want %d before the test goes on)", r.frames.Load(), n)
	}
	return r, stop
}

// playing builds a gst-launch pipeline in this process and sets it
// playing; the caller sets it to NULL.
func playing(t *testing.T, desc string) gst.Pipeline {
	t.Helper()
	el, err := gst.ParseLaunch(desc)
	if err != nil {
		t.Fatalf("%s: %v", desc, err)
	}
	p := el.(gst.Pipeline)
	p.SetState(gst.StatePlaying)
	return p
}

// testSourceConfig is nedcast on its synthetic 320x240, 15 fps source with
// the test pack.
func testSourceConfig(t *testing.T) cast.Config {
	t.Helper()
	cfg := cast.Defaults()
	cfg.Input = "test"
	cfg.Size = "320x240"
	cfg.FPS = 15
	cfg.ModelPack = testPack(t)
	return cfg
}

// TestFileRecordOnly: a file with audio recorded as fast as it decodes;
// the recording plays back with the input's duration, video and audio.
func TestFileRecordOnly(t *testing.T) {
	cfg := cast.Defaults()
	cfg.Input = filepath.Join(modeltest.Media(t), "short_clip.mp4")
	cfg.ModelPack = testPack(t)
	cfg.Record = filepath.Join(t.TempDir(), "edited.mkv")
	cfg.Listen = "off"
	cfg.Emotion = "happy"
	_, _, wait := start(t, cfg, context.Background())
	if err := wait(); err != nil {
		t.Fatal(err)
	}
	d, nv, na := discover(t, cfg.Record)
	t.Logf("recording: %v, %d video, %d audio streams", d, nv, na)
	if nv != 1 || na != 1 {
		t.Errorf("recording has %d video and %d audio streams, want 1 and 1", nv, na)
	}
	if d < 900*time.Millisecond || d > 1200*time.Millisecond {
		t.Errorf("recording lasts %v, the input 1.045 s", d)
	}
}

// TestFileWHEPRecordAndControl: a 3 s clip paced in real time to WHEP
// (a pion viewer through the control server's /whep) and an MP4
// recording; PUT /api/settings shows in GET /api/status; /metrics parses;
// a wrong token is refused. The recording lasts as long as the clip.
func TestFileWHEPRecordAndControl(t *testing.T) {
	clip := makeClip(t, 90)
	cfg := cast.Defaults()
	cfg.Input = clip
	cfg.ModelPack = testPack(t)
	cfg.Record = filepath.Join(t.TempDir(), "edited.mp4")
	cfg.WHEP = freeAddr(t)
	cfg.Listen = freeAddr(t)
	cfg.Token = "t0ken"
	r, ctl, wait := start(t, cfg, context.Background())

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	v, err := dialWHEP(ctx, ctl+"/whep", cfg.Token)
	if err != nil {
		t.Fatal(err)
	}
	defer v.close()

	if code, _ := api(t, "GET", ctl+"/api/status", "wrong", ""); code != http.StatusUnauthorized {
		t.Errorf("wrong token: %d, want 401", code)
	}
	code, body := api(t, "PUT", ctl+"/api/settings", cfg.Token, `{"emotion":"surprised","intensity":0.9}`)
	if code != http.StatusOK {
		t.Fatalf("PUT /api/settings: %d %s", code, body)
	}
	var st cast.Status
	code, body = api(t, "GET", ctl+"/api/status", cfg.Token, "")
	if code != http.StatusOK || json.Unmarshal(body, &st) != nil {
		t.Fatalf("GET /api/status: %d %s", code, body)
	}
	if st.Settings.Emotion != "surprised" || st.Settings.Intensity != 0.9 {
		t.Errorf("status settings %+v after PUT", st.Settings)
	}
	// The element itself has the new values.
	r.mu.Lock()
	filter := r.filter
	r.mu.Unlock()
	if filter != nil {
		if got := getDouble(filter, "intensity"); got != 0.9 {
			t.Errorf("nedfilter intensity is %v after PUT, want 0.9", got)
		}
	}
	if err := wait(); err != nil {
		t.Fatal(err)
	}
	if n := v.packets.Load(); n < 20 {
		t.Errorf("the WHEP viewer got %d RTP packets", n)
	}
	st = r.Status()
	t.Logf("status at the end: frames %d, latency %v, dropped %v", st.Frames, st.LatencyMS, st.Dropped)
	if st.Frames < 80 {
		t.Errorf("%d frames through nedfilter, the clip has 90", st.Frames)
	}
	d, nv, _ := discover(t, cfg.Record)
	if nv != 1 || d < 2800*time.Millisecond || d > 3300*time.Millisecond {
		t.Errorf("recording: %v with %d video streams, want ~3 s of video", d, nv)
	}

	// Metrics, scraped from the finished run's registry through the handler.
	rec := &recorder{header: http.Header{}}
	r.Metrics().Handler().ServeHTTP(rec, httptestRequest())
	parser := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := parser.TextToMetricFamilies(strings.NewReader(rec.body.String()))
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	if f := fams["nedcast_frames_total"]; f == nil || f.GetMetric()[0].GetCounter().GetValue() < 80 {
		t.Errorf("nedcast_frames_total: %v", f)
	}
	if f := fams["nedcast_whep_viewer_joins_total"]; f == nil || f.GetMetric()[0].GetCounter().GetValue() < 1 {
		t.Errorf("nedcast_whep_viewer_joins_total: %v", f)
	}
	if f := fams["nedcast_webrtc_encoded_bytes_total"]; f == nil || f.GetMetric()[0].GetCounter().GetValue() <= 0 {
		t.Errorf("nedcast_webrtc_encoded_bytes_total: %v", f)
	}
	if f := fams["nedcast_stage_latency_seconds"]; f == nil || len(f.GetMetric()) == 0 {
		t.Errorf("no stage latency histograms (no face seen?)")
	}
}

// TestStopFinalisesRecordingAndWHIPDownIsNotFatal: a live test source
// recorded to MP4 with a WHIP output whose server is down; cancelling (as
// SIGINT does) finalises the recording, which lasts as long as the run.
func TestStopFinalisesRecordingAndWHIPDownIsNotFatal(t *testing.T) {
	cfg := testSourceConfig(t)
	cfg.Record = filepath.Join(t.TempDir(), "live.mp4")
	cfg.WHIP = "http://" + freeAddr(t) + "/whip" // nothing listens there
	cfg.Listen = "off"
	ctx, cancel := context.WithCancel(context.Background())
	r, _, wait := start(t, cfg, ctx)
	deadline := time.Now().Add(30 * time.Second)
	for r.frames.Load() < 45 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	frames := r.frames.Load()
	cancel()
	if err := wait(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	d, nv, _ := discover(t, cfg.Record)
	want := time.Duration(frames) * time.Second / 15
	t.Logf("%d frames before the stop, recording %v", frames, d)
	if nv != 1 || d < want-500*time.Millisecond {
		t.Errorf("recording %v (%d video streams), want at least %v", d, nv, want)
	}
	if r.Status().WHIP == "connected" {
		t.Error("WHIP output connected to nothing")
	}
}

// TestWHIPIngestToWHEP: a nedwhipsink pipeline in this process publishes
// H.264 to nedcast's WHIP ingest; the edited stream comes out on WHEP.
func TestWHIPIngestToWHEP(t *testing.T) {
	cfg := cast.Defaults()
	cfg.Input = "whip"
	cfg.ModelPack = testPack(t)
	cfg.WHEP = freeAddr(t)
	cfg.Listen = freeAddr(t)
	cfg.Token = "in-tok"
	// A video-only publisher: the (silent) audio branch must not keep the
	// recording from being written.
	cfg.Record = filepath.Join(t.TempDir(), "ingest.mp4")
	ctx, cancel := context.WithCancel(context.Background())
	r, ctl, wait := start(t, cfg, ctx)
	defer func() {
		cancel()
		if err := wait(); err != nil {
			t.Errorf("stop: %v", err)
		}
		d, nv, na := discover(t, cfg.Record)
		t.Logf("recording: %v, %d video, %d audio streams", d, nv, na)
		if nv != 1 || d < time.Second {
			t.Errorf("recording of the video-only publication: %v, %d video streams", d, nv)
		}
	}()

	pp := playing(t, fmt.Sprintf("videotestsrc is-live=true ! video/x-raw,width=320,height=240,framerate=15/1 ! "+
		"x264enc tune=zerolatency speed-preset=ultrafast key-int-max=15 ! h264parse ! "+
		"nedwhipsink location=%q token=%q", ctl+"/whip", cfg.Token))
	defer pp.SetState(gst.StateNull)

	vctx, vcancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer vcancel()
	v, err := dialWHEP(vctx, "http://"+cfg.WHEP+"/whep", cfg.Token)
	if err != nil {
		t.Fatal(err)
	}
	defer v.close()
	// At least 20 packets at the viewer and 2 s of edited frames (15 fps)
	// for the recording.
	for (v.packets.Load() < 20 || r.frames.Load() < 30) && vctx.Err() == nil {
		time.Sleep(100 * time.Millisecond)
	}
	st := r.Status()
	t.Logf("viewer packets %d, frames %d, publishers %d", v.packets.Load(), st.Frames, st.Publishers)
	if v.packets.Load() < 20 {
		t.Errorf("the WHEP viewer got %d packets of the ingested stream", v.packets.Load())
	}
	if st.Publishers != 1 || st.Frames == 0 {
		t.Errorf("status: %d publishers, %d frames", st.Publishers, st.Frames)
	}
}

// streamSpans plays a recording as fast as it decodes and returns the
// first PTS and end (last PTS + duration) of its video and audio buffers.
func streamSpans(t *testing.T, path string) (video, audio span) {
	t.Helper()
	el, err := gst.ParseLaunch(fmt.Sprintf("filesrc location=%q ! decodebin3 name=d  "+
		"d. ! queue ! videoconvert ! fakesink name=vs sync=false  d. ! queue ! audioconvert ! fakesink name=as sync=false", path))
	if err != nil {
		t.Fatal(err)
	}
	p := el.(gst.Pipeline)
	defer p.SetState(gst.StateNull)
	watch := func(name string) func() span {
		var mu sync.Mutex
		var first, end time.Duration = -1, 0
		p.(gst.Bin).GetByName(name).GetStaticPad("sink").AddProbe(gst.PadProbeTypeBuffer, func(_ gst.Pad, info *gst.PadProbeInfo) gst.PadProbeReturn {
			b := info.GetBuffer()
			if b == nil || b.PTS() == gst.ClockTimeNone {
				return gst.PadProbeOK
			}
			pts := time.Duration(b.PTS())
			d := time.Duration(0)
			if b.Duration() != gst.ClockTimeNone {
				d = time.Duration(b.Duration())
			}
			mu.Lock()
			if first < 0 || pts < first {
				first = pts
			}
			end = max(end, pts+d)
			mu.Unlock()
			return gst.PadProbeOK
		})
		return func() span {
			mu.Lock()
			defer mu.Unlock()
			if first < 0 {
				return span{}
			}
			return span{first, end}
		}
	}
	vs, as := watch("vs"), watch("as")
	p.SetState(gst.StatePlaying)
	msg := p.GetBus().TimedPopFiltered(gst.ClockTime(60*time.Second), gst.MessageEOS|gst.MessageError)
	if msg == nil || msg.Type() != gst.MessageEOS {
		t.Fatalf("playing the recording %s back failed: %v", path, msg)
	}
	return vs(), as()
}

// marks plays a recording back and returns the times of its white video
// frames (the centre pixel bright after black ones) and of its audio tick
// onsets (the first loud sample after 300 ms of quiet).
func marks(t *testing.T, path string) (flashes, ticks []time.Duration) {
	t.Helper()
	el, err := gst.ParseLaunch(fmt.Sprintf("filesrc location=%q ! decodebin3 name=d  "+
		"d. ! queue ! videoconvert ! video/x-raw,format=GRAY8 ! fakesink name=vs sync=false  "+
		"d. ! queue ! audioconvert ! audio/x-raw,format=S16LE,channels=1,rate=48000 ! fakesink name=as sync=false", path))
	if err != nil {
		t.Fatal(err)
	}
	p := el.(gst.Pipeline)
	defer p.SetState(gst.StateNull)
	var mu sync.Mutex
	wasBright := false
	p.(gst.Bin).GetByName("vs").GetStaticPad("sink").AddProbe(gst.PadProbeTypeBuffer, func(_ gst.Pad, info *gst.PadProbeInfo) gst.PadProbeReturn {
		b := info.GetBuffer()
		if b == nil {
			return gst.PadProbeOK
		}
		m, ok := b.Map(gst.MapRead)
		if !ok {
			return gst.PadProbeOK
		}
		px := make([]byte, 1)
		_, _ = m.ReadAt(px, int64(120*320+160)) // 320x240 GRAY8: the centre
		m.Unmap()
		bright := px[0] > 128
		mu.Lock()
		if bright && !wasBright {
			flashes = append(flashes, time.Duration(b.PTS()))
		}
		wasBright = bright
		mu.Unlock()
		return gst.PadProbeOK
	})
	var quietUntil time.Duration
	p.(gst.Bin).GetByName("as").GetStaticPad("sink").AddProbe(gst.PadProbeTypeBuffer, func(_ gst.Pad, info *gst.PadProbeInfo) gst.PadProbeReturn {
		b := info.GetBuffer()
		if b == nil {
			return gst.PadProbeOK
		}
		m, ok := b.Map(gst.MapRead)
		if !ok {
			return gst.PadProbeOK
		}
		data := make([]byte, m.Length())
		_, _ = m.ReadAt(data, 0)
		m.Unmap()
		pts := time.Duration(b.PTS())
		mu.Lock()
		for i := 0; i+1 < len(data); i += 2 {
			at := pts + time.Duration(i/2)*time.Second/48000
			v := int16(uint16(data[i]) | uint16(data[i+1])<<8)
			if v > 3000 || v < -3000 {
				if at >= quietUntil {
					ticks = append(ticks, at)
				}
				quietUntil = at + 300*time.Millisecond
			}
		}
		mu.Unlock()
		return gst.PadProbeOK
	})
	p.SetState(gst.StatePlaying)
	msg := p.GetBus().TimedPopFiltered(gst.ClockTime(60*time.Second), gst.MessageEOS|gst.MessageError)
	if msg == nil || msg.Type() != gst.MessageEOS {
		t.Fatalf("playing the recording %s back failed: %v", path, msg)
	}
	mu.Lock()
	defer mu.Unlock()
	return flashes, ticks
}

// span is the time a stream's buffers cover.
type span struct{ first, end time.Duration }

func (s span) length() time.Duration { return s.end - s.first }

// TestWHIPIngestAudio: a publisher with H.264 video and Opus audio; the
// audio reaches the WHEP viewer (its own track) and the recording, where it
// spans as long as the video.
func TestWHIPIngestAudio(t *testing.T) {
	cfg := cast.Defaults()
	cfg.Input = "whip"
	cfg.ModelPack = testPack(t)
	cfg.WHEP = freeAddr(t)
	cfg.Listen = freeAddr(t)
	cfg.Record = filepath.Join(t.TempDir(), "ingest.mkv")
	ctx, cancel := context.WithCancel(context.Background())
	r, ctl, wait := start(t, cfg, ctx)
	defer func() { cancel(); _ = wait() }()

	// Marks to measure the sync by: a white frame at each whole second of
	// the publisher's running time (black otherwise; frames stamped when
	// pushed) and an audio tick at each whole second.
	pub, err := gst.ParseLaunch(fmt.Sprintf("appsrc name=vsrc is-live=true format=time do-timestamp=true "+
		"caps=\"video/x-raw,format=GRAY8,width=320,height=240,framerate=15/1\" ! videoconvert ! "+
		"x264enc tune=zerolatency speed-preset=ultrafast key-int-max=15 ! h264parse ! nedwhipsink name=s location=%q  "+
		"audiotestsrc is-live=true wave=ticks samplesperbuffer=960 ! audio/x-raw,rate=48000,channels=2 ! opusenc ! s.audio", ctl+"/whip"))
	if err != nil {
		t.Fatal(err)
	}
	pp := pub.(gst.Pipeline)
	vsrc := pp.(gst.Bin).GetByName("vsrc")
	black, white := make([]byte, 320*240), make([]byte, 320*240)
	for i := range white {
		white[i] = 255
	}
	pushing := make(chan struct{})
	pushed := make(chan struct{})
	go func() {
		// Frames pushed on the running time's 1/15 s grid (stamped on
		// push), white on each whole second.
		defer close(pushed)
		const period = time.Second / 15
		for {
			rt := time.Duration(vsrc.GetCurrentRunningTime())
			if rt < 0 || rt > time.Hour { // no clock yet
				rt = 0
			}
			n := rt/period + 1
			select {
			case <-pushing:
				return
			case <-time.After(n*period - rt):
			}
			frame := black
			if n%15 == 0 {
				frame = white
			}
			appsrcPush(vsrc, frame)
		}
	}()
	defer func() { close(pushing); <-pushed }()
	pp.SetState(gst.StatePlaying)
	defer pp.SetState(gst.StateNull)

	vctx, vcancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer vcancel()
	v, err := dialWHEPMedia(vctx, "http://"+cfg.WHEP+"/whep", "", true)
	if err != nil {
		t.Fatal(err)
	}
	defer v.close()
	for (v.packets.Load() < 20 || v.audio.Load() < 50) && vctx.Err() == nil {
		time.Sleep(100 * time.Millisecond)
	}
	// Record a few seconds of both.
	time.Sleep(3 * time.Second)
	frames := r.frames.Load()
	cancel()
	if err := wait(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	t.Logf("viewer: %d video, %d audio packets; %d frames", v.packets.Load(), v.audio.Load(), frames)
	if v.packets.Load() < 20 || v.audio.Load() < 50 {
		t.Errorf("the WHEP viewer got %d video and %d audio packets, want >= 20 and >= 50", v.packets.Load(), v.audio.Load())
	}
	_, nv, na := discover(t, cfg.Record)
	vs, as := streamSpans(t, cfg.Record)
	t.Logf("recording: %d video, %d audio streams; video %v..%v, audio %v..%v", nv, na, vs.first, vs.end, as.first, as.end)
	if nv != 1 || na != 1 {
		t.Fatalf("recording has %d video and %d audio streams, want 1 and 1", nv, na)
	}
	if vs.length() < 3*time.Second || as.length() < 3*time.Second {
		t.Errorf("recording spans: video %v, audio %v; want both >= 3 s", vs.length(), as.length())
	}
	// The audio track starts with the recording (silence until the
	// publisher's audio arrives); both are stamped on arrival and end together.
	if as.first > vs.first+100*time.Millisecond || (as.end-vs.end).Abs() > 700*time.Millisecond {
		t.Errorf("audio %v..%v and video %v..%v are not aligned", as.first, as.end, vs.first, vs.end)
	}
	// Lip sync: each white frame against the tick nearest to it.
	flashes, ticks := marks(t, cfg.Record)
	var offsets []time.Duration
	for _, f := range flashes {
		best := time.Duration(-1)
		for _, a := range ticks {
			if best < 0 || (a-f).Abs() < (best-f).Abs() {
				best = a
			}
		}
		if best >= 0 && (best-f).Abs() < 500*time.Millisecond {
			offsets = append(offsets, best-f)
		}
	}
	t.Logf("white frames at %v, ticks at %v: audio minus video %v", flashes, ticks, offsets)
	if len(offsets) < 2 {
		t.Fatalf("%d white frames matched a tick (frames %v, ticks %v)", len(offsets), flashes, ticks)
	}
	slices.Sort(offsets)
	if med := offsets[len(offsets)/2]; med.Abs() > 80*time.Millisecond {
		t.Errorf("audio is %v off the video (median over %d marks)", med, len(offsets))
	}
}

func TestDoctor(t *testing.T) {
	checks := Doctor(DoctorOptions{ModelPack: filepath.Join(t.TempDir(), "nope")})
	var pack, gstOK bool
	for _, c := range checks {
		if c.Name == "model pack" && !c.OK && strings.Contains(c.Fix, "nedpack build") {
			pack = true
		}
		if c.Name == "GStreamer" && c.OK {
			gstOK = true
		}
	}
	if !pack || !gstOK {
		t.Errorf("doctor checks %+v", checks)
	}
}

func TestFormatOverrides(t *testing.T) {
	got := FormatOverrides([]cast.FaceOverride{{TrackID: 1, Emotion: "sad", Intensity: 0.5}, {TrackID: 3, Emotion: "happy", Intensity: 1}})
	if got != "1=sad:0.5, 3=happy:1" {
		t.Errorf("FormatOverrides = %q", got)
	}
}

// recorder is a minimal http.ResponseWriter.
type recorder struct {
	header http.Header
	body   strings.Builder
	code   int
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) Write(p []byte) (int, error) { return r.body.Write(p) }
func (r *recorder) WriteHeader(code int)        { r.code = code }

func httptestRequest() *http.Request {
	req, _ := http.NewRequest("GET", "/metrics", nil)
	return req
}

// TestLoopThenStop: a 1 s file (about 31 frames) with --loop plays past
// its end (segment seeks) in real time, and a stop ends the run cleanly.
func TestLoopThenStop(t *testing.T) {
	cfg := cast.Defaults()
	cfg.Input = filepath.Join(modeltest.Media(t), "short_clip.mp4")
	cfg.Loop = true
	cfg.ModelPack = testPack(t)
	cfg.WHEP = freeAddr(t) // a live output: the file is paced to the clock
	cfg.Listen = "off"
	ctx, cancel := context.WithCancel(context.Background())
	r, _, wait := start(t, cfg, ctx)
	deadline := time.Now().Add(90 * time.Second)
	for r.frames.Load() < 45 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	frames := r.frames.Load()
	cancel()
	if err := wait(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if frames < 45 {
		t.Errorf("%d frames: the 31-frame clip did not loop", frames)
	}
}

// TestLoopRecord: a 1 s clip (with audio) looped in real time and recorded;
// stopped after about two rounds, the recording plays back for as long as
// the frames that went through, audio included, about twice the clip.
func TestLoopRecord(t *testing.T) {
	for _, ext := range []string{".mp4", ".mkv"} {
		t.Run(ext[1:], func(t *testing.T) {
			cfg := cast.Defaults()
			cfg.Input = filepath.Join(modeltest.Media(t), "short_clip.mp4")
			cfg.Loop = true
			cfg.ModelPack = testPack(t)
			cfg.WHEP = freeAddr(t) // a live output: the file is paced, so rounds take real time
			cfg.Record = filepath.Join(t.TempDir(), "looped"+ext)
			cfg.Listen = "off"
			ctx, cancel := context.WithCancel(context.Background())
			r, _, wait := start(t, cfg, ctx)
			deadline := time.Now().Add(90 * time.Second)
			for r.frames.Load() < 64 && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			cancel()
			if err := wait(); err != nil {
				t.Fatalf("stop: %v", err)
			}
			frames := r.frames.Load()
			d, nv, na := discover(t, cfg.Record)
			vs, as := streamSpans(t, cfg.Record)
			t.Logf("%d frames; recording %v, %d video, %d audio streams; video %v..%v, audio %v..%v", frames, d, nv, na, vs.first, vs.end, as.first, as.end)
			if frames < 64 {
				t.Fatalf("%d frames: the 31-frame clip did not loop twice", frames)
			}
			// The clip is 1.045 s at 30 fps: the frames that went through
			// fix how long the recording must be.
			want := time.Duration(frames) * time.Second / 30
			if nv != 1 || na != 1 {
				t.Errorf("recording has %d video and %d audio streams, want 1 and 1", nv, na)
			}
			if vs.length() < want-300*time.Millisecond || vs.length() > want+500*time.Millisecond {
				t.Errorf("recorded video spans %v, want about %v (%d frames)", vs.length(), want, frames)
			}
			if vs.length() < 2*1045*time.Millisecond-100*time.Millisecond {
				t.Errorf("recorded video spans %v: not two rounds of the 1.045 s clip", vs.length())
			}
			if as.length() < want-500*time.Millisecond {
				t.Errorf("recorded audio spans %v, want about %v", as.length(), want)
			}
		})
	}
}

// metricValue scrapes the run's /metrics and returns a sample's value
// (labels as name=value pairs); -1 when it is missing.
func metricValue(t *testing.T, r *Runner, name string, labels ...string) float64 {
	t.Helper()
	rec := &recorder{header: http.Header{}}
	r.Metrics().Handler().ServeHTTP(rec, httptestRequest())
	parser := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := parser.TextToMetricFamilies(strings.NewReader(rec.body.String()))
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	f := fams[name]
	if f == nil {
		return -1
	}
next:
	for _, m := range f.GetMetric() {
		for i := 0; i+1 < len(labels); i += 2 {
			found := false
			for _, l := range m.GetLabel() {
				if l.GetName() == labels[i] && l.GetValue() == labels[i+1] {
					found = true
				}
			}
			if !found {
				continue next
			}
		}
		switch {
		case m.GetCounter() != nil:
			return m.GetCounter().GetValue()
		case m.GetGauge() != nil:
			return m.GetGauge().GetValue()
		}
	}
	return -1
}

// waitFor polls cond every 50 ms until it holds or the timeout passes.
func waitFor(timeout time.Duration, cond func() bool) bool {
	for deadline := time.Now().Add(timeout); !cond(); {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
	return true
}

// TestInputLostRetry: the live input fails mid-stream (the error a camera
// that is unplugged makes v4l2src post); with --on-input-lost retry the
// pipeline is rebuilt, frames flow again, a WHEP viewer gets the new
// stream, the restart is counted and both recordings play back.
func TestInputLostRetry(t *testing.T) {
	cfg := testSourceConfig(t)
	cfg.WHEP = freeAddr(t)
	cfg.Record = filepath.Join(t.TempDir(), "retry.mkv")
	cfg.Listen = "off"
	cfg.OnInputLost = "retry"
	cfg.RetryDelay = cast.Duration(300 * time.Millisecond)
	r, stop := startFlowing(t, cfg, 20)
	r.mu.Lock()
	src := r.pipeline.(gst.Bin).GetByName(cast.ElemSource)
	r.mu.Unlock()
	postReadError(src, "Could not read from resource (test: camera unplugged)")
	before := r.frames.Load()
	if !waitFor(20*time.Second, func() bool { return metricValue(t, r, "nedcast_input_restarts_total") >= 1 }) {
		t.Fatalf("no retry after the input failed: state %s", r.Status().State)
	}
	if !waitFor(30*time.Second, func() bool { return r.frames.Load() >= before+20 && r.Status().State == "playing" }) {
		t.Fatalf("frames did not flow again after the retry: %d then %d, state %s", before, r.frames.Load(), r.Status().State)
	}
	if n := metricValue(t, r, "nedcast_input_restarts_total"); n != 1 {
		t.Errorf("nedcast_input_restarts_total = %v, want 1", n)
	}
	// The WHEP output of the rebuilt pipeline serves a new viewer.
	vctx, vcancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer vcancel()
	v, err := dialWHEP(vctx, "http://"+cfg.WHEP+"/whep", "")
	if err != nil {
		t.Fatal(err)
	}
	defer v.close()
	if !waitFor(20*time.Second, func() bool { return v.packets.Load() >= 20 }) {
		t.Errorf("the WHEP viewer after the retry got %d packets", v.packets.Load())
	}
	if err := stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	for _, p := range []string{cfg.Record, recordPath(cfg.Record, 1)} {
		d, nv, _ := discover(t, p)
		t.Logf("%s: %v", filepath.Base(p), d)
		if nv != 1 || d < time.Second {
			t.Errorf("recording %s: %v, %d video streams", p, d, nv)
		}
	}
}

// TestStalledOutputDropsCounted: the WebRTC branch stalls (its encoder
// blocked); its leaky queue drops frames, which /metrics and /api/status
// count for that output only, while the recording gets every frame.
func TestStalledOutputDropsCounted(t *testing.T) {
	cfg := testSourceConfig(t)
	cfg.WHEP = freeAddr(t)
	cfg.Record = filepath.Join(t.TempDir(), "stall.mkv")
	cfg.Listen = "off"
	r, stop := startFlowing(t, cfg, 10)
	r.mu.Lock()
	q := r.queues["webrtc"]
	r.mu.Unlock()
	next := q.GetStaticPad("src").GetPeer()
	block := next.AddProbe(gst.PadProbeTypeBlock|gst.PadProbeTypeBuffer, func(gst.Pad, *gst.PadProbeInfo) gst.PadProbeReturn {
		return gst.PadProbeOK // keeps blocking while installed
	})
	stalledAt := r.frames.Load()
	if !waitFor(30*time.Second, func() bool { return r.frames.Load() >= stalledAt+30 }) {
		t.Fatalf("frames stopped with the stalled output: %d then %d", stalledAt, r.frames.Load())
	}
	dropped := metricValue(t, r, "nedcast_dropped_frames_total", "output", "webrtc")
	st := r.Status()
	t.Logf("after %d frames with the WebRTC branch stalled: metric %v, status %v", r.frames.Load()-stalledAt, dropped, st.Dropped)
	if dropped < 25 {
		t.Errorf("nedcast_dropped_frames_total{output=webrtc} = %v after 30 stalled frames", dropped)
	}
	if st.Dropped["webrtc"] < 25 {
		t.Errorf("status dropped %v after 30 stalled frames", st.Dropped)
	}
	if rec := metricValue(t, r, "nedcast_dropped_frames_total", "output", "record"); rec != 0 {
		t.Errorf("the recording dropped %v frames while another output stalled", rec)
	}
	next.RemoveProbe(block)
	if err := stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
}

// TestWHIPRepublish: a publisher (video and audio) stops and another one
// publishes, as when OBS restarts its stream; the viewer already watching
// gets the second publication's video and audio too, and nedcast keeps
// running.
func TestWHIPRepublish(t *testing.T) {
	cfg := cast.Defaults()
	cfg.Input = "whip"
	cfg.ModelPack = testPack(t)
	cfg.WHEP = freeAddr(t)
	cfg.Listen = freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	r, ctl, wait := start(t, cfg, ctx)
	defer func() {
		cancel()
		if err := wait(); err != nil {
			t.Errorf("stop: %v", err)
		}
	}()
	publish := func(pattern string) gst.Pipeline {
		t.Helper()
		return playing(t, fmt.Sprintf("videotestsrc is-live=true pattern=%s ! video/x-raw,width=320,height=240,framerate=15/1 ! "+
			"x264enc tune=zerolatency speed-preset=ultrafast key-int-max=15 ! h264parse ! nedwhipsink name=s location=%q  "+
			"audiotestsrc is-live=true samplesperbuffer=960 ! audio/x-raw,rate=48000,channels=2 ! opusenc ! s.audio", pattern, ctl+"/whip"))
	}
	vctx, vcancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer vcancel()
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for !cond() && vctx.Err() == nil {
			time.Sleep(100 * time.Millisecond)
		}
		if !cond() {
			t.Fatalf("timed out waiting for %s", what)
		}
	}

	first := publish("smpte")
	v, err := dialWHEPMedia(vctx, "http://"+cfg.WHEP+"/whep", "", true)
	if err != nil {
		first.SetState(gst.StateNull)
		t.Fatal(err)
	}
	defer v.close()
	waitFor("the first publication at the viewer", func() bool { return v.packets.Load() >= 20 && v.audio.Load() >= 50 })
	first.SetState(gst.StateNull) // nedwhipsink DELETEs its session
	waitFor("the first publisher to leave", func() bool { return r.Status().Publishers == 0 })
	video, audio, frames := v.packets.Load(), v.audio.Load(), r.frames.Load()

	second := publish("ball")
	defer second.SetState(gst.StateNull)
	waitFor("the second publication at the viewer", func() bool {
		return v.packets.Load() >= video+20 && v.audio.Load() >= audio+50 && r.frames.Load() >= frames+15
	})
	st := r.Status()
	t.Logf("after the second publication: viewer %d video, %d audio packets (%d, %d at the switch); %d frames edited (%d); publishers %d",
		v.packets.Load(), v.audio.Load(), video, audio, r.frames.Load(), frames, st.Publishers)
	if st.Publishers != 1 {
		t.Errorf("%d publishers, want 1", st.Publishers)
	}
}

// TestStopEndsBranchesWhenEOSIsLost: if the EOS a stop sends at the input
// never reaches the outputs (here a probe swallows it behind the input
// queue), the stop sends EOS into every branch after EOSEscalate, and the
// recording is still finalised.
func TestStopEndsBranchesWhenEOSIsLost(t *testing.T) {
	cfg := testSourceConfig(t)
	cfg.Record = filepath.Join(t.TempDir(), "lost-eos.mkv")
	cfg.Listen = "off"
	r, stop := startFlowing(t, cfg, 15)
	r.mu.Lock()
	q := r.pipeline.(gst.Bin).GetByName(cast.QueueName("input"))
	r.mu.Unlock()
	var swallowed atomic.Int32
	q.GetStaticPad("src").AddProbe(gst.PadProbeTypeEventDownstream, func(_ gst.Pad, info *gst.PadProbeInfo) gst.PadProbeReturn {
		if ev := info.GetEvent(); ev != nil && ev.GetType() == gst.EventEOS && swallowed.Add(1) == 1 {
			return gst.PadProbeDrop // only the first: the escalation's own EOS must pass
		}
		return gst.PadProbeOK
	})
	began := time.Now()
	if err := stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	took := time.Since(began)
	d, nv, _ := discover(t, cfg.Record)
	t.Logf("stop took %v (EOS swallowed %d times); recording %v, %d video streams", took, swallowed.Load(), d, nv)
	if swallowed.Load() == 0 {
		t.Fatal("the input's EOS never came by: the test did not test the escalation")
	}
	if took < EOSEscalate || took > EOSEscalate+5*time.Second {
		t.Errorf("stop took %v, want a little over %v", took, EOSEscalate)
	}
	if nv != 1 || d < time.Second/2 {
		t.Errorf("recording: %v, %d video streams", d, nv)
	}
}

// TestLiveURIStallRetry: a live URI input (MPEG-TS over UDP, as an encoder
// sends it) whose sender stops is caught by the input watchdog after
// --input-timeout; with --on-input-lost retry nedcast rebuilds the pipeline
// and picks the stream up again when the sender comes back.
func TestLiveURIStallRetry(t *testing.T) {
	if err := Init(); err != nil { // the sender is built before nedcast starts
		t.Fatal(err)
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := pc.LocalAddr().(*net.UDPAddr).Port
	pc.Close()
	send := func() gst.Pipeline {
		t.Helper()
		return playing(t, fmt.Sprintf("videotestsrc is-live=true ! video/x-raw,width=320,height=240,framerate=15/1 ! "+
			"x264enc tune=zerolatency speed-preset=ultrafast key-int-max=5 ! mpegtsmux ! udpsink host=127.0.0.1 port=%d", port))
	}
	sender := send()

	cfg := cast.Defaults()
	cfg.Input = fmt.Sprintf("udp://127.0.0.1:%d", port)
	cfg.ModelPack = testPack(t)
	cfg.Record = filepath.Join(t.TempDir(), "live.mkv")
	cfg.Listen = "off"
	// Long enough for the first keyframe (every 5 frames at 15 fps) on a
	// loaded machine; nedcast's default is 5 s.
	cfg.InputTimeout = cast.Duration(2 * time.Second)
	cfg.OnInputLost = "retry"
	cfg.RetryDelay = cast.Duration(300 * time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	r, _, wait := start(t, cfg, ctx)
	defer func() { cancel(); _ = wait() }()
	if !r.Probe().LiveInput {
		t.Error("the UDP input was not probed as live")
	}
	// 3 s of frames while playing, so the recording has encoded some
	// (x264enc holds the first ones back for its lookahead).
	if !waitFor(30*time.Second, func() bool { return r.frames.Load() >= 45 && r.Status().State == "playing" }) {
		sender.SetState(gst.StateNull)
		t.Fatalf("only %d frames from the live input (state %s)", r.frames.Load(), r.Status().State)
	}
	sender.SetState(gst.StateNull) // the encoder goes away
	// Two restarts: the stall, then an attempt while the sender is still
	// gone (its recording gets no frame and is removed).
	if !waitFor(20*time.Second, func() bool { return metricValue(t, r, "nedcast_input_restarts_total") >= 2 }) {
		t.Fatalf("no retries after the input stalled: state %s, restarts %v", r.Status().State, metricValue(t, r, "nedcast_input_restarts_total"))
	}
	before := r.frames.Load()
	sender = send()
	defer sender.SetState(gst.StateNull)
	if !waitFor(30*time.Second, func() bool { return r.frames.Load() >= before+15 && r.Status().State == "playing" }) {
		t.Fatalf("frames did not flow again when the sender came back: %d then %d, state %s", before, r.frames.Load(), r.Status().State)
	}
	cancel()
	if err := wait(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	// One recording per pipeline that got frames (the one before the
	// stall, the one after the return); an attempt that got none (the
	// sender still gone) leaves no file.
	if _, err := os.Stat(recordPath(cfg.Record, 1)); !os.IsNotExist(err) {
		t.Errorf("the recording of the attempt without frames was kept (%v)", err)
	}
	recs, _ := filepath.Glob(filepath.Join(filepath.Dir(cfg.Record), "live*.mkv"))
	if len(recs) < 2 {
		t.Errorf("recordings %v, want at least the one before the stall and the one after", recs)
	}
	for _, rec := range recs {
		if d, nv, _ := discover(t, rec); nv != 1 || d < time.Second/2 {
			t.Errorf("recording %s: %v, %d video streams", filepath.Base(rec), d, nv)
		}
	}
}
