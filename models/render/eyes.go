package render

import (
	"cmp"
	"math"
	"slices"

	"github.com/nedstream/nedstream/models/face"
	"github.com/nedstream/nedstream/models/raster"
)

// Eye pass. The warp moves the lid contours with the expression and maps
// the eye between them like any other part of the face: an eye opened wider
// (eyeWide: surprise, fear) stretches the iris into an upright oval, a
// narrowed one (eyeSquint: happiness, anger) squeezes it flat. The eye pass
// redraws each eye's opening in the target instead: the eyeball moves
// rigidly with the eye corners (as the iris landmarks do in
// TargetLandmarks), so each target pixel takes the source at the same place
// relative to the eye, and the lids only cover or uncover it. Where that
// place was under a lid in the source (the eye opens wider), the iris goes
// on by reflection across its horizontal centre line (its hidden top is
// like its visible bottom) and the white of the eye takes the colour of the
// source's visible sclera, shaded darker next to the lids.
const (
	// eyeMinMove is how far (px) a lid point must move relative to the
	// corners' motion for the pass to redraw the eye.
	eyeMinMove = 1
	// eyeEdge is the soft edge (px) inside the target opening over which
	// the pass blends into the warp's lids.
	eyeEdge = 0.75
	// scleraShade is the revealed sclera's brightness at the upper lid; it
	// rises to 1 over 0.3 of the eye's height.
	scleraShade = 0.8
	// upperLid is the index in an eye loop of the inner corner: the loop's
	// points 0..upperLid are the upper lid.
	upperLid = 8
	// scleraMin: the source's sclera must be at least this bright,
	// relative to the face's median luminance, for the pass to redraw an
	// eye.
	scleraMin = 0.9
	// minEyeArea is the smallest source opening (px²) the pass takes
	// content from; a closed source eye keeps the warp's result.
	minEyeArea = 4.0
)

// eyeDefs are the two eyes: the contour loop (upper lid from the outer
// corner, then the lower lid back) and the corners.
var eyeDefs = [2]struct {
	loop    []int
	corners [2]int
}{
	{eyeRightLoop, [2]int{33, 133}},
	{eyeLeftLoop, [2]int{263, 362}},
}

// irisGroups are the first landmarks of the two five-point iris groups
// (centre, then four points on the iris edge) that the iris model adds.
var irisGroups = [2]int{468, 473}

// fillEyes runs the eye pass on both eyes (see above) after the warp and
// returns the number of pixels written. src is Render's source landmarks:
// with the iris points (478) the hidden iris is continued, with 468 only
// the sclera is.
func (w *Warper) fillEyes(img raster.Image, rg region, src []face.Point3) int {
	n := 0
	for _, e := range eyeDefs {
		n += w.fillEye(img, rg, src, e.loop, e.corners)
	}
	return n
}

