package eval_test

import (
	"math"
	"testing"

	"github.com/nedstream/nedstream/trainer/eval"
	"github.com/nedstream/nedstream/trainer/ned"
)

func win(T int, f func(t, k int) float32) [][]float32 {
	w := make([][]float32, T)
	for t := range w {
		w[t] = make([]float32, ned.Coefficients)
		for k := range w[t] {
			w[t][k] = f(t, k)
		}
	}
	return w
}

func TestMouthCorrelation(t *testing.T) {
	a := win(6, func(t, k int) float32 { return float32(math.Sin(float64(t + k))) })
	if r := eval.MouthCorrelation(a, a); math.Abs(r-1) > 1e-9 {
		t.Errorf("self correlation %g", r)
	}
	neg := win(6, func(t, k int) float32 { return -2 * a[t][k] })
	if r := eval.MouthCorrelation(a, neg); math.Abs(r+1) > 1e-9 {
		t.Errorf("negated correlation %g", r)
	}
	still := win(6, func(int, int) float32 { return 0.3 })
	if r := eval.MouthCorrelation(still, a); !math.IsNaN(r) {
		t.Errorf("motionless input: %g, want NaN", r)
	}
}

// TestClassifier separates classes that differ in one channel's mean.
func TestClassifier(t *testing.T) {
	var wins [][][]float32
	var labels []int
	for c := range ned.Classes {
		for i := range 5 {
			wins = append(wins, win(4, func(t, k int) float32 {
				if k == c*3 {
					return 0.8 + 0.01*float32(i+t)
				}
				return 0.1 * float32((i*7+k+t)%3)
			}))
			labels = append(labels, c)
		}
	}
	cls, err := eval.TrainClassifier(wins, labels, 200)
	if err != nil {
		t.Fatal(err)
	}
	for i, w := range wins {
		if got := cls.Predict(w); got != labels[i] {
			t.Fatalf("window %d: class %d, want %d", i, got, labels[i])
		}
	}
	if _, err := eval.TrainClassifier(nil, nil, 1); err == nil {
		t.Error("no data accepted")
	}
}
