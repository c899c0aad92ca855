package manipulator

import (
	"fmt"
	"time"
)

// Ramp moves a style vector toward a target over a transition time, so that
// changes of emotion or intensity fade in instead of jumping. It eases in
// and out (smoothstep), so the expression starts and ends the change without
// a visible kink; a new target mid-way starts from the current value, so
// the style never jumps. With the analytic models the output is affine in
// the style, so the face moves along the same curve. A Ramp is not safe for
// concurrent use; advance it with the stream's time (buffer timestamps), not
// the wall clock.
type Ramp struct {
	from, to, cur []float32
	duration      time.Duration
	elapsed       time.Duration
}

// NewRamp starts a ramp resting at initial (copied).
func NewRamp(initial []float32) *Ramp {
	return &Ramp{
		from: append([]float32(nil), initial...),
		to:   append([]float32(nil), initial...),
		cur:  append([]float32(nil), initial...),
	}
}

// SetTarget starts a transition from the current value to target (copied)
// lasting transition (0 or less: jump at once). The target must have the
// ramp's length.
func (r *Ramp) SetTarget(target []float32, transition time.Duration) error {
	if len(target) != len(r.cur) {
		return fmt.Errorf("ramp: target has %d values, the style has %d", len(target), len(r.cur))
	}
	copy(r.from, r.cur)
	copy(r.to, target)
	r.duration, r.elapsed = max(transition, 0), 0
	if r.duration == 0 {
		copy(r.cur, r.to)
	}
	return nil
}

// Step advances the ramp by dt (negative counts as 0) and returns the
// current value (valid until the next call; copy it to keep it).
func (r *Ramp) Step(dt time.Duration) []float32 {
	if dt > 0 && r.elapsed < r.duration {
		r.elapsed = min(r.elapsed+dt, r.duration)
		if r.elapsed == r.duration {
			copy(r.cur, r.to)
		} else {
			x := float32(float64(r.elapsed) / float64(r.duration))
			w := x * x * (3 - 2*x)
			for i := range r.cur {
				r.cur[i] = r.from[i] + w*(r.to[i]-r.from[i])
			}
		}
	}
	return r.cur
}

// Current returns the current value (valid until the next Step or SetTarget).
func (r *Ramp) Current() []float32 { return r.cur }

// Target returns the value the ramp is moving to.
func (r *Ramp) Target() []float32 { return r.to }

// Done reports whether the ramp has reached its target.
func (r *Ramp) Done() bool { return r.elapsed >= r.duration }