// fillEye runs the eye pass on the eye with the given contour loop and
// corners.
func (w *Warper) fillEye(img raster.Image, rg region, src []face.Point3, loop []int, corners [2]int) int {
	S := make([]vec2, len(loop))
	T := make([]vec2, len(loop))
	for i, k := range loop {
		S[i], T[i] = w.ps[k], w.pd[k]
	}
	if !finiteBox(S) || !finiteBox(T) {
		return 0
	}
	if !(math.Abs(polyArea(S)) >= minEyeArea) || !(math.Abs(polyArea(T)) >= 1) {
		return 0
	}
	// The eyeball's motion: the mean of the corners'.
	var t vec2
	for _, c := range corners {
		t.x += (w.pd[c].x - w.ps[c].x) / 2
		t.y += (w.pd[c].y - w.ps[c].y) / 2
	}
	moved := 0.0
	for i := range loop {
		moved = math.Max(moved, math.Hypot(T[i].x-S[i].x-t.x, T[i].y-S[i].y-t.y))
	}
	if moved < eyeMinMove {
		return 0
	}
	// The iris whose centre lies in this eye's source opening.
	var ci vec2
	ri := 0.0
	if len(src) >= irisGroups[1]+5 {
		for _, g := range irisGroups {
			c := vec2{float64(src[g].X) - 0.5, float64(src[g].Y) - 0.5}
			if !inPoly(c, S) {
				continue
			}
			r := 0.0
			for k := g + 1; k < g+5; k++ {
				r += math.Hypot(float64(src[k].X)-0.5-c.x, float64(src[k].Y)-0.5-c.y) / 4
			}
			ci, ri = c, r
		}
	}
	gs, gt := newPolyGrid(S), newPolyGrid(T)
	sr, sg, sb, ok := w.scleraColour(rg, img.Format, &gs, ci, ri)
	if !ok {
		return 0
	}
	if _, skin := w.faceTones(rg, img.Format); luma(sr, sg, sb) < scleraMin*skin {
		// No white shows beside the iris (a squint, lashes, a reflection on
		// glasses): there is nothing to uncover the eyeball with, so the
		// warp's eye stays.
		return 0
	}
	// The iris's own mean colour, for a hidden iris part whose reflection
	// is hidden too.
	ir, ig, ib := sr*0.4, sg*0.4, sb*0.4
	if ri > 0 {
		if r, g, b, ok := w.meanIn(rg, img.Format, &gs, ci, ri); ok {
			ir, ig, ib = r, g, b
		}
	}
	tb := boundsOf(T, nil)
	height := tb.maxy - tb.miny
	ro, gO, bo := img.Format.Offsets()
	x0, x1 := max(rg.x0, int(math.Ceil(tb.minx))), min(rg.x1-1, int(math.Floor(tb.maxx)))
	y0, y1 := max(rg.y0, int(math.Ceil(tb.miny))), min(rg.y1-1, int(math.Floor(tb.maxy)))
	n := 0
	for y := y0; y <= y1; y++ {
		for x := x0; x <= x1; x++ {
			p := vec2{float64(x), float64(y)}
			edge := gt.depth(p)
			if edge < 0 {
				continue
			}
			q := vec2{p.x - t.x, p.y - t.y}
			var cr, cg, cb float64
			switch {
			// Source points closer than a pixel to the source lids would
			// mix lid skin into the bilinear taps.
			case gs.depth(q) >= 1:
				cr, cg, cb = w.sampleBuf(rg, img.Format, q)
			case ri > 0 && math.Hypot(q.x-ci.x, q.y-ci.y) < ri:
				if m := (vec2{q.x, 2*ci.y - q.y}); gs.depth(m) >= 1 {
					cr, cg, cb = w.sampleBuf(rg, img.Format, m)
				} else {
					cr, cg, cb = ir, ig, ib
				}
			default:
				// The upper lid and its lashes shade the eyeball below them.
				k := scleraShade + (1-scleraShade)*smooth(chainDist(p, T[:upperLid+1])/(0.3*height))
				cr, cg, cb = sr*k, sg*k, sb*k
			}
			wt := smooth(edge / eyeEdge)
			i := y*img.Stride + x*4
			img.Pix[i+ro] = byte(float64(img.Pix[i+ro]) + (cr-float64(img.Pix[i+ro]))*wt + 0.5)
			img.Pix[i+gO] = byte(float64(img.Pix[i+gO]) + (cg-float64(img.Pix[i+gO]))*wt + 0.5)
			img.Pix[i+bo] = byte(float64(img.Pix[i+bo]) + (cb-float64(img.Pix[i+bo]))*wt + 0.5)
			n++
		}
	}
	return n
}

