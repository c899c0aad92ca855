package analysis

import (
	"fmt"
	"github.com/nedstream/nedstream/models/modeltest"
	"math"

	"context"
	"encoding/json"
	"github.com/nedstream/nedstream/plugin/nedfilter"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/nedstream/nedstream/models/manipulator"
	"github.com/nedstream/nedstream/models/pack"
)

func buildPack(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if _, err := pack.Build(pack.BuildOptions{From: modeltest.Upstream(t), Out: dir, Parts: manipulator.PackParts()}); err != nil {
		t.Fatal(err)
	}
	return dir
}

// truth is models/face/testdata/talking_face.truth.json.
type truth struct {
	Frames      int      `json:"frames"`
	Face        [][2]int `json:"face"`
	Ambiguous   [][2]int `json:"ambiguous"`
	None        [][2]int `json:"none"`
	Appearances []struct {
		Frames [2]int `json:"frames"`
		Who    string `json:"who"`
	} `json:"appearances"`
}

func loadTruth(t *testing.T) truth {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	raw, err := os.ReadFile(filepath.Join(filepath.Dir(file), "..", "..", "models", "face", "testdata", "talking_face.truth.json"))
	if err != nil {
		t.Fatal(err)
	}
	var tr truth
	if err := json.Unmarshal(raw, &tr); err != nil {
		t.Fatal(err)
	}
	return tr
}

// TestTalkingFace runs the demo clip (rotation tag honoured) through nedfilter
// and checks it against the ground truth written down by looking at the
// frames: faces found on >= 95% of the frames that show one, none on the
// landscape frames, one track id per appearance.
func TestTalkingFace(t *testing.T) {
	tr := loadTruth(t)
	o := Options{Input: filepath.Join(modeltest.Media(t), "talking_face.mp4"), ModelPack: buildPack(t),
		Properties: []string{"on-model-error=error"}, Timeout: 5 * time.Minute}
	res, err := Run(context.Background(), o)
	if err != nil {
		t.Fatalf("%v (errors %v)", err, res)
	}
	if int(res.Frames) != tr.Frames {
		t.Fatalf("%d frames through nedfilter, the clip has %d", res.Frames, tr.Frames)
	}
	ids := map[int][]uint64{}
	occluded := 0
	for _, m := range res.Faces {
		for _, f := range m.Faces {
			if f.Occluded && m.Frame >= 152 && m.Frame <= 171 {
				occluded++
			}
		}
		if m.Width != 640 || m.Height != 480 {
			t.Fatalf("frame %d is %dx%d: the rotation tag was not honoured", m.Frame, m.Width, m.Height)
		}
		for _, f := range m.Faces {
			ids[int(m.Frame)] = append(ids[int(m.Frame)], f.TrackID)
		}
	}
	in := func(ranges [][2]int, f int) bool {
		for _, r := range ranges {
			if f >= r[0] && f <= r[1] {
				return true
			}
		}
		return false
	}
	var shown, found, landscape, falsePos int
	var missed []int
	for f := 0; f < tr.Frames; f++ {
		switch {
		case in(tr.Face, f):
			shown++
			if len(ids[f]) > 0 {
				found++
			} else {
				missed = append(missed, f)
			}
		case in(tr.None, f):
			landscape++
			if len(ids[f]) > 0 {
				falsePos++
				t.Errorf("frame %d shows no face, nedfilter reported %d", f, len(ids[f]))
			}
		}
	}
	// A hand covers the nose and mouth on frames 152-171: the face is held
	// and flagged as occluded there, not dropped.
	if occluded < 10 {
		t.Errorf("only %d of the 20 hand-occluded frames report an occluded face", occluded)
	}
	recall := float64(found) / float64(shown)
	t.Logf("faces found on %d of %d frames that show one (%.1f%%), missed %v; %d landscape frames, %d with a face reported", found, shown, 100*recall, missed, landscape, falsePos)
	if recall < 0.95 {
		t.Errorf("recall %.3f < 0.95", recall)
	}
	owner := map[uint64]int{}
	for i, a := range tr.Appearances {
		count := map[uint64]int{}
		for f := a.Frames[0]; f <= a.Frames[1]; f++ {
			for _, id := range ids[f] {
				count[id]++
			}
		}
		var best uint64
		for id, n := range count {
			if n > count[best] {
				best = id
			}
		}
		n := a.Frames[1] - a.Frames[0] + 1
		t.Logf("appearance %v (%s): track %d on %d of %d frames (ids seen %v)", a.Frames, a.Who, best, count[best], n, count)
		if float64(count[best]) < 0.9*float64(n) {
			t.Errorf("appearance %v: its track covers %d of %d frames", a.Frames, count[best], n)
		}
		if prev, ok := owner[best]; ok {
			t.Errorf("track %d is used by appearances %d and %d", best, prev, i)
		}
		owner[best] = i
	}
}

