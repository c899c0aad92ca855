package dataset_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nedstream/nedstream/trainer/dataset"
)

func record(id string) *dataset.Record {
	f := make([]float32, 52)
	f[25] = 0.5
	return &dataset.Record{ID: id, Actor: "M003", Emotion: "happy", Level: 2, FPS: 30, Frames: [][]float32{f, f}, Pose: [][3]float32{{1, 2, 3}, {1, 2, 3}}}
}

func TestRoundTripAndHash(t *testing.T) {
	root := t.TempDir()
	if dataset.Has(root, "a") {
		t.Fatal("empty dataset has a clip")
	}
	for _, id := range []string{"b", "a"} {
		if err := dataset.Write(root, record(id)); err != nil {
			t.Fatal(err)
		}
	}
	recs, err := dataset.Load(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || recs[0].ID != "a" || recs[1].Frames[1][25] != 0.5 || recs[0].Pose[0][2] != 3 || recs[0].Format != dataset.FormatVersion {
		t.Fatalf("loaded %+v", recs[0])
	}
	h := dataset.Hash(recs)
	recs[1].Frames[0][3] = 0.1
	if dataset.Hash(recs) == h {
		t.Error("hash ignores the coefficients")
	}
	if !dataset.Has(root, "a") {
		t.Error("Has(a) false")
	}
}

func TestValidate(t *testing.T) {
	cases := map[string]func(r *dataset.Record){
		"id":        func(r *dataset.Record) { r.ID = "a/b" },
		"no actor":  func(r *dataset.Record) { r.Actor = "" },
		"unknown":   func(r *dataset.Record) { r.Emotion = "bored" },
		"no frames": func(r *dataset.Record) { r.Frames = nil },
		"has 51":    func(r *dataset.Record) { r.Frames[1] = r.Frames[1][:51] },
		"non-finite": func(r *dataset.Record) {
			r.Frames[0] = append([]float32(nil), r.Frames[0]...)
			r.Frames[0][0] = float32(posInf())
		},
		"pose rows": func(r *dataset.Record) { r.Pose = r.Pose[:1] },
	}
	for want, mutate := range cases {
		r := record("x")
		mutate(r)
		err := dataset.Write(t.TempDir(), r)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v", want, err)
		}
	}
	if _, err := dataset.Load(t.TempDir()); err == nil || !strings.Contains(err.Error(), "no clips") {
		t.Errorf("empty dataset: %v", err)
	}
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "clips"), 0o755)
	os.WriteFile(filepath.Join(root, "clips", "bad.json"), []byte("{"), 0o644)
	if _, err := dataset.Load(root); err == nil || !strings.Contains(err.Error(), "bad.json") {
		t.Errorf("corrupt record: %v", err)
	}
}

func posInf() float64 { var z float64; return 1 / z }

func touch(t *testing.T, root, rel string) {
	t.Helper()
	p := filepath.Join(root, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestWalkMEAD(t *testing.T) {
	root := t.TempDir()
	touch(t, root, "M003/video/front/happy/level_2/001.mp4")
	touch(t, root, "M003/video/front/surprised/level_3/002.mp4")
	touch(t, root, "W009/video/front/disgusted/level_1/001.MP4")
	touch(t, root, "M003/video/left_30/happy/level_2/001.mp4") // other view: ignored
	touch(t, root, "M003/video/front/bored/level_1/001.mp4")   // unknown emotion
	touch(t, root, "M003/video/front/happy/lvl2/003.mp4")      // bad level
	touch(t, root, "M003/audio/happy/level_2/001.m4a")         // not a video
	touch(t, root, "loose.mp4")                                // outside the layout
	clips, skipped, err := dataset.WalkMEAD(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(clips) != 3 || len(skipped) != 3 {
		t.Fatalf("clips %+v skipped %+v", clips, skipped)
	}
	c := clips[0]
	if c.ID != "M003_happy_level_2_001" || c.Actor != "M003" || c.Emotion != "happy" || c.Level != 2 {
		t.Errorf("clip %+v", c)
	}
	if clips[2].Emotion != "disgusted" || clips[2].Actor != "W009" {
		t.Errorf("clip %+v", clips[2])
	}
	if _, _, err := dataset.WalkMEAD(filepath.Join(root, "nope")); err == nil {
		t.Error("missing corpus accepted")
	}
	if _, _, err := dataset.WalkMEAD(t.TempDir()); err == nil {
		t.Error("empty corpus accepted")
	}
}

func TestManifest(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "clips.csv")
	os.WriteFile(p, []byte("emotion,path,actor,level\nsurprise,v/a.mp4,p1,3\nangry,/abs/b.mp4,p2,\nbored,c.mp4,p1,1\nhappy,,p1,1\nsad,v/a.mp4,p1,x\n"), 0o644)
	clips, skipped, err := dataset.ReadManifest(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(clips) != 2 || len(skipped) != 3 {
		t.Fatalf("clips %+v skipped %+v", clips, skipped)
	}
	if clips[0].Path != filepath.Join(dir, "v/a.mp4") || clips[0].Emotion != "surprised" || clips[0].Level != 3 || clips[0].ID != "v_a" {
		t.Errorf("clip %+v", clips[0])
	}
	if clips[1].Path != "/abs/b.mp4" || clips[1].Level != 0 {
		t.Errorf("clip %+v", clips[1])
	}
	os.WriteFile(p, []byte("file,actor,emotion\n"), 0o644)
	if _, _, err := dataset.ReadManifest(p); err == nil || !strings.Contains(err.Error(), `"path"`) {
		t.Errorf("missing path column: %v", err)
	}
}

func TestScoresFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "s.csv")
	in := []dataset.Score{{ID: "a", Emotion: "happy", Y: 0.25, Lambda: 0.25}, {ID: "b", Emotion: "sad", Y: 0.9, Lambda: 1}}
	if err := dataset.WriteScores(p, in); err != nil {
		t.Fatal(err)
	}
	got, err := dataset.ReadScores(p)
	if err != nil {
		t.Fatal(err)
	}
	if got["a"] != in[0] || got["b"] != in[1] {
		t.Fatalf("%+v", got)
	}
	os.WriteFile(p, []byte("id,y\na,0.5\na,0.6\n"), 0o644)
	if _, err := dataset.ReadScores(p); err == nil || !strings.Contains(err.Error(), "duplicate") {
		t.Errorf("duplicate: %v", err)
	}
}

func TestIDFor(t *testing.T) {
	if id := dataset.IDFor("a b/c:d.mp4"); id != "a-b_c-d" {
		t.Errorf("id %q", id)
	}
	long := strings.Repeat("x", 300) + ".mp4"
	if id := dataset.IDFor(long); len(id) > 200 {
		t.Errorf("long id %d chars", len(id))
	}
}
