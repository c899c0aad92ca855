// Package eval measures trained manipulators on held-out actors: for each
// target emotion, the accuracy of an emotion classifier (trained here on the
// training actors' real sequences) on the edited sequences, and the
// correlation of the edited mouth channels with the input's.
package eval

import (
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/nedstream/nedstream/models/manipulator"
	"github.com/nedstream/nedstream/trainer/dataset"
	"github.com/nedstream/nedstream/trainer/ned"
)

// Classifier is a softmax regression on window statistics (per-channel
// mean and standard deviation over the window, standardised).
type Classifier struct {
	mu, sd []float64
	w      [][]float64 // [classes][features+1]
}

// features of a window [T][52].
func features(win [][]float32) []float64 {
	f := make([]float64, 2*ned.Coefficients)
	n := float64(len(win))
	for k := range ned.Coefficients {
		var s, s2 float64
		for _, fr := range win {
			v := float64(fr[k])
			s += v
			s2 += v * v
		}
		m := s / n
		f[k] = m
		f[ned.Coefficients+k] = math.Sqrt(math.Max(0, s2/n-m*m))
	}
	return f
}

// TrainClassifier fits the classifier on windows with labels (full-batch
// gradient descent, deterministic).
func TrainClassifier(wins [][][]float32, labels []int, epochs int) (*Classifier, error) {
	if len(wins) == 0 || len(wins) != len(labels) {
		return nil, errors.New("classifier: no training windows")
	}
	X := make([][]float64, len(wins))
	for i, w := range wins {
		X[i] = features(w)
	}
	nf := len(X[0])
	c := &Classifier{mu: make([]float64, nf), sd: make([]float64, nf), w: make([][]float64, ned.Classes)}
	for k := range nf {
		var s, s2 float64
		for _, x := range X {
			s += x[k]
			s2 += x[k] * x[k]
		}
		m := s / float64(len(X))
		c.mu[k] = m
		c.sd[k] = math.Max(1e-3, math.Sqrt(math.Max(0, s2/float64(len(X))-m*m)))
	}
	for i := range X {
		X[i] = c.standardise(X[i])
	}
	for k := range c.w {
		c.w[k] = make([]float64, nf+1)
	}
	const lr, l2 = 0.5, 1e-3
	grad := make([][]float64, ned.Classes)
	for k := range grad {
		grad[k] = make([]float64, nf+1)
	}
	for range epochs {
		for k := range grad {
			clear(grad[k])
		}
		for i, x := range X {
			p := c.probs(x)
			for k := range p {
				d := p[k]
				if k == labels[i] {
					d--
				}
				for j, v := range x {
					grad[k][j] += d * v
				}
				grad[k][nf] += d
			}
		}
		for k := range c.w {
			for j := range c.w[k] {
				c.w[k][j] -= lr * (grad[k][j]/float64(len(X)) + l2*c.w[k][j])
			}
		}
	}
	return c, nil
}

func (c *Classifier) standardise(f []float64) []float64 {
	out := make([]float64, len(f))
	for k := range f {
		out[k] = (f[k] - c.mu[k]) / c.sd[k]
	}
	return out
}

func (c *Classifier) probs(x []float64) []float64 {
	nf := len(x)
	logits := make([]float64, len(c.w))
	m := math.Inf(-1)
	for k, w := range c.w {
		s := w[nf]
		for j, v := range x {
			s += w[j] * v
		}
		logits[k] = s
		m = math.Max(m, s)
	}
	var z float64
	for k := range logits {
		logits[k] = math.Exp(logits[k] - m)
		z += logits[k]
	}
	for k := range logits {
		logits[k] /= z
	}
	return logits
}

// Predict returns the most likely class of a window.
func (c *Classifier) Predict(win [][]float32) int {
	p := c.probs(c.standardise(features(win)))
	best := 0
	for k := range p {
		if p[k] > p[best] {
			best = k
		}
	}
	return best
}

// MouthCorrelation is the mean Pearson correlation over time of the mouth
// (speech) channels of two windows, over the channels that move in a.
func MouthCorrelation(a, b [][]float32) float64 {
	mask := ned.MouthMask()
	var sum float64
	n := 0
	for k, m := range mask {
		if m == 0 {
			continue
		}
		var ma, mb float64
		for t := range a {
			ma += float64(a[t][k])
			mb += float64(b[t][k])
		}
		ma /= float64(len(a))
		mb /= float64(len(a))
		var cov, va, vb float64
		for t := range a {
			da, db := float64(a[t][k])-ma, float64(b[t][k])-mb
			cov += da * db
			va += da * da
			vb += db * db
		}
		if va < 1e-8 {
			continue
		}
		sum += cov / math.Sqrt(va*vb+1e-12)
		n++
	}
	if n == 0 {
		return math.NaN()
	}
	return sum / float64(n)
}

// Windows cuts non-overlapping T-frame windows from a record.
func Windows(r *dataset.Record, T int) [][][]float32 {
	var out [][][]float32
	for s := 0; s+T <= len(r.Frames); s += T {
		out = append(out, r.Frames[s:s+T])
	}
	return out
}

