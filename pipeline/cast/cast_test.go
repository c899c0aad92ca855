package cast

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// validBase returns a config that passes Validate, with files in a temp dir.
func validBase(t *testing.T) Config {
	t.Helper()
	dir := t.TempDir()
	in := filepath.Join(dir, "in.mp4")
	if err := os.WriteFile(in, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := Defaults()
	c.Input = in
	c.ModelPack = dir
	c.Record = filepath.Join(dir, "out.mp4")
	return c
}

func TestValidateAcceptsDefaultsWithInputAndOutput(t *testing.T) {
	c := validBase(t)
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestValidateReportsEveryProblemClearly(t *testing.T) {
	c := validBase(t)
	c.Input = "/dev/video97"
	c.Emotion = "glad"
	c.Intensity = 1.5
	c.Size = "641x480"
	c.Record = "/tmp/out.avi"
	c.WHEP = "8080"
	c.WHIP = "ftp://x"
	c.LogLevel = "loud"
	c.VCam = "/dev/null"
	c.InputTimeout = Duration(100 * time.Millisecond)
	err := c.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		"input /dev/video97: no such device",
		`emotion "glad": want one of neutral`,
		"intensity 1.5: want 0..1",
		"must be even",
		"want a .mp4 or .mkv file",
		`whep "8080": want HOST:PORT`,
		`whip "ftp://x": want an http(s) URL`,
		`log-level "loud"`,
		"vcam /dev/null: not a V4L2 device",
		"modprobe v4l2loopback",
		"input-timeout 100ms: want 500ms..10m, or 0 for no watchdog",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

// The V4L2 output seam: what is not a V4L2 output device is refused with
// how to make one (v4l2loopback cannot be loaded on the test machines).
func TestVCamSeam(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "video10")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		"/dev/video99": "no such device",
		file:           "not a device node",
		"/dev/null":    "not a V4L2 device",
	} {
		err := CheckVCam(path)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "exclusive_caps=1") {
			t.Errorf("CheckVCam(%s) = %v, want %q and the v4l2loopback hint", path, err, want)
		}
	}
}

