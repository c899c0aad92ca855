package manipulator_test

import (
	"math"
	"testing"
	"time"

	"github.com/nedstream/nedstream/models/manipulator"
)

func TestRamp(t *testing.T) {
	ms := time.Millisecond
	cases := []struct {
		name       string
		transition time.Duration
		steps      []time.Duration
		want       float32 // first value after the steps (from 0 toward 1)
		done       bool
	}{
		{"jump", 0, []time.Duration{ms}, 1, true},
		{"negative transition jumps", -ms, nil, 1, true},
		{"start", 400 * ms, nil, 0, false},
		{"quarter (smoothstep 0.15625)", 400 * ms, []time.Duration{100 * ms}, 0.15625, false},
		{"half", 400 * ms, []time.Duration{100 * ms, 100 * ms}, 0.5, false},
		{"end exact", 400 * ms, []time.Duration{300 * ms, 300 * ms}, 1, true},
		{"negative step ignored", 400 * ms, []time.Duration{-time.Second, 200 * ms}, 0.5, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := manipulator.NewRamp([]float32{0, 2})
			if err := r.SetTarget([]float32{1, 0}, c.transition); err != nil {
				t.Fatal(err)
			}
			cur := r.Current()
			for _, dt := range c.steps {
				cur = r.Step(dt)
			}
			if math.Abs(float64(cur[0]-c.want)) > 1e-6 || math.Abs(float64(cur[1]-2*(1-c.want))) > 1e-6 {
				t.Errorf("value %v, want [%g %g]", cur, c.want, 2*(1-c.want))
			}
			if r.Done() != c.done {
				t.Errorf("done %v", r.Done())
			}
		})
	}
}

// TestRampRetarget: a new target mid-way continues from where the ramp is,
// without a jump, and every step moves by a bounded amount.
func TestRampRetarget(t *testing.T) {
	r := manipulator.NewRamp([]float32{0})
	r.SetTarget([]float32{1}, time.Second)
	prev := r.Step(300 * time.Millisecond)[0]
	if err := r.SetTarget([]float32{-1}, 500*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if got := r.Current()[0]; got != prev {
		t.Fatalf("retarget jumped %g -> %g", prev, got)
	}
	start := prev
	for range 50 {
		v := r.Step(10 * time.Millisecond)[0]
		// smoothstep's slope is at most 1.5/duration: |dv| <= 1.5*|range|*dt/T.
		if d := math.Abs(float64(v - prev)); d > 1.5*float64(start+1)*0.01/0.5+1e-6 {
			t.Fatalf("step %g too large", d)
		}
		if v > prev {
			t.Fatalf("not monotonic: %g -> %g", prev, v)
		}
		prev = v
	}
	if !r.Done() || r.Current()[0] != -1 {
		t.Fatalf("not at target: %v", r.Current())
	}
	if err := r.SetTarget([]float32{1, 2}, time.Second); err == nil {
		t.Fatal("length mismatch accepted")
	}
}
