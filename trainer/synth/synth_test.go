package synth_test

import (
	"math"
	"testing"

	"github.com/nedstream/nedstream/models/blendshape"
	"github.com/nedstream/nedstream/trainer/synth"
)

func TestCorpus(t *testing.T) {
	recs, err := synth.Generate(synth.Options{Actors: 3, ClipsPerLevel: 3, Frames: 30, Outliers: 0.3, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3*8*3*3 {
		t.Fatalf("%d clips", len(recs))
	}
	out := 0
	var yIn, yOut float64
	smile := blendshape.Index("mouthSmileLeft")
	var happySmile, sadSmile float64
	for _, r := range recs {
		if err := r.Validate(); err != nil {
			t.Fatal(err)
		}
		if r.Truth.Outlier {
			out++
			yOut += r.Truth.Score
		} else {
			yIn += r.Truth.Score
			if r.Emotion != r.Truth.Emotion {
				t.Errorf("%s: inlier shows %s", r.ID, r.Truth.Emotion)
			}
			if r.Emotion == "happy" && r.Level == 3 {
				happySmile += float64(r.Frames[len(r.Frames)-1][smile])
			}
			if r.Emotion == "sad" && r.Level == 3 {
				sadSmile += float64(r.Frames[len(r.Frames)-1][smile])
			}
		}
	}
	share := float64(out) / float64(len(recs))
	if math.Abs(share-0.3) > 0.08 {
		t.Errorf("outlier share %.2f, want about 0.3", share)
	}
	if yOut/float64(out) > 0.4 || yIn/float64(len(recs)-out) < 0.6 {
		t.Errorf("scores do not reflect outliers: inliers %.2f, outliers %.2f", yIn/float64(len(recs)-out), yOut/float64(out))
	}
	if happySmile <= sadSmile {
		t.Error("happy clips do not smile more than sad ones")
	}
	again, _ := synth.Generate(synth.Options{Actors: 3, ClipsPerLevel: 3, Frames: 30, Outliers: 0.3, Seed: 9})
	if again[17].Frames[5][3] != recs[17].Frames[5][3] {
		t.Error("same seed, different corpus")
	}
	if _, err := synth.Generate(synth.Options{Actors: 1}); err == nil {
		t.Error("one actor accepted")
	}
}

func TestSpeechTrack(t *testing.T) {
	tr := synth.SpeechTrack(newRand(), 300, 30)
	var mean, peak float64
	for _, v := range tr {
		mean += float64(v)
		peak = math.Max(peak, float64(v))
	}
	mean /= 300
	if mean < 0.03 || mean > 0.3 || peak > 0.46 || peak < 0.15 {
		t.Errorf("jaw track mean %.3f peak %.3f", mean, peak)
	}
}
