package basis

import (
	"fmt"
	"math"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/nedstream/nedstream/models/blendshape"
	"github.com/nedstream/nedstream/models/mesh"
)

// Options tune Build.
type Options struct {
	// ICPIterations is the number of trimmed ICP steps after the landmark
	// fit (0: landmark fit only).
	ICPIterations int
}

// DefaultOptions are what Build uses.
var DefaultOptions = Options{ICPIterations: 0}

// Report says how well the transfer went; all distances are in canonical
// centimetres.
type Report struct {
	// Alignment maps ICT-FaceKit coordinates to canonical ones.
	Alignment Similarity
	// Residuals are the distances between each aligned ICT landmark and its
	// MediaPipe vertex, in iBUG order.
	Residuals [68]float64
	// FitResidualMean and FitResidualMax cover the 51 inner landmarks the
	// alignment fits (iBUG 17..67).
	FitResidualMean, FitResidualMax float64
	// JawResidualMean covers the 17 jaw-line landmarks, which are not fitted.
	JawResidualMean float64
	// SurfaceDistanceMean and SurfaceDistanceMax are the distances from the
	// canonical vertices to the points of ICT's face they were matched to.
	SurfaceDistanceMean, SurfaceDistanceMax float64
	// FaceWidth is the canonical mesh's x extent, for scale.
	FaceWidth float64
	// ICPIterations is the number of ICP steps run.
	ICPIterations int
	// Sources lists the ICT shapes summed into each coefficient.
	Sources [NumShapes][]string
	// Dropped lists ICT shapes with no MediaPipe counterpart.
	Dropped []string
	// Missing lists MediaPipe coefficients with no ICT shape (zero deltas).
	Missing []string
	// LipSplit is the jawOpen displacement (cm, ICT units) above which an
	// ICT triangle counts as lower lip when matching inner-lip vertices.
	LipSplit float64
	// Duration is the wall time of the build.
	Duration time.Duration
}

// Inner-lip rings of the canonical mesh (MediaPipe's lipsUpperInner /
// lipsLowerInner and the ring next to each), matched only onto the
// corresponding lip of ICT's face; the corners 78 and 308 are unrestricted.
var (
	upperLip = []int{191, 80, 81, 82, 13, 312, 311, 310, 415, 183, 42, 41, 38, 12, 268, 271, 272, 407}
	lowerLip = []int{95, 88, 178, 87, 14, 317, 402, 318, 324, 96, 89, 179, 86, 15, 316, 403, 319, 325}
)

// Build transfers ICT-FaceKit's expression shapes (the directory holding
// generic_neutral_mesh.obj, vertex_indices.json and the shape OBJs) onto
// the canonical mesh (canonical_face_model.obj) with DefaultOptions; see the
// package documentation for the method.
func Build(ictDir, canonicalOBJ string) (*Basis, *Report, error) {
	return BuildWith(ictDir, canonicalOBJ, DefaultOptions)
}

