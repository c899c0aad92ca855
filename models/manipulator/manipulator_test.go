package manipulator_test

import (
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/nedstream/nedstream/models/blendshape"
	"github.com/nedstream/nedstream/models/manipulator"
	"github.com/nedstream/nedstream/models/modeltest"
	"github.com/nedstream/nedstream/models/ort"
)

type frame = [blendshape.Count]float32

// cpu runs the models on onnxruntime's CPU provider without log lines.
var cpu = ort.Options{Provider: ort.CPU, Logger: slog.New(slog.DiscardHandler)}

// build writes the analytic models into a temporary directory.
func build(t testing.TB) manipulator.Files {
	t.Helper()
	modeltest.InitORT(t)
	dir := t.TempDir()
	models, err := manipulator.BuildAnalytic(dir, manipulator.DefaultT)
	if err != nil {
		t.Fatal(err)
	}
	f := manipulator.Files{}
	for _, m := range models {
		p := filepath.Join(dir, m.File)
		switch m.Role {
		case manipulator.RoleStyleMapping:
			f.StyleMapping = p
		case manipulator.RoleStyleEncoder:
			f.StyleEncoder = p
		case manipulator.RoleManipulator:
			f.Manipulator = p
		}
	}
	return f
}

// open builds and opens the analytic models on the CPU.
func open(t *testing.T) *manipulator.Manipulator {
	t.Helper()
	m, err := manipulator.OpenFiles(build(t), cpu)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func idx(name string) int {
	i := blendshape.Index(name)
	if i < 0 {
		panic(name)
	}
	return i
}

// randomFrame draws coefficients in [0, hi].
func randomFrame(r *rand.Rand, hi float32) frame {
	var f frame
	for i := range f {
		f[i] = hi * r.Float32()
	}
	return f
}

// baseline is a talking face with a slight smile, looking aside, blinking.
func baseline() frame {
	var f frame
	for name, v := range map[string]float32{
		"_neutral": 0.4, "mouthSmileLeft": 0.5, "mouthSmileRight": 0.45, "mouthFrownLeft": 0.05,
		"browInnerUp": 0.1, "browDownLeft": 0.1, "browDownRight": 0.12, "eyeWideLeft": 0.05,
		"cheekSquintLeft": 0.2, "jawOpen": 0.3, "mouthFunnel": 0.2, "mouthClose": 0.1,
		"eyeBlinkLeft": 0.6, "eyeBlinkRight": 0.55, "eyeLookOutLeft": 0.3, "eyeLookInRight": 0.3,
	} {
		f[idx(name)] = v
	}
	return f
}

func style(t *testing.T, m *manipulator.Manipulator, e manipulator.Emotion, a float32) []float32 {
	t.Helper()
	s, err := m.Style(manipulator.OneHot(e), a)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func apply(t *testing.T, m *manipulator.Manipulator, in frame, s []float32) frame {
	t.Helper()
	out, err := m.Apply([]frame{in}, s)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestIntensityZeroIsIdentity(t *testing.T) {
	m := open(t)
	r := rand.New(rand.NewPCG(1, 2))
	window := make([]frame, 8)
	for i := range window {
		window[i] = randomFrame(r, 1)
	}
	for e := range manipulator.Emotion(manipulator.NumClasses) {
		out, err := m.ApplyWindow(window, style(t, m, e, 0))
		if err != nil {
			t.Fatal(err)
		}
		for k := range window {
			for i := range window[k] {
				if d := math.Abs(float64(out[k][i] - window[k][i])); d > 1e-6 {
					t.Fatalf("%v at 0: frame %d %s %g -> %g", e, k, blendshape.Names[i], window[k][i], out[k][i])
				}
			}
		}
	}
}

// check is one expectation on an output coefficient.
type check struct {
	name string
	op   string // "=" prototype value, "==in" exactly the input, ">" / "<" than the input, "+" input plus value
	v    float32
}

func TestEmotionsAtFullIntensity(t *testing.T) {
	m := open(t)
	in := baseline()
	kept := []check{}
	for _, n := range []string{"eyeBlinkLeft", "eyeBlinkRight", "eyeLookOutLeft", "eyeLookInRight", "mouthFunnel", "mouthClose"} {
		kept = append(kept, check{n, "==in", 0})
	}
	cases := []struct {
		e      manipulator.Emotion
		checks []check
	}{
		{manipulator.Happy, []check{
			{"mouthSmileLeft", "=", 1}, {"mouthSmileRight", "=", 1},
			{"cheekSquintLeft", "=", 0.6}, {"cheekSquintRight", "=", 0.6},
			{"jawOpen", "==in", 0}, {"mouthFrownLeft", "=", 0},
		}},
		{manipulator.Sad, []check{
			{"mouthSmileLeft", "<", 0}, {"mouthSmileRight", "<", 0},
			{"mouthFrownLeft", ">", 0}, {"mouthFrownRight", ">", 0}, {"browInnerUp", ">", 0},
			{"mouthShrugLower", "+", 0.3}, {"jawOpen", "==in", 0},
		}},
		{manipulator.Surprised, []check{
			{"browInnerUp", ">", 0}, {"browOuterUpLeft", ">", 0}, {"eyeWideLeft", ">", 0}, {"eyeWideRight", ">", 0},
			{"jawOpen", "+", 0.25}, {"mouthSmileLeft", "<", 0},
		}},
		{manipulator.Angry, []check{
			{"browDownLeft", ">", 0}, {"browDownRight", ">", 0}, {"browDownLeft", "=", 0.8},
			{"mouthPressLeft", "+", 0.4}, {"jawOpen", "==in", 0},
		}},
		{manipulator.Fear, []check{
			{"eyeWideLeft", "=", 0.7}, {"browInnerUp", "=", 0.8}, {"mouthStretchLeft", "+", 0.5}, {"jawOpen", "+", 0.15},
		}},
		{manipulator.Disgusted, []check{
			{"noseSneerLeft", "=", 0.7}, {"mouthUpperUpLeft", "==in", 0}, {"mouthLowerDownRight", "+", 0.2},
		}},
		{manipulator.Contempt, []check{
			{"mouthSmileLeft", "=", 0.4}, {"mouthSmileRight", "=", 0}, {"mouthDimpleLeft", "=", 0.5},
		}},
		{manipulator.Neutral, []check{
			{"_neutral", "=", 1}, {"mouthSmileLeft", "=", 0}, {"browInnerUp", "=", 0}, {"jawOpen", "==in", 0},
		}},
	}
	for _, c := range cases {
		t.Run(c.e.String(), func(t *testing.T) {
			out := apply(t, m, in, style(t, m, c.e, 1))
			for _, k := range append(c.checks, kept...) {
				i := idx(k.name)
				got, src := out[i], in[i]
				var ok bool
				switch k.op {
				case "=":
					ok = math.Abs(float64(got-k.v)) < 1e-6
				case "==in":
					ok = got == src
				case ">":
					ok = got > src+0.05
				case "<":
					ok = got < src-0.05
				case "+":
					ok = math.Abs(float64(got-(src+k.v))) < 1e-6
				}
				if !ok {
					t.Errorf("%s: %g -> %g (want %s %g)", k.name, src, got, k.op, k.v)
				}
			}
		})
	}
}

// speechTrack is a synthetic jaw track: syllables at ~4 Hz with varying
// openness and a little noise, in [0, 0.7].
func speechTrack(n int) []frame {
	r := rand.New(rand.NewPCG(3, 4))
	frames := make([]frame, n)
	for k := range frames {
		f := baseline()
		tt := float64(k) / 30
		v := 0.35 + 0.25*math.Sin(2*math.Pi*4.1*tt)*math.Abs(math.Sin(2*math.Pi*0.37*tt+0.4)) + 0.05*(r.Float64()-0.5)
		f[idx("jawOpen")] = float32(min(max(v, 0), 0.7))
		f[idx("mouthClose")] = float32(0.1 * r.Float64())
		frames[k] = f
	}
	return frames
}

func pearson(a, b []float64) float64 {
	var ma, mb float64
	for i := range a {
		ma += a[i]
		mb += b[i]
	}
	ma /= float64(len(a))
	mb /= float64(len(b))
	var sab, saa, sbb float64
	for i := range a {
		sab += (a[i] - ma) * (b[i] - mb)
		saa += (a[i] - ma) * (a[i] - ma)
		sbb += (b[i] - mb) * (b[i] - mb)
	}
	return sab / math.Sqrt(saa*sbb)
}

// TestSurpriseKeepsSpeech: surprise's jaw drop rides on the speech track,
// frame by frame through causal windows of DefaultT frames.
func TestSurpriseKeepsSpeech(t *testing.T) {
	m := open(t)
	track := speechTrack(300)
	s := style(t, m, manipulator.Surprised, 1)
	j := idx("jawOpen")
	var in, out []float64
	var shift float64
	for k := range track {
		window := track[max(0, k+1-manipulator.DefaultT) : k+1]
		f, err := m.Apply(window, s)
		if err != nil {
			t.Fatal(err)
		}
		in = append(in, float64(track[k][j]))
		out = append(out, float64(f[j]))
		shift += float64(f[j] - track[k][j])
	}
	if r := pearson(in, out); r < 0.99 {
		t.Errorf("jawOpen correlation %.4f < 0.99", r)
	} else {
		t.Logf("jawOpen in/out correlation %.6f, mean added %.3f", r, shift/float64(len(track)))
	}
	if math.Abs(shift/float64(len(track))-0.25) > 0.01 {
		t.Errorf("mean jaw drop %.3f, want 0.25", shift/float64(len(track)))
	}
}

func TestMixturesAreLinear(t *testing.T) {
	m := open(t)
	in := baseline()
	weights := map[manipulator.Emotion]float32{manipulator.Happy: 0.3, manipulator.Sad: 0.5, manipulator.Surprised: 0.2}
	var mix [manipulator.NumClasses]float32
	var want frame
	wantStyle := make([]float32, manipulator.AnalyticS)
	const a = 0.7
	for e, w := range weights {
		mix[e] = w
		s := style(t, m, e, a)
		o := apply(t, m, in, s)
		for i := range want {
			want[i] += w * o[i]
		}
		for i := range s {
			wantStyle[i] += w * s[i]
		}
	}
	s, err := m.Style(mix, a)
	if err != nil {
		t.Fatal(err)
	}
	for i := range s {
		if math.Abs(float64(s[i]-wantStyle[i])) > 1e-6 {
			t.Errorf("style[%d] %g, want %g", i, s[i], wantStyle[i])
		}
	}
	got := apply(t, m, in, s)
	for i := range got {
		if math.Abs(float64(got[i]-want[i])) > 1e-5 {
			t.Errorf("%s: mixture %g, weighted sum %g", blendshape.Names[i], got[i], want[i])
		}
	}
	// Mixtures summing to less than 1 fill up with neutral, to more are
	// normalised; negative weights count as 0.
	same := []struct {
		name   string
		mix, b [manipulator.NumClasses]float32
	}{
		{"empty is neutral", [8]float32{}, manipulator.OneHot(manipulator.Neutral)},
		{"half happy", [8]float32{manipulator.Happy: 0.5}, [8]float32{manipulator.Neutral: 0.5, manipulator.Happy: 0.5}},
		{"normalised", [8]float32{manipulator.Happy: 2, manipulator.Sad: 2}, [8]float32{manipulator.Happy: 0.5, manipulator.Sad: 0.5}},
		{"negative", [8]float32{manipulator.Happy: 1, manipulator.Sad: -3}, manipulator.OneHot(manipulator.Happy)},
	}
	for _, c := range same {
		s1, err1 := m.Style(c.mix, 0.8)
		s2, err2 := m.Style(c.b, 0.8)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		for i := range s1 {
			if math.Abs(float64(s1[i]-s2[i])) > 1e-6 {
				t.Errorf("%s: style[%d] %g vs %g", c.name, i, s1[i], s2[i])
				break
			}
		}
	}
}

// TestBatchAndWindows: B=3 windows of T=1..16 frames in one run equal the
// frame-by-frame results (the analytic model is frame-wise).
func TestBatchAndWindows(t *testing.T) {
	m := open(t)
	r := rand.New(rand.NewPCG(5, 6))
	mixes := [][8]float32{manipulator.OneHot(manipulator.Happy), {manipulator.Sad: 0.6, manipulator.Fear: 0.4}, manipulator.OneHot(manipulator.Surprised)}
	styles, err := m.Styles(mixes, []float32{1, 0.5, 0.25})
	if err != nil {
		t.Fatal(err)
	}
	for T := 1; T <= 16; T++ {
		windows := make([][]frame, 3)
		for b := range windows {
			for range T {
				windows[b] = append(windows[b], randomFrame(r, 1))
			}
		}
		out, err := m.ApplyBatch(windows, styles)
		if err != nil {
			t.Fatalf("T=%d: %v", T, err)
		}
		if len(out) != 3 {
			t.Fatalf("T=%d: %d outputs", T, len(out))
		}
		for b := range windows {
			if len(out[b]) != T {
				t.Fatalf("T=%d: window %d has %d frames", T, b, len(out[b]))
			}
			for k := range T {
				one := apply(t, m, windows[b][k], styles[b])
				if one != out[b][k] {
					t.Fatalf("T=%d b=%d frame %d: batch %v, single %v", T, b, k, out[b][k], one)
				}
			}
		}
	}
}

func TestOutputsInRange(t *testing.T) {
	m := open(t)
	r := rand.New(rand.NewPCG(7, 8))
	for range 50 {
		var mix [8]float32
		for i := range mix {
			if r.IntN(3) == 0 {
				mix[i] = 2 * r.Float32()
			}
		}
		a := 2*r.Float32() - 0.5 // also outside [0,1]: clipped
		s, err := m.Style(mix, a)
		if err != nil {
			t.Fatal(err)
		}
		window := []frame{randomFrame(r, 1), randomFrame(r, 1)}
		out, err := m.ApplyWindow(window, s)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range out {
			for i, v := range f {
				if !(v >= 0 && v <= 1) {
					t.Fatalf("%s = %g with mixture %v, intensity %g", blendshape.Names[i], v, mix, a)
				}
			}
		}
	}
}

// TestStyleFromReference: a clip that holds the happy prototype (while
// talking and blinking) has the style of happy at intensity 1.
func TestStyleFromReference(t *testing.T) {
	m := open(t)
	if !m.HasEncoder() {
		t.Fatal("no encoder")
	}
	p, err := manipulator.Prototype(manipulator.Happy)
	if err != nil {
		t.Fatal(err)
	}
	clip := speechTrack(60)
	for k := range clip {
		for i, c := range manipulator.Channels {
			if c == manipulator.Blend {
				clip[k][i] = p[i]
			}
		}
		clip[k][idx("eyeBlinkLeft")] = float32(k%20) / 20
	}
	clip[10][idx("jawOpen")] = 0 // the clip's sustained jaw opening is 0
	for k := range clip {
		clip[k][idx("mouthClose")] = 0
	}
	got, err := m.StyleFromReference(clip)
	if err != nil {
		t.Fatal(err)
	}
	want := style(t, m, manipulator.Happy, 1)
	if len(got) != len(want) {
		t.Fatalf("style length %d, want %d", len(got), len(want))
	}
	for i := range got {
		if math.Abs(float64(got[i]-want[i])) > 1e-6 {
			name := "intensity"
			if i < blendshape.Count {
				name = blendshape.Names[i]
			}
			t.Errorf("%s: reference %g, happy %g", name, got[i], want[i])
		}
	}
	// A surprised clip: its sustained jaw drop becomes the offset.
	ps, _ := manipulator.Prototype(manipulator.Surprised)
	for k := range clip {
		for i, c := range manipulator.Channels {
			if c == manipulator.Blend {
				clip[k][i] = ps[i]
			}
		}
		clip[k][idx("jawOpen")] = 0.2 + 0.1*float32(k%3)
	}
	got, err = m.StyleFromReference(clip)
	if err != nil {
		t.Fatal(err)
	}
	if j := got[idx("jawOpen")]; math.Abs(float64(j-0.2)) > 1e-6 {
		t.Errorf("surprised clip: jaw offset %g, want its minimum 0.2", j)
	}
}

func TestErrors(t *testing.T) {
	m := open(t)
	s := style(t, m, manipulator.Happy, 1)
	f := baseline()
	nan := f
	nan[3] = float32(math.NaN())
	cases := []struct {
		name string
		run  func() error
		want string
	}{
		{"empty window", func() error { _, err := m.Apply(nil, s); return err }, "empty window"},
		{"short style", func() error { _, err := m.Apply([]frame{f}, s[:52]); return err }, "S = 53"},
		{"long style", func() error { _, err := m.Apply([]frame{f}, append(s, 1)); return err }, "S = 53"},
		{"ragged batch", func() error {
			_, err := m.ApplyBatch([][]frame{{f, f}, {f}}, [][]float32{s, s})
			return err
		}, "equal lengths"},
		{"styles count", func() error { _, err := m.ApplyBatch([][]frame{{f}}, [][]float32{s, s}); return err }, "1 windows and 2 styles"},
		{"no windows", func() error { _, err := m.ApplyBatch(nil, nil); return err }, "at least 1"},
		{"nan frame", func() error { _, err := m.Apply([]frame{nan}, s); return err }, "finite"},
		{"nan intensity", func() error { _, err := m.Style(manipulator.OneHot(1), float32(math.NaN())); return err }, "finite"},
		{"styles mismatch", func() error { _, err := m.Styles(make([][8]float32, 2), []float32{1}); return err }, "2 mixtures and 1 intensities"},
		{"empty reference", func() error { _, err := m.StyleFromReference(nil); return err }, "empty clip"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.run()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}

// TestOpenErrors: models that do not fit the contract are refused at open.
func TestOpenErrors(t *testing.T) {
	f := build(t)
	cases := []struct {
		name  string
		files manipulator.Files
		want  string
	}{
		{"swapped models", manipulator.Files{StyleMapping: f.Manipulator, Manipulator: f.StyleMapping}, "style_mapping"},
		{"encoder as manipulator", manipulator.Files{StyleMapping: f.StyleMapping, Manipulator: f.StyleEncoder}, "manipulator"},
		{"missing file", manipulator.Files{StyleMapping: f.StyleMapping, Manipulator: filepath.Join(t.TempDir(), "none.onnx")}, "none.onnx"},
		{"no manipulator", manipulator.Files{StyleMapping: f.StyleMapping}, "required"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := manipulator.OpenFiles(c.files, cpu)
			if err == nil {
				m.Close()
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v lacks %q", err, c.want)
			}
		})
	}
	// Without an encoder the rest works and StyleFromReference says why not.
	m, err := manipulator.OpenFiles(manipulator.Files{StyleMapping: f.StyleMapping, Manipulator: f.Manipulator}, cpu)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if _, err := m.StyleFromReference([]frame{baseline()}); err == nil || !strings.Contains(err.Error(), "no style_encoder") {
		t.Fatalf("no encoder: %v", err)
	}
}

func TestAnalyticMetadata(t *testing.T) {
	f := build(t)
	for role, path := range map[string]string{
		manipulator.RoleStyleMapping: f.StyleMapping, manipulator.RoleStyleEncoder: f.StyleEncoder, manipulator.RoleManipulator: f.Manipulator,
	} {
		md, err := manipulator.ReadMetadata(path)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{
			manipulator.MetaKind: "analytic", manipulator.MetaRole: role,
			manipulator.MetaT: strconv.Itoa(manipulator.DefaultT), manipulator.MetaS: "53",
			manipulator.MetaClasses: "neutral,angry,contempt,disgusted,fear,happy,sad,surprised",
		}
		for k, v := range want {
			if md[k] != v {
				t.Errorf("%s: %s = %q, want %q", role, k, md[k], v)
			}
		}
	}
	m, err := manipulator.OpenFiles(f, cpu)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	info := m.Info()
	if info.Trained || info.T != manipulator.DefaultT || info.S != manipulator.AnalyticS || info.Method != manipulator.AnalyticMethod {
		t.Errorf("info %+v", info)
	}
	if _, err := manipulator.BuildAnalytic(t.TempDir(), 0); err == nil {
		t.Error("T=0 accepted")
	}
	if _, err := manipulator.BuildAnalytic(filepath.Join(os.DevNull, "x"), 4); err == nil {
		t.Error("unwritable dir accepted")
	}
}
