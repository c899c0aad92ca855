package edit

import (
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/nedstream/nedstream/models/blendshape"
	"github.com/nedstream/nedstream/models/face"
	"github.com/nedstream/nedstream/models/manipulator"
	"github.com/nedstream/nedstream/models/modeltest"
	"github.com/nedstream/nedstream/models/onnx"
	"github.com/nedstream/nedstream/models/ort"
	"github.com/nedstream/nedstream/models/pack"
	"github.com/nedstream/nedstream/models/raster"
	"github.com/nedstream/nedstream/models/render"
)

// pushOne pushes one frame with a single face of coefficients e.
func pushOne(t *testing.T, ed *Editor, e [blendshape.Count]float32, s Settings) (uint64, []FaceState) {
	t.Helper()
	seq, _, states, err := ed.Push([]face.Face{{TrackID: 1, Blendshapes: e}}, s, time.Second/25)
	if err != nil {
		t.Fatal(err)
	}
	return seq, states
}

// TestEditingFeatures covers lookahead smoothing, preserve-speech off,
// reference styles and the renderer role on one pack (one build).
func TestEditingFeatures(t *testing.T) {
	modeltest.InitORT(t)
	dir := fullPack(t)
	so := ort.Options{Provider: ort.CPU}
	e, err := face.New(face.Options{PackDir: dir, Session: so}, face.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	open := func(t *testing.T) *Editor {
		p, err := pack.Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		ed, err := Open(p, e.Canonical(), so)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ed.Close() })
		return ed
	}
	brow, jaw, smile := blendshape.Index("browInnerUp"), blendshape.Index("jawOpen"), blendshape.Index("mouthSmileLeft")
	blink := blendshape.Index("eyeBlinkLeft")

	t.Run("lookahead", func(t *testing.T) {
		ed := open(t)
		s := Settings{Target: Target{Mix: manipulator.OneHot(manipulator.Happy), Intensity: 0.5}}
		// The source's brows jitter (0 / 0.4), its jaw and lids move.
		var src [][blendshape.Count]float32
		for i := range 12 {
			var c [blendshape.Count]float32
			c[brow] = 0.4 * float32(i%2)
			c[jaw] = 0.05 * float32(i)
			c[blink] = float32(i % 3 / 2)
			src = append(src, c)
			pushOne(t, ed, c, s)
		}
		tr := ed.tracks[1]
		const l = 2
		var causalJitter, smoothJitter float64
		for j := uint64(l + 1); j < uint64(len(src)-l-1); j++ {
			c0, ok0 := tr.smoothed(j, 0)
			c1, _ := tr.smoothed(j+1, 0)
			s0, ok1 := tr.smoothed(j, l)
			s1, _ := tr.smoothed(j+1, l)
			if !ok0 || !ok1 {
				t.Fatalf("frame %d: no edit", j)
			}
			causalJitter += math.Abs(float64(c1[brow] - c0[brow]))
			smoothJitter += math.Abs(float64(s1[brow] - s0[brow]))
			// Speech and motion: the frame's own source plus the (constant) edit.
			if d, want := s0[jaw]-src[j][jaw], c0[jaw]-src[j][jaw]; math.Abs(float64(d-want)) > 1e-5 {
				t.Errorf("frame %d: jawOpen edit %v with lookahead, %v causal (speech must not be smoothed)", j, d, want)
			}
			if s0[blink] != src[j][blink] {
				t.Errorf("frame %d: blink %v, source %v (blinks must pass)", j, s0[blink], src[j][blink])
			}
		}
		t.Logf("browInnerUp frame-to-frame change: causal %.3f, lookahead %d %.3f", causalJitter, l, smoothJitter)
		if smoothJitter > causalJitter/3 {
			t.Errorf("lookahead does not smooth the emotion channels: %.3f vs causal %.3f", smoothJitter, causalJitter)
		}
		if _, err := ed.Render(modeltestImage(t), nil, 0, MaxLookahead+1); err == nil {
			t.Error("lookahead beyond MaxLookahead accepted")
		}
	})

	t.Run("free-speech", func(t *testing.T) {
		var c [blendshape.Count]float32
		c[jaw], c[smile] = 0.6, 0.1
		out := map[bool][blendshape.Count]float32{}
		for _, free := range []bool{false, true} {
			ed := open(t)
			s := Settings{Target: Target{Mix: manipulator.OneHot(manipulator.Happy), Intensity: 1}, FreeSpeech: free}
			seq, states := pushOne(t, ed, c, s)
			if len(states) != 1 || states[0].Level != 1 || states[0].Target != s.Target {
				t.Fatalf("states %+v", states)
			}
			o, ok := ed.tracks[1].smoothed(seq, 0)
			if !ok {
				t.Fatal("no edit")
			}
			out[free] = o
		}
		t.Logf("jawOpen 0.6 -> kept %.3f, free %.3f; smile -> %.3f / %.3f", out[false][jaw], out[true][jaw], out[false][smile], out[true][smile])
		if out[false][jaw] < 0.6 {
			t.Errorf("preserved speech: jawOpen %v < source 0.6", out[false][jaw])
		}
		if out[true][jaw] > 0.1 {
			t.Errorf("free speech at intensity 1: jawOpen %v still follows the source (0.6)", out[true][jaw])
		}
		if out[true][smile] != out[false][smile] {
			t.Errorf("free speech changed an emotion channel: %v vs %v", out[true][smile], out[false][smile])
		}
	})

	t.Run("steady smile removal", func(t *testing.T) {
		smileR := blendshape.Index("mouthSmileRight")
		// A speaker whose smile moves with the speech: 0.5 ± 0.2 in step
		// with jawOpen, syllables of 4 frames at 25 fps.
		speech := func(i int) [blendshape.Count]float32 {
			var c [blendshape.Count]float32
			v := float32(0.2 * math.Sin(2*math.Pi*float64(i)/4))
			c[smile], c[smileR], c[jaw] = 0.5+v, 0.5+v, 0.2+v
			return c
		}
		stats := func(xs []float64) (mean, sd float64) {
			for _, x := range xs {
				mean += x
			}
			mean /= float64(len(xs))
			for _, x := range xs {
				sd += (x - mean) * (x - mean)
			}
			return mean, math.Sqrt(sd / float64(len(xs)))
		}
		run := func(e manipulator.Emotion, src func(int) [blendshape.Count]float32, n int) (in, out, edit []float64) {
			ed := open(t)
			s := Settings{Target: Target{Mix: manipulator.OneHot(e), Intensity: 1}}
			for i := range n {
				c := src(i)
				seq, _ := pushOne(t, ed, c, s)
				o, ok := ed.tracks[1].smoothed(seq, 0)
				if !ok {
					t.Fatalf("frame %d: no edit", i)
				}
				if i >= n-25 { // the last second
					in = append(in, float64(c[smile]))
					out = append(out, float64(o[smile]))
					edit = append(edit, float64(o[smile]-c[smile]))
				}
			}
			return in, out, edit
		}
		// Sad removes the smile's level, not its speech motion: the edit is
		// (nearly) constant, the output keeps the source's variation.
		in, out, edit := run(manipulator.Sad, speech, 75)
		mi, si := stats(in)
		mo, so := stats(out)
		me, se := stats(edit)
		t.Logf("sad: smile %.3f±%.3f -> %.3f±%.3f, edit %.3f±%.3f", mi, si, mo, so, me, se)
		if math.Abs(mo) > 0.05 || se > 0.02 || so < 0.8*si {
			t.Errorf("sad: smile %.3f±%.3f -> %.3f±%.3f (edit ±%.3f); want the level near 0 with the source's motion kept", mi, si, mo, so, se)
		}
		// A real change of expression is followed within about 1.5 s: the
		// smile steps from 0.2 to 0.8 after 2 s and is removed again.
		step := func(i int) [blendshape.Count]float32 {
			var c [blendshape.Count]float32
			c[smile], c[smileR] = 0.2, 0.2
			if i >= 50 {
				c[smile], c[smileR] = 0.8, 0.8
			}
			return c
		}
		_, out, _ = run(manipulator.Sad, step, 50+38)
		t.Logf("sad, smile stepping 0.2 -> 0.8: output %.3f 1.5 s after the step", out[len(out)-1])
		if out[len(out)-1] > 0.05 {
			t.Errorf("sad: 1.5 s after the smile stepped up the output smile is still %.3f", out[len(out)-1])
		}
		// A rise (happy) stays frame-wise: the target smile is the prototype's.
		_, out, _ = run(manipulator.Happy, speech, 30)
		if mo, so := stats(out); mo < 0.99 || so > 1e-6 {
			t.Errorf("happy: smile target %.3f±%.3f, want the prototype's 1 on every frame", mo, so)
		}
	})

	t.Run("reference", func(t *testing.T) {
		ed := open(t)
		if !ed.HasEncoder() {
			t.Fatal("the default pack has no style_encoder")
		}
		rows := make([][blendshape.Count]float32, 20)
		for i := range rows {
			rows[i][smile], rows[i][blendshape.Index("mouthSmileRight")] = 0.8, 0.8
			rows[i][jaw] = 0.3 * float32(i%2) // speech in the reference is not its style
		}
		path := filepath.Join(t.TempDir(), "style.json")
		if err := NewStyleFile("smile.mp4", rows).WriteFile(path); err != nil {
			t.Fatal(err)
		}
		sf, err := ReadStyleFile(path)
		if err != nil {
			t.Fatal(err)
		}
		ref, err := ed.Reference(sf)
		if err != nil {
			t.Fatal(err)
		}
		var c [blendshape.Count]float32
		c[smile], c[jaw] = 0.1, 0.5
		seq, _ := pushOne(t, ed, c, Settings{Target: Target{Ref: ref, Intensity: 1}})
		o, _ := ed.tracks[1].smoothed(seq, 0)
		t.Logf("reference smile 0.8: source smile 0.1 -> %.3f, jawOpen 0.5 -> %.3f", o[smile], o[jaw])
		if o[smile] < 0.7 || o[jaw] < 0.45 {
			t.Errorf("reference style: smile %v (want ~0.8), jawOpen %v (want the source's 0.5)", o[smile], o[jaw])
		}
		bad := NewStyleFile("x", rows)
		bad.Names[0] = "other"
		if err := bad.WriteFile(filepath.Join(t.TempDir(), "bad.json")); err == nil {
			t.Error("a style file with another coefficient order was written")
		}
		if _, err := ReadStyleFile(filepath.Join(t.TempDir(), "missing.json")); err == nil {
			t.Error("a missing style file read")
		}
		if err := (Settings{Target: Target{Ref: &Reference{Name: "empty"}, Intensity: 1}}).Validate(); err == nil {
			t.Error("an empty reference style validated")
		}
	})

	t.Run("renderer", func(t *testing.T) {
		img := modeltestImage(t)
		res, err := e.Process(img)
		if err != nil || len(res.Faces) != 1 {
			t.Fatalf("%v, %d faces", err, len(res.Faces))
		}
		model := filepath.Join(t.TempDir(), "shift.onnx")
		b := onnx.NewBuilder("test_renderer", 17)
		b.Input(render.TensorCrop, []int64{1, 3, 64, 64})
		b.Input(render.TensorSource, []int64{1, 468, 2})
		b.Input(render.TensorTarget, []int64{1, 468, 2})
		b.Initializer("shift", []int64{}, []float32{-0.25})
		b.Node("Add", []string{render.TensorCrop, "shift"}, []string{render.TensorCropOut})
		b.Output(render.TensorCropOut, []int64{1, 3, 64, 64})
		if err := b.WriteFile(model); err != nil {
			t.Fatal(err)
		}
		if err := pack.AddRenderer(dir, model); err != nil {
			t.Fatal(err)
		}
		p, err := pack.Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.CheckModels(); err != nil {
			t.Fatal(err)
		}
		ed := open(t)
		if !ed.HasRenderer() {
			t.Fatal("the renderer in the pack is not used")
		}
		out := img.Clone()
		st, err := ed.Apply(out, res.Faces, Settings{Target: Target{Mix: manipulator.OneHot(manipulator.Happy), Intensity: 1}}, time.Second/25)
		if err != nil || st.Edited != 1 {
			t.Fatalf("%v %+v", err, st)
		}
		f := res.Faces[0]
		cx, cy := int(f.Box.X+f.Box.W/2), int(f.Box.Y+f.Box.H/2)
		r0, _, _ := img.RGB(cx, cy)
		r1, _, _ := out.RGB(cx, cy)
		t.Logf("face centre red %d -> %d", r0, r1)
		if int(r1) > int(r0)-50 {
			t.Errorf("the renderer's colour shift did not reach the face centre: %d -> %d", r0, r1)
		}
		if changedOutside(img, out, f.Box) {
			t.Error("pixels outside the face region changed")
		}
	})
}

// modeltestImage is the astronaut photo.
func modeltestImage(t *testing.T) raster.Image {
	t.Helper()
	img, err := raster.Load(filepath.Join(modeltest.Media(t), "astronaut.png"))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// changedOutside reports whether a and b differ outside the square of side
// 1.5 times the box's larger side (+8 px) around the box's centre.
func changedOutside(a, b raster.Image, box face.Rect) bool {
	cx, cy := float64(box.X+box.W/2), float64(box.Y+box.H/2)
	half := 0.75*float64(max(box.W, box.H)) + 8
	for y := range a.Height {
		for x := range a.Width {
			if math.Abs(float64(x)+0.5-cx) <= half && math.Abs(float64(y)+0.5-cy) <= half {
				continue
			}
			i := y*a.Stride + x*4
			if a.Pix[i] != b.Pix[i] || a.Pix[i+1] != b.Pix[i+1] || a.Pix[i+2] != b.Pix[i+2] {
				return true
			}
		}
	}
	return false
}
