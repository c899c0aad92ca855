package render

import (
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"math"
	"runtime"
	"slices"
	"sync"

	"github.com/nedstream/nedstream/models/face"
	"github.com/nedstream/nedstream/models/raster"
)

// ErrGeometry is wrapped by the errors Render returns for landmarks it
// cannot warp with (non-finite or far outside the frame, a collapsed face, a
// target that moves points by more than half the face size, a face oval that
// folds over in the image because the head is turned too far). The frame is
// left untouched; the caller should pass the face through unedited.
var ErrGeometry = errors.New("render: unusable face geometry")

// Options tune one Render call. The zero value means the defaults, except
// MouthFill and EyeFill, which are off unless set (DefaultOptions sets
// them).
type Options struct {
	// Ring is how far the anchor ring lies beyond the face, as a fraction
	// of the distance from the oval's centre to the farthest landmark
	// (source or target) in each oval point's direction (default 0.35,
	// range 0.05..2). Pixels beyond the ring are never written.
	Ring float64
	// Feather is the part of the band between the oval and the anchor ring
	// over which the blend mask rises (smoothly) from 0 at the anchors to 1;
	// inside the oval it is 1. Default 0.5 (the outer half of the band),
	// range 0.01..1. Wider feathering shows the original behind large
	// motions as a ghost (a moved chin over the collar at 1).
	Feather float64
	// MouthFill redraws the inner mouth when the target opens it more than
	// the source: teeth stay with their lip and the revealed gap is
	// darkened, instead of stretching the source mouth.
	MouthFill bool
	// EyeFill redraws each eye's opening when the lids move relative to
	// the eye corners: the eyeball moves rigidly (the iris stays round) and
	// the lids cover or uncover it, instead of stretching it with them.
	EyeFill bool
	// Workers is the number of goroutines, each writing its own band of
	// rows; 0 means min(2, GOMAXPROCS).
	Workers int
}

// DefaultOptions are the settings the element uses.
var DefaultOptions = Options{Ring: 0.35, Feather: 0.5, MouthFill: true, EyeFill: true}

func (o Options) resolve() (Options, error) {
	if o.Ring == 0 {
		o.Ring = DefaultOptions.Ring
	}
	if o.Feather == 0 {
		o.Feather = DefaultOptions.Feather
	}
	if !(o.Ring >= 0.05 && o.Ring <= 2) {
		return o, fmt.Errorf("render: ring %v outside 0.05..2", o.Ring)
	}
	if !(o.Feather >= 0.01 && o.Feather <= 1) {
		return o, fmt.Errorf("render: feather %v outside 0.01..1", o.Feather)
	}
	if o.Workers < 0 {
		return o, fmt.Errorf("render: workers %d is negative", o.Workers)
	}
	if o.Workers == 0 {
		o.Workers = min(2, runtime.GOMAXPROCS(0))
	}
	return o, nil
}

// Stats describe one Render call.
type Stats struct {
	// Region is the part of the frame the render may have written: the
	// bounds of the source and target meshes and the anchor ring (+2 px),
	// clipped to the frame. Pixels outside it are never touched.
	Region image.Rectangle
	// Band is the mean width in pixels of the feather band, from the face
	// oval out to the anchor ring.
	Band float64
	// Triangles is the number of triangles drawn; Still those left alone
	// because none of their vertices moves by more than 1/64 px (the warp
	// would copy them unchanged); Culled those skipped as degenerate, folded
	// or facing away in the target, or covering no pixel row of the frame
	// (tiny, or outside it).
	Triangles, Still, Culled int
	// Pixels counts pixel writes (pixels on shared triangle edges count
	// once per triangle).
	Pixels int
	// SourceMouthArea and TargetMouthArea are the areas (px²) of the
	// inner-lip polygon before and after.
	SourceMouthArea, TargetMouthArea float64
	// MouthPixels is the number of pixels the mouth pass redrew, EyePixels
	// those the eye pass redrew.
	MouthPixels, EyePixels int
}