func TestInputKinds(t *testing.T) {
	for in, want := range map[string]InputKind{"": InputNone, "test": InputTest, "whip": InputWHIP,
		"/dev/video0": InputDevice, "rtsp://cam/stream": InputURI, "clip.mp4": InputFile} {
		if got := (Config{Input: in}).Kind(); got != want {
			t.Errorf("Kind(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestConfigFileStrictAndFlagsOverride(t *testing.T) {
	base := validBase(t)
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	yaml := "input: " + base.Input + "\nmodel-pack: " + base.ModelPack + "\nrecord: " + base.Record +
		"\nemotion: sad\nintensity: 0.4\nretry-delay: 3s\nfilter:\n  detect-interval: \"5\"\n"
	if err := os.WriteFile(good, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := ParseArgs([]string{"--config", good, "--intensity", "0.9"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Emotion != "sad" || c.Intensity != 0.9 || c.Filter["detect-interval"] != "5" || c.RetryDelay.String() != "3s" {
		t.Errorf("file + flags gave %+v", c)
	}

	for name, tc := range map[string]struct{ body, want string }{
		"unknown key":   {"input: x\nemotoin: happy\n", "field emotoin not found"},
		"wrong type":    {"intensity: lots\n", "cannot unmarshal"},
		"bad duration":  {"retry-delay: soon\n", `"soon" is not a duration`},
		"bad value":     {"input: " + base.Input + "\nmodel-pack: " + base.ModelPack + "\nrecord: " + base.Record + "\nemotion: glad\n", `emotion "glad"`},
		"not yaml ext":  {"", "want a .yaml or .yml file"},
		"missing input": {"model-pack: " + base.ModelPack + "\nrecord: " + base.Record + "\n", "no input"},
	} {
		p := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".yaml")
		if name == "not yaml ext" {
			p = filepath.Join(dir, "conf.toml")
		}
		if err := os.WriteFile(p, []byte(tc.body), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := ParseArgs([]string{"--config", p}, io.Discard)
		var ue UsageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want a UsageError with %q", name, err, tc.want)
		}
	}
	if _, err := ParseArgs([]string{"--config", filepath.Join(dir, "absent.yaml")}, io.Discard); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("absent config: %v", err)
	}
	if _, err := ParseArgs([]string{"--bogus"}, io.Discard); err == nil || !strings.Contains(err.Error(), "bogus") {
		t.Errorf("unknown flag: %v", err)
	}
}

func TestDescribe(t *testing.T) {
	c := validBase(t)
	c.WHEP = "127.0.0.1:8080"
	c.WHIP = "http://127.0.0.1:9000/whip"
	c.Token = "tok"
	c.Size = "640x480"
	c.FPS = 25
	c.Filter = map[string]string{"detect-interval": "5"}
	d, err := Describe(c, Probe{HasAudio: true, WebRTCAudio: true, FilterProps: map[string]bool{"reference": true}})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"filesrc name=src", "decodebin3 name=dec", "clocksync", "videoflip video-direction=auto",
		"width=640,height=480", "framerate=25/1", "nedfilter name=ned", "emotion=neutral", `detect-interval="5"`,
		"tee name=t", "x264enc name=venc", "key-int-max=50", "tee name=et",
		`nedwhepsink name=whep address="127.0.0.1:8080" token="tok"`, `nedwhipsink name=whip location="http://127.0.0.1:9000/whip" token="tok"`,
		"mp4mux name=mux fragment-duration=1000", "opusenc", "at. ! queue name=q_recaudio ! mux.", "whep.audio", "whip.audio",
		"queue name=q_webrtc leaky=downstream",
	} {
		if !strings.Contains(d, want) {
			t.Errorf("description lacks %q:\n%s", want, d)
		}
	}
	// Only one encoder feeds both WebRTC sinks (the recording has its own).
	if n := strings.Count(d, "x264enc"); n != 2 {
		t.Errorf("%d x264enc, want 2 (one shared by WHEP and WHIP, one for the recording)", n)
	}
	// A file recorded without live outputs is read as fast as possible.
	c2 := validBase(t)
	d2, _ := Describe(c2, Probe{})
	if strings.Contains(d2, "clocksync") || strings.Contains(d2, "opusenc") {
		t.Errorf("record-only without audio should neither pace nor encode audio:\n%s", d2)
	}
	c3 := validBase(t)
	c3.Input, c3.Record, c3.VCam, c3.Display = "whip", "", "/dev/video10", true
	d3, _ := Describe(c3, Probe{})
	for _, want := range []string{"appsrc name=whipvideo", "rtph264depay", "v4l2sink name=vcam device=\"/dev/video10\"", "format=YUY2", "autovideosink"} {
		if !strings.Contains(d3, want) {
			t.Errorf("whip/vcam description lacks %q:\n%s", want, d3)
		}
	}
	// WHIP ingest with audio: the publisher's Opus (fixed payload type) is
	// decoded and mixed onto live silence before the shared Opus encoder.
	c4 := validBase(t)
	c4.Input, c4.WHEP = "whip", "127.0.0.1:8080"
	d4, _ := Describe(c4, Probe{HasAudio: true, WebRTCAudio: true})
	for _, want := range []string{"appsrc name=whipaudio", "payload=111", "rtpopusdepay ! opusdec", "amix.",
		"audiotestsrc name=silence is-live=true wave=silence", "audiomixer name=amix ! queue name=q_audio", "whep.audio", "at. ! queue name=q_recaudio ! mux."} {
		if !strings.Contains(d4, want) {
			t.Errorf("whip audio description lacks %q:\n%s", want, d4)
		}
	}
	// A live URI: watched (no frame for input-timeout is an input error),
	// leaky in front of the filter, not paced; a file is neither watched
	// nor leaky.
	c5 := validBase(t)
	c5.Input, c5.WHEP, c5.InputTimeout = "udp://127.0.0.1:5000", "127.0.0.1:8080", Duration(1500*time.Millisecond)
	d5, _ := Describe(c5, Probe{LiveInput: true})
	for _, want := range []string{"uridecodebin3 name=dec", "watchdog name=inputwatchdog timeout=1500 ! queue name=q_input leaky=downstream"} {
		if !strings.Contains(d5, want) {
			t.Errorf("live URI description lacks %q:\n%s", want, d5)
		}
	}
	if strings.Contains(d5, "clocksync") {
		t.Errorf("a live URI is paced:\n%s", d5)
	}
	if strings.Contains(d, "watchdog") || strings.Contains(d, "q_input leaky") {
		t.Errorf("a file input is watched or leaky:\n%s", d)
	}
	c5.InputTimeout = 0
	if d6, _ := Describe(c5, Probe{LiveInput: true}); strings.Contains(d6, "watchdog") {
		t.Errorf("input-timeout 0 still adds a watchdog:\n%s", d6)
	}
}

// fakeBackend records what the control server asks.
type fakeBackend struct {
	mu sync.Mutex
	s  Settings
}

func (f *fakeBackend) Settings() Settings { f.mu.Lock(); defer f.mu.Unlock(); return f.s }
func (f *fakeBackend) Apply(u SettingsUpdate) (Settings, []string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if u.Emotion != nil {
		f.s.Emotion = *u.Emotion
	}
	if u.Intensity != nil {
		f.s.Intensity = *u.Intensity
	}
	var unavailable []string
	if u.Reference != nil {
		unavailable = append(unavailable, "reference")
	}
	return f.s, unavailable, nil
}
func (f *fakeBackend) Status() Status {
	return Status{State: "playing", Settings: f.Settings(), Dropped: map[string]uint64{}, LatencyMS: map[string]float64{}}
}

func do(t *testing.T, method, url, token, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(raw)
}

func TestControlAPI(t *testing.T) {
	be := &fakeBackend{s: Settings{Emotion: "neutral", Intensity: 0.7}}
	m := NewMetrics(func(string) uint64 { return 3 })
	h, err := NewServer(ServerOptions{Token: "s3cret", Backend: be, Metrics: m.Handler()})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	if code, body := do(t, "GET", srv.URL+"/", "", ""); code != 200 || !strings.Contains(body, `id="emotions"`) {
		t.Errorf("page: %d", code)
	}
	for _, tok := range []string{"", "wrong", "s3cre", "S3CRET", "s3cret2"} {
		if code, body := do(t, "GET", srv.URL+"/api/status", tok, ""); code != 401 || !strings.Contains(body, "Bearer") {
			t.Errorf("token %q: %d %s", tok, code, body)
		}
	}
	if code, _ := do(t, "GET", srv.URL+"/metrics", "", ""); code != 401 {
		t.Errorf("metrics without token: %d", code)
	}
	code, body := do(t, "PUT", srv.URL+"/api/settings", "s3cret", `{"emotion":"happy","intensity":0.25}`)
	if code != 200 || !strings.Contains(body, `"emotion": "happy"`) {
		t.Fatalf("PUT: %d %s", code, body)
	}
	code, body = do(t, "GET", srv.URL+"/api/status", "s3cret", "")
	var st Status
	if code != 200 || json.Unmarshal([]byte(body), &st) != nil || st.Settings.Emotion != "happy" || st.Settings.Intensity != 0.25 {
		t.Errorf("status after PUT: %d %s", code, body)
	}
	for body, want := range map[string]string{
		`{"emotion":"glad"}`: "want one of",
		`{"intensity":3}`:    "want 0..1",
		`{"emoton":"happy"}`: "unknown field",
		`not json`:           "bad settings JSON",
		`{"face_overrides":[{"track_id":0,"emotion":"sad","intensity":0.5}]}`: "track_id must be",
	} {
		if code, got := do(t, "PUT", srv.URL+"/api/settings", "s3cret", body); code != 400 || !strings.Contains(got, want) {
			t.Errorf("PUT %s: %d %s, want 400 with %q", body, code, got, want)
		}
	}
	if code, got := do(t, "PUT", srv.URL+"/api/settings", "s3cret", `{"reference":"clip.mp4"}`); code != 200 || !strings.Contains(got, `"unavailable"`) {
		t.Errorf("unavailable setting not reported: %d %s", code, got)
	}

	m.Frames.Add(42)
	m.ObserveStages(map[string]time.Duration{"detect": 3 * time.Millisecond, "total": 9 * time.Millisecond})
	code, body = do(t, "GET", srv.URL+"/metrics", "s3cret", "")
	if code != 200 {
		t.Fatalf("metrics: %d", code)
	}
	parser := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := parser.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("metrics do not parse: %v\n%s", err, body)
	}
	if f := fams["nedcast_frames_total"]; f == nil || f.GetMetric()[0].GetCounter().GetValue() != 42 {
		t.Errorf("nedcast_frames_total: %v", f)
	}
	if f := fams["nedcast_stage_latency_seconds"]; f == nil || len(f.GetMetric()) != 2 || f.GetMetric()[0].GetHistogram().GetSampleCount() != 1 {
		t.Errorf("nedcast_stage_latency_seconds: %v", f)
	}
	if f := fams["nedcast_dropped_frames_total"]; f == nil || len(f.GetMetric()) != len(Outputs)+1 {
		t.Errorf("nedcast_dropped_frames_total: %v", f)
	}
	for name := range fams {
		if strings.HasPrefix(name, "go_") || strings.HasPrefix(name, "process_") {
			continue
		}
		if !strings.HasPrefix(name, "nedcast_") || !model.IsValidLegacyMetricName(name) {
			t.Errorf("metric %s does not follow the naming conventions", name)
		}
	}
}

// The example config file uses only known keys with well-typed values.
func TestExampleConfigLoads(t *testing.T) {
	c := Defaults()
	if err := LoadFile(filepath.Join("..", "..", "examples", "nedcast", "nedcast.yaml"), &c); err != nil {
		t.Fatal(err)
	}
	if c.Emotion != "happy" || c.WHEP == "" || c.Filter["detect-interval"] != "10" {
		t.Errorf("example config read as %+v", c)
	}
}
