package render

import (
	"errors"
	"fmt"
	"math"
	"sort"

	"github.com/nedstream/nedstream/models/mesh"
)

// NumVertices is the number of FaceMesh landmarks the warp uses (the
// canonical mesh's vertices; iris points beyond them are ignored).
const NumVertices = 468

// Inner-lip ring of MediaPipe's FACEMESH_LIPS, split at the mouth corners 78
// (subject's right, image left for a frontal face) and 308 into the upper
// and the lower lip. Both chains run from corner 78 to corner 308.
var (
	innerLipUpper = []int{78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308}
	innerLipLower = []int{78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308}
)

// Outer-lip partners of some inner-lip points (upper 82/13/312, lower
// 87/14/317), used to sample the lip colour between the two rings.
var lipColourPairs = [][2]int{{82, 37}, {13, 0}, {312, 267}, {87, 84}, {14, 17}, {317, 314}}

// Eye contours of MediaPipe's FACEMESH_LEFT_EYE / RIGHT_EYE, as loops.
var (
	eyeRightLoop = []int{33, 246, 161, 160, 159, 158, 157, 173, 133, 155, 154, 153, 145, 144, 163, 7}
	eyeLeftLoop  = []int{263, 466, 388, 387, 386, 385, 384, 398, 362, 382, 381, 380, 374, 373, 390, 249}
)

// ringPushCanonical is the anchor push used only to orient the ring
// triangles at construction (the per-frame push comes from Options.Ring).
const ringPushCanonical = 0.35

// Warper renders target expressions into frames. It is built once from the
// canonical mesh and keeps scratch buffers between frames, so Render must
// not be called concurrently on one Warper (use one per goroutine).
type Warper struct {
	// tris are the face triangles (the mesh's, plus those closing its
	// openings) followed by the anchor-ring triangles, whose vertices >=
	// NumVertices are anchors (NumVertices + position on the oval).
	tris [][3]int
	// nFace is the number of face triangles (the first nFace of tris).
	nFace int
	// filled is how many of the face triangles close openings of the mesh.
	filled int
	// sign is the orientation (+1/-1) of each triangle in the frontal
	// canonical view in image axes (x right, y down); 0 where the triangle
	// is seen edge-on and its orientation says nothing.
	sign []int8
	// oval is the mesh's outer boundary loop (the face oval).
	oval []int

	// still is the vertex shift (px) below which a triangle is left alone
	// (stillShift; tests set it to 0 to draw every triangle).
	still float64

	// per-frame scratch
	ps, pd []vec2 // source / target points (landmarks, then anchors), pixel-centre coordinates
	zd     []float64
	ang    []float64 // oval directions from the centre (source)
	rad    []float64 // oval distances from the centre (source)
	step   []float64 // signed angle from each oval point to the next
	// rendered is set once Render has placed the anchors.
	rendered bool
	// tones caches faceTones for the current Render call.
	tones struct {
		ok           bool
		dark, median float64
	}
	setups []setup
	buf    []byte
	mtab   []mouthBin
	// row lists (see rowLists)
	rowStart, rowIdx, fill []int32
	order                  []int32 // setups in drawing order
	work                   []float64
}

type vec2 struct{ x, y float64 }

// bounds is the axis-aligned box of some points.
type bounds struct{ minx, miny, maxx, maxy float64 }