// Limits of what Render accepts.
const (
	minFaceSize = 4.0      // px, extent of the source face oval
	maxShift    = 0.5      // of the face size, per landmark
	minArea2    = 1e-4     // px², twice the signed area below which a target triangle is skipped
	lambdaEps   = 1e-9     // barycentric slack so shared edges are drawn by both triangles
	foldRatio   = 0.05     // source triangles smaller than this part of the target one may be flipped (collapsed)
	stillShift  = 1.0 / 64 // px; triangles whose vertices all move less are not redrawn
	fastMargin  = 0.05     // px; covers the fixed-point steps' drift and the edge slack
	maxOvalStep = 1.4      // rad; largest angle between neighbouring oval points seen from the oval's centre
)

// region is the frame rectangle copied into the scratch buffer.
type region struct{ x0, y0, x1, y1, bw, bh int }

// setup is one triangle ready to draw: the affine maps from a target pixel
// to the source point (in buffer coordinates) and, for ring triangles, to
// the mask parameter (already divided by the feather).
type setup struct {
	l                      [3][3]float64 // barycentric λk = l[k][0]x + l[k][1]y + l[k][2]
	inv                    [3]float64    // 1 / l[k][0] (0 where l[k][0] is 0)
	ax, bx, cx, ay, by, cy float64
	ta, tb, tc             float64
	axp, ayp               int64 // ax, ay in 16.16 fixed point
	y0, y1                 int
	z, width               float64
	ring                   bool
	// inside: the source triangle lies in the copy at least fastMargin px
	// from its last row and column, so every bilinear tap exists.
	inside bool
}

