// Package raster holds the packed 8-bit frames the engine works on in place
// and the sampling routines that turn regions of them into model inputs.
package raster

import (
	"fmt"
	"math"
)

// Format is the byte layout of a 4-byte-per-pixel packed frame.
type Format int

// Supported pixel formats, named as in GStreamer's video caps.
const (
	RGBA Format = iota
	RGBx
	BGRA
	BGRx
)

// ParseFormat maps a GStreamer caps format name to a Format.
func ParseFormat(s string) (Format, error) {
	switch s {
	case "RGBA":
		return RGBA, nil
	case "RGBx":
		return RGBx, nil
	case "BGRA":
		return BGRA, nil
	case "BGRx":
		return BGRx, nil
	}
	return 0, fmt.Errorf("unsupported pixel format %q (want RGBA, RGBx, BGRA or BGRx)", s)
}

// String returns the caps name of the format.
func (f Format) String() string {
	switch f {
	case RGBA:
		return "RGBA"
	case RGBx:
		return "RGBx"
	case BGRA:
		return "BGRA"
	case BGRx:
		return "BGRx"
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// Offsets returns the byte offsets of red, green and blue within a pixel.
func (f Format) Offsets() (r, g, b int) {
	if f == BGRA || f == BGRx {
		return 2, 1, 0
	}
	return 0, 1, 2
}

// Image is a packed 4-byte-per-pixel frame. Pix is usually the mapped
// GStreamer buffer itself: the engine reads it and, when editing, writes it.
type Image struct {
	Pix    []byte
	Width  int
	Height int
	Stride int
	Format Format
}

// NewImage allocates a zeroed image with a tight stride.
func NewImage(w, h int, f Format) Image {
	return Image{Pix: make([]byte, w*h*4), Width: w, Height: h, Stride: w * 4, Format: f}
}

// Validate checks that the dimensions and buffer agree.
func (im Image) Validate() error {
	if im.Width <= 0 || im.Height <= 0 {
		return fmt.Errorf("image size %dx%d is empty", im.Width, im.Height)
	}
	if im.Stride < im.Width*4 {
		return fmt.Errorf("stride %d is smaller than a row of %d pixels", im.Stride, im.Width)
	}
	if need := im.Stride*(im.Height-1) + im.Width*4; len(im.Pix) < need {
		return fmt.Errorf("buffer holds %d bytes, a %dx%d frame with stride %d needs %d", len(im.Pix), im.Width, im.Height, im.Stride, need)
	}
	return nil
}

// RGB returns the pixel at (x, y) as red, green, blue.
func (im Image) RGB(x, y int) (uint8, uint8, uint8) {
	ro, go_, bo := im.Format.Offsets()
	i := y*im.Stride + x*4
	return im.Pix[i+ro], im.Pix[i+go_], im.Pix[i+bo]
}

// SetRGB writes the pixel at (x, y); the fourth byte is left alone.
func (im Image) SetRGB(x, y int, r, g, b uint8) {
	ro, go_, bo := im.Format.Offsets()
	i := y*im.Stride + x*4
	im.Pix[i+ro], im.Pix[i+go_], im.Pix[i+bo] = r, g, b
}

// Affine is a 2x3 affine map: x' = A*x + B*y + C, y' = D*x + E*y + F.
type Affine struct{ A, B, C, D, E, F float64 }

// Apply maps a point.
func (m Affine) Apply(x, y float64) (float64, float64) {
	return m.A*x + m.B*y + m.C, m.D*x + m.E*y + m.F
}

// Invert returns the inverse map.
func (m Affine) Invert() (Affine, error) {
	det := m.A*m.E - m.B*m.D
	if math.Abs(det) < 1e-12 {
		return Affine{}, fmt.Errorf("affine map is singular")
	}
	a, b, d, e := m.E/det, -m.B/det, -m.D/det, m.A/det
	return Affine{A: a, B: b, C: -(a*m.C + b*m.F), D: d, E: e, F: -(d*m.C + e*m.F)}, nil
}

// ROI is a rotated square region of a frame: centre, side length in pixels and
// rotation in radians (counter-clockwise, image y pointing down).
type ROI struct {
	CX, CY, Size, Angle float64
}

// ToCrop returns the map from ROI crop coordinates ([0,n) x [0,n)) to frame coordinates.
func (r ROI) ToCrop(n int) Affine {
	s := r.Size / float64(n)
	c, sn := math.Cos(r.Angle), math.Sin(r.Angle)
	// crop (u,v) -> centred (u - n/2, v - n/2) * s -> rotate -> + centre.
	h := float64(n) / 2
	return Affine{
		A: c * s, B: -sn * s, C: r.CX - (c*s*h - sn*s*h),
		D: sn * s, E: c * s, F: r.CY - (sn*s*h + c*s*h),
	}
}
