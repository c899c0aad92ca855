package ned

import (
	"math"
	"testing"
	"time"
)

func tinyConfig() Config {
	c := DefaultConfig()
	c.T, c.S, c.Z, c.Hidden, c.MapHidden = 4, 3, 2, 8, 8
	return c
}

func TestStepRuns(t *testing.T) {
	c := tinyConfig()
	ps, err := NewParams(c, 1)
	if err != nil {
		t.Fatal(err)
	}
	be, err := NewBackend()
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewModel(be, c, ps)
	if err != nil {
		t.Fatal(err)
	}
	B := 3
	d := StepData{B: B, X: make([]float32, B*c.T*Coefficients), Src: make([]float32, B*Classes), Trg: make([]float32, B*Classes), Z: make([]float32, B*c.Z), Lambda: []float32{1, 0.5, 1}}
	for i := range d.X {
		d.X[i] = float32(math.Sin(float64(i)))*0.3 + 0.3
	}
	for b := range B {
		d.Src[b*Classes+b] = 1
		d.Trg[b*Classes+b+1] = 1
		d.Z[b*c.Z] = 0.5
	}
	start := time.Now()
	r, err := m.Step(d)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("first step %v losses %v", time.Since(start), r.Losses)
	start = time.Now()
	if _, err := m.Step(d); err != nil {
		t.Fatal(err)
	}
	t.Logf("second step %v", time.Since(start))
	if len(r.Grads) != len(ps.List) {
		t.Fatalf("%d grads", len(r.Grads))
	}
}