// Render warps the face whose landmarks are src so that they move to dst,
// writing into img in place. Only Stats.Region is touched, and within it
// only pixels inside the anchor ring (Anchors), which encloses every source
// and target landmark. src and dst need at least 468 points (iris points
// are ignored) in frame pixels, as face.Face.Landmarks. With dst equal to
// src the frame is left bit-identical.
//
// Errors wrapping ErrGeometry leave the frame untouched. A face entirely
// outside the frame returns an empty Region and no error.
func (w *Warper) Render(img raster.Image, src, dst []face.Point3, opts Options) (Stats, error) {
	var st Stats
	w.rendered = false
	w.tones.ok = false
	o, err := opts.resolve()
	if err != nil {
		return st, err
	}
	if err := img.Validate(); err != nil {
		return st, fmt.Errorf("render: %w", err)
	}
	if len(src) < NumVertices || len(dst) < NumVertices {
		return st, fmt.Errorf("%w: %d source and %d target landmarks, want at least %d", ErrGeometry, len(src), len(dst), NumVertices)
	}
	lim := 4*float64(max(img.Width, img.Height)) + 1024
	for i := 0; i < NumVertices; i++ {
		s, d := src[i], dst[i]
		for _, v := range [...]float32{s.X, s.Y, s.Z, d.X, d.Y, d.Z} {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return st, fmt.Errorf("%w: landmark %d is not finite (source %v, target %v)", ErrGeometry, i, s, d)
			}
		}
		for _, v := range [...]float32{s.X, s.Y, d.X, d.Y} {
			if math.Abs(float64(v)) > lim {
				return st, fmt.Errorf("%w: landmark %d at (%g,%g) -> (%g,%g) is far outside the %dx%d frame", ErrGeometry, i, s.X, s.Y, d.X, d.Y, img.Width, img.Height)
			}
		}
		// Pixel (x, y) is the point (x+0.5, y+0.5) in landmark coordinates.
		w.ps[i] = vec2{float64(s.X) - 0.5, float64(s.Y) - 0.5}
		w.pd[i] = vec2{float64(d.X) - 0.5, float64(d.Y) - 0.5}
		w.zd[i] = float64(d.Z)
	}
	ob := boundsOf(w.ps, w.oval)
	size := math.Max(ob.maxx-ob.minx, ob.maxy-ob.miny)
	if !(size >= minFaceSize) {
		return st, fmt.Errorf("%w: source face oval is %.2f px across (collapsed)", ErrGeometry, size)
	}
	for i := 0; i < NumVertices; i++ {
		if d := math.Hypot(w.pd[i].x-w.ps[i].x, w.pd[i].y-w.ps[i].y); d > maxShift*size {
			return st, fmt.Errorf("%w: target moves landmark %d by %.1f px, more than %.0f%% of the %.1f px face", ErrGeometry, i, d, 100*maxShift, size)
		}
	}
	// Anchors: each oval point pushed away from the oval's centre, beyond
	// its source and target position and beyond every landmark (source or
	// target) in its angular sector (a nose seen from the side sticks out of
	// the oval); the same in both meshes.
	c := centroid(w.ps, w.oval)
	var bins [anchorBins]float64 // farthest landmark per angular bin
	for _, ps := range [2][]vec2{w.ps[:NumVertices], w.pd[:NumVertices]} {
		for _, p := range ps {
			dx, dy := p.x-c.x, p.y-c.y
			b := angleBin(dx, dy)
			bins[b] = math.Max(bins[b], math.Hypot(dx, dy))
		}
	}
	n := len(w.oval)
	for k, v := range w.oval {
		dx, dy := w.ps[v].x-c.x, w.ps[v].y-c.y
		r := math.Hypot(dx, dy)
		if r < 1e-3*size {
			return st, fmt.Errorf("%w: oval landmark %d sits on the face centre", ErrGeometry, v)
		}
		w.ang[k] = math.Atan2(dy, dx)
		w.rad[k] = r
	}
	// The oval must wind once around its centre, in small steps: a face
	// turned so far that its oval folds over in the image has no usable
	// ring (the element should leave it alone).
	var turn float64
	for k := range w.oval {
		d := w.ang[(k+1)%n] - w.ang[k]
		d -= 2 * math.Pi * math.Round(d/(2*math.Pi))
		w.step[k] = d
		turn += d
	}
	for k := range w.oval {
		if w.step[k]*turn <= 0 || math.Abs(w.step[k]) > maxOvalStep {
			return st, fmt.Errorf("%w: the face oval folds over in the image at landmark %d (head turned too far)", ErrGeometry, w.oval[k])
		}
	}
	var band float64
	for k, v := range w.oval {
		// The sector reaches to the farther neighbour's direction.
		gap := math.Max(angDist(w.ang[k], w.ang[(k+n-1)%n]), angDist(w.ang[k], w.ang[(k+1)%n]))
		r := w.rad[k]
		R := math.Max(r, math.Hypot(w.pd[v].x-c.x, w.pd[v].y-c.y))
		span := min(anchorBins/2, int(gap/(2*math.Pi)*anchorBins)+1)
		b0 := angleBin(math.Cos(w.ang[k]), math.Sin(w.ang[k]))
		for d := -span; d <= span; d++ {
			R = math.Max(R, bins[(b0+d+anchorBins)%anchorBins])
		}
		R *= 1 + o.Ring
		dx, dy := w.ps[v].x-c.x, w.ps[v].y-c.y
		a := vec2{c.x + dx/r*R, c.y + dy/r*R}
		w.ps[NumVertices+k], w.pd[NumVertices+k] = a, a
		band += R - r
	}
	st.Band = band / float64(n)
	w.rendered = true

	// Region: everything either mesh covers, +2 px for the bilinear taps.
	b := boundsOf(w.ps, nil).union(boundsOf(w.pd, nil))
	rg := region{
		x0: max(0, int(math.Floor(b.minx))-2), y0: max(0, int(math.Floor(b.miny))-2),
		x1: min(img.Width, int(math.Ceil(b.maxx))+3), y1: min(img.Height, int(math.Ceil(b.maxy))+3),
	}
	if rg.x0 >= rg.x1 || rg.y0 >= rg.y1 {
		return st, nil // entirely outside the frame
	}
	rg.bw, rg.bh = rg.x1-rg.x0, rg.y1-rg.y0
	st.Region = image.Rect(rg.x0, rg.y0, rg.x1, rg.y1)

	// Work on a copy of the region: reads never see writes.
	nb := rg.bw * rg.bh * 4
	if cap(w.buf) < nb {
		w.buf = make([]byte, nb)
	}
	w.buf = w.buf[:nb]
	for y := rg.y0; y < rg.y1; y++ {
		copy(w.buf[(y-rg.y0)*rg.bw*4:(y-rg.y0+1)*rg.bw*4], img.Pix[y*img.Stride+rg.x0*4:y*img.Stride+rg.x1*4])
	}

	w.setups = w.setups[:0]
	for i, t := range w.tris {
		s, res := w.setup(i, t, rg, o.Feather)
		switch res {
		case culled:
			st.Culled++
			continue
		case still:
			st.Still++
			continue
		}
		w.setups = append(w.setups, s)
	}
	st.Triangles = len(w.setups)
	// Back to front (larger Z is farther), the ring first; ties in mesh
	// order. Indices are sorted, not the (large) setups.
	w.order = w.order[:0]
	for i := range w.setups {
		w.order = append(w.order, int32(i))
	}
	slices.SortFunc(w.order, func(a, b int32) int {
		za, zb := w.setups[a].z, w.setups[b].z
		switch {
		case za > zb:
			return -1
		case za < zb:
			return 1
		}
		return int(a - b)
	})

	// Row lists: for each row, the triangles crossing it, back to front.
	// Drawing row by row keeps the source reads and the frame writes
	// streaming through the cache (the triangles' depth order jumps
	// around the face); each pixel still sees its triangles in depth order.
	work := w.rowLists(rg)

	workers := max(1, min(o.Workers, rg.bh/16))
	if workers == 1 {
		st.Pixels = w.draw(img, rg, rg.y0, rg.y1)
	} else {
		// Bands of equal estimated work (the mouth and jaw rows are busier).
		counts := make([]int, workers)
		var wg sync.WaitGroup
		b0 := rg.y0
		acc, y := 0.0, 0
		for k := 0; k < workers; k++ {
			goal := work[len(work)-1] * float64(k+1) / float64(workers)
			for y < rg.bh && (k == workers-1 || acc < goal) {
				acc = work[y]
				y++
			}
			b1 := rg.y0 + y
			if k == workers-1 {
				b1 = rg.y1
			}
			wg.Add(1)
			go func(b0, b1 int) {
				defer wg.Done()
				counts[k] = w.draw(img, rg, b0, b1)
			}(b0, b1)
			b0 = b1
		}
		wg.Wait()
		for _, c := range counts {
			st.Pixels += c
		}
	}

	st.SourceMouthArea, st.TargetMouthArea = w.mouthAreas()
	if o.MouthFill {
		st.MouthPixels = w.fillMouth(img, rg, st.SourceMouthArea, st.TargetMouthArea)
	}
	if o.EyeFill {
		st.EyePixels = w.fillEyes(img, rg, src)
	}
	return st, nil
}

