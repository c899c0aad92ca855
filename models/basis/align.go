package basis

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// Similarity is x' = Scale * Rotation * x + Translation.
type Similarity struct {
	Scale       float64
	Rotation    [3][3]float64
	Translation [3]float64
}

// Apply maps a point.
func (s Similarity) Apply(p [3]float64) [3]float64 {
	r := s.Rotate(p)
	for i := range 3 {
		r[i] = s.Scale*r[i] + s.Translation[i]
	}
	return r
}

// Rotate applies the rotation only (for directions).
func (s Similarity) Rotate(p [3]float64) [3]float64 {
	var r [3]float64
	for i := range 3 {
		r[i] = s.Rotation[i][0]*p[0] + s.Rotation[i][1]*p[1] + s.Rotation[i][2]*p[2]
	}
	return r
}

// umeyama returns the similarity that maps src onto dst in the weighted
// least-squares sense (Umeyama 1991, "Least-squares estimation of
// transformation parameters between two point patterns"); w may be nil.
func umeyama(src, dst [][3]float64, w []float64) (Similarity, error) {
	n := len(src)
	if n < 3 || len(dst) != n || (w != nil && len(w) != n) {
		return Similarity{}, fmt.Errorf("umeyama: %d source, %d target points", n, len(dst))
	}
	var ws float64
	var ms, md [3]float64
	for i := range n {
		wi := 1.0
		if w != nil {
			wi = w[i]
		}
		ws += wi
		for k := range 3 {
			ms[k] += wi * src[i][k]
			md[k] += wi * dst[i][k]
		}
	}
	if ws <= 0 {
		return Similarity{}, errors.New("umeyama: zero total weight")
	}
	for k := range 3 {
		ms[k] /= ws
		md[k] /= ws
	}
	cov := mat.NewDense(3, 3, nil)
	var varS float64
	for i := range n {
		wi := 1.0
		if w != nil {
			wi = w[i]
		}
		for a := range 3 {
			da := dst[i][a] - md[a]
			for b := range 3 {
				cov.Set(a, b, cov.At(a, b)+wi*da*(src[i][b]-ms[b])/ws)
			}
			d := src[i][a] - ms[a]
			varS += wi * d * d / ws
		}
	}
	if varS < 1e-12 {
		return Similarity{}, errors.New("umeyama: degenerate source points")
	}
	var svd mat.SVD
	if !svd.Factorize(cov, mat.SVDFull) {
		return Similarity{}, errors.New("umeyama: SVD failed")
	}
	var u, v mat.Dense
	svd.UTo(&u)
	svd.VTo(&v)
	sv := svd.Values(nil)
	sgn := [3]float64{1, 1, 1}
	if mat.Det(&u)*mat.Det(&v) < 0 {
		sgn[2] = -1
	}
	var s Similarity
	var trace float64
	for k := range 3 {
		trace += sv[k] * sgn[k]
	}
	s.Scale = trace / varS
	for a := range 3 {
		for b := range 3 {
			var r float64
			for k := range 3 {
				r += u.At(a, k) * sgn[k] * v.At(b, k)
			}
			s.Rotation[a][b] = r
		}
	}
	rm := s.Rotate(ms)
	for k := range 3 {
		s.Translation[k] = md[k] - s.Scale*rm[k]
	}
	if math.IsNaN(s.Scale) || s.Scale <= 0 {
		return Similarity{}, fmt.Errorf("umeyama: bad scale %g", s.Scale)
	}
	return s, nil
}

func dist(a, b [3]float64) float64 {
	dx, dy, dz := a[0]-b[0], a[1]-b[1], a[2]-b[2]
	return math.Sqrt(dx*dx + dy*dy + dz*dz)
}
