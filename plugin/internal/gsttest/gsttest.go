// Package gsttest runs GStreamer pipelines for the plugin's tests, two ways:
//
//   - Launch runs gst-launch-1.0 (another process) with the plugin library
//     libgstnedstream.so: the way users meet the element.
//   - Run runs a pipeline in the test process, with the elements registered
//     statically (elements.RegisterStatic), and collects the element's
//     messages as Go values: the way Go applications use it, and the
//     harness for the real-model tests (see RunFile).
//
// The library comes from $NEDSTREAM_PLUGIN_DIR (make test-gst sets it to
// out/gstreamer-1.0 after make plugin) or, without it, is built once per
// test binary into a temporary directory. Tests fail, never skip, when
// GStreamer, the tools or the models are missing.
package gsttest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-gst/go-gst/pkg/gst"

	"github.com/nedstream/nedstream/models/manipulator"
	"github.com/nedstream/nedstream/models/modeltest"
	"github.com/nedstream/nedstream/models/pack"
	"github.com/nedstream/nedstream/plugin/elements"
	"github.com/nedstream/nedstream/plugin/nedfilter"
)

// PluginDirEnv names a directory holding a prebuilt libgstnedstream.so.
const PluginDirEnv = "NEDSTREAM_PLUGIN_DIR"

var (
	tmpOnce sync.Once
	tmpDir  string
	tmpErr  error

	buildOnce sync.Once
	pluginDir string
	buildErr  error
)

// scratch is a directory shared by the whole test binary (removed by Main).
func scratch() (string, error) {
	tmpOnce.Do(func() { tmpDir, tmpErr = os.MkdirTemp("", "nedstream-gsttest-") })
	return tmpDir, tmpErr
}

// Main runs the tests and removes the harness's temporary files; call it
// from TestMain: os.Exit(gsttest.Main(m)).
func Main(m *testing.M) int {
	code := m.Run()
	if tmpDir != "" {
		os.RemoveAll(tmpDir)
	}
	return code
}

// RepoRoot returns the checkout this package lives in.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", "..", ".."))
}

// PluginDir returns a directory holding libgstnedstream.so, building it on
// first use unless $NEDSTREAM_PLUGIN_DIR names one.
func PluginDir(t testing.TB) string {
	t.Helper()
	if dir := os.Getenv(PluginDirEnv); dir != "" {
		if _, err := os.Stat(filepath.Join(dir, "libgstnedstream.so")); err != nil {
			t.Fatalf("%s=%s: %v (run make plugin)", PluginDirEnv, dir, err)
		}
		return dir
	}
	buildOnce.Do(func() {
		var base string
		if base, buildErr = scratch(); buildErr != nil {
			return
		}
		pluginDir = filepath.Join(base, "plugin")
		cmd := exec.Command("go", "build", "-buildmode=c-shared",
			"-o", filepath.Join(pluginDir, "libgstnedstream.so"), "./plugin")
		cmd.Dir = RepoRoot()
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("build plugin: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return pluginDir
}

// Tool returns the path of a GStreamer command-line tool or fails the test.
func Tool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not found: %v (GStreamer >= 1.26 tools are required; run the tests through scripts/gst-env)", name, err)
	}
	return p
}

// toolEnv is the environment for gst-launch/gst-inspect: only our freshly
// built library on the plugin path and a private registry.
func toolEnv(t testing.TB) []string {
	t.Helper()
	base, err := scratch()
	if err != nil {
		t.Fatal(err)
	}
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "GST_PLUGIN_PATH=") || strings.HasPrefix(kv, "GST_PLUGIN_PATH_1_0=") ||
			strings.HasPrefix(kv, "GST_REGISTRY") {
			continue
		}
		env = append(env, kv)
	}
	return append(env,
		"GST_PLUGIN_PATH="+PluginDir(t),
		"GST_REGISTRY_1_0="+filepath.Join(base, "registry.bin"))
}

// Output is what a gst tool printed.
type Output struct {
	Stdout, Stderr string
	Err            error
}

// Combined returns stdout and stderr together.
func (o Output) Combined() string { return o.Stdout + o.Stderr }

// Command runs a GStreamer tool (gst-inspect-1.0, gst-launch-1.0) with the
// plugin library, for at most timeout.
func Command(t testing.TB, timeout time.Duration, tool string, args ...string) Output {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, Tool(t, tool), args...)
	cmd.Env = toolEnv(t)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("%s timed out after %v: %w", tool, timeout, ctx.Err())
	}
	return Output{Stdout: stdout.String(), Stderr: stderr.String(), Err: err}
}

// Launch runs gst-launch-1.0 -m (messages printed) on a pipeline description.
func Launch(t testing.TB, pipeline string) Output {
	t.Helper()
	return Command(t, 2*time.Minute, "gst-launch-1.0", append([]string{"-m"}, strings.Fields(pipeline)...)...)
}