// scleraColour is the mean colour of the brighter half of the source's
// visible eye outside the iris (centre c, radius r; r 0 when unknown): the
// white of the eye. ok is false when the opening shows no such pixel.
func (w *Warper) scleraColour(rg region, f raster.Format, S *polyGrid, c vec2, r float64) (cr, cg, cb float64, ok bool) {
	type px struct{ r, g, b, l float64 }
	var pxs []px
	for y := max(0, S.y0-rg.y0); y <= min(rg.bh-1, S.y0+S.h-1-rg.y0); y++ {
		for x := max(0, S.x0-rg.x0); x <= min(rg.bw-1, S.x0+S.w-1-rg.x0); x++ {
			p := vec2{float64(x + rg.x0), float64(y + rg.y0)}
			if S.depth(p) < 1 || (r > 0 && math.Hypot(p.x-c.x, p.y-c.y) < r+1) {
				continue
			}
			i := y*rg.bw*4 + x*4
			ro, gO, bo := f.Offsets()
			v := px{float64(w.buf[i+ro]), float64(w.buf[i+gO]), float64(w.buf[i+bo]), 0}
			v.l = luma(v.r, v.g, v.b)
			pxs = append(pxs, v)
		}
	}
	if len(pxs) == 0 {
		return 0, 0, 0, false
	}
	// The white is the brighter part of what shows beside the iris, but
	// not its highlights: the pixels between the 50th and 80th percentile
	// of luminance.
	slices.SortFunc(pxs, func(a, b px) int { return cmp.Compare(a.l, b.l) })
	lo, hi := len(pxs)/2, max(len(pxs)/2+1, len(pxs)*4/5)
	for _, v := range pxs[lo:hi] {
		cr, cg, cb = cr+v.r, cg+v.g, cb+v.b
	}
	n := float64(hi - lo)
	return cr / n, cg / n, cb / n, true
}

// meanIn is the mean colour of the source pixels inside the polygon S and
// the circle (c, r).
func (w *Warper) meanIn(rg region, f raster.Format, S *polyGrid, c vec2, r float64) (cr, cg, cb float64, ok bool) {
	ro, gO, bo := f.Offsets()
	n := 0
	for y := max(0, int(math.Ceil(c.y-r))-rg.y0); y <= min(rg.bh-1, int(c.y+r)-rg.y0); y++ {
		for x := max(0, int(math.Ceil(c.x-r))-rg.x0); x <= min(rg.bw-1, int(c.x+r)-rg.x0); x++ {
			p := vec2{float64(x + rg.x0), float64(y + rg.y0)}
			if math.Hypot(p.x-c.x, p.y-c.y) >= r || S.depth(p) < 0 {
				continue
			}
			i := y*rg.bw*4 + x*4
			cr, cg, cb = cr+float64(w.buf[i+ro]), cg+float64(w.buf[i+gO]), cb+float64(w.buf[i+bo])
			n++
		}
	}
	if n == 0 {
		return 0, 0, 0, false
	}
	return cr / float64(n), cg / float64(n), cb / float64(n), true
}

// polyGrid rasterises a small polygon (an eye opening) over its bounding
// box grown by 2 px: which pixels lie inside, and for those a chamfer
// distance to the nearest pixel outside. Per-pixel tests then need the
// exact geometry (16 edges) only near the outline; written by hand because
// it is a few lines on a grid of a few thousand pixels.
type polyGrid struct {
	poly   []vec2
	x0, y0 int
	w, h   int
	d      []float32 // 0 outside; inside, the chamfer distance (px) to the nearest outside pixel
}

func newPolyGrid(poly []vec2) polyGrid {
	b := boundsOf(poly, nil)
	g := polyGrid{poly: poly, x0: int(math.Floor(b.minx)) - 2, y0: int(math.Floor(b.miny)) - 2}
	g.w, g.h = int(math.Ceil(b.maxx))+3-g.x0, int(math.Ceil(b.maxy))+3-g.y0
	g.d = make([]float32, g.w*g.h)
	// Scanline fill with the even-odd rule, as inPoly decides per point:
	// each row's edge crossings, sorted, bound the inside spans.
	const far = 1e9
	var xs []float64
	for y := 0; y < g.h; y++ {
		py := float64(y + g.y0)
		xs = xs[:0]
		for i, j := 0, len(poly)-1; i < len(poly); j, i = i, i+1 {
			a, b := poly[i], poly[j]
			if (a.y > py) != (b.y > py) {
				xs = append(xs, (b.x-a.x)*(py-a.y)/(b.y-a.y)+a.x)
			}
		}
		slices.Sort(xs)
		for k := 0; k+1 < len(xs); k += 2 {
			// Pixels with xs[k] < x < xs[k+1] (inPoly's strict test).
			x0 := max(0, int(math.Floor(xs[k]))+1-g.x0)
			x1 := min(g.w-1, int(math.Ceil(xs[k+1]))-1-g.x0)
			for x := x0; x <= x1; x++ {
				g.d[y*g.w+x] = far
			}
		}
	}
	const diag = math.Sqrt2
	at := func(x, y int) float32 {
		if x < 0 || y < 0 || x >= g.w || y >= g.h {
			return 0
		}
		return g.d[y*g.w+x]
	}
	for y := 0; y < g.h; y++ {
		for x := 0; x < g.w; x++ {
			if v := &g.d[y*g.w+x]; *v > 0 {
				*v = min(*v, at(x-1, y)+1, at(x, y-1)+1, at(x-1, y-1)+diag, at(x+1, y-1)+diag)
			}
		}
	}
	for y := g.h - 1; y >= 0; y-- {
		for x := g.w - 1; x >= 0; x-- {
			if v := &g.d[y*g.w+x]; *v > 0 {
				*v = min(*v, at(x+1, y)+1, at(x, y+1)+1, at(x+1, y+1)+diag, at(x-1, y+1)+diag)
			}
		}
	}
	return g
}

