package export_test

import (
	"log/slog"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/nedstream/nedstream/models/blendshape"
	"github.com/nedstream/nedstream/models/manipulator"
	"github.com/nedstream/nedstream/models/modeltest"
	"github.com/nedstream/nedstream/models/ort"
	"github.com/nedstream/nedstream/models/pack"
	"github.com/nedstream/nedstream/trainer/export"
	"github.com/nedstream/nedstream/trainer/ned"
)

func tinyModel(t *testing.T) *ned.Model {
	t.Helper()
	c := ned.DefaultConfig()
	c.T, c.S, c.Z, c.Hidden, c.MapHidden = 5, 3, 2, 6, 7
	ps, err := ned.NewParams(c, 7)
	if err != nil {
		t.Fatal(err)
	}
	// Make every weight matter (the init keeps the last layer small and biases 0).
	rng := rand.New(rand.NewPCG(1, 2))
	for _, p := range ps.List {
		for i := range p.Data {
			p.Data[i] += float32(0.3 * rng.NormFloat64())
		}
	}
	be, err := ned.NewBackend()
	if err != nil {
		t.Fatal(err)
	}
	m, err := ned.NewModel(be, c, ps)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func near(t *testing.T, what string, got, want []float32, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	worst := 0.0
	for i := range got {
		worst = math.Max(worst, math.Abs(float64(got[i]-want[i])))
	}
	if worst > tol || math.IsNaN(worst) {
		t.Fatalf("%s: max difference %g > %g", what, worst, tol)
	}
	t.Logf("%s: max difference %.2g", what, worst)
}

// TestParity: onnxruntime runs the exported models (through the runtime's
// manipulator package, which also checks the contract) and matches GoMLX
// within 1e-4 on random inputs.
func TestParity(t *testing.T) {
	modeltest.InitORT(t)
	m := tinyModel(t)
	c := m.Config
	dir := t.TempDir()
	mf := &pack.Manifest{Schema: pack.SchemaVersion, Name: "t", Files: map[string]pack.Entry{}}
	if err := export.WriteModels(dir, mf, m, export.Info{Data: "test"}); err != nil {
		t.Fatal(err)
	}
	rt, err := manipulator.OpenFiles(manipulator.Files{
		StyleMapping: filepath.Join(dir, export.StyleMappingFile),
		StyleEncoder: filepath.Join(dir, export.StyleEncoderFile),
		Manipulator:  filepath.Join(dir, export.ManipulatorFile),
	}, ort.Options{Provider: ort.CPU, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	if info := rt.Info(); !info.Trained || info.T != c.T || info.S != c.S+1 {
		t.Fatalf("info %+v", info)
	}
	rng := rand.New(rand.NewPCG(3, 4))

	// style_mapping
	const B = 3
	mixes := make([][manipulator.NumClasses]float32, B)
	ints := []float32{0.2, 1, 0.7}
	cls := make([]float32, 0, B*ned.Classes)
	for b := range mixes {
		mixes[b][rng.IntN(8)] = 0.6
		mixes[b][rng.IntN(8)] += 0.4
		cls = append(cls, mixes[b][:]...)
	}
	styles, err := rt.Styles(mixes, ints)
	if err != nil {
		t.Fatal(err)
	}
	want, err := m.Map(B, make([]float32, B*c.Z), cls)
	if err != nil {
		t.Fatal(err)
	}
	var got []float32
	for b := range B {
		got = append(got, styles[b][:c.S]...)
		if styles[b][c.S] != ints[b] {
			t.Errorf("style %d strength %g, want the intensity %g", b, styles[b][c.S], ints[b])
		}
	}
	near(t, "style_mapping", got, want, 1e-4)

	// style_encoder on a clip longer than T
	ref := make([][blendshape.Count]float32, 9)
	var refFlat []float32
	for f := range ref {
		for k := range ref[f] {
			ref[f][k] = rng.Float32()
		}
		refFlat = append(refFlat, ref[f][:]...)
	}
	es, err := rt.StyleFromReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	we, err := m.Encode(1, len(ref), refFlat)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "style_encoder", es[:c.S], we, 1e-4)
	if es[c.S] != 1 {
		t.Errorf("encoder strength %g, want 1", es[c.S])
	}

	// manipulator
	windows := make([][][blendshape.Count]float32, B)
	var x []float32
	sty := make([][]float32, B)
	var s []float32
	for b := range B {
		windows[b] = make([][blendshape.Count]float32, c.T)
		for f := range c.T {
			for k := range blendshape.Count {
				windows[b][f][k] = rng.Float32()
			}
			x = append(x, windows[b][f][:]...)
		}
		sty[b] = make([]float32, c.S+1)
		for k := range c.S {
			sty[b][k] = float32(rng.NormFloat64())
		}
		sty[b][c.S] = []float32{0.5, 1, 1.7}[b] // 1.7 is clipped to 1
		s = append(s, sty[b][:c.S]...)
	}
	out, err := rt.ApplyBatch(windows, sty)
	if err != nil {
		t.Fatal(err)
	}
	g, err := m.Manipulate(B, c.T, x, s)
	if err != nil {
		t.Fatal(err)
	}
	var gotM, wantM []float32
	for b := range B {
		a := min(sty[b][c.S], 1)
		for f := range c.T {
			for k := range blendshape.Count {
				i := (b*c.T+f)*blendshape.Count + k
				gotM = append(gotM, out[b][f][k])
				wantM = append(wantM, x[i]+a*(g[i]-x[i]))
			}
		}
	}
	near(t, "manipulator", gotM, wantM, 1e-4)
	// The edit is not the identity (the test would pass for a no-op otherwise).
	diff := 0.0
	for i := range gotM {
		diff = math.Max(diff, math.Abs(float64(gotM[i]-x[i])))
	}
	if diff < 1e-3 {
		t.Fatalf("manipulator output equals its input (max change %g)", diff)
	}
	// Intensity 0 leaves the window untouched.
	sty[0][c.S] = 0
	out0, err := rt.ApplyWindow(windows[0], sty[0])
	if err != nil {
		t.Fatal(err)
	}
	for f := range out0 {
		for k := range out0[f] {
			if math.Abs(float64(out0[f][k]-windows[0][f][k])) > 1e-6 {
				t.Fatalf("intensity 0 changed frame %d coefficient %d", f, k)
			}
		}
	}
}
