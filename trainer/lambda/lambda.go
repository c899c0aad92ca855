// Package lambda computes the per-sample loss weights of the nedstream
// trainer: for a training clip whose labelled emotion is c, y is a scorer's
// (CLIP's, by default) confidence that the clip shows c, and
//
//	lambda = 1   if y >= threshold (default 0.6)
//	lambda = y   otherwise
//
// The sample's loss is lambda * L_NED, which down-weights ambiguous or weakly
// expressed samples (common in corpora such as MEAD) instead of dropping them.
package lambda

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
)

// DefaultThreshold is the confidence from which a sample counts fully.
const DefaultThreshold = 0.6

// Weight returns lambda for a confidence y in [0,1].
func Weight(y, threshold float64) (float64, error) {
	if math.IsNaN(y) || y < 0 || y > 1 {
		return 0, fmt.Errorf("confidence %v outside [0,1]", y)
	}
	if math.IsNaN(threshold) || threshold < 0 || threshold > 1 {
		return 0, fmt.Errorf("threshold %v outside [0,1]", threshold)
	}
	if y >= threshold {
		return 1, nil
	}
	return y, nil
}

// Aggregation says how the per-frame confidences of a clip become its y.
type Aggregation string

// The aggregations. Mean is the default: a clip's label applies to the whole
// clip, and the mean rewards clips whose frames show the emotion throughout,
// while one blurred or transitional frame moves it only by 1/n. Median
// ignores a minority of bad frames entirely; Min is the strictest (one
// unclear frame lowers the whole clip); Max the most lenient.
const (
	Mean   Aggregation = "mean"
	Median Aggregation = "median"
	Min    Aggregation = "min"
	Max    Aggregation = "max"
)

// ParseAggregation reads an aggregation name (case-insensitive).
func ParseAggregation(s string) (Aggregation, error) {
	switch a := Aggregation(strings.ToLower(strings.TrimSpace(s))); a {
	case Mean, Median, Min, Max:
		return a, nil
	case "":
		return Mean, nil
	}
	return "", fmt.Errorf("unknown aggregation %q (want mean, median, min or max)", s)
}

// Aggregate combines the confidences of a clip's sampled frames.
func Aggregate(frames []float64, a Aggregation) (float64, error) {
	if len(frames) == 0 {
		return 0, errors.New("no frame confidences to aggregate")
	}
	for i, y := range frames {
		if math.IsNaN(y) || y < 0 || y > 1 {
			return 0, fmt.Errorf("frame %d: confidence %v outside [0,1]", i, y)
		}
	}
	switch a {
	case Mean, "":
		var s float64
		for _, y := range frames {
			s += y
		}
		return s / float64(len(frames)), nil
	case Median:
		v := slices.Clone(frames)
		slices.Sort(v)
		n := len(v)
		if n%2 == 1 {
			return v[n/2], nil
		}
		return (v[n/2-1] + v[n/2]) / 2, nil
	case Min:
		return slices.Min(frames), nil
	case Max:
		return slices.Max(frames), nil
	}
	return 0, fmt.Errorf("unknown aggregation %q", a)
}

// Stats summarises the lambdas of a dataset (recorded in a trained pack's manifest).
type Stats struct {
	N         int     `json:"n"`
	Mean      float64 `json:"mean"`
	Min       float64 `json:"min"`
	FullShare float64 `json:"full_share"` // share of samples with lambda == 1
	Threshold float64 `json:"threshold"`
}

// Summarize computes Stats over lambdas.
func Summarize(lambdas []float64, threshold float64) Stats {
	s := Stats{N: len(lambdas), Threshold: threshold}
	if len(lambdas) == 0 {
		return s
	}
	s.Min = 1
	full := 0
	for _, l := range lambdas {
		s.Mean += l
		s.Min = math.Min(s.Min, l)
		if l == 1 {
			full++
		}
	}
	s.Mean /= float64(len(lambdas))
	s.FullShare = float64(full) / float64(len(lambdas))
	return s
}
