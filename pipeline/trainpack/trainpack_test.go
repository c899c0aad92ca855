// Package trainpack_test checks, in the GStreamer test environment, that a
// model pack written by the trainer (nedtrain export) drops into nedfilter
// without code changes: a tiny synthetic corpus is scored, trained for a
// few steps and exported, and nedfilter edits a real clip with it.
package trainpack_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nedstream/nedstream/models/modeltest"
	"github.com/nedstream/nedstream/models/pack"
	"github.com/nedstream/nedstream/pipeline/analysis"
	"github.com/nedstream/nedstream/trainer/dataset"
	"github.com/nedstream/nedstream/trainer/export"
	"github.com/nedstream/nedstream/trainer/fit"
	"github.com/nedstream/nedstream/trainer/lambda"
	"github.com/nedstream/nedstream/trainer/ned"
	"github.com/nedstream/nedstream/trainer/synth"
)

// trainedPack trains a tiny model and exports it as a full pack.
func trainedPack(t *testing.T) string {
	t.Helper()
	data := t.TempDir()
	recs, err := synth.Generate(synth.Options{Actors: 2, ClipsPerLevel: 1, Levels: []float64{1}, Frames: 12, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	var sc []dataset.Score
	for _, r := range recs {
		if err := dataset.Write(data, r); err != nil {
			t.Fatal(err)
		}
		l, _ := lambda.Weight(r.Truth.Score, lambda.DefaultThreshold)
		sc = append(sc, dataset.Score{ID: r.ID, Emotion: r.Emotion, Y: r.Truth.Score, Lambda: l})
	}
	if err := dataset.WriteScores(filepath.Join(data, "scores.csv"), sc); err != nil {
		t.Fatal(err)
	}
	c := ned.DefaultConfig()
	c.T, c.S, c.Hidden, c.MapHidden = 8, 4, 8, 8
	run := t.TempDir()
	ps, r, err := fit.Train(fit.Options{Data: data, Out: run, Model: c, UseLambda: true, Steps: 3, Batch: 2, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	be, err := ned.NewBackend()
	if err != nil {
		t.Fatal(err)
	}
	m, err := ned.NewModel(be, c, ps)
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	info := export.Info{Data: "synthetic (test)", DataSHA256: r.DataSHA256, Samples: r.TrainClips,
		Lambda: &pack.LambdaStats{N: r.Lambda.N, Mean: r.Lambda.Mean, Min: r.Lambda.Min, FullShare: r.Lambda.FullShare, Threshold: r.Lambda.Threshold}}
	if _, err := export.Pack(modeltest.Upstream(t), out, "test-trained", m, info); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestNedfilterRunsTrainedPack(t *testing.T) {
	pk := trainedPack(t)
	p, err := pack.Load(pk, append(pack.RequiredRoles, pack.EditingRoles...)...)
	if err != nil {
		t.Fatal(err)
	}
	if mi := p.Manifest.Manipulator; mi == nil || !mi.Trained || mi.T != 8 || mi.S != 5 || mi.Training == nil || mi.Training.Lambda == nil {
		t.Fatalf("manifest manipulator block %+v", p.Manifest.Manipulator)
	}
	const frames = 40
	res, err := analysis.Run(context.Background(), analysis.Options{
		Input:     filepath.Join(modeltest.Media(t), "talking_face.mp4"),
		ModelPack: pk,
		// The editing nedfilter fails the pipeline if its models do not load.
		Before:     []string{"nedfilter name=edit model-pack=" + pk + " emotion=happy intensity=1 transition=0 on-model-error=error"},
		Properties: []string{"analysis-only=true", "max-faces=1", "on-model-error=error"},
		MaxFrames:  frames, Timeout: 5 * time.Minute,
	})
	if err != nil {
		t.Fatalf("%v (warnings %v)", err, res)
	}
	if res.Frames != frames || len(res.Faces) < frames/2 {
		t.Fatalf("%d frames, %d with faces", res.Frames, len(res.Faces))
	}
	if w := strings.Join(res.Warnings, "\n"); w != "" {
		t.Errorf("warnings: %s", w)
	}
}