// depth returns how far p lies inside the polygon, from its outline (-1
// outside): exact within about 1.75 px of the outline, deeper in a lower
// bound of at least 1.
func (g *polyGrid) depth(p vec2) float64 {
	x, y := int(math.Round(p.x))-g.x0, int(math.Round(p.y))-g.y0
	if x < 0 || y < 0 || x >= g.w || y >= g.h {
		return -1
	}
	// The outline passes within 0.75 px of the outside pixel nearest to
	// the cell (a cell's half-diagonal is 0.71): deeper than 1.75 the
	// pixel is at least 1 px inside, which is all the pass asks.
	if d := float64(g.d[y*g.w+x]); d >= 1.75 {
		return d - 0.75
	}
	if !inPoly(p, g.poly) {
		return -1
	}
	return polyDist(p, g.poly)
}

// finiteBox reports whether every point is finite and the polygon's box is
// small enough to rasterise (an eye, not a degenerate target).
func finiteBox(poly []vec2) bool {
	b := boundsOf(poly, nil) // NaN or infinite points fail the comparisons
	return b.maxx-b.minx < 4096 && b.maxy-b.miny < 4096
}

// inPoly reports whether p lies inside the polygon (even-odd rule).
func inPoly(p vec2, poly []vec2) bool {
	in := false
	for i, j := 0, len(poly)-1; i < len(poly); j, i = i, i+1 {
		a, b := poly[i], poly[j]
		if (a.y > p.y) != (b.y > p.y) && p.x < (b.x-a.x)*(p.y-a.y)/(b.y-a.y)+a.x {
			in = !in
		}
	}
	return in
}

// polyDist is the distance from p to the polygon's outline.
func polyDist(p vec2, poly []vec2) float64 {
	d := math.Inf(1)
	for i, j := 0, len(poly)-1; i < len(poly); j, i = i, i+1 {
		d = math.Min(d, segDist(p, poly[j], poly[i]))
	}
	return d
}

// chainDist is the distance from p to an open polyline.
func chainDist(p vec2, chain []vec2) float64 {
	d := math.Inf(1)
	for i := 1; i < len(chain); i++ {
		d = math.Min(d, segDist(p, chain[i-1], chain[i]))
	}
	return d
}

// segDist is the distance from p to the segment ab.
func segDist(p, a, b vec2) float64 {
	ex, ey := b.x-a.x, b.y-a.y
	t := 0.0
	if l := ex*ex + ey*ey; l > 0 {
		t = math.Min(math.Max(((p.x-a.x)*ex+(p.y-a.y)*ey)/l, 0), 1)
	}
	return math.Hypot(p.x-a.x-t*ex, p.y-a.y-t*ey)
}

// polyArea is the polygon's signed area.
func polyArea(poly []vec2) float64 {
	var a float64
	for i, j := 0, len(poly)-1; i < len(poly); j, i = i, i+1 {
		a += poly[j].x*poly[i].y - poly[i].x*poly[j].y
	}
	return a / 2
}
