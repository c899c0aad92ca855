package manipulator_test

import (
	"testing"

	"github.com/nedstream/nedstream/models/manipulator"
)

// BenchmarkApply: one face, a causal window of DefaultT frames, the
// analytic models on the CPU provider (the per-frame cost in the element).
func BenchmarkApply(b *testing.B) {
	f := build(b)
	m, err := manipulator.OpenFiles(f, cpu)
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	s, err := m.Style(manipulator.OneHot(manipulator.Happy), 1)
	if err != nil {
		b.Fatal(err)
	}
	window := make([]frame, manipulator.DefaultT)
	for i := range window {
		window[i] = baseline()
	}
	for b.Loop() {
		if _, err := m.Apply(window, s); err != nil {
			b.Fatal(err)
		}
	}
}
