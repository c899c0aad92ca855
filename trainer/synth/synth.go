// Package synth makes the controlled corpus of the lambda experiment:
// expression-coefficient sequences for synthetic actors, built from the
// FACS emotion prototypes of models/manipulator at graded intensities, with
// a speech-like mouth track, a known fraction of outliers (clips whose
// expression is weak or belongs to another class, still carrying their
// label) and a synthetic scorer confidence per clip that reflects them.
package synth

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/nedstream/nedstream/models/blendshape"
	"github.com/nedstream/nedstream/models/manipulator"
	"github.com/nedstream/nedstream/trainer/dataset"
)

// Options control Generate.
type Options struct {
	// Actors is the number of synthetic actors (default 6).
	Actors int
	// ClipsPerLevel is the number of clips per actor, emotion and level (default 2).
	ClipsPerLevel int
	// Levels are the prototype strengths of MEAD-like levels 1..n (default 0.4, 0.7, 1.0).
	Levels []float64
	// Frames per clip (default 48) at FPS (default 30).
	Frames int
	FPS    float64
	// Outliers is the fraction of clips that are outliers (default 0.25):
	// half weak (the labelled emotion at strength 0.05-0.15), half
	// ambiguous (another class's prototype at full strength).
	Outliers float64
	// Noise is the standard deviation of per-frame measurement noise (default 0.02).
	Noise float64
	// Seed makes the corpus reproducible.
	Seed uint64
}

func (o *Options) defaults() {
	if o.Actors == 0 {
		o.Actors = 6
	}
	if o.ClipsPerLevel == 0 {
		o.ClipsPerLevel = 2
	}
	if len(o.Levels) == 0 {
		o.Levels = []float64{0.4, 0.7, 1.0}
	}
	if o.Frames == 0 {
		o.Frames = 48
	}
	if o.FPS == 0 {
		o.FPS = 30
	}
	if o.Outliers == 0 {
		o.Outliers = 0.25
	}
	if o.Noise == 0 {
		o.Noise = 0.02
	}
}

// Validate checks the options (after defaults).
func (o Options) Validate() error {
	switch {
	case o.Actors < 2:
		return fmt.Errorf("synth: %d actors (want at least 2, so that some can be held out)", o.Actors)
	case o.ClipsPerLevel < 1 || o.Frames < 4 || o.FPS <= 0:
		return fmt.Errorf("synth: clips per level %d, frames %d, fps %g (want >= 1, >= 4, > 0)", o.ClipsPerLevel, o.Frames, o.FPS)
	case o.Outliers < 0 || o.Outliers >= 1:
		return fmt.Errorf("synth: outlier fraction %g (want 0 <= f < 1)", o.Outliers)
	case o.Noise < 0:
		return fmt.Errorf("synth: noise %g < 0", o.Noise)
	}
	for _, l := range o.Levels {
		if l <= 0 || l > 1 {
			return fmt.Errorf("synth: level strength %g (want 0 < s <= 1)", l)
		}
	}
	return nil
}

// SpeechTrack returns a speech-like jawOpen track: syllables at 3-6 Hz with
// varying peak openings, pauses between phrases and a little jitter. It is
// generated (not measured): its rhythm follows typical syllable rates of
// conversational speech, and its range (0-0.45) what the project's face
// analysis reports for ../shared/media/talking_face.mp4.
func SpeechTrack(rng *rand.Rand, n int, fps float64) []float32 {
	out := make([]float32, n)
	t := 0.0
	i := 0
	for i < n {
		if rng.Float64() < 0.12 { // pause between phrases
			pause := 0.15 + 0.35*rng.Float64()
			for end := t + pause; t < end && i < n; i++ {
				out[i] = float32(0.02 * rng.Float64())
				t += 1 / fps
			}
			continue
		}
		dur := 1 / (3 + 3*rng.Float64())
		peak := 0.1 + 0.35*rng.Float64()
		start := t
		for ; t < start+dur && i < n; i++ {
			ph := (t - start) / dur
			out[i] = float32(peak * math.Pow(math.Sin(math.Pi*ph), 1.5))
			t += 1 / fps
		}
	}
	return out
}

// speech channels that follow the jaw (lip opening) and their gains.
var speechGain = map[string]float32{
	"mouthLowerDownLeft": 0.5, "mouthLowerDownRight": 0.5,
	"mouthUpperUpLeft": 0.25, "mouthUpperUpRight": 0.25,
	"mouthStretchLeft": 0.15, "mouthStretchRight": 0.15,
}