var (
	initOnce sync.Once
	initErr  error
)

// Init initialises GStreamer in the test process and registers the elements
// statically. The process never loads libgstnedstream.so (it would bring a
// second Go runtime): GST_PLUGIN_PATH is cleared first and the registry is private.
func Init(t testing.TB) {
	t.Helper()
	initOnce.Do(func() {
		base, err := scratch()
		if err != nil {
			initErr = err
			return
		}
		os.Unsetenv("GST_PLUGIN_PATH")
		os.Unsetenv("GST_PLUGIN_PATH_1_0")
		os.Setenv("GST_REGISTRY_1_0", filepath.Join(base, "inprocess-registry.bin"))
		gst.Init()
		initErr = elements.RegisterStatic()
	})
	if initErr != nil {
		t.Fatalf("init GStreamer: %v", initErr)
	}
}

// Result is what Run collected from a pipeline's bus.
type Result struct {
	Faces    []nedfilter.FacesMessage
	Stats    []nedfilter.StatsMessage
	Warnings []Problem
	Errors   []Problem
	// EOS reports whether the pipeline reached end of stream.
	EOS bool
	// Latency counts the latency messages posted by elements named "ned".
	Latency int
}

// Problem is a warning or error message.
type Problem struct {
	Source, Text, Debug string
}

func (p Problem) String() string { return fmt.Sprintf("%s: %s (%s)", p.Source, p.Text, p.Debug) }

// Options tune Run.
type Options struct {
	// Timeout bounds the run (default 2 minutes).
	Timeout time.Duration
	// Setup, when set, runs after the pipeline is built and before it
	// starts, e.g. to add pad probes.
	Setup func(pipeline gst.Bin)
	// OnPlaying, when set, runs once the pipeline is PLAYING (in its own
	// goroutine), e.g. to change properties mid-stream.
	OnPlaying func(pipeline gst.Bin)
	// KeepGoingOnError keeps collecting after the first error (by default
	// the run ends there).
	KeepGoingOnError bool
}

// Run builds the pipeline from a gst-launch description in this process,
// plays it to EOS (or error, or timeout) and collects nedfilter's messages.
func Run(t testing.TB, description string, opts Options) Result {
	t.Helper()
	Init(t)
	if opts.Timeout == 0 {
		opts.Timeout = 2 * time.Minute
	}
	el, err := gst.ParseLaunch(description)
	if err != nil {
		t.Fatalf("parse %q: %v", description, err)
	}
	bin, ok := el.(gst.Bin)
	if !ok {
		t.Fatalf("%q is not a bin", description)
	}
	bus := bin.GetBus()
	if opts.Setup != nil {
		opts.Setup(bin)
	}
	defer bin.SetState(gst.StateNull)
	if bin.SetState(gst.StatePlaying) == gst.StateChangeFailure {
		// The reason is on the bus; collect it below.
		t.Logf("pipeline refused to go to PLAYING")
	}

	var res Result
	deadline := time.Now().Add(opts.Timeout)
	started := false
	for {
		if time.Now().After(deadline) {
			t.Fatalf("pipeline %q did not finish within %v", description, opts.Timeout)
		}
		msg := bus.TimedPop(gst.ClockTime(100 * time.Millisecond))
		if msg == nil {
			continue
		}
		switch msg.Type() {
		case gst.MessageEOS:
			res.EOS = true
			return res
		case gst.MessageError:
			debug, gerr := msg.ParseError()
			res.Errors = append(res.Errors, Problem{sourceName(msg), errText(gerr), debug})
			if !opts.KeepGoingOnError {
				return res
			}
		case gst.MessageWarning:
			debug, gerr := msg.ParseWarning()
			res.Warnings = append(res.Warnings, Problem{sourceName(msg), errText(gerr), debug})
		case gst.MessageLatency:
			if sourceName(msg) == "ned" {
				res.Latency++
			}
		case gst.MessageElement:
			s := msg.GetStructure()
			if m, ok := nedfilter.ParseFacesMessage(s); ok {
				res.Faces = append(res.Faces, m)
			} else if m, ok := nedfilter.ParseStatsMessage(s); ok {
				res.Stats = append(res.Stats, m)
			}
		case gst.MessageStateChanged:
			if opts.OnPlaying != nil && !started && isFrom(msg, bin) {
				if _, now, _ := msg.ParseStateChanged(); now == gst.StatePlaying {
					started = true
					go opts.OnPlaying(bin)
				}
			}
		}
	}
}

// Frames records the timestamps of the buffers that pass a pad (see Record).
type Frames struct {
	mu  sync.Mutex
	pts []time.Duration
}

