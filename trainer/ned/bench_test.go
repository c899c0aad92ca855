package ned

import (
	"testing"
	"time"
)

// BenchmarkTrainStep measures training throughput (samples/s) at the
// default model size with batch 16: one step is the forward and backward
// pass of the discriminator and generator losses (Adam runs in Go and is
// not included). make bench runs it.
func BenchmarkTrainStep(b *testing.B) { benchTrainStep(b, DefaultConfig()) }

// BenchmarkTrainStepLSTMDisc is BenchmarkTrainStep with the sequence-based
// LSTM discriminator (fit --disc lstm).
func BenchmarkTrainStepLSTMDisc(b *testing.B) {
	c := DefaultConfig()
	c.Disc = DiscLSTM
	benchTrainStep(b, c)
}

func benchTrainStep(b *testing.B, c Config) {
	ps, err := NewParams(c, 1)
	if err != nil {
		b.Fatal(err)
	}
	be, err := NewBackend()
	if err != nil {
		b.Fatal(err)
	}
	m, err := NewModel(be, c, ps)
	if err != nil {
		b.Fatal(err)
	}
	const B = 16
	d := stepData(c, B)
	if _, err := m.Step(d); err != nil { // compile
		b.Fatal(err)
	}
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		if _, err := m.Step(d); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*B)/time.Since(start).Seconds(), "samples/s")
}
