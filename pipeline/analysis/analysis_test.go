package analysis

import (
	"context"
	"encoding/json"
	"hash/fnv"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nedstream/nedstream/models/manipulator"
	"github.com/nedstream/nedstream/models/modeltest"
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

// TestMaxFramesExact: MaxFrames N gives exactly the input's first N frames,
// without a gap (identity eos-after lost the N-th and let later ones through).
func TestMaxFramesExact(t *testing.T) {
	clip := filepath.Join(modeltest.Media(t), "short_clip.mp4")
	run := func(max int) []uint64 {
		t.Helper()
		var sums []uint64
		o := Options{Input: clip, ModelPack: filepath.Join(t.TempDir(), "missing-pack"), MaxFrames: max, Timeout: time.Minute,
			OnFrame: func(n uint64, pix []byte) {
				if n != uint64(len(sums)) {
					t.Errorf("frame %d arrived as the %d-th", n, len(sums))
				}
				h := fnv.New64a()
				h.Write(pix)
				sums = append(sums, h.Sum64())
			}}
		res, err := Run(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		if res.Frames != uint64(len(sums)) {
			t.Errorf("MaxFrames %d: %d frames out, %d in", max, res.Frames, len(sums))
		}
		return sums
	}
	all := run(0)
	if len(all) < 20 {
		t.Fatalf("the clip gave only %d frames", len(all))
	}
	for _, n := range []int{1, 7, len(all) - 1, len(all), len(all) + 5} {
		got := run(n)
		want := all[:min(n, len(all))]
		if !slices.Equal(got, want) {
			t.Errorf("MaxFrames %d: got %d frames, want the first %d (equal: %v)", n, len(got), len(want), len(got) == len(want))
		}
	}
}
