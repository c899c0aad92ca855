package lambda

import (
	"math"
	"testing"
)

func TestWeightThresholdEdges(t *testing.T) {
	cases := []struct {
		y, thr, want float64
	}{
		{0.6, 0.6, 1},               // at the threshold counts fully
		{0.5999999, 0.6, 0.5999999}, // just below keeps its confidence
		{1, 0.6, 1},
		{0, 0.6, 0},
		{0.3, 0.6, 0.3},
		{0.3, 0, 1},     // threshold 0: every sample counts fully
		{0.99, 1, 0.99}, // threshold 1: only certain samples count fully
		{1, 1, 1},
	}
	for _, c := range cases {
		got, err := Weight(c.y, c.thr)
		if err != nil || got != c.want {
			t.Errorf("Weight(%v, %v) = %v, %v; want %v", c.y, c.thr, got, err, c.want)
		}
	}
	for _, bad := range [][2]float64{{-0.1, 0.6}, {1.1, 0.6}, {math.NaN(), 0.6}, {0.5, 1.5}, {0.5, math.NaN()}} {
		if _, err := Weight(bad[0], bad[1]); err == nil {
			t.Errorf("Weight(%v, %v) accepted", bad[0], bad[1])
		}
	}
}

func TestAggregate(t *testing.T) {
	frames := []float64{0.9, 0.1, 0.8, 0.7}
	for a, want := range map[Aggregation]float64{Mean: 0.625, Median: 0.75, Min: 0.1, Max: 0.9} {
		got, err := Aggregate(frames, a)
		if err != nil || math.Abs(got-want) > 1e-12 {
			t.Errorf("%s = %v, %v; want %v", a, got, err, want)
		}
	}
	if got, _ := Aggregate([]float64{0.2, 0.9, 0.4}, Median); got != 0.4 {
		t.Errorf("odd median %v", got)
	}
	if _, err := Aggregate(nil, Mean); err == nil {
		t.Error("empty clip accepted")
	}
	if _, err := Aggregate([]float64{0.5, 2}, Mean); err == nil {
		t.Error("confidence 2 accepted")
	}
	if _, err := ParseAggregation("average"); err == nil {
		t.Error("unknown aggregation accepted")
	}
	if a, err := ParseAggregation(" Median "); err != nil || a != Median {
		t.Errorf("ParseAggregation = %v, %v", a, err)
	}
}

func TestSummarize(t *testing.T) {
	s := Summarize([]float64{1, 1, 0.5, 0.2}, 0.6)
	if s.N != 4 || math.Abs(s.Mean-0.675) > 1e-12 || s.Min != 0.2 || s.FullShare != 0.5 {
		t.Errorf("stats %+v", s)
	}
}
