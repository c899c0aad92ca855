package basis

import "math"

// surface is a triangle set with per-triangle bounding spheres for a cheap
// early out in closest-point queries (an offline step over ~18k triangles
// and 468 queries, so brute force with pruning is fast enough).
type surface struct {
	verts  [][3]float64
	tris   [][3]int
	center [][3]float64
	radius []float64
	allow  []bool // nil: all triangles may be hit
}

func newSurface(verts [][3]float64, tris [][3]int) *surface {
	s := &surface{verts: verts, tris: tris, center: make([][3]float64, len(tris)), radius: make([]float64, len(tris))}
	for i, t := range tris {
		var c [3]float64
		for _, v := range t {
			for k := range 3 {
				c[k] += verts[v][k] / 3
			}
		}
		s.center[i] = c
		for _, v := range t {
			s.radius[i] = max(s.radius[i], dist(c, verts[v]))
		}
	}
	return s
}

// hit is a point on the surface: triangle index and barycentric weights.
type hit struct {
	tri  int
	bary [3]float64
	dist float64
	p    [3]float64
}

// closest returns the closest surface point to p among triangles ok accepts
// (nil: any).
func (s *surface) closest(p [3]float64, ok func(tri int) bool) hit {
	best := hit{tri: -1, dist: math.Inf(1)}
	for i, t := range s.tris {
		if dist(p, s.center[i])-s.radius[i] >= best.dist {
			continue
		}
		if ok != nil && !ok(i) {
			continue
		}
		q, bary := closestOnTriangle(p, s.verts[t[0]], s.verts[t[1]], s.verts[t[2]])
		if d := dist(p, q); d < best.dist {
			best = hit{tri: i, bary: bary, dist: d, p: q}
		}
	}
	return best
}

func sub(a, b [3]float64) [3]float64 { return [3]float64{a[0] - b[0], a[1] - b[1], a[2] - b[2]} }
func dot(a, b [3]float64) float64    { return a[0]*b[0] + a[1]*b[1] + a[2]*b[2] }

// closestOnTriangle is Ericson's closest point on triangle abc to p
// (Real-Time Collision Detection, 5.1.5) with its barycentric weights.
func closestOnTriangle(p, a, b, c [3]float64) ([3]float64, [3]float64) {
	ab, ac, ap := sub(b, a), sub(c, a), sub(p, a)
	d1, d2 := dot(ab, ap), dot(ac, ap)
	if d1 <= 0 && d2 <= 0 {
		return a, [3]float64{1, 0, 0}
	}
	bp := sub(p, b)
	d3, d4 := dot(ab, bp), dot(ac, bp)
	if d3 >= 0 && d4 <= d3 {
		return b, [3]float64{0, 1, 0}
	}
	vc := d1*d4 - d3*d2
	if vc <= 0 && d1 >= 0 && d3 <= 0 {
		v := d1 / (d1 - d3)
		return lerp3(a, b, c, 1-v, v, 0), [3]float64{1 - v, v, 0}
	}
	cp := sub(p, c)
	d5, d6 := dot(ab, cp), dot(ac, cp)
	if d6 >= 0 && d5 <= d6 {
		return c, [3]float64{0, 0, 1}
	}
	vb := d5*d2 - d1*d6
	if vb <= 0 && d2 >= 0 && d6 <= 0 {
		w := d2 / (d2 - d6)
		return lerp3(a, b, c, 1-w, 0, w), [3]float64{1 - w, 0, w}
	}
	va := d3*d6 - d5*d4
	if va <= 0 && d4-d3 >= 0 && d5-d6 >= 0 {
		w := (d4 - d3) / ((d4 - d3) + (d5 - d6))
		return lerp3(a, b, c, 0, 1-w, w), [3]float64{0, 1 - w, w}
	}
	den := 1 / (va + vb + vc)
	v, w := vb*den, vc*den
	return lerp3(a, b, c, 1-v-w, v, w), [3]float64{1 - v - w, v, w}
}

func lerp3(a, b, c [3]float64, u, v, w float64) [3]float64 {
	return [3]float64{
		u*a[0] + v*b[0] + w*c[0],
		u*a[1] + v*b[1] + w*c[1],
		u*a[2] + v*b[2] + w*c[2],
	}
}