// TrueClass is the class a clip really shows: the synthetic ground truth
// when there is one, the label otherwise.
func TrueClass(r *dataset.Record) int {
	name := r.Emotion
	if r.Truth != nil {
		name = r.Truth.Emotion
	}
	c, _ := dataset.ClassIndex(name)
	return c
}

// Row is one target emotion's result for one model.
type Row struct {
	// Target is the class the windows were edited toward.
	Target string
	// Accuracy is the share of edits the classifier reads as Target.
	Accuracy float64
	// Mouth is the mean Pearson r of the speech channels, input vs edit.
	Mouth float64
	// Windows is the number of edited windows.
	Windows int
}

// Result is one model's evaluation.
type Result struct {
	// Name labels the run in tables.
	Name string
	// Rows has one entry per target class.
	Rows []Row
	// Mean over targets.
	Accuracy, Mouth float64
}

// Evaluate edits every held-out window toward every class (mapping network
// at z = 0, as the exported style_mapping does) at the given intensity a
// (the edit is x + a * (G(x, s) - x), as in the exported manipulator; 1 is
// the full trained edit) and scores the edits.
func Evaluate(name string, m *ned.Model, cls *Classifier, test []*dataset.Record, intensity float64) (*Result, error) {
	c := m.Config
	var wins [][][]float32
	for _, r := range test {
		wins = append(wins, Windows(r, c.T)...)
	}
	if len(wins) == 0 {
		return nil, fmt.Errorf("eval: no held-out clip has %d frames", c.T)
	}
	B := len(wins)
	x := make([]float32, 0, B*c.T*ned.Coefficients)
	for _, w := range wins {
		for _, f := range w {
			x = append(x, f...)
		}
	}
	res := &Result{Name: name}
	for target := range ned.Classes {
		onehot := make([]float32, B*ned.Classes)
		for b := range B {
			onehot[b*ned.Classes+target] = 1
		}
		s, err := m.Map(B, make([]float32, B*c.Z), onehot)
		if err != nil {
			return nil, err
		}
		out, err := m.Manipulate(B, c.T, x, s)
		if err != nil {
			return nil, err
		}
		row := Row{Target: manipulator.Classes[target], Windows: B}
		nm := 0
		for b := range B {
			edited := make([][]float32, c.T)
			for t := range c.T {
				i := (b*c.T + t) * ned.Coefficients
				edited[t] = make([]float32, ned.Coefficients)
				for k := range edited[t] {
					edited[t][k] = x[i+k] + float32(intensity)*(out[i+k]-x[i+k])
				}
			}
			if cls.Predict(edited) == target {
				row.Accuracy++
			}
			if r := MouthCorrelation(wins[b], edited); !math.IsNaN(r) {
				row.Mouth += r
				nm++
			}
		}
		row.Accuracy /= float64(B)
		if nm > 0 {
			row.Mouth /= float64(nm)
		}
		res.Rows = append(res.Rows, row)
		res.Accuracy += row.Accuracy / ned.Classes
		res.Mouth += row.Mouth / ned.Classes
	}
	return res, nil
}

// Split separates held-out actors' clips.
func Split(recs []*dataset.Record, holdout []string) (train, test []*dataset.Record) {
	for _, r := range recs {
		if slices.Contains(holdout, r.Actor) {
			test = append(test, r)
		} else {
			train = append(train, r)
		}
	}
	return train, test
}

// ClassifierFor trains the evaluation classifier on the training actors'
// windows and reports its accuracy on the held-out actors' unedited windows.
func ClassifierFor(train, test []*dataset.Record, T int) (*Classifier, float64, error) {
	var wins [][][]float32
	var labels []int
	for _, r := range train {
		for _, w := range Windows(r, T) {
			wins = append(wins, w)
			labels = append(labels, TrueClass(r))
		}
	}
	cls, err := TrainClassifier(wins, labels, 300)
	if err != nil {
		return nil, 0, err
	}
	var ok, n float64
	for _, r := range test {
		for _, w := range Windows(r, T) {
			if cls.Predict(w) == TrueClass(r) {
				ok++
			}
			n++
		}
	}
	if n == 0 {
		return nil, 0, fmt.Errorf("eval: no held-out windows of %d frames", T)
	}
	return cls, ok / n, nil
}

// WriteTable writes the results side by side as a Markdown table.
func WriteTable(w io.Writer, results []*Result) {
	var b strings.Builder
	b.WriteString("| target |")
	sep := "|---|"
	for _, r := range results {
		fmt.Fprintf(&b, " accuracy (%s) | mouth r (%s) |", r.Name, r.Name)
		sep += "---:|---:|"
	}
	b.WriteString("\n" + sep + "\n")
	for i := range results[0].Rows {
		fmt.Fprintf(&b, "| %s |", results[0].Rows[i].Target)
		for _, r := range results {
			fmt.Fprintf(&b, " %.3f | %.3f |", r.Rows[i].Accuracy, r.Rows[i].Mouth)
		}
		b.WriteString("\n")
	}
	b.WriteString("| **mean** |")
	for _, r := range results {
		fmt.Fprintf(&b, " **%.3f** | **%.3f** |", r.Accuracy, r.Mouth)
	}
	b.WriteString("\n")
	io.WriteString(w, b.String())
}