// TestBrokenPackKeepsVideoFlowing: a pack that does not load gives a warning
// naming the problem, and every frame still comes out.
func TestBrokenPackKeepsVideoFlowing(t *testing.T) {
	o := Options{Input: filepath.Join(modeltest.Media(t), "short_clip.mp4"), ModelPack: filepath.Join(t.TempDir(), "missing-pack"), Timeout: time.Minute}
	res, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if res.Frames < 20 {
		t.Fatalf("only %d frames came out", res.Frames)
	}
	if len(res.Faces) != 0 {
		t.Fatalf("faces reported without models")
	}
	if len(res.Warnings) == 0 || !strings.Contains(strings.Join(res.Warnings, "\n"), "missing-pack") {
		t.Fatalf("want a warning naming the pack, got %v", res.Warnings)
	}
}

func TestDescribeRejectsBadInput(t *testing.T) {
	if _, err := Describe(Options{}); err == nil {
		t.Error("no input accepted")
	}
	if _, err := Describe(Options{Input: "a.mp4", Output: "b.avi"}); err == nil {
		t.Error(".avi output accepted")
	}
	if _, err := Describe(Options{Input: "a.mp4", Properties: []string{"overlay=mesh ! fakesink"}}); err == nil {
		t.Error("pipeline injection through a property accepted")
	}
	d, err := Describe(Options{Input: `we"ird.mp4`})
	if err != nil || !strings.Contains(d, `"we\"ird.mp4"`) {
		t.Errorf("quoting: %q %v", d, err)
	}
}