// Outcomes of setup.
const (
	drawn = iota
	culled
	still
)

// setup prepares triangle i, or reports it culled or still.
func (w *Warper) setup(i int, t [3]int, rg region, feather float64) (setup, int) {
	var s setup
	p0, p1, p2 := w.pd[t[0]], w.pd[t[1]], w.pd[t[2]]
	q0, q1, q2 := w.ps[t[0]], w.ps[t[1]], w.ps[t[2]]
	if max(shift2(p0, q0), shift2(p1, q1), shift2(p2, q2)) < w.still*w.still && w.still > 0 {
		// The map is within stillShift of the identity everywhere in the
		// triangle: sampling would give back the input (at most a 1/64 px
		// shift), so leave its pixels alone.
		return s, still
	}
	a := area2(p0, p1, p2)
	if !(math.Abs(a) >= minArea2) {
		return s, culled
	}
	sg := int8(1)
	if a < 0 {
		sg = -1
	}
	if cs := w.sign[i]; cs != 0 && cs != sg {
		return s, culled // facing away or folded over in the target
	}
	as := area2(q0, q1, q2)
	if math.Abs(as) > foldRatio*math.Abs(a) && (as > 0) != (a > 0) {
		return s, culled // folded in the source: the map would mirror texture
	}
	p := [3]vec2{p0, p1, p2}
	q := [3]vec2{q0, q1, q2}
	for k := 0; k < 3; k++ {
		u, v := p[(k+1)%3], p[(k+2)%3]
		s.l[k] = [3]float64{(u.y - v.y) / a, (v.x - u.x) / a, (u.x*v.y - u.y*v.x) / a}
		if s.l[k][0] != 0 {
			s.inv[k] = 1 / s.l[k][0]
		}
	}
	for k := 0; k < 3; k++ {
		s.ax += s.l[k][0] * q[k].x
		s.bx += s.l[k][1] * q[k].x
		s.cx += s.l[k][2] * q[k].x
		s.ay += s.l[k][0] * q[k].y
		s.by += s.l[k][1] * q[k].y
		s.cy += s.l[k][2] * q[k].y
	}
	s.width = 1 + math.Max(p0.x, math.Max(p1.x, p2.x)) - math.Min(p0.x, math.Min(p1.x, p2.x))
	s.cx -= float64(rg.x0)
	s.cy -= float64(rg.y0)
	s.axp, s.ayp = int64(math.Round(s.ax*65536)), int64(math.Round(s.ay*65536))
	sx0 := math.Min(q0.x, math.Min(q1.x, q2.x)) - float64(rg.x0)
	sx1 := math.Max(q0.x, math.Max(q1.x, q2.x)) - float64(rg.x0)
	sy0 := math.Min(q0.y, math.Min(q1.y, q2.y)) - float64(rg.y0)
	sy1 := math.Max(q0.y, math.Max(q1.y, q2.y)) - float64(rg.y0)
	s.inside = sx0 >= fastMargin && sy0 >= fastMargin && sx1 <= float64(rg.bw-1)-fastMargin && sy1 <= float64(rg.bh-1)-fastMargin
	ymin := math.Min(p0.y, math.Min(p1.y, p2.y))
	ymax := math.Max(p0.y, math.Max(p1.y, p2.y))
	s.y0 = max(rg.y0, int(math.Ceil(ymin-1e-6)))
	s.y1 = min(rg.y1-1, int(math.Floor(ymax+1e-6)))
	if s.y0 > s.y1 {
		return s, culled
	}
	if i >= w.nFace {
		s.ring = true
		s.z = math.Inf(1)
		for k := 0; k < 3; k++ {
			if t[k] < NumVertices {
				s.ta += s.l[k][0] / feather
				s.tb += s.l[k][1] / feather
				s.tc += s.l[k][2] / feather
			}
		}
	} else {
		s.z = (w.zd[t[0]] + w.zd[t[1]] + w.zd[t[2]]) / 3
	}
	return s, drawn
}

