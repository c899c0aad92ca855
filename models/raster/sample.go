package raster

// TensorLayout says how SampleToTensor writes channels.
type TensorLayout struct {
	// BGR writes blue first (YuNet); otherwise red first.
	BGR bool
	// Scale and Bias map a byte value v to v*Scale + Bias.
	Scale, Bias float32
	// Mirror flips the crop horizontally (iris model's left eye).
	Mirror bool
}

// SampleToTensor fills dst (planar CHW, 3 x n x n, or 3 x h x w through
// SampleRectToTensor) with the crop of im that m maps crop pixels into, using
// bilinear interpolation. Samples outside the frame read as black (value 0,
// then Scale/Bias applied), the padding MediaPipe uses.
func SampleToTensor(im Image, m Affine, w, h int, dst []float32, l TensorLayout) {
	ro, go_, bo := im.Format.Offsets()
	if l.BGR {
		ro, bo = bo, ro
	}
	plane := w * h
	c0, c1, c2 := dst[:plane], dst[plane:2*plane], dst[2*plane:3*plane]
	maxX, maxY := float64(im.Width-1), float64(im.Height-1)
	// The map is affine, so the sample position moves by a constant step
	// along a row: (x, y) = m((u+0.5 or w-u-0.5), v+0.5) - 0.5.
	du := 1.0
	if l.Mirror {
		du = -1
	}
	sx, sy := m.A*du, m.D*du
	pix, stride := im.Pix, im.Stride
	for v := 0; v < h; v++ {
		u0 := 0.5
		if l.Mirror {
			u0 = float64(w) - 0.5
		}
		x, y := m.Apply(u0, float64(v)+0.5)
		x -= 0.5
		y -= 0.5
		row := v * w
		for u := 0; u < w; u, x, y = u+1, x+sx, y+sy {
			i := row + u
			if x >= 0 && y >= 0 && x < maxX && y < maxY {
				// Inside: all four taps exist.
				x0, y0 := int(x), int(y)
				fx, fy := float32(x-float64(x0)), float32(y-float64(y0))
				j := y0*stride + x0*4
				p00, p10 := pix[j:j+4:j+4], pix[j+4:j+8:j+8]
				p01, p11 := pix[j+stride:j+stride+4:j+stride+4], pix[j+stride+4:j+stride+8:j+stride+8]
				w00, w10, w01, w11 := (1-fx)*(1-fy), fx*(1-fy), (1-fx)*fy, fx*fy
				r := float32(p00[ro])*w00 + float32(p10[ro])*w10 + float32(p01[ro])*w01 + float32(p11[ro])*w11
				g := float32(p00[go_])*w00 + float32(p10[go_])*w10 + float32(p01[go_])*w01 + float32(p11[go_])*w11
				b := float32(p00[bo])*w00 + float32(p10[bo])*w10 + float32(p01[bo])*w01 + float32(p11[bo])*w11
				c0[i], c1[i], c2[i] = r*l.Scale+l.Bias, g*l.Scale+l.Bias, b*l.Scale+l.Bias
				continue
			}
			if x < -1 || y < -1 || x > maxX+1 || y > maxY+1 {
				c0[i], c1[i], c2[i] = l.Bias, l.Bias, l.Bias
				continue
			}
			r, g, b := bilinear(im, x, y, ro, go_, bo)
			c0[i] = r*l.Scale + l.Bias
			c1[i] = g*l.Scale + l.Bias
			c2[i] = b*l.Scale + l.Bias
		}
	}
}

// bilinear reads three channels at a fractional position, treating pixels
// outside the frame as black.
func bilinear(im Image, x, y float64, o0, o1, o2 int) (float32, float32, float32) {
	x0f, y0f := floor(x), floor(y)
	fx, fy := float32(x-x0f), float32(y-y0f)
	x0, y0 := int(x0f), int(y0f)
	var p [4][3]float32
	for k := 0; k < 4; k++ {
		xx, yy := x0+k&1, y0+k>>1
		if xx < 0 || yy < 0 || xx >= im.Width || yy >= im.Height {
			continue
		}
		j := yy*im.Stride + xx*4
		p[k] = [3]float32{float32(im.Pix[j+o0]), float32(im.Pix[j+o1]), float32(im.Pix[j+o2])}
	}
	w00, w10, w01, w11 := (1-fx)*(1-fy), fx*(1-fy), (1-fx)*fy, fx*fy
	return p[0][0]*w00 + p[1][0]*w10 + p[2][0]*w01 + p[3][0]*w11,
		p[0][1]*w00 + p[1][1]*w10 + p[2][1]*w01 + p[3][1]*w11,
		p[0][2]*w00 + p[1][2]*w10 + p[2][2]*w01 + p[3][2]*w11
}

func floor(v float64) float64 {
	i := float64(int(v))
	if v < i {
		return i - 1
	}
	return i
}

// ResizeToTensor fills dst (planar 3 x h x w) with im scaled by sx, sy
// (output pixel (u,v) reads frame point ((u+0.5)/sx-0.5, (v+0.5)/sy-0.5)),
// padding beyond the frame with Bias. Used for the detector's input.
func ResizeToTensor(im Image, sx, sy float64, w, h int, dst []float32, l TensorLayout) {
	SampleToTensor(im, Affine{A: 1 / sx, E: 1 / sy}, w, h, dst, l)
}