// Record adds a buffer probe on the named element's pad that records every
// buffer's PTS (-1 when it has none). Call it from Options.Setup.
func Record(t testing.TB, pipeline gst.Bin, element, pad string) *Frames {
	t.Helper()
	el := pipeline.GetByName(element)
	if el == nil {
		t.Fatalf("no element %q in the pipeline", element)
	}
	p := el.GetStaticPad(pad)
	if p == nil {
		t.Fatalf("element %q has no pad %q", element, pad)
	}
	fr := &Frames{}
	p.AddProbe(gst.PadProbeTypeBuffer, func(_ gst.Pad, info *gst.PadProbeInfo) gst.PadProbeReturn {
		if b := info.GetBuffer(); b != nil {
			ts := time.Duration(-1)
			if pts := b.PTS(); pts != gst.ClockTimeNone {
				ts = time.Duration(pts)
			}
			fr.mu.Lock()
			fr.pts = append(fr.pts, ts)
			fr.mu.Unlock()
		}
		return gst.PadProbeOK
	})
	return fr
}

// PTS returns the recorded timestamps in arrival order.
func (fr *Frames) PTS() []time.Duration {
	fr.mu.Lock()
	defer fr.mu.Unlock()
	return append([]time.Duration(nil), fr.pts...)
}

// QueryLatency runs a LATENCY query on the named element's pad.
func QueryLatency(t testing.TB, pipeline gst.Bin, element, pad string) (live bool, min, max time.Duration) {
	t.Helper()
	el := pipeline.GetByName(element)
	if el == nil {
		t.Fatalf("no element %q in the pipeline", element)
	}
	q := gst.NewQueryLatency()
	if !el.GetStaticPad(pad).Query(q) {
		t.Fatalf("LATENCY query on %s:%s failed", element, pad)
	}
	live, mn, mx := q.ParseLatency()
	max = -1
	if mx != gst.ClockTimeNone {
		max = time.Duration(mx)
	}
	return live, time.Duration(mn), max
}

// Video is a decoding front end for media files: the rotation tag is applied
// (videoflip video-direction=auto) and frames are converted to format.
func Video(path, format string) string {
	return fmt.Sprintf("filesrc location=%q ! decodebin3 ! videoflip video-direction=auto ! videoconvert ! video/x-raw,format=%s", path, format)
}

// RunFile runs a media file through nedfilter (with the given extra
// properties, e.g. "model-pack=/x detect-interval=5") into a fakesink and
// returns what it collected; the real-model tests are built on this.
func RunFile(t testing.TB, path, filterProps string, opts Options) Result {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("media: %v", err)
	}
	desc := fmt.Sprintf("%s ! nedfilter name=ned %s ! fakesink sync=false", Video(path, "BGRx"), filterProps)
	return Run(t, desc, opts)
}

var (
	packOnce sync.Once
	packDir  string
	packErr  error
)

// Pack builds a model pack from the upstream models once per test binary
// and returns its directory.
func Pack(t testing.TB) string {
	t.Helper()
	up := modeltest.Upstream(t)
	packOnce.Do(func() {
		base, err := scratch()
		if err != nil {
			packErr = err
			return
		}
		packDir = filepath.Join(base, "pack")
		if _, err := pack.Build(pack.BuildOptions{From: up, Out: packDir, Parts: manipulator.PackParts()}); err != nil {
			packErr = fmt.Errorf("build model pack: %w", err)
		}
	})
	if packErr != nil {
		t.Fatal(packErr)
	}
	return packDir
}

func sourceName(msg *gst.Message) string {
	if o := msg.Source(); o != nil {
		return o.GetName()
	}
	return "?"
}

func isFrom(msg *gst.Message, bin gst.Bin) bool {
	o := msg.Source()
	return o != nil && o.GetName() == bin.GetName()
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	var e interface{ Message() string }
	if errors.As(err, &e) {
		return e.Message()
	}
	return err.Error()
}

// CheckInspect runs gst-inspect-1.0 on element and checks that it lists
// every property in want (in gst-inspect's "\n  name" layout), that
// names (the element's own PropertyNames) is exactly want in order, and
// that the output contains each of texts (caps, ranges, defaults). On a
// failure it logs the whole output.
func CheckInspect(t testing.TB, element string, names, want []string, texts ...string) {
	t.Helper()
	out := Command(t, time.Minute, "gst-inspect-1.0", element)
	if out.Err != nil {
		t.Fatalf("gst-inspect-1.0 %s: %v\n%s", element, out.Err, out.Combined())
	}
	if strings.Join(names, ",") != strings.Join(want, ",") {
		t.Errorf("PropertyNames() = %v, want %v", names, want)
	}
	for _, p := range want {
		if !strings.Contains(out.Stdout, "\n  "+p) {
			t.Errorf("gst-inspect does not list property %q", p)
		}
	}
	for _, s := range texts {
		if !strings.Contains(out.Stdout, s) {
			t.Errorf("gst-inspect output lacks %q", s)
		}
	}
	if t.Failed() {
		t.Logf("gst-inspect output:\n%s", out.Stdout)
	}
}