const (
	laneMask = 0x00FF00FF00FF00FF
	lanes128 = 0x0080008000800080
)

// spread loads a 4-byte pixel into the low bytes of four 16-bit lanes.
func spread(p []byte) uint64 {
	x := uint64(binary.LittleEndian.Uint32(p))
	x = (x | x<<16) & 0x0000FFFF0000FFFF
	return (x | x<<8) & laneMask
}

// pack is the inverse of spread.
func pack(v uint64) uint32 {
	v = (v | v>>8) & 0x0000FFFF0000FFFF
	return uint32(v | v>>16)
}

// anchorBins is the number of angular bins for the anchor-ring extent.
const anchorBins = 72

// angleBin returns the bin of the direction (dx, dy).
func angleBin(dx, dy float64) int {
	b := int((math.Atan2(dy, dx) + math.Pi) / (2 * math.Pi) * anchorBins)
	return min(max(b, 0), anchorBins-1)
}

// angDist is the absolute difference of two angles, in [0, pi].
func angDist(a, b float64) float64 {
	d := math.Mod(math.Abs(a-b), 2*math.Pi)
	if d > math.Pi {
		d = 2*math.Pi - d
	}
	return d
}

// Anchors returns the anchor ring of the last Render call (frame
// coordinates, as the landmarks): pixels outside this polygon were not
// written. Nil before the first call and after a call that failed.
func (w *Warper) Anchors() [][2]float64 {
	if !w.rendered {
		return nil
	}
	out := make([][2]float64, len(w.oval))
	for k := range w.oval {
		a := w.ps[NumVertices+k]
		out[k] = [2]float64{a.x + 0.5, a.y + 0.5}
	}
	return out
}

func shift2(a, b vec2) float64 {
	dx, dy := a.x-b.x, a.y-b.y
	return dx*dx + dy*dy
}