// TestEditClosedLoop edits the first 200 frames of the demo clip with
// nedfilter and measures the result with a second nedfilter: the expression
// moves the way the emotion says while the mouth keeps following the speech.
//
// The bounds guard what the analytic manipulator and the warp reach today
// (docs/QUALITY.md has the numbers); the expression-editing issue's targets
// are stricter (happy smile mean >= 0.85, jawOpen correlation >= 0.9 for
// every emotion) and are not met yet.
func TestEditClosedLoop(t *testing.T) {
	pk := buildPack(t)
	in := filepath.Join(modeltest.Media(t), "talking_face.mp4")
	run := func(before ...string) map[uint64]nedfilter.FaceInfo {
		res, err := Run(context.Background(), Options{Input: in, ModelPack: pk, Before: before,
			Properties: []string{"analysis-only=true", "max-faces=1", "on-model-error=error"}, MaxFrames: 200, Timeout: 5 * time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		out := map[uint64]nedfilter.FaceInfo{}
		for _, m := range res.Faces {
			if len(m.Faces) == 1 && !m.Faces[0].Occluded {
				out[m.Frame] = m.Faces[0]
			}
		}
		return out
	}
	src := run()
	for _, c := range []struct {
		emotion string
		check   func(t *testing.T, in, out stats)
	}{
		{"happy", func(t *testing.T, in, out stats) {
			if out.smile < in.smile+0.1 {
				t.Errorf("happy: smile mean %.2f -> %.2f, want at least +0.1", in.smile, out.smile)
			}
			if out.jawCorr < 0.9 {
				t.Errorf("happy: speech not kept: jawOpen correlation %.3f < 0.9", out.jawCorr)
			}
		}},
		{"sad", func(t *testing.T, in, out stats) {
			if out.smile > in.smile-0.3 {
				t.Errorf("sad: smile %.2f -> %.2f, want at least -0.3", in.smile, out.smile)
			}
			if out.jawCorr < 0.7 {
				t.Errorf("sad: speech not kept: jawOpen correlation %.3f < 0.7", out.jawCorr)
			}
		}},
	} {
		t.Run(c.emotion, func(t *testing.T) {
			edited := run(fmt.Sprintf("nedfilter name=edit model-pack=%s emotion=%s intensity=1 transition=0 on-model-error=error", quote(pk), c.emotion))
			a, b := compare(src, edited)
			t.Logf("%s over %d frames: smile %.2f -> %.2f, frown %.2f -> %.2f, browInnerUp %.2f -> %.2f, eyeWide %.2f -> %.2f, browDown %.2f -> %.2f; jawOpen correlation %.3f",
				c.emotion, a.n, a.smile, b.smile, a.frown, b.frown, a.browInnerUp, b.browInnerUp, a.eyeWide, b.eyeWide, a.browDown, b.browDown, b.jawCorr)
			if a.n < 150 {
				t.Fatalf("only %d frames with the face in both runs", a.n)
			}
			c.check(t, a, b)
		})
	}
}

// stats are means of a few coefficients over the frames two runs share.
type stats struct {
	n                                                     int
	smile, frown, browInnerUp, eyeWide, browDown, jawCorr float64
}

func compare(a, b map[uint64]nedfilter.FaceInfo) (sa, sb stats) {
	var ja, jb []float64
	for f, x := range a {
		y, ok := b[f]
		if !ok {
			continue
		}
		for _, p := range []struct {
			s *stats
			v nedfilter.FaceInfo
		}{{&sa, x}, {&sb, y}} {
			p.s.n++
			p.s.smile += float64(p.v.Blendshape("mouthSmileLeft")+p.v.Blendshape("mouthSmileRight")) / 2
			p.s.frown += float64(p.v.Blendshape("mouthFrownLeft")+p.v.Blendshape("mouthFrownRight")) / 2
			p.s.browInnerUp += float64(p.v.Blendshape("browInnerUp"))
			p.s.eyeWide += float64(p.v.Blendshape("eyeWideLeft")+p.v.Blendshape("eyeWideRight")) / 2
			p.s.browDown += float64(p.v.Blendshape("browDownLeft")+p.v.Blendshape("browDownRight")) / 2
		}
		ja = append(ja, float64(x.Blendshape("jawOpen")))
		jb = append(jb, float64(y.Blendshape("jawOpen")))
	}
	for _, s := range []*stats{&sa, &sb} {
		if s.n > 0 {
			n := float64(s.n)
			s.smile, s.frown, s.browInnerUp, s.eyeWide, s.browDown = s.smile/n, s.frown/n, s.browInnerUp/n, s.eyeWide/n, s.browDown/n
		}
	}
	sb.jawCorr = pearson(ja, jb)
	return sa, sb
}

func pearson(a, b []float64) float64 {
	n := float64(len(a))
	if n < 2 {
		return 0
	}
	var ma, mb float64
	for i := range a {
		ma += a[i]
		mb += b[i]
	}
	ma, mb = ma/n, mb/n
	var sab, saa, sbb float64
	for i := range a {
		sab += (a[i] - ma) * (b[i] - mb)
		saa += (a[i] - ma) * (a[i] - ma)
		sbb += (b[i] - mb) * (b[i] - mb)
	}
	if saa == 0 || sbb == 0 {
		return 0
	}
	return sab / math.Sqrt(saa*sbb)
}
