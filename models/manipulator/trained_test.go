package manipulator_test

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/nedstream/nedstream/models/manipulator"
	"github.com/nedstream/nedstream/models/modeltest"
	"github.com/nedstream/nedstream/models/onnx"
	"github.com/nedstream/nedstream/models/pack"
)

// stand-in for a trained export: S = 4, a fixed window of 4 frames.
const (
	trainedS = 4
	trainedT = 4
)

// writeTrained writes a stand-in for a trained NED export into dir: a
// style_mapping (emotion x W), no style encoder, and a manipulator with a
// fixed T that adds style[0] to every coefficient of every frame (so the
// test can see which frames it got). Metadata says trained.
func writeTrained(t *testing.T, dir string) manipulator.Files {
	t.Helper()
	meta := func(b *onnx.Builder, role string) {
		b.Metadata(manipulator.MetaKind, manipulator.KindTrained)
		b.Metadata(manipulator.MetaRole, role)
		b.Metadata(manipulator.MetaT, strconv.Itoa(trainedT))
		b.Metadata(manipulator.MetaS, strconv.Itoa(trainedS))
	}
	w := make([]float32, manipulator.NumClasses*trainedS)
	for c := range manipulator.NumClasses {
		w[c*trainedS] = 0.01 * float32(c) // style[0] = 0.01 * class
	}
	sm := onnx.NewBuilder("trained_style_mapping", 17)
	meta(sm, manipulator.RoleStyleMapping)
	sm.Input(manipulator.TensorEmotion, []int64{-1, manipulator.NumClasses})
	sm.Input(manipulator.TensorIntensity, []int64{-1, 1})
	sm.Initializer("w", []int64{manipulator.NumClasses, trainedS}, w)
	sm.Node("MatMul", []string{manipulator.TensorEmotion, "w"}, []string{"ew"})
	sm.Node("Mul", []string{"ew", manipulator.TensorIntensity}, []string{manipulator.TensorStyle})
	sm.Output(manipulator.TensorStyle, []int64{-1, trainedS})

	mp := onnx.NewBuilder("trained_manipulator", 17)
	meta(mp, manipulator.RoleManipulator)
	mp.Input(manipulator.TensorExpression, []int64{-1, trainedT, 52})
	mp.Input(manipulator.TensorStyle, []int64{-1, trainedS})
	mp.InitializerInt64("starts", []int64{1}, []int64{0})
	mp.InitializerInt64("ends", []int64{1}, []int64{1})
	mp.InitializerInt64("axes", []int64{1}, []int64{1})
	mp.Node("Slice", []string{manipulator.TensorStyle, "starts", "ends", "axes"}, []string{"s0"})
	mp.Node("Unsqueeze", []string{"s0", "axes"}, []string{"s03"})
	mp.Node("Add", []string{manipulator.TensorExpression, "s03"}, []string{manipulator.TensorExpressionOut})
	mp.Output(manipulator.TensorExpressionOut, []int64{-1, trainedT, 52})

	f := manipulator.Files{StyleMapping: filepath.Join(dir, "mapping.onnx"), Manipulator: filepath.Join(dir, "manip.onnx")}
	if err := sm.WriteFile(f.StyleMapping); err != nil {
		t.Fatal(err)
	}
	if err := mp.WriteFile(f.Manipulator); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestTrainedDropsIn: models with another S, a fixed T and no style
// encoder run through the same API, from files and from a pack.
func TestTrainedDropsIn(t *testing.T) {
	modeltest.InitORT(t)
	dir := t.TempDir()
	f := writeTrained(t, dir)
	m, err := manipulator.OpenFiles(f, cpu)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if info := m.Info(); !info.Trained || info.S != trainedS || info.T != trainedT || m.HasEncoder() {
		t.Fatalf("info %+v", info)
	}
	s := style(t, m, manipulator.Sad, 1) // style[0] = 0.06
	if len(s) != trainedS || s[0] < 0.0599 || s[0] > 0.0601 {
		t.Fatalf("style %v", s)
	}
	frames := make([]frame, 6)
	for k := range frames {
		frames[k][0] = float32(k) // frame k carries k in _neutral
	}
	cases := []struct {
		n     int // window length
		first float32
		count int
	}{
		{1, 0, 1}, // padded with frame 0 in front
		{3, 0, 3}, // padded
		{4, 0, 4},
		{6, 2, 4}, // the last 4 frames
	}
	for _, c := range cases {
		out, err := m.ApplyWindow(frames[:c.n], s)
		if err != nil {
			t.Fatalf("window %d: %v", c.n, err)
		}
		if len(out) != c.count {
			t.Fatalf("window %d: %d frames out", c.n, len(out))
		}
		for k, o := range out {
			if want := c.first + float32(k) + s[0]; o[0] != want {
				t.Errorf("window %d frame %d: %g, want %g", c.n, k, o[0], want)
			}
		}
		last, err := m.Apply(frames[:c.n], s)
		if err != nil || last != out[len(out)-1] {
			t.Errorf("window %d: Apply %v, %v", c.n, last[0], err)
		}
	}
	if _, err := m.StyleFromReference([]frame{{}}); err == nil {
		t.Error("reference style without an encoder")
	}

	// The same models in a pack with trained: true pass the checks and open.
	m2 := &pack.Manifest{Schema: pack.SchemaVersion, Name: "trained", Files: map[string]pack.Entry{}}
	for role, file := range map[string]string{manipulator.RoleStyleMapping: "mapping.onnx", manipulator.RoleManipulator: "manip.onnx"} {
		ins, outs, _ := pack.ManipulatorTensors(role, trainedS)
		if err := pack.AddFile(dir, m2, role, pack.Entry{File: file, Kind: pack.KindONNX, Inputs: ins, Outputs: outs, License: "MIT", Source: "test"}); err != nil {
			t.Fatal(err)
		}
	}
	m2.Manipulator = &pack.ManipulatorInfo{T: trainedT, S: trainedS, Classes: manipulator.Classes[:], Trained: true,
		Training: &pack.Training{Data: "synthetic", Samples: 1, Lambda: &pack.LambdaStats{N: 1, Mean: 1, Min: 1, FullShare: 1, Threshold: 0.6}}}
	if err := pack.WriteManifest(dir, m2); err != nil {
		t.Fatal(err)
	}
	p, err := pack.Load(dir, manipulator.RoleStyleMapping, manipulator.RoleManipulator)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.CheckModels(); err != nil {
		t.Fatal(err)
	}
	pm, err := manipulator.Open(p, cpu)
	if err != nil {
		t.Fatal(err)
	}
	defer pm.Close()
	if _, err := pm.Apply(frames, s); err != nil {
		t.Fatal(err)
	}
	// A manifest whose t contradicts the model's fixed window is refused.
	p.Manifest.Manipulator.T = 8
	if err := p.CheckModels(); err == nil || !strings.Contains(err.Error(), "fixed window of 4 frames") {
		t.Fatalf("t mismatch: %v", err)
	}
	// A model that says analytic in a trained pack is refused.
	p.Manifest.Manipulator.T = trainedT
	p.Manifest.Manipulator.Trained = false
	p.Manifest.Manipulator.Method = "x"
	if err := p.CheckModels(); err == nil || !strings.Contains(err.Error(), "says it is trained") {
		t.Fatalf("kind mismatch: %v", err)
	}
}
