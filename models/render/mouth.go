package render

import (
	"math"

	"github.com/nedstream/nedstream/models/raster"
)

// Mouth fill: the colour of the revealed inner mouth is the source's lip
// colour scaled by mouthShadeEdge next to the lips and mouthShadeCentre
// halfway between them (a vertical falloff), blended in with weight
// mouthFillMax × opening, where opening = 1 - source area / target area.
const (
	mouthShadeEdge   = 0.5
	mouthShadeCentre = 0.22
	mouthFillMax     = 0.95
	minMouthArea     = 4.0 // px²
)

// mouthAreas returns the inner-lip polygon's area in the source and the
// target (px²).
func (w *Warper) mouthAreas() (src, dst float64) {
	return math.Abs(lipArea(w.ps)), math.Abs(lipArea(w.pd))
}

func lipArea(p []vec2) float64 {
	var a float64
	edge := func(i, j int) { a += p[i].x*p[j].y - p[j].x*p[i].y }
	for k := 0; k+1 < len(innerLipUpper); k++ {
		edge(innerLipUpper[k], innerLipUpper[k+1])
	}
	for k := len(innerLipLower) - 1; k > 0; k-- {
		edge(innerLipLower[k], innerLipLower[k-1])
	}
	return a / 2
}

// fillMouth darkens the target inner-mouth polygon when it is larger than
// the source one, and returns the number of pixels changed. It runs after
// the warp and reads the lip colour from the copy of the source region.
func (w *Warper) fillMouth(img raster.Image, rg region, as, ad float64) int {
	if !(ad > as) || ad < minMouthArea {
		return 0
	}
	opening := 1 - as/ad
	c0, c1 := w.pd[innerLipUpper[0]], w.pd[innerLipUpper[len(innerLipUpper)-1]]
	L := math.Hypot(c1.x-c0.x, c1.y-c0.y)
	if L < 2 {
		return 0
	}
	// Mouth frame: u from corner 78 to corner 308, v perpendicular toward
	// the chin (image down for an upright face).
	ux, uy := (c1.x-c0.x)/L, (c1.y-c0.y)/L
	vx, vy := -uy, ux
	var up, lo [11]vec2
	minx, miny, maxx, maxy := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for k := range innerLipUpper {
		for _, pr := range []struct {
			p   vec2
			out *vec2
		}{{w.pd[innerLipUpper[k]], &up[k]}, {w.pd[innerLipLower[k]], &lo[k]}} {
			dx, dy := pr.p.x-c0.x, pr.p.y-c0.y
			*pr.out = vec2{dx*ux + dy*uy, dx*vx + dy*vy}
			minx, maxx = math.Min(minx, pr.p.x), math.Max(maxx, pr.p.x)
			miny, maxy = math.Min(miny, pr.p.y), math.Max(maxy, pr.p.y)
		}
	}
	lr, lg, lb := w.lipColour(rg, img.Format)
	ro, gO, bo := img.Format.Offsets()
	x0, x1 := max(rg.x0, int(math.Ceil(minx))), min(rg.x1-1, int(math.Floor(maxx)))
	y0, y1 := max(rg.y0, int(math.Ceil(miny))), min(rg.y1-1, int(math.Floor(maxy)))
	n := 0
	for y := y0; y <= y1; y++ {
		for x := x0; x <= x1; x++ {
			dx, dy := float64(x)-c0.x, float64(y)-c0.y
			pu, pv := dx*ux+dy*uy, dx*vx+dy*vy
			if pu <= 0 || pu >= L {
				continue
			}
			vu, ok1 := chainAt(up[:], pu, true)
			vl, ok2 := chainAt(lo[:], pu, false)
			if !ok1 || !ok2 {
				continue
			}
			h := vl - vu
			if h <= 0.5 || pv <= vu || pv >= vl {
				continue
			}
			e := math.Min(math.Max(0.2*h, 0.75), 2.5)
			wt := opening * mouthFillMax * smooth((pv-vu)/e) * smooth((vl-pv)/e)
			if wt <= 0 {
				continue
			}
			rel := (pv - vu) / h
			k := mouthShadeEdge - (mouthShadeEdge-mouthShadeCentre)*math.Sin(math.Pi*rel)
			i := y*img.Stride + x*4
			for _, ch := range [...]struct {
				o int
				c float64
			}{{ro, lr}, {gO, lg}, {bo, lb}} {
				v := float64(img.Pix[i+ch.o])
				img.Pix[i+ch.o] = byte(v + (ch.c*k-v)*wt + 0.5)
			}
			n++
		}
	}
	return n
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