// Generate makes the corpus.
func Generate(o Options) ([]*dataset.Record, error) {
	o.defaults()
	if err := o.Validate(); err != nil {
		return nil, err
	}
	protos, err := manipulator.Prototypes()
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(o.Seed, 0x6e6564))
	jaw := blendshape.Index("jawOpen")
	closeIdx := blendshape.Index("mouthClose")
	funnel := blendshape.Index("mouthFunnel")
	blinkL, blinkR := blendshape.Index("eyeBlinkLeft"), blendshape.Index("eyeBlinkRight")
	var recs []*dataset.Record
	for a := range o.Actors {
		actor := fmt.Sprintf("S%03d", a+1)
		// Idiosyncrasy: a resting face and an expressiveness.
		var rest [blendshape.Count]float32
		for k := range rest {
			if manipulator.Channels[k] == manipulator.Blend {
				rest[k] = float32(0.08 * rng.Float64())
			}
		}
		rest[0] = 0.5
		gain := 0.8 + 0.3*rng.Float64()
		for c := range manipulator.NumClasses {
			for lvl, strength := range o.Levels {
				for k := range o.ClipsPerLevel {
					id := fmt.Sprintf("%s_%s_level_%d_%03d", actor, manipulator.Classes[c], lvl+1, k+1)
					shown, s := c, strength*gain
					outlier := rng.Float64() < o.Outliers
					var y float64
					if outlier {
						if rng.Float64() < 0.5 {
							s = 0.05 + 0.1*rng.Float64() // weak
							y = 0.1 + 0.3*rng.Float64()
						} else {
							shown = (c + 1 + rng.IntN(manipulator.NumClasses-1)) % manipulator.NumClasses
							s = 0.8 + 0.2*rng.Float64()
							y = 0.02 + 0.25*rng.Float64()
						}
						if c == int(manipulator.Neutral) && shown == c {
							// A weak neutral is still neutral: make it ambiguous.
							shown = 1 + rng.IntN(manipulator.NumClasses-1)
							s = 0.5
						}
					} else {
						y = math.Min(0.99, 0.45+0.5*s+0.1*rng.NormFloat64())
						y = math.Max(0.3, y)
					}
					s = math.Min(1, s)
					track := SpeechTrack(rng, o.Frames, o.FPS)
					frames := make([][]float32, o.Frames)
					pose := make([][3]float32, o.Frames)
					onset := rng.IntN(max(1, o.Frames/6))
					yaw0, pitch0 := float32(10*rng.NormFloat64()), float32(5*rng.NormFloat64())
					blinkAt := rng.IntN(o.Frames)
					for f := range o.Frames {
						amp := s
						if f < onset {
							amp = s * float64(f) / float64(onset)
						}
						a := float32(amp)
						p := protos[shown]
						row := make([]float32, blendshape.Count)
						for k := range row {
							switch manipulator.Channels[k] {
							case manipulator.Blend:
								row[k] = (1-a)*rest[k] + a*p[k]
							case manipulator.Speech:
								row[k] = a * p[k]
							}
						}
						row[jaw] += track[f]
						for name, g := range speechGain {
							row[blendshape.Index(name)] += g * track[f]
						}
						if track[f] < 0.04 {
							row[closeIdx] += 0.3
						}
						row[funnel] += float32(0.1 * math.Max(0, math.Sin(float64(f)*0.7+float64(k))))
						if d := f - blinkAt; d >= 0 && d < 4 {
							v := float32([]float64{0.5, 1, 0.8, 0.3}[d])
							row[blinkL], row[blinkR] = v, v
						}
						for k := range row {
							row[k] += float32(o.Noise * rng.NormFloat64())
							row[k] = min(1, max(0, row[k]))
						}
						frames[f] = row
						pose[f] = [3]float32{yaw0 + float32(2*math.Sin(float64(f)/9)), pitch0, 0}
					}
					recs = append(recs, &dataset.Record{
						Format: dataset.FormatVersion, ID: id, Source: "synth", Actor: actor,
						Emotion: manipulator.Classes[c], Level: lvl + 1, FPS: o.FPS, Frames: frames, Pose: pose,
						Truth: &dataset.Truth{Emotion: manipulator.Classes[shown], Strength: s, Outlier: outlier, Score: y},
					})
				}
			}
		}
	}
	return recs, nil
}