// boundsOf returns the box of pts[k] for each k in idx, or of all of pts
// when idx is nil. A NaN point makes the box NaN; no points make it empty
// (min +Inf, max -Inf).
func boundsOf(pts []vec2, idx []int) bounds {
	b := bounds{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
	add := func(p vec2) {
		b.minx, b.maxx = math.Min(b.minx, p.x), math.Max(b.maxx, p.x)
		b.miny, b.maxy = math.Min(b.miny, p.y), math.Max(b.maxy, p.y)
	}
	if idx == nil {
		for _, p := range pts {
			add(p)
		}
		return b
	}
	for _, k := range idx {
		add(pts[k])
	}
	return b
}

// union is the box of both boxes' points.
func (b bounds) union(o bounds) bounds {
	return bounds{min(b.minx, o.minx), min(b.miny, o.miny), max(b.maxx, o.maxx), max(b.maxy, o.maxy)}
}

// NewWarper prepares a Warper for MediaPipe's canonical face mesh (468
// vertices in FaceMesh landmark order; engine.Canonical()). It finds the
// mesh's boundary loops: the longest is the face oval, which gets the anchor
// ring; any other loop (eye or mouth openings, present in some versions of
// the mesh) is closed with a strip of triangles.
func NewWarper(canonical *mesh.Mesh) (*Warper, error) {
	if canonical == nil {
		return nil, errors.New("render: nil canonical mesh")
	}
	if len(canonical.Vertices) != NumVertices {
		return nil, fmt.Errorf("render: canonical mesh has %d vertices, want %d", len(canonical.Vertices), NumVertices)
	}
	for i, t := range canonical.Triangles {
		for _, v := range t {
			if v < 0 || v >= NumVertices {
				return nil, fmt.Errorf("render: canonical triangle %d has vertex %d outside the mesh", i, v)
			}
		}
	}
	loops, err := boundaryLoops(canonical.Triangles)
	if err != nil {
		return nil, fmt.Errorf("render: canonical mesh: %w", err)
	}
	if len(loops) == 0 {
		return nil, errors.New("render: canonical mesh has no boundary (no face oval)")
	}
	outer := 0
	for i, l := range loops {
		if len(l) > len(loops[outer]) {
			outer = i
		}
	}
	w := &Warper{oval: loops[outer], still: stillShift}
	w.tris = append(w.tris, canonical.Triangles...)
	for i, l := range loops {
		if i == outer {
			continue
		}
		strip := zip(l, canonical.Vertices)
		w.tris = append(w.tris, strip...)
		w.filled += len(strip)
	}
	// Every inner-lip and eye contour edge must be a mesh edge: the mouth
	// fill relies on the lip chains, and a mesh where they are not edges is
	// not FaceMesh's topology.
	edges := edgeSet(w.tris)
	for _, c := range [][]int{innerLipUpper, innerLipLower} {
		for i := 0; i+1 < len(c); i++ {
			if !edges[edgeKey(c[i], c[i+1])] {
				return nil, fmt.Errorf("render: canonical mesh lacks inner-lip edge %d-%d (not FaceMesh's topology)", c[i], c[i+1])
			}
		}
	}
	for _, c := range [][]int{eyeRightLoop, eyeLeftLoop} {
		for i := range c {
			a, b := c[i], c[(i+1)%len(c)]
			if !edges[edgeKey(a, b)] {
				return nil, fmt.Errorf("render: canonical mesh lacks eye-contour edge %d-%d (not FaceMesh's topology)", a, b)
			}
		}
	}
	w.nFace = len(w.tris)
	// Anchor ring: a quad strip between the oval and its anchors.
	n := len(w.oval)
	for i := 0; i < n; i++ {
		j := (i + 1) % n
		oi, oj := w.oval[i], w.oval[j]
		ai, aj := NumVertices+i, NumVertices+j
		w.tris = append(w.tris, [3]int{oi, oj, aj}, [3]int{oi, aj, ai})
	}
	// Canonical orientations in image axes (x, -y).
	cv := make([]vec2, NumVertices+n)
	for i, v := range canonical.Vertices {
		cv[i] = vec2{v[0], -v[1]}
	}
	c := centroid(cv, w.oval)
	for i, o := range w.oval {
		cv[NumVertices+i] = vec2{c.x + (cv[o].x-c.x)*(1+ringPushCanonical), c.y + (cv[o].y-c.y)*(1+ringPushCanonical)}
	}
	w.sign = make([]int8, len(w.tris))
	for i, t := range w.tris {
		a := area2(cv[t[0]], cv[t[1]], cv[t[2]])
		var a3 float64
		if i < w.nFace {
			a3 = area3(canonical.Vertices[t[0]], canonical.Vertices[t[1]], canonical.Vertices[t[2]])
		} else {
			a3 = math.Abs(a)
		}
		switch {
		case math.Abs(a) < 0.05*a3:
			w.sign[i] = 0 // edge-on in the frontal view
		case a > 0:
			w.sign[i] = 1
		default:
			w.sign[i] = -1
		}
	}
	w.ps = make([]vec2, NumVertices+n)
	w.pd = make([]vec2, NumVertices+n)
	w.zd = make([]float64, NumVertices+n)
	w.ang = make([]float64, n)
	w.rad = make([]float64, n)
	w.step = make([]float64, n)
	return w, nil
}

// Triangles returns the warp's face triangles: the canonical mesh's and
// those closing its openings (indices into the landmarks). The anchor ring
// is not included.
func (w *Warper) Triangles() [][3]int { return w.tris[:w.nFace:w.nFace] }

// Oval returns the face-oval loop (landmark indices, in order) that carries
// the anchor ring.
func (w *Warper) Oval() []int { return append([]int(nil), w.oval...) }

// Filled reports how many triangles were added to close openings of the
// canonical mesh (0 for MediaPipe's canonical_face_model.obj, which has its
// eyes and mouth already closed).
func (w *Warper) Filled() int { return w.filled }

func edgeKey(a, b int) [2]int {
	if a > b {
		a, b = b, a
	}
	return [2]int{a, b}
}

func edgeSet(tris [][3]int) map[[2]int]bool {
	s := make(map[[2]int]bool, 3*len(tris))
	for _, t := range tris {
		for k := 0; k < 3; k++ {
			s[edgeKey(t[k], t[(k+1)%3])] = true
		}
	}
	return s
}

// boundaryLoops returns the loops of edges used by exactly one triangle,
// each in the direction the triangles traverse them.
func boundaryLoops(tris [][3]int) ([][]int, error) {
	count := map[[2]int]int{}
	dir := map[[2]int][2]int{}
	for _, t := range tris {
		for k := 0; k < 3; k++ {
			a, b := t[k], t[(k+1)%3]
			key := edgeKey(a, b)
			count[key]++
			dir[key] = [2]int{a, b}
		}
	}
	next := map[int]int{}
	var starts []int
	for key, c := range count {
		if c != 1 {
			continue
		}
		d := dir[key]
		if _, dup := next[d[0]]; dup {
			return nil, fmt.Errorf("boundary vertex %d starts two boundary edges (non-manifold)", d[0])
		}
		next[d[0]] = d[1]
		starts = append(starts, d[0])
	}
	// Deterministic order: smallest start vertex first.
	sort.Ints(starts)
	seen := map[int]bool{}
	var loops [][]int
	for _, s := range starts {
		if seen[s] {
			continue
		}
		var loop []int
		for v := s; !seen[v]; {
			seen[v] = true
			loop = append(loop, v)
			n, ok := next[v]
			if !ok {
				return nil, fmt.Errorf("boundary at vertex %d is not a closed loop", v)
			}
			v = n
		}
		loops = append(loops, loop)
	}
	return loops, nil
}

// zip closes a loop with a strip: the loop is split at its leftmost and
// rightmost vertices (canonical x) into two chains, which are zipped
// together from left to right. For eye and mouth openings this pairs upper
// and lower lids/lips, which stays valid as they open and close.
func zip(loop []int, v [][3]float64) [][3]int {
	n := len(loop)
	if n < 3 {
		return nil
	}
	lo, hi := 0, 0
	for i, p := range loop {
		if v[p][0] < v[loop[lo]][0] {
			lo = i
		}
		if v[p][0] > v[loop[hi]][0] {
			hi = i
		}
	}
	var a, b []int // both from lo to hi
	for i := lo; ; i = (i + 1) % n {
		a = append(a, loop[i])
		if i == hi {
			break
		}
	}
	for i := lo; ; i = (i - 1 + n) % n {
		b = append(b, loop[i])
		if i == hi {
			break
		}
	}
	var out [][3]int
	i, j := 0, 0
	for i < len(a)-1 || j < len(b)-1 {
		advanceA := j == len(b)-1 || (i < len(a)-1 && v[a[i+1]][0] <= v[b[j+1]][0])
		if advanceA {
			out = append(out, [3]int{a[i], a[i+1], b[j]})
			i++
		} else {
			out = append(out, [3]int{a[i], b[j+1], b[j]})
			j++
		}
	}
	// The first/last step may produce a triangle with a repeated vertex
	// when a chain is a single edge; drop those.
	k := 0
	for _, t := range out {
		if t[0] != t[1] && t[1] != t[2] && t[0] != t[2] {
			out[k] = t
			k++
		}
	}
	return out[:k]
}

func centroid(p []vec2, idx []int) vec2 {
	var c vec2
	for _, i := range idx {
		c.x += p[i].x
		c.y += p[i].y
	}
	c.x /= float64(len(idx))
	c.y /= float64(len(idx))
	return c
}

// area2 is twice the signed area of a triangle.
func area2(a, b, c vec2) float64 {
	return (b.x-a.x)*(c.y-a.y) - (b.y-a.y)*(c.x-a.x)
}

// area3 is twice the area of a 3-D triangle.
func area3(a, b, c [3]float64) float64 {
	u := [3]float64{b[0] - a[0], b[1] - a[1], b[2] - a[2]}
	v := [3]float64{c[0] - a[0], c[1] - a[1], c[2] - a[2]}
	x := u[1]*v[2] - u[2]*v[1]
	y := u[2]*v[0] - u[0]*v[2]
	z := u[0]*v[1] - u[1]*v[0]
	return math.Sqrt(x*x + y*y + z*z)
}
