package render

import (
	"math"

	"github.com/nedstream/nedstream/models/raster"
)

// Mouth fill. When the target inner-lip polygon is larger than the source
// one, the mouth pass redraws it: every target pixel in the mouth, at
// distance du below the upper lip and dl above the lower lip (measured
// across the mouth, at the same relative position between the corners),
// takes the source mouth's content at the same distance from the same lip,
// up to half the source gap: upper teeth stay with the upper lip, lower teeth
// with the lower lip, nothing is stretched. What lies beyond half the source
// gap is revealed inner mouth, blended (over a soft edge) toward the source
// lip colour (mixed half and half with mouthRed) darkened by
// mouthShadeEdge next to that band and mouthShadeCentre halfway between the
// lips (a vertical falloff), with weight up to mouthFillMax, and never
// darker than the darkest tones of the source face (faceTones).
const (
	mouthShadeEdge   = 0.5
	mouthShadeCentre = 0.25
	mouthFillMax     = 0.97
	minMouthArea     = 4.0 // px²
	// darkShare is the share of the central face's pixels that faceTones
	// takes as the face's darkest tone.
	darkShare = 0.01
)

// darkToneRefs are the points whose bounding box is the central face that
// faceTones samples: the outer eye corners, the mouth corners, the chin and
// the middle of the brows (eyes and nostrils inside; no background and
// little hair for a face that is not turned far).
var darkToneRefs = [...]int{33, 263, 61, 291, 152, 105, 334}

// mouthRed is the red-brown mixed into the lip colour for the inner mouth.
var mouthRed = [3]float64{140, 55, 50}

// mouthAreas returns the inner-lip polygon's area in the source and the
// target (px²).
func (w *Warper) mouthAreas() (src, dst float64) {
	return math.Abs(lipArea(w.ps)), math.Abs(lipArea(w.pd))
}

func lipArea(p []vec2) float64 {
	// The ring: the upper chain from corner to corner, then the lower one
	// back, without its corners (the upper chain's ends).
	var ring [20]vec2
	n := 0
	for _, k := range innerLipUpper {
		ring[n] = p[k]
		n++
	}
	for k := len(innerLipLower) - 2; k > 0; k-- {
		ring[n] = p[innerLipLower[k]]
		n++
	}
	return polyArea(ring[:n])
}

// mouthFrame holds a mouth's inner-lip chains in mouth coordinates: u from
// corner 78 to corner 308 (length L), v perpendicular toward the chin
// (image down for an upright face).
type mouthFrame struct {
	o, eu, ev vec2
	L         float64
	up, lo    [11]vec2
}

func newMouthFrame(p []vec2) (mouthFrame, bool) {
	var m mouthFrame
	c0, c1 := p[innerLipUpper[0]], p[innerLipUpper[len(innerLipUpper)-1]]
	m.L = math.Hypot(c1.x-c0.x, c1.y-c0.y)
	if !(m.L >= 2) {
		return m, false
	}
	m.o = c0
	m.eu = vec2{(c1.x - c0.x) / m.L, (c1.y - c0.y) / m.L}
	m.ev = vec2{-m.eu.y, m.eu.x}
	for k := range innerLipUpper {
		m.up[k] = m.to(p[innerLipUpper[k]])
		m.lo[k] = m.to(p[innerLipLower[k]])
	}
	return m, true
}

func (m *mouthFrame) to(p vec2) vec2 {
	dx, dy := p.x-m.o.x, p.y-m.o.y
	return vec2{dx*m.eu.x + dy*m.eu.y, dx*m.ev.x + dy*m.ev.y}
}

func (m *mouthFrame) from(u, v float64) vec2 {
	return vec2{m.o.x + u*m.eu.x + v*m.ev.x, m.o.y + u*m.eu.y + v*m.ev.y}
}

// mouthBin is one step of the gap tables: the target's lips (vu, vl) and
// the source's (su, sl) at the same relative position between the corners.
type mouthBin struct {
	vu, vl, su, sl float64
	ok, sok        bool
}

// gap returns the upper and lower lip's v at u.
func (m *mouthFrame) gap(u float64) (vu, vl float64, ok bool) {
	vu, ok1 := chainAt(m.up[:], u, true)
	vl, ok2 := chainAt(m.lo[:], u, false)
	return vu, vl, ok1 && ok2
}

