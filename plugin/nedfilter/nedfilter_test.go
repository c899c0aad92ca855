package nedfilter_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-gst/go-gst/pkg/gst"

	"github.com/nedstream/nedstream/plugin/internal/gsttest"
	"github.com/nedstream/nedstream/plugin/nedfilter"
)

func TestMain(m *testing.M) { os.Exit(gsttest.Main(m)) }

// wantProperties are the element's own properties, as documented.
var wantProperties = []string{
	"model-pack", "provider", "device-id", "trt-cache-dir", "fp16",
	"detect-interval", "max-faces", "min-face-confidence", "smoothing",
	"overlay", "analysis-only", "stats-interval", "on-model-error", "emotion", "intensity", "transition",
	"lookahead", "preserve-speech", "face-overrides", "reference", "onnxruntime-lib", "iris-every-frame",
}

func TestInspectListsEveryProperty(t *testing.T) {
	gsttest.CheckInspect(t, "nedfilter", nedfilter.PropertyNames(), wantProperties,
		"Filter/Analyzer/Video",
		"format: { (string)RGBA, (string)RGBx, (string)BGRA, (string)BGRx }",
		"Integer. Range: 1 - 1000 Default: 10",
		"Integer. Range: 1 - 16 Default: 4",
		`Enum "GstNedFilterOverlay" Default: 0, "none"`,
		`(4): axes`,
		`Enum "GstNedFilterProvider" Default: 0, "auto"`,
		`Enum "GstNedFilterModelError" Default: 0, "warning"`,
		"changeable in NULL, READY, PAUSED or PLAYING state",
	)
}

const (
	testW, testH, testFrames = 320, 240, 30
	frameBytes               = testW * testH * 4
)

// rawOut runs src ! [filter !] filesink through gst-launch and returns the
// bytes written and the tool's output.
func rawOut(t *testing.T, src, filter string) ([]byte, gsttest.Output) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "out.raw")
	desc := src
	if filter != "" {
		desc += " ! " + filter
	}
	desc += " ! filesink location=" + file
	out := gsttest.Launch(t, desc)
	if out.Err != nil {
		t.Fatalf("gst-launch-1.0 %s: %v\n%s", desc, out.Err, out.Combined())
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return data, out
}

func testSource(format string) string {
	return fmt.Sprintf("videotestsrc num-buffers=%d pattern=smpte ! video/x-raw,format=%s,width=%d,height=%d",
		testFrames, format, testW, testH)
}

func TestBrokenModelPackPassesVideoAndWarns(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no-such-pack")
	for _, format := range []string{"BGRx", "RGBA"} {
		t.Run(format, func(t *testing.T) {
			want, _ := rawOut(t, testSource(format), "")
			got, out := rawOut(t, testSource(format), "nedfilter model-pack="+missing)
			if len(want) != testFrames*frameBytes {
				t.Fatalf("reference output is %d bytes, want %d", len(want), testFrames*frameBytes)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("frames through nedfilter differ from the source (%d vs %d bytes)", len(got), len(want))
			}
			text := out.Combined()
			for _, s := range []string{"(warning)", "Could not load the face models; passing video through unchanged", missing, "Got EOS"} {
				if !strings.Contains(text, s) {
					t.Errorf("gst-launch -m output lacks %q:\n%s", s, text)
				}
			}
			if strings.Contains(text, nedfilter.FacesMessageName) {
				t.Errorf("faces message posted without a model")
			}
		})
	}
}

func TestModelErrorPolicyError(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no-such-pack")
	out := gsttest.Launch(t, testSource("BGRx")+" ! nedfilter on-model-error=error model-pack="+missing+" ! fakesink")
	if out.Err == nil {
		t.Fatalf("pipeline succeeded although the model pack is missing and on-model-error=error:\n%s", out.Combined())
	}
	if text := out.Combined(); !strings.Contains(text, "ERROR: from element") || !strings.Contains(text, "Could not load the face models") {
		t.Errorf("no element error posted:\n%s", text)
	}
}

func TestNoModelPackWarns(t *testing.T) {
	t.Setenv(nedfilter.ModelPackEnv, "")
	_, out := rawOut(t, testSource("BGRx"), "nedfilter")
	if text := out.Combined(); !strings.Contains(text, "no model pack given") {
		t.Errorf("no warning about the missing model-pack:\n%s", text)
	}
}

func TestBadPropertyValuesDoNotCrash(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "none")
	// GObject rejects out-of-range values with a warning and keeps the old value.
	got, out := rawOut(t, testSource("BGRx"),
		"nedfilter max-faces=100 detect-interval=0 smoothing=7 min-face-confidence=-1 stats-interval=5 model-pack="+missing)
	if len(got) != testFrames*frameBytes {
		t.Errorf("got %d bytes, want %d:\n%s", len(got), testFrames*frameBytes, out.Combined())
	}
	if text := out.Combined(); !strings.Contains(text, "out of range") {
		t.Errorf("no out-of-range warning:\n%s", text)
	}
	// An unknown enum value is refused by the parser, not by a crash.
	bad := gsttest.Launch(t, testSource("BGRx")+" ! nedfilter overlay=sparkles ! fakesink")
	if bad.Err == nil || strings.Contains(bad.Combined(), "SIGSEGV") {
		t.Errorf("overlay=sparkles: err=%v\n%s", bad.Err, bad.Combined())
	}
}

