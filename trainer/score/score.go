// Package score computes each clip's confidence y that it shows its
// labelled emotion, and lambda from it (trainer/lambda), with one of three
// scorers:
//
//   - file: precomputed per-clip scores from a CSV (id,y or id,emotion,y);
//   - classifier: any emotion-classifier ONNX on the clip's face crops,
//     with a class-name mapping for its outputs;
//   - clip: a CLIP image encoder ONNX on the face crops and a file of text
//     embeddings, one per class (zero-shot: softmax over the classes of
//     100 x cosine similarity).
//
// The per-frame confidences of a clip's crops are aggregated (mean by default,
// lambda.Aggregation).
package score

import (
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // crops may be JPEG
	_ "image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/nedstream/nedstream/models/manipulator"
	"github.com/nedstream/nedstream/trainer/dataset"
	"github.com/nedstream/nedstream/trainer/lambda"
)

// Scorer returns the per-frame (per-crop) confidences that a clip shows its
// labelled emotion.
type Scorer interface {
	// Frames returns the confidences in [0,1] of rec's label, one per scored
	// frame; ok is false when the scorer cannot judge the label (a class the
	// classifier lacks), in which case the clip keeps lambda = 1.
	Frames(root string, rec *dataset.Record) (ys []float64, ok bool, err error)
	// Close releases the models.
	Close() error
}

// Options control Run.
type Options struct {
	Threshold   float64
	Aggregation lambda.Aggregation
}

// Result is one clip's score, with Judged false when the scorer could not
// judge the label (lambda 1 then).
type Result struct {
	dataset.Score
	Judged bool
}

// Run scores every record. A clip whose crops cannot be read is an error
// that names it.
func Run(root string, recs []*dataset.Record, s Scorer, o Options, progress func()) ([]Result, error) {
	out := make([]Result, 0, len(recs))
	for _, r := range recs {
		ys, ok, err := s.Frames(root, r)
		if err != nil {
			return nil, fmt.Errorf("score clip %s: %w", r.ID, err)
		}
		res := Result{Score: dataset.Score{ID: r.ID, Emotion: r.Emotion, Y: 1, Lambda: 1}, Judged: ok}
		if ok {
			y, err := lambda.Aggregate(ys, o.Aggregation)
			if err != nil {
				return nil, fmt.Errorf("score clip %s: %w", r.ID, err)
			}
			l, err := lambda.Weight(y, o.Threshold)
			if err != nil {
				return nil, err
			}
			res.Y, res.Lambda = y, l
		}
		out = append(out, res)
		if progress != nil {
			progress()
		}
	}
	return out, nil
}

// FileScorer reads precomputed per-clip scores.
type FileScorer struct{ scores map[string]dataset.Score }

// NewFile reads a scores CSV (header with id and y; see dataset.ReadScores).
func NewFile(path string) (*FileScorer, error) {
	s, err := dataset.ReadScores(path)
	if err != nil {
		return nil, err
	}
	return &FileScorer{scores: s}, nil
}

// Frames returns the clip's precomputed y.
func (f *FileScorer) Frames(_ string, rec *dataset.Record) ([]float64, bool, error) {
	s, ok := f.scores[rec.ID]
	if !ok {
		return nil, false, fmt.Errorf("no score for clip %s in the scores file", rec.ID)
	}
	return []float64{s.Y}, true, nil
}

// Close does nothing.
func (f *FileScorer) Close() error { return nil }

// ParseClassMap reads a comma-separated list of class names, one per
// model output in order; each name goes through manipulator.ParseEmotion
// ("surprise", "disgust" work), and "-" or "other" marks an output that is
// none of the eight classes.
func ParseClassMap(s string) ([]int, error) {
	var out []int
	seen := map[int]bool{}
	for i, name := range strings.Split(s, ",") {
		name = strings.TrimSpace(name)
		if name == "-" || strings.EqualFold(name, "other") {
			out = append(out, -1)
			continue
		}
		e, err := manipulator.ParseEmotion(name)
		if err != nil {
			return nil, fmt.Errorf("class map entry %d: %w", i, err)
		}
		if seen[int(e)] {
			return nil, fmt.Errorf("class map: %s given twice", e)
		}
		seen[int(e)] = true
		out = append(out, int(e))
	}
	if len(out) < 2 {
		return nil, errors.New("class map: need at least two classes")
	}
	return out, nil
}

// labelProbability returns the probability of class label among the mapped
// outputs, renormalised over the outputs that map to one of the eight
// classes; ok is false when no output maps to label.
func labelProbability(probs []float64, classMap []int, label int) (float64, bool) {
	if !slices.Contains(classMap, label) {
		return 0, false
	}
	var sum, p float64
	for i, c := range classMap {
		if c < 0 {
			continue
		}
		sum += probs[i]
		if c == label {
			p = probs[i]
		}
	}
	if sum <= 0 {
		return 0, true
	}
	return math.Min(1, math.Max(0, p/sum)), true
}

// softmax returns the softmax of v scaled by scale.
func softmax(v []float64, scale float64) []float64 {
	m := math.Inf(-1)
	for _, x := range v {
		m = math.Max(m, x*scale)
	}
	out := make([]float64, len(v))
	var s float64
	for i, x := range v {
		out[i] = math.Exp(x*scale - m)
		s += out[i]
	}
	for i := range out {
		out[i] /= s
	}
	return out
}

// readCrop loads one crop image relative to the dataset root.
func readCrop(root, rel string) (image.Image, error) {
	f, err := os.Open(filepath.Join(root, rel))
	if err != nil {
		return nil, fmt.Errorf("face crop: %w", err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("face crop %s: %w", rel, err)
	}
	return img, nil
}

// resample returns the image bilinearly resized to w x h as RGB floats in
// [0,255], row-major, channel last.
func resample(img image.Image, w, h int) []float32 {
	b := img.Bounds()
	out := make([]float32, w*h*3)
	sw, sh := float64(b.Dx()), float64(b.Dy())
	at := func(x, y int) [3]float64 {
		x = min(max(x, 0), b.Dx()-1)
		y = min(max(y, 0), b.Dy()-1)
		r, g, bb, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
		return [3]float64{float64(r >> 8), float64(g >> 8), float64(bb >> 8)}
	}
	for y := range h {
		fy := (float64(y)+0.5)*sh/float64(h) - 0.5
		y0 := int(math.Floor(fy))
		ty := fy - float64(y0)
		for x := range w {
			fx := (float64(x)+0.5)*sw/float64(w) - 0.5
			x0 := int(math.Floor(fx))
			tx := fx - float64(x0)
			p00, p10, p01, p11 := at(x0, y0), at(x0+1, y0), at(x0, y0+1), at(x0+1, y0+1)
			for c := range 3 {
				v := (p00[c]*(1-tx)+p10[c]*tx)*(1-ty) + (p01[c]*(1-tx)+p11[c]*tx)*ty
				out[(y*w+x)*3+c] = float32(v)
			}
		}
	}
	return out
}