// rowLists fills rowStart/rowIdx with, for each region row, the indices of
// the setups crossing it in drawing order, and returns the cumulative work
// estimate (sum of triangle widths) up to each row.
func (w *Warper) rowLists(rg region) []float64 {
	w.rowStart = slices.Grow(w.rowStart[:0], rg.bh+1)[:rg.bh+1]
	w.work = slices.Grow(w.work[:0], rg.bh)[:rg.bh]
	clear(w.rowStart)
	clear(w.work)
	for i := range w.setups {
		s := &w.setups[i]
		for y := s.y0; y <= s.y1; y++ {
			w.rowStart[y-rg.y0+1]++
			w.work[y-rg.y0] += s.width
		}
	}
	for r := 0; r < rg.bh; r++ {
		w.rowStart[r+1] += w.rowStart[r]
		if r > 0 {
			w.work[r] += w.work[r-1]
		}
	}
	n := int(w.rowStart[rg.bh])
	w.rowIdx = slices.Grow(w.rowIdx[:0], n)[:n]
	fill := slices.Grow(w.fill[:0], rg.bh)[:rg.bh]
	copy(fill, w.rowStart[:rg.bh])
	for _, i := range w.order {
		s := &w.setups[i]
		for y := s.y0; y <= s.y1; y++ {
			w.rowIdx[fill[y-rg.y0]] = i
			fill[y-rg.y0]++
		}
	}
	w.fill = fill
	return w.work
}

// spanFace draws target pixels xs..xe of one row of a face triangle (mask
// 1) on the fast path: the source point (px, py) in 16.16 fixed point,
// stepping by (dx, dy); every bilinear tap is inside buf.
func spanFace(buf, pix []byte, bs, row, xs, xe int, px, py, dx, dy int64) int {
	for x := xs; x <= xe; x, px, py = x+1, px+dx, py+dy {
		j := int(py>>16)*bs + int(px>>16)*4
		q := buf[j : j+bs+8 : j+bs+8]
		wx, wy := uint64(px>>8)&255, uint64(py>>8)&255
		vx, vy := 256-wx, 256-wy
		top := (spread(q[0:4])*vx + spread(q[4:8])*wx + lanes128) >> 8 & laneMask
		bot := (spread(q[bs:bs+4])*vx + spread(q[bs+4:bs+8])*wx + lanes128) >> 8 & laneMask
		v := (top*vy + bot*wy + lanes128) >> 8 & laneMask
		d := row + x*4
		binary.LittleEndian.PutUint32(pix[d:d+4:d+4], pack(v))
	}
	return max(0, xe-xs+1)
}

// spanRing is spanFace for a ring triangle: the result is blended with the
// original (buf at orow + x*4) by the mask smoothstep(t), t stepping by dt.
func spanRing(buf, pix []byte, bs, row, orow, xs, xe int, px, py, dx, dy int64, t, dt float64) int {
	n := 0
	for x := xs; x <= xe; x, px, py, t = x+1, px+dx, py+dy, t+dt {
		if t <= 0 {
			continue
		}
		m := uint64(256)
		if t < 1 {
			m = uint64(t*t*(3-2*t)*256 + 0.5)
			if m == 0 {
				continue
			}
		}
		j := int(py>>16)*bs + int(px>>16)*4
		q := buf[j : j+bs+8 : j+bs+8]
		wx, wy := uint64(px>>8)&255, uint64(py>>8)&255
		vx, vy := 256-wx, 256-wy
		top := (spread(q[0:4])*vx + spread(q[4:8])*wx + lanes128) >> 8 & laneMask
		bot := (spread(q[bs:bs+4])*vx + spread(q[bs+4:bs+8])*wx + lanes128) >> 8 & laneMask
		v := (top*vy + bot*wy + lanes128) >> 8 & laneMask
		if m < 256 {
			o := orow + x*4
			v = (spread(buf[o:o+4:o+4])*(256-m) + v*m + lanes128) >> 8 & laneMask
		}
		d := row + x*4
		binary.LittleEndian.PutUint32(pix[d:d+4:d+4], pack(v))
		n++
	}
	return n
}