// fillMouth redraws the target inner mouth when it is larger than the
// source one (see the constants above) and returns the number of pixels
// written. It runs after the warp and reads the source from the copy of the
// region.
func (w *Warper) fillMouth(img raster.Image, rg region, as, ad float64) int {
	if !(ad > as) || ad < minMouthArea {
		return 0
	}
	md, ok := newMouthFrame(w.pd)
	if !ok {
		return 0
	}
	ms, okS := newMouthFrame(w.ps)
	// Tabulate both gaps at 1 px steps of the target's u.
	nb := int(math.Ceil(md.L)) + 1
	step := md.L / float64(nb-1)
	w.mtab = w.mtab[:0]
	for i := 0; i < nb; i++ {
		u := float64(i) * step
		var b mouthBin
		b.vu, b.vl, b.ok = md.gap(u)
		if okS {
			b.su, b.sl, b.sok = ms.gap(u * ms.L / md.L)
		}
		w.mtab = append(w.mtab, b)
	}
	mb := boundsOf(w.pd, innerLipUpper).union(boundsOf(w.pd, innerLipLower))
	minx, miny, maxx, maxy := mb.minx, mb.miny, mb.maxx, mb.maxy
	lr, lg, lb := w.lipColour(rg, img.Format)
	floor, _ := w.faceTones(rg, img.Format)
	// Half the lip colour, half a red-brown: the lips may be pale or
	// sampled on teeth, and the inner mouth is reddish.
	lr, lg, lb = (lr+mouthRed[0])/2, (lg+mouthRed[1])/2, (lb+mouthRed[2])/2
	ro, gO, bo := img.Format.Offsets()
	x0, x1 := max(rg.x0, int(math.Ceil(minx))), min(rg.x1-1, int(math.Floor(maxx)))
	y0, y1 := max(rg.y0, int(math.Ceil(miny))), min(rg.y1-1, int(math.Floor(maxy)))
	n := 0
	for y := y0; y <= y1; y++ {
		for x := x0; x <= x1; x++ {
			q := md.to(vec2{float64(x), float64(y)})
			if q.x <= 0 || q.x >= md.L {
				continue
			}
			f := q.x / step
			bi := min(int(f), nb-2)
			f -= float64(bi)
			b0, b1 := &w.mtab[bi], &w.mtab[bi+1]
			vu, vl, ok := b0.vu+(b1.vu-b0.vu)*f, b0.vl+(b1.vl-b0.vl)*f, b0.ok && b1.ok
			h := vl - vu
			if !ok || h <= 0.5 || q.y <= vu || q.y >= vl {
				continue
			}
			du, dl := q.y-vu, vl-q.y
			// Source content attached to the nearer lip.
			half := 0.0
			var sr, sg, sb float64
			haveSrc := false
			if b0.sok && b1.sok {
				us := q.x * ms.L / md.L
				if su, sl := b0.su+(b1.su-b0.su)*f, b0.sl+(b1.sl-b0.sl)*f; sl > su {
					half = (sl - su) / 2
					var sp vec2
					if du <= dl {
						sp = ms.from(us, su+math.Min(du, half))
					} else {
						sp = ms.from(us, sl-math.Min(dl, half))
					}
					sr, sg, sb = w.sampleBuf(rg, img.Format, sp)
					haveSrc = true
				}
			}
			beyond := math.Min(du, dl) - half
			e := math.Min(math.Max(0.15*h, 0.75), 2.5)
			wt := mouthFillMax * smooth(beyond/e)
			i := y*img.Stride + x*4
			if !haveSrc {
				// No source mouth to take from: keep the warp's pixel.
				sr, sg, sb = float64(img.Pix[i+ro]), float64(img.Pix[i+gO]), float64(img.Pix[i+bo])
			}
			k := mouthShadeEdge - (mouthShadeEdge-mouthShadeCentre)*math.Sin(math.Pi*du/h)
			cr, cg, cb := lr*k, lg*k, lb*k
			if l := luma(cr, cg, cb); l < floor {
				// Lift to the face's darkest tone, keeping the hue.
				f := floor / math.Max(l, 1)
				cr, cg, cb = math.Min(cr*f, 255), math.Min(cg*f, 255), math.Min(cb*f, 255)
			}
			img.Pix[i+ro] = byte(sr + (cr-sr)*wt + 0.5)
			img.Pix[i+gO] = byte(sg + (cg-sg)*wt + 0.5)
			img.Pix[i+bo] = byte(sb + (cb-sb)*wt + 0.5)
			n++
		}
	}
	return n
}

// sampleBuf reads the source copy bilinearly at p (pixel-centre
// coordinates), clamped to the region.
func (w *Warper) sampleBuf(rg region, f raster.Format, p vec2) (r, g, b float64) {
	x := math.Min(math.Max(p.x-float64(rg.x0), 0), float64(rg.bw-1))
	y := math.Min(math.Max(p.y-float64(rg.y0), 0), float64(rg.bh-1))
	ix, iy := int(x), int(y)
	fx, fy := x-float64(ix), y-float64(iy)
	dx, dy := 4, rg.bw*4
	if ix >= rg.bw-1 {
		dx = 0
	}
	if iy >= rg.bh-1 {
		dy = 0
	}
	j := iy*rg.bw*4 + ix*4
	ro, gO, bo := f.Offsets()
	ch := func(o int) float64 {
		return (float64(w.buf[j+o])*(1-fx)+float64(w.buf[j+dx+o])*fx)*(1-fy) +
			(float64(w.buf[j+dy+o])*(1-fx)+float64(w.buf[j+dy+dx+o])*fx)*fy
	}
	return ch(ro), ch(gO), ch(bo)
}

