// Package track holds the temporal parts of face tracking: the One-Euro
// filter that steadies landmarks without lagging fast motion.
package track

import "math"

// OneEuro is a One-Euro filter (Casiez et al., CHI 2012) over a vector of
// values that share one scale: a low-pass filter whose cutoff rises with the
// speed of change, so still faces stop jittering and moving faces do not lag.
type OneEuro struct {
	// MinCutoff is the cutoff (Hz) at rest; lower is smoother.
	MinCutoff float64
	// Beta raises the cutoff with speed (per unit of scale per second).
	Beta float64
	// DCutoff is the cutoff (Hz) of the speed estimate.
	DCutoff float64

	x, dx  []float64
	primed bool
}

// ForStrength returns a filter for a smoothing strength in [0,1] (0: off).
// Values are measured in units of the face's size, so the same strength
// behaves the same for near and far faces.
func ForStrength(s float64) *OneEuro {
	if s <= 0 {
		return nil
	}
	s = math.Min(s, 1)
	return &OneEuro{MinCutoff: 8 * math.Pow(0.04, s), Beta: 10, DCutoff: 1}
}

func alpha(cutoff, dt float64) float64 {
	tau := 1 / (2 * math.Pi * cutoff)
	return 1 / (1 + tau/dt)
}

// Reset forgets the filter's history.
func (f *OneEuro) Reset() { f.primed = false }

// Filter smooths v in place. dt is the time since the previous call in
// seconds; scale divides values before the speed estimate (e.g. face size).
func (f *OneEuro) Filter(v []float64, dt, scale float64) {
	if f == nil {
		return
	}
	if !f.primed || len(f.x) != len(v) || dt <= 0 {
		f.x = append(f.x[:0], v...)
		f.dx = make([]float64, len(v))
		f.primed = true
		return
	}
	if scale <= 0 {
		scale = 1
	}
	ad := alpha(f.DCutoff, dt)
	for i, x := range v {
		d := (x - f.x[i]) / dt / scale
		f.dx[i] += ad * (d - f.dx[i])
		a := alpha(f.MinCutoff+f.Beta*math.Abs(f.dx[i]), dt)
		f.x[i] += a * (x - f.x[i])
		v[i] = f.x[i]
	}
}