// draw rasterises the rows [b0, b1) and returns the number of pixels
// written.
func (w *Warper) draw(img raster.Image, rg region, b0, b1 int) int {
	buf := w.buf
	bs := rg.bw * 4
	maxX, maxY := float64(rg.bw-1), float64(rg.bh-1)
	pix := img.Pix
	written := 0
	for y := b0; y < b1; y++ {
		r := y - rg.y0
		for _, si := range w.rowIdx[w.rowStart[r]:w.rowStart[r+1]] {
			s := &w.setups[si]
			fy := float64(y)
			xl, xr := float64(rg.x0), float64(rg.x1-1)
			empty := false
			for k := 0; k < 3; k++ {
				a := s.l[k][0]
				c := s.l[k][1]*fy + s.l[k][2] + lambdaEps
				switch {
				case a > 0:
					if v := -c * s.inv[k]; v > xl {
						xl = v
					}
				case a < 0:
					if v := -c * s.inv[k]; v < xr {
						xr = v
					}
				case c < 0:
					empty = true
				}
			}
			if empty || !(xl <= xr) {
				continue
			}
			// 0 <= rg.x0 <= xl <= xr: truncation is floor.
			xs, xe := int(xl), int(xr)
			if float64(xs) < xl {
				xs++
			}
			fx := float64(xs)
			sx := s.ax*fx + s.bx*fy + s.cx
			sy := s.ay*fx + s.by*fy + s.cy
			t := s.ta*fx + s.tb*fy + s.tc
			row := y * img.Stride
			orow := (y-rg.y0)*bs - rg.x0*4
			if s.inside {
				// Fast path: the source triangle lies inside the copy with
				// room for the bilinear taps; 16.16 fixed-point steps.
				px, py := int64(sx*65536+0.5), int64(sy*65536+0.5) // sx, sy > 0 here
				if s.ring {
					written += spanRing(buf, pix, bs, row, orow, xs, xe, px, py, s.axp, s.ayp, t, s.ta)
				} else {
					written += spanFace(buf, pix, bs, row, xs, xe, px, py, s.axp, s.ayp)
				}
				continue
			}
			for x := xs; x <= xe; x, sx, sy, t = x+1, sx+s.ax, sy+s.ay, t+s.ta {
				m := 256
				if s.ring {
					tt := t
					if tt <= 0 {
						continue
					}
					if tt < 1 {
						m = int(tt*tt*(3-2*tt)*256 + 0.5)
						if m == 0 {
							continue
						}
					}
				}
				X, Y := sx, sy
				if X < 0 {
					X = 0
				} else if X > maxX {
					X = maxX
				}
				if Y < 0 {
					Y = 0
				} else if Y > maxY {
					Y = maxY
				}
				ix, iy := int(X), int(Y)
				wx := int((X-float64(ix))*256 + 0.5)
				wy := int((Y-float64(iy))*256 + 0.5)
				dx, dy := 4, bs
				if ix >= rg.bw-1 {
					dx = 0
				}
				if iy >= rg.bh-1 {
					dy = 0
				}
				j := iy*bs + ix*4
				d := row + x*4
				vx, vy := uint64(256-wx), uint64(256-wy)
				uwx, uwy := uint64(wx), uint64(wy)
				// All four channels at once, one per 16-bit lane.
				top := (spread(buf[j:j+4:j+4])*vx + spread(buf[j+dx:j+dx+4:j+dx+4])*uwx + lanes128) >> 8 & laneMask
				bot := (spread(buf[j+dy:j+dy+4:j+dy+4])*vx + spread(buf[j+dy+dx:j+dy+dx+4:j+dy+dx+4])*uwx + lanes128) >> 8 & laneMask
				v := (top*vy + bot*uwy + lanes128) >> 8 & laneMask
				if m < 256 {
					o := orow + x*4
					v = (spread(buf[o:o+4:o+4])*uint64(256-m) + v*uint64(m) + lanes128) >> 8 & laneMask
				}
				binary.LittleEndian.PutUint32(pix[d:d+4:d+4], pack(v))
				written++
			}
		}
	}
	return written
}