// BuildWith is Build with explicit options.
func BuildWith(ictDir, canonicalOBJ string, opts Options) (*Basis, *Report, error) {
	start := time.Now()
	rep := &Report{ICPIterations: opts.ICPIterations}
	can, err := mesh.LoadOBJ(canonicalOBJ)
	if err != nil {
		return nil, nil, fmt.Errorf("basis: canonical mesh: %w", err)
	}
	if len(can.Vertices) != NumVertices {
		return nil, nil, fmt.Errorf("basis: canonical mesh %s has %d vertices, want %d", canonicalOBJ, len(can.Vertices), NumVertices)
	}
	ix, err := readICTIndices(ictDir)
	if err != nil {
		return nil, nil, fmt.Errorf("basis: %w", err)
	}
	neutral, err := mesh.LoadOBJ(filepath.Join(ictDir, "generic_neutral_mesh.obj"))
	if err != nil {
		return nil, nil, fmt.Errorf("basis: ict neutral: %w", err)
	}
	if len(neutral.Vertices) < ictFaceVertices {
		return nil, nil, fmt.Errorf("basis: ict neutral has %d vertices, want at least %d", len(neutral.Vertices), ictFaceVertices)
	}
	face := neutral.Vertices[:ictFaceVertices]
	var tris [][3]int
	for _, t := range neutral.Triangles {
		if t[0] < ictFaceVertices && t[1] < ictFaceVertices && t[2] < ictFaceVertices {
			tris = append(tris, t)
		}
	}
	minX, maxX := math.Inf(1), math.Inf(-1)
	for _, v := range can.Vertices {
		minX, maxX = min(minX, v[0]), max(maxX, v[0])
	}
	rep.FaceWidth = maxX - minX

	// Which MediaPipe coefficient each ICT shape feeds.
	target := map[string]int{}
	for _, name := range ix.Expressions {
		k := blendshape.Index(ictToMediaPipe(name))
		if k <= 0 {
			rep.Dropped = append(rep.Dropped, name)
			continue
		}
		target[name] = k
		rep.Sources[k] = append(rep.Sources[k], name)
	}
	if _, ok := target["jawOpen"]; !ok {
		return nil, nil, fmt.Errorf("basis: %s lists no jawOpen shape", ictDir)
	}
	shapes, err := loadShapes(ictDir, ix.Expressions, target)
	if err != nil {
		return nil, nil, fmt.Errorf("basis: %w", err)
	}

	// 1. Landmark alignment on the 51 inner points.
	var src, dst [][3]float64
	for i, v := range ix.Landmarks {
		src = append(src, face[v])
		dst = append(dst, can.Vertices[ibug68[i]])
	}
	w := make([]float64, 68)
	for i := 17; i < 68; i++ {
		w[i] = 1
	}
	sim, err := umeyama(src, dst, w)
	if err != nil {
		return nil, nil, fmt.Errorf("basis: landmark alignment: %w", err)
	}

	// 2. Optional ICP refinement.
	for range opts.ICPIterations {
		if sim, err = icpStep(sim, face, tris, can.Vertices, src, dst); err != nil {
			return nil, nil, fmt.Errorf("basis: icp: %w", err)
		}
	}
	rep.Alignment = sim
	for i := range 68 {
		r := dist(sim.Apply(src[i]), dst[i])
		rep.Residuals[i] = r
		if i < 17 {
			rep.JawResidualMean += r / 17
		} else {
			rep.FitResidualMean += r / 51
			rep.FitResidualMax = max(rep.FitResidualMax, r)
		}
	}

	// 3. Project the canonical vertices onto the aligned ICT face.
	aligned := make([][3]float64, len(face))
	for i, v := range face {
		aligned[i] = sim.Apply(v)
	}
	surf := newSurface(aligned, tris)
	jaw := shapes[slices.Index(ix.Expressions, "jawOpen")]
	rep.LipSplit = 0.5 * norm(sub(jaw[ix.Landmarks[66]], face[ix.Landmarks[66]]))
	jawMoving := func(tri int) bool {
		var m float64
		for _, v := range tris[tri] {
			m += norm(sub(jaw[v], face[v])) / 3
		}
		return m > rep.LipSplit
	}
	side := map[int]func(int) bool{}
	for _, v := range upperLip {
		side[v] = func(t int) bool { return !jawMoving(t) }
	}
	for _, v := range lowerLip {
		side[v] = jawMoving
	}
	hits := make([]hit, NumVertices)
	for i, c := range can.Vertices {
		h := surf.closest(c, side[i])
		if h.tri < 0 {
			return nil, nil, fmt.Errorf("basis: canonical vertex %d matched no ICT triangle", i)
		}
		hits[i] = h
		rep.SurfaceDistanceMean += h.dist / NumVertices
		rep.SurfaceDistanceMax = max(rep.SurfaceDistanceMax, h.dist)
	}

	// 4. Sample each shape's displacement at the matched points.
	b := &Basis{Names: blendshape.Names}
	for e, name := range ix.Expressions {
		k, ok := target[name]
		if !ok {
			continue
		}
		shape := shapes[e]
		for i, h := range hits {
			var d [3]float64
			for j, v := range tris[h.tri] {
				dv := sub(shape[v], face[v])
				for a := range 3 {
					d[a] += h.bary[j] * dv[a]
				}
			}
			d = sim.Rotate(d)
			for a := range 3 {
				b.Deltas[k][i][a] += float32(sim.Scale * d[a])
			}
		}
	}
	b.Missing = b.missing()
	rep.Missing = b.Missing
	rep.Duration = time.Since(start)
	return b, rep, nil
}

// loadShapes reads the face vertices of every mapped ICT shape, on as many
// goroutines as there are CPUs; unmapped shapes stay nil.
func loadShapes(dir string, names []string, target map[string]int) ([][][3]float64, error) {
	out := make([][][3]float64, len(names))
	errs := make([]error, len(names))
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				out[i], errs[i] = readVertices(filepath.Join(dir, names[i]+".obj"), ictFaceVertices)
			}
		}()
	}
	for i, n := range names {
		if _, ok := target[n]; ok {
			jobs <- i
		}
	}
	close(jobs)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// icpStep re-fits the similarity to closest-point pairs (each canonical
// vertex and its closest point on the aligned ICT face, the worst 10% of
// pairs dropped) plus the 51 inner landmark pairs, which carry as much total
// weight as the surface pairs so that the features stay anchored.
func icpStep(sim Similarity, face [][3]float64, tris [][3]int, canon, lmSrc, lmDst [][3]float64) (Similarity, error) {
	aligned := make([][3]float64, len(face))
	for i, v := range face {
		aligned[i] = sim.Apply(v)
	}
	surf := newSurface(aligned, tris)
	type pair struct {
		src, dst [3]float64
		d        float64
	}
	pairs := make([]pair, len(canon))
	for i, c := range canon {
		h := surf.closest(c, nil)
		t := tris[h.tri]
		pairs[i] = pair{src: lerp3(face[t[0]], face[t[1]], face[t[2]], h.bary[0], h.bary[1], h.bary[2]), dst: c, d: h.dist}
	}
	sort.Slice(pairs, func(i, j int) bool { return pairs[i].d < pairs[j].d })
	pairs = pairs[:len(pairs)*9/10]
	var src, dst [][3]float64
	var w []float64
	for _, p := range pairs {
		src, dst, w = append(src, p.src), append(dst, p.dst), append(w, 1)
	}
	lw := float64(len(pairs)) / 51
	for i := 17; i < 68; i++ {
		src, dst, w = append(src, lmSrc[i]), append(dst, lmDst[i]), append(w, lw)
	}
	return umeyama(src, dst, w)
}

func norm(a [3]float64) float64 { return math.Sqrt(dot(a, a)) }