// chainAt interpolates the chain's v at u; where the chain folds back over
// u, the upper lip takes its lowest point (largest v), the lower lip its
// highest.
func chainAt(c []vec2, u float64, upper bool) (float64, bool) {
	var best float64
	found := false
	for k := 0; k+1 < len(c); k++ {
		a, b := c[k], c[k+1]
		if (u < a.x && u < b.x) || (u > a.x && u > b.x) || a.x == b.x {
			continue
		}
		v := a.y + (b.y-a.y)*(u-a.x)/(b.x-a.x)
		if !found || (upper && v > best) || (!upper && v < best) {
			best, found = v, true
		}
	}
	return best, found
}

// lipColour averages the source frame halfway between inner and outer lip
// points (3x3 pixels each).
func (w *Warper) lipColour(rg region, f raster.Format) (r, g, b float64) {
	ro, gO, bo := f.Offsets()
	bs := rg.bw * 4
	n := 0
	for _, pr := range lipColourPairs {
		a, c := w.ps[pr[0]], w.ps[pr[1]]
		cx := int(math.Round((a.x+c.x)/2)) - rg.x0
		cy := int(math.Round((a.y+c.y)/2)) - rg.y0
		for yy := cy - 1; yy <= cy+1; yy++ {
			for xx := cx - 1; xx <= cx+1; xx++ {
				if xx < 0 || yy < 0 || xx >= rg.bw || yy >= rg.bh {
					continue
				}
				i := yy*bs + xx*4
				r += float64(w.buf[i+ro])
				g += float64(w.buf[i+gO])
				b += float64(w.buf[i+bo])
				n++
			}
		}
	}
	if n == 0 {
		return 90, 40, 38 // a red-brown when the lips are outside the frame
	}
	return r / float64(n), g / float64(n), b / float64(n)
}

// faceTones returns two luminances (0..255) of the source's central face
// (darkToneRefs; at most about 48x48 samples): dark, at or below which
// darkShare of the pixels lie, and the median. dark is the darkest tone the
// camera records on this face (pupils, lash lines, nostrils): the revealed
// inner mouth is not drawn darker, because on a low-contrast or blurred
// picture a near-black fill stood out as a pasted-on bar. Both are 0 when
// the box is empty.
func (w *Warper) faceTones(rg region, f raster.Format) (dark, median float64) {
	// Once per Render: the mouth and both eyes ask.
	if !w.tones.ok {
		w.tones.dark, w.tones.median = w.measureTones(rg, f)
		w.tones.ok = true
	}
	return w.tones.dark, w.tones.median
}

// measureTones computes faceTones' values.
func (w *Warper) measureTones(rg region, f raster.Format) (dark, median float64) {
	b := boundsOf(w.ps, darkToneRefs[:])
	x0, x1 := max(0, int(b.minx)-rg.x0), min(rg.bw-1, int(b.maxx)-rg.x0)
	y0, y1 := max(0, int(b.miny)-rg.y0), min(rg.bh-1, int(b.maxy)-rg.y0)
	if x0 > x1 || y0 > y1 {
		return 0, 0
	}
	step := max(1, max(x1-x0, y1-y0)/48)
	ro, gO, bo := f.Offsets()
	bs := rg.bw * 4
	var hist [256]int
	n := 0
	for y := y0; y <= y1; y += step {
		for x := x0; x <= x1; x += step {
			i := y*bs + x*4
			hist[int(luma(float64(w.buf[i+ro]), float64(w.buf[i+gO]), float64(w.buf[i+bo])))]++
			n++
		}
	}
	quantile := func(q float64) float64 {
		want := max(1, int(math.Ceil(q*float64(n))))
		for l, c := range hist {
			if want -= c; want <= 0 {
				return float64(l)
			}
		}
		return 255
	}
	return quantile(darkShare), quantile(0.5)
}

// luma is the Rec. 601 luminance of an RGB colour.
func luma(r, g, b float64) float64 { return 0.299*r + 0.587*g + 0.114*b }

// smooth is smoothstep on [0, 1], clamped.
func smooth(t float64) float64 {
	if t <= 0 {
		return 0
	}
	if t >= 1 {
		return 1
	}
	return t * t * (3 - 2*t)
}
