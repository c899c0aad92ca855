package overlay

import (
	"math"

	"github.com/nedstream/nedstream/models/raster"
)

// canvas writes single pixels, lines and text into a packed frame; every
// write is clipped to the frame.
type canvas struct {
	img         raster.Image
	ro, go_, bo int
}

func (c *canvas) set(x, y int, col Color) {
	if x < 0 || y < 0 || x >= c.img.Width || y >= c.img.Height {
		return
	}
	i := y*c.img.Stride + x*4
	p := c.img.Pix[i : i+4 : i+4]
	p[c.ro], p[c.go_], p[c.bo] = col.R, col.G, col.B
}

func (c *canvas) hline(x0, x1, y int, col Color) {
	if y < 0 || y >= c.img.Height {
		return
	}
	if x0 > x1 {
		x0, x1 = x1, x0
	}
	x0, x1 = max(x0, 0), min(x1, c.img.Width-1)
	for x := x0; x <= x1; x++ {
		c.set(x, y, col)
	}
}

func (c *canvas) vline(x, y0, y1 int, col Color) {
	if x < 0 || x >= c.img.Width {
		return
	}
	if y0 > y1 {
		y0, y1 = y1, y0
	}
	y0, y1 = max(y0, 0), min(y1, c.img.Height-1)
	for y := y0; y <= y1; y++ {
		c.set(x, y, col)
	}
}

// rect draws the outline of the box with corners (x0,y0) and (x1,y1).
func (c *canvas) rect(x0, y0, x1, y1 int, col Color) {
	c.hline(x0, x1, y0, col)
	c.hline(x0, x1, y1, col)
	c.vline(x0, y0, y1, col)
	c.vline(x1, y0, y1, col)
}

// line draws a 1-pixel Bresenham line, first clipped to the frame so that
// wild coordinates cost nothing.
func (c *canvas) line(x0, y0, x1, y1 int, col Color) {
	fx0, fy0, fx1, fy1, ok := clip(float64(x0), float64(y0), float64(x1), float64(y1),
		float64(c.img.Width-1), float64(c.img.Height-1))
	if !ok {
		return
	}
	x0, y0, x1, y1 = int(math.Round(fx0)), int(math.Round(fy0)), int(math.Round(fx1)), int(math.Round(fy1))
	dx, dy := abs(x1-x0), -abs(y1-y0)
	sx, sy := 1, 1
	if x0 > x1 {
		sx = -1
	}
	if y0 > y1 {
		sy = -1
	}
	err := dx + dy
	for {
		c.set(x0, y0, col)
		if x0 == x1 && y0 == y1 {
			return
		}
		e2 := 2 * err
		if e2 >= dy {
			err += dy
			x0 += sx
		}
		if e2 <= dx {
			err += dx
			y0 += sy
		}
	}
}

// clip is Liang-Barsky clipping of a segment to [0,xmax] x [0,ymax].
func clip(x0, y0, x1, y1, xmax, ymax float64) (float64, float64, float64, float64, bool) {
	if xmax < 0 || ymax < 0 {
		return 0, 0, 0, 0, false
	}
	for _, v := range [4]float64{x0, y0, x1, y1} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return 0, 0, 0, 0, false
		}
	}
	t0, t1 := 0.0, 1.0
	dx, dy := x1-x0, y1-y0
	p := [4]float64{-dx, dx, -dy, dy}
	q := [4]float64{x0, xmax - x0, y0, ymax - y0}
	for i := 0; i < 4; i++ {
		if p[i] == 0 {
			if q[i] < 0 {
				return 0, 0, 0, 0, false
			}
			continue
		}
		r := q[i] / p[i]
		if p[i] < 0 {
			if r > t1 {
				return 0, 0, 0, 0, false
			}
			t0 = max(t0, r)
		} else {
			if r < t0 {
				return 0, 0, 0, 0, false
			}
			t1 = min(t1, r)
		}
	}
	return x0 + t0*dx, y0 + t0*dy, x0 + t1*dx, y0 + t1*dy, true
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// A 3x5 bitmap font for track ids: each glyph is 5 rows of 3 bits (MSB left).
const glyphW, glyphH = 3, 5

var glyphs = map[rune][glyphH]uint8{
	'0': {7, 5, 5, 5, 7},
	'1': {2, 6, 2, 2, 7},
	'2': {7, 1, 7, 4, 7},
	'3': {7, 1, 7, 1, 7},
	'4': {5, 5, 7, 1, 1},
	'5': {7, 4, 7, 1, 7},
	'6': {7, 4, 7, 5, 7},
	'7': {7, 1, 1, 1, 1},
	'8': {7, 5, 7, 5, 7},
	'9': {7, 5, 7, 1, 7},
	'#': {5, 7, 5, 7, 5},
}

// text writes s with its top-left corner at (x, y), each font pixel drawn as
// a scale x scale block; unknown runes leave a gap.
func (c *canvas) text(x, y int, s string, scale int, col Color) {
	scale = max(scale, 1)
	for _, r := range s {
		g, ok := glyphs[r]
		if ok {
			for row := 0; row < glyphH; row++ {
				for bit := 0; bit < glyphW; bit++ {
					if g[row]&(1<<(glyphW-1-bit)) == 0 {
						continue
					}
					for dy := 0; dy < scale; dy++ {
						for dx := 0; dx < scale; dx++ {
							c.set(x+bit*scale+dx, y+row*scale+dy, col)
						}
					}
				}
			}
		}
		x += (glyphW + 1) * scale
	}
}
