package analysis

import (
	"bytes"
	"math"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/nedstream/nedstream/models/face"
	"github.com/nedstream/nedstream/models/modeltest"
	"github.com/nedstream/nedstream/models/ort"
	"github.com/nedstream/nedstream/models/raster"
)

// still returns the elements that freeze the decoded image into n frames,
// followed by the given ones.
func still(n int, then ...string) []string {
	return append([]string{"imagefreeze num-buffers=" + strconv.Itoa(n)}, then...)
}

// TestEditStill edits astronaut.png frozen into a video (512x512, the face
// about 95 px wide, brows visible): the brow and smile changes the
// expression-editing issue asks for measure beyond the (here zero)
// frame-to-frame noise, a still input gives a still output (landmark jitter
// of the re-analysed output under 0.5 px) and intensity 0 gives back the
// input bit for bit.
func TestEditStill(t *testing.T) {
	pk := buildPack(t)
	in := filepath.Join(modeltest.Media(t), "astronaut.png")
	const n = 30
	base := &frameStore{every: 1}
	src := loopRun(t, in, pk, 0, still(n), base)
	if len(src) < n-2 {
		t.Fatalf("the astronaut's face found on %d of %d frames", len(src), n)
	}
	t.Run("emotions", func(t *testing.T) {
		for _, c := range []struct {
			emotion string
			check   func(t *testing.T, s LoopStats)
		}{
			{"sad", func(t *testing.T, s LoopStats) {
				if d := s.Delta().Smile; d > -0.3 {
					t.Errorf("sad: smile %+.2f, want <= -0.3", d)
				}
				beyond(t, "sad: browInnerUp", s.Delta().BrowInnerUp, s.Noise.BrowInnerUp, 3, 0.02)
			}},
			{"surprised", func(t *testing.T, s LoopStats) {
				beyond(t, "surprised: browInnerUp", s.Delta().BrowInnerUp, s.Noise.BrowInnerUp, 3, 0.1)
			}},
			{"angry", func(t *testing.T, s LoopStats) {
				beyond(t, "angry: browDown", s.Delta().BrowDown, s.Noise.BrowDown, 3, 0.02)
			}},
		} {
			s := Compare(src, loopRun(t, in, pk, 0, still(n, editElement(pk, c.emotion, 1)), nil))
			logLoop(t, c.emotion, s)
			if s.Frames < n-2 {
				t.Fatalf("%s: face measured on %d of %d frames", c.emotion, s.Frames, n)
			}
			t.Run(c.emotion, func(t *testing.T) { c.check(t, s) })
		}
	})
	t.Run("intensity0", func(t *testing.T) {
		out := &frameStore{every: 1}
		loopRun(t, in, pk, 0, still(n, editElement(pk, "sad", 0)), out)
		same := 0
		for k, a := range base.pix {
			if b, ok := out.pix[k]; ok && bytes.Equal(a, b) {
				same++
			} else {
				t.Errorf("frame %d differs from the input at intensity 0", k)
			}
		}
		if same < n {
			t.Errorf("%d of %d frames equal to the input", same, n)
		}
	})
	t.Run("jitter", func(t *testing.T) {
		const m = 60
		out := &frameStore{every: 1}
		loopRun(t, in, pk, 0, still(m, editElement(pk, "happy", 1)), out)
		jIn := landmarkJitter(t, pk, base.pix, 512, 512, 5)
		jOut := landmarkJitter(t, pk, out.pix, 512, 512, 10)
		t.Logf("landmark jitter of the re-analysed frames (RMS about the mean, px): input mean %.3f max %.3f; edited mean %.3f max %.3f",
			jIn[0], jIn[1], jOut[0], jOut[1])
		if jOut[1] >= 0.5 {
			t.Errorf("edited still: landmark jitter up to %.3f px (mean %.3f), want < 0.5", jOut[1], jOut[0])
		}
	})
}

// landmarkJitter analyses frames skip.. with an unsmoothed engine and
// returns the mean and the largest RMS distance of each landmark from its
// mean position.
func landmarkJitter(t *testing.T, pk string, frames map[uint64][]byte, w, h int, skip uint64) [2]float64 {
	t.Helper()
	modeltest.InitORT(t)
	cfg := face.DefaultConfig()
	cfg.MaxFaces, cfg.Smoothing = 1, 0
	e, err := face.New(face.Options{PackDir: pk, Session: ort.Options{Provider: ort.CPU}}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	var tracks [][]face.Point3
	for k := uint64(0); k < uint64(len(frames)); k++ {
		pix, ok := frames[k]
		if !ok || len(pix) < w*h*4 {
			continue
		}
		img := raster.Image{Pix: pix, Width: w, Height: h, Stride: w * 4, Format: raster.BGRx}
		res, err := e.Process(img)
		if err != nil {
			t.Fatal(err)
		}
		if k >= skip && len(res.Faces) == 1 {
			tracks = append(tracks, res.Faces[0].Landmarks)
		}
	}
	if len(tracks) < 3 {
		t.Fatalf("face found on %d frames", len(tracks))
	}
	var sum, worst float64
	nl := len(tracks[0])
	for i := 0; i < nl; i++ {
		var mx, my float64
		for _, l := range tracks {
			mx += float64(l[i].X)
			my += float64(l[i].Y)
		}
		mx /= float64(len(tracks))
		my /= float64(len(tracks))
		var v float64
		for _, l := range tracks {
			dx, dy := float64(l[i].X)-mx, float64(l[i].Y)-my
			v += dx*dx + dy*dy
		}
		r := math.Sqrt(v / float64(len(tracks)))
		sum += r
		worst = math.Max(worst, r)
	}
	return [2]float64{sum / float64(nl), worst}
}