func TestStatsMessages(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "none")
	res := gsttest.Run(t, "videotestsrc num-buffers=20 is-live=true ! video/x-raw,format=BGRx,width=160,height=120,framerate=50/1 ! "+
		"nedfilter stats-interval=100 model-pack="+missing+" ! fakesink", gsttest.Options{})
	if !res.EOS || len(res.Errors) > 0 {
		t.Fatalf("pipeline: eos=%v errors=%v", res.EOS, res.Errors)
	}
	if len(res.Stats) < 2 {
		t.Fatalf("got %d stats messages in 0.4 s at 100 ms, want at least 2", len(res.Stats))
	}
	for _, s := range res.Stats {
		if s.FPS < 20 || s.FPS > 80 || s.IntervalFrames == 0 || s.Interval < 90*time.Millisecond {
			t.Errorf("implausible stats for a 50 fps live source: %+v", s)
		}
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0].Text, "Could not load the face models") {
		t.Errorf("warnings = %v, want one about the model pack", res.Warnings)
	}
}

// TestCapsRenegotiation switches the frame size mid-stream, through
// gst-launch (concat of two sizes) and in process (capsfilter caps changed
// while playing).
func TestCapsRenegotiation(t *testing.T) {
	// With a lookahead the held frames of the old size leave before the new
	// caps; none may be lost.
	for name, extra := range map[string]string{"causal": "", "lookahead": "lookahead=3"} {
		t.Run(name, func(t *testing.T) { capsRenegotiation(t, extra) })
	}
}

func capsRenegotiation(t *testing.T, extra string) {
	missing := filepath.Join(t.TempDir(), "none")
	t.Run("concat", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "out.raw")
		desc := "concat name=c ! nedfilter " + extra + " model-pack=" + missing + " ! filesink location=" + file +
			" videotestsrc num-buffers=10 ! video/x-raw,format=BGRx,width=320,height=240 ! c." +
			" videotestsrc num-buffers=10 ! video/x-raw,format=BGRx,width=160,height=120 ! c."
		out := gsttest.Launch(t, desc)
		if out.Err != nil {
			t.Fatalf("%v\n%s", out.Err, out.Combined())
		}
		fi, err := os.Stat(file)
		if err != nil {
			t.Fatal(err)
		}
		if want := int64(10*320*240*4 + 10*160*120*4); fi.Size() != want {
			t.Errorf("output is %d bytes, want %d", fi.Size(), want)
		}
	})
	t.Run("in-process", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "out.raw")
		const n = 30
		desc := fmt.Sprintf("videotestsrc num-buffers=%d is-live=true ! video/x-raw,framerate=30/1 ! videoscale ! "+
			"capsfilter name=cf caps=video/x-raw,format=BGRx,width=320,height=240 ! nedfilter %s model-pack=%s ! filesink location=%s",
			n, extra, missing, file)
		res := gsttest.Run(t, desc, gsttest.Options{OnPlaying: func(p gst.Bin) {
			time.Sleep(400 * time.Millisecond)
			gst.UtilSetObjectArg(p.GetByName("cf"), "caps", "video/x-raw,format=BGRx,width=160,height=120")
		}})
		if !res.EOS || len(res.Errors) > 0 {
			t.Fatalf("eos=%v errors=%v", res.EOS, res.Errors)
		}
		fi, err := os.Stat(file)
		if err != nil {
			t.Fatal(err)
		}
		big, small := int64(320*240*4), int64(160*120*4)
		// a frames at the first size and n-a at the second, both sizes seen.
		ok := false
		for a := int64(1); a < n; a++ {
			if a*big+(n-a)*small == fi.Size() {
				ok = true
				t.Logf("%d frames at 320x240, %d at 160x120", a, n-a)
			}
		}
		if !ok {
			t.Errorf("output is %d bytes: not %d frames of two sizes", fi.Size(), n)
		}
	})
}

func TestPropertiesInProcess(t *testing.T) {
	gsttest.Init(t)
	el := gst.ElementFactoryMake("nedfilter", "")
	if el == nil {
		t.Fatal("ElementFactoryMake(nedfilter) failed after RegisterStatic")
	}
	for _, tc := range []struct{ name, value, want string }{
		{"detect-interval", "3", "3"},
		{"max-faces", "16", "16"},
		{"min-face-confidence", "0.25", "0.25"},
		{"smoothing", "0", "0"},
		{"overlay", "mesh", "3"},
		{"provider", "cpu", "3"},
		{"on-model-error", "error", "1"},
		{"analysis-only", "false", "false"},
		{"stats-interval", "250", "250"},
		{"model-pack", "/some/pack", "/some/pack"},
		{"trt-cache-dir", "/tmp/trt", "/tmp/trt"},
		{"device-id", "1", "1"},
		{"fp16", "true", "true"},
		{"lookahead", "4", "4"},
		{"preserve-speech", "false", "false"},
		{"face-overrides", "overrides, 2=(string)sad:0.5, t1=happy", "overrides, 1=happy, 2=sad:0.5"},
		{"face-overrides", "7=angry/0.25", "overrides, 7=angry:0.25"},
		{"face-overrides", "bogus", "overrides, 7=angry:0.25"}, // rejected, kept
		{"face-overrides", "", ""},
		{"reference", "/some/clip.mp4", "/some/clip.mp4"},
	} {
		gst.UtilSetObjectArg(el, tc.name, tc.value)
		if got := fmt.Sprint(el.ObjectProperty(tc.name)); got != tc.want {
			t.Errorf("%s=%s: read back %s, want %s", tc.name, tc.value, got, tc.want)
		}
	}
}
