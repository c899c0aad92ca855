package raster

import (
	"math"
	"math/rand/v2"
	"testing"
)

// reference is the straightforward per-pixel sampler the fast one must match.
func reference(im Image, m Affine, w, h int, dst []float32, l TensorLayout) {
	ro, go_, bo := im.Format.Offsets()
	if l.BGR {
		ro, bo = bo, ro
	}
	plane := w * h
	maxX, maxY := float64(im.Width-1), float64(im.Height-1)
	for v := 0; v < h; v++ {
		for u := 0; u < w; u++ {
			uu := float64(u) + 0.5
			if l.Mirror {
				uu = float64(w) - uu
			}
			x, y := m.Apply(uu, float64(v)+0.5)
			x -= 0.5
			y -= 0.5
			i := v*w + u
			if x < -1 || y < -1 || x > maxX+1 || y > maxY+1 {
				dst[i], dst[plane+i], dst[2*plane+i] = l.Bias, l.Bias, l.Bias
				continue
			}
			r, g, b := bilinear(im, x, y, ro, go_, bo)
			dst[i], dst[plane+i], dst[2*plane+i] = r*l.Scale+l.Bias, g*l.Scale+l.Bias, b*l.Scale+l.Bias
		}
	}
}

func randomImage(w, h int, f Format) Image {
	im := NewImage(w, h, f)
	r := rand.New(rand.NewPCG(3, 4))
	for i := range im.Pix {
		im.Pix[i] = uint8(r.IntN(256))
	}
	return im
}

// TestSampleMatchesReference: rotated, scaled, mirrored and partly outside crops.
func TestSampleMatchesReference(t *testing.T) {
	im := randomImage(97, 61, BGRx)
	cases := []struct {
		name string
		roi  ROI
		l    TensorLayout
	}{
		{"inside", ROI{CX: 48, CY: 30, Size: 40, Angle: 0.3}, TensorLayout{Scale: 1.0 / 255}},
		{"mirrored bgr", ROI{CX: 50, CY: 20, Size: 30, Angle: -0.7}, TensorLayout{Scale: 1, BGR: true, Mirror: true}},
		{"outside", ROI{CX: 5, CY: 58, Size: 70, Angle: 2.5}, TensorLayout{Scale: 2, Bias: -1}},
		{"upscale", ROI{CX: 90, CY: 3, Size: 8, Angle: 0}, TensorLayout{Scale: 1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n := 33
			got, want := make([]float32, 3*n*n), make([]float32, 3*n*n)
			m := c.roi.ToCrop(n)
			SampleToTensor(im, m, n, n, got, c.l)
			reference(im, m, n, n, want, c.l)
			for i := range got {
				if math.Abs(float64(got[i]-want[i])) > 1e-3*math.Max(1, math.Abs(float64(want[i]))) {
					t.Fatalf("value %d: %g, reference %g", i, got[i], want[i])
				}
			}
		})
	}
}

func BenchmarkSampleFaceMesh(b *testing.B) {
	im := randomImage(640, 480, BGRx)
	dst := make([]float32, 3*192*192)
	m := ROI{CX: 320, CY: 240, Size: 250, Angle: 0.1}.ToCrop(192)
	for i := 0; i < b.N; i++ {
		SampleToTensor(im, m, 192, 192, dst, TensorLayout{Scale: 1.0 / 255})
	}
}
