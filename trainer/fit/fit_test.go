package fit_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nedstream/nedstream/trainer/dataset"
	"github.com/nedstream/nedstream/trainer/fit"
	"github.com/nedstream/nedstream/trainer/lambda"
	"github.com/nedstream/nedstream/trainer/ned"
	"github.com/nedstream/nedstream/trainer/synth"
)

// corpus writes a tiny synthetic dataset with scores.
func corpus(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	recs, err := synth.Generate(synth.Options{Actors: 2, ClipsPerLevel: 1, Levels: []float64{1}, Frames: 8, Outliers: 0.5, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	var sc []dataset.Score
	for _, r := range recs {
		if err := dataset.Write(dir, r); err != nil {
			t.Fatal(err)
		}
		l, _ := lambda.Weight(r.Truth.Score, 0.6)
		sc = append(sc, dataset.Score{ID: r.ID, Emotion: r.Emotion, Y: r.Truth.Score, Lambda: l})
	}
	if err := dataset.WriteScores(filepath.Join(dir, "scores.csv"), sc); err != nil {
		t.Fatal(err)
	}
	return dir
}

func tiny(data, out string, steps int) fit.Options {
	c := ned.DefaultConfig()
	c.T, c.S, c.Z, c.Hidden, c.MapHidden = 4, 2, 2, 4, 4
	return fit.Options{Data: data, Out: out, Model: c, UseLambda: true, Steps: steps, Batch: 2, Seed: 5, CheckpointEvery: 2, Holdout: []string{"S002"}}
}

func equal(a, b *ned.Params) bool {
	for i := range a.List {
		if !slices.Equal(a.List[i].Data, b.List[i].Data) {
			return false
		}
	}
	return true
}

// TestDeterministicAndResume: the same seed gives the same weights; a run
// stopped after 2 steps and resumed ends where an uninterrupted run does;
// lambda off trains differently.
func TestDeterministicAndResume(t *testing.T) {
	data := corpus(t)
	a, run, err := fit.Train(tiny(data, t.TempDir(), 4))
	if err != nil {
		t.Fatal(err)
	}
	if run.TrainClips != 8 || run.Lambda.N != 8 || run.Lambda.FullShare == 1 || run.DataSHA256 == "" {
		t.Errorf("run %+v", run)
	}
	b, _, err := fit.Train(tiny(data, t.TempDir(), 4))
	if err != nil {
		t.Fatal(err)
	}
	if !equal(a, b) {
		t.Fatal("same seed, different weights")
	}
	dir := t.TempDir()
	if _, _, err := fit.Train(tiny(data, dir, 2)); err != nil {
		t.Fatal(err)
	}
	o := tiny(data, dir, 4)
	o.Resume = true
	c, _, err := fit.Train(o)
	if err != nil {
		t.Fatal(err)
	}
	if !equal(a, c) {
		t.Fatal("resumed run differs from the uninterrupted one")
	}
	ps, _, step, err := fit.LoadParams(dir)
	if err != nil || step != 4 || !equal(a, ps) {
		t.Fatalf("checkpoint: step %d, %v", step, err)
	}
	csv, err := os.ReadFile(filepath.Join(dir, fit.LossCSV))
	if err != nil || strings.Count(string(csv), "\n") != 5 {
		t.Fatalf("loss csv: %q %v", csv, err)
	}
	if _, err := os.Stat(filepath.Join(dir, fit.LossPNG)); err != nil {
		t.Error(err)
	}
	off := tiny(data, t.TempDir(), 4)
	off.UseLambda = false
	d, _, err := fit.Train(off)
	if err != nil {
		t.Fatal(err)
	}
	if equal(a, d) {
		t.Error("lambda off trained the same weights as lambda on")
	}
	// A resume with another model size is refused.
	o.Model.Hidden = 5
	if _, _, err := fit.Train(o); err == nil || !strings.Contains(err.Error(), "checkpoint") {
		t.Errorf("resume with another config: %v", err)
	}
}

func TestErrors(t *testing.T) {
	data := corpus(t)
	o := tiny(data, t.TempDir(), 2)
	o.Scores = filepath.Join(data, "missing.csv")
	if _, _, err := fit.Train(o); err == nil || !strings.Contains(err.Error(), "lambda off") {
		t.Errorf("missing scores: %v", err)
	}
	o = tiny(data, t.TempDir(), 2)
	o.Holdout = []string{"S001", "S002"}
	if _, _, err := fit.Train(o); err == nil || !strings.Contains(err.Error(), "held-out") {
		t.Errorf("everything held out: %v", err)
	}
	o = tiny(data, "", 2)
	if _, _, err := fit.Train(o); err == nil {
		t.Error("no output directory accepted")
	}
}
