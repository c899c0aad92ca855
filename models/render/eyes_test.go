package render_test

import (
	"math"
	"testing"

	"github.com/nedstream/nedstream/models/face"
	"github.com/nedstream/nedstream/models/raster"
	"github.com/nedstream/nedstream/models/render"
)

var (
	eyeRight = []int{33, 246, 161, 160, 159, 158, 157, 173, 133, 155, 154, 153, 145, 144, 163, 7}
	eyeLeft  = []int{263, 466, 388, 387, 386, 385, 384, 398, 362, 382, 381, 380, 374, 373, 390, 249}
)

// withIris appends the iris model's ten points to canonical landmarks:
// per eye the centre (midway between the corners) and four edge points at
// radius r, right eye first (468), then the left (473).
func withIris(lm []face.Point3, r float32) []face.Point3 {
	out := append([]face.Point3(nil), lm[:render.NumVertices]...)
	for _, c := range [][2]int{{33, 133}, {263, 362}} {
		a, b := lm[c[0]], lm[c[1]]
		m := face.Point3{X: (a.X + b.X) / 2, Y: (a.Y + b.Y) / 2, Z: (a.Z + b.Z) / 2}
		out = append(out, m,
			face.Point3{X: m.X + r, Y: m.Y, Z: m.Z}, face.Point3{X: m.X, Y: m.Y - r, Z: m.Z},
			face.Point3{X: m.X - r, Y: m.Y, Z: m.Z}, face.Point3{X: m.X, Y: m.Y + r, Z: m.Z})
	}
	return out
}

// eyesFace draws skin, and inside each eye contour the white colour with a
// round iris (radius r around the iris centre) that the lids cut.
func eyesFace(lm []face.Point3, r float64, white [3]uint8) raster.Image {
	im := raster.NewImage(640, 480, raster.RGBA)
	polys := [][][2]float64{polygon(lm, eyeRight), polygon(lm, eyeLeft)}
	centres := []face.Point3{lm[468], lm[473]}
	for y := 0; y < im.Height; y++ {
		for x := 0; x < im.Width; x++ {
			px, py := float64(x)+0.5, float64(y)+0.5
			im.SetRGB(x, y, 205, 160, 140)
			for k, poly := range polys {
				if !inside(poly, px, py) {
					continue
				}
				im.SetRGB(x, y, white[0], white[1], white[2])
				if math.Hypot(px-float64(centres[k].X), py-float64(centres[k].Y)) < r {
					im.SetRGB(x, y, 70, 45, 30)
				}
			}
		}
	}
	return im
}

// irisMisplaced counts the pixels of the eye opening (farther than 1 px
// from its outline) that contradict a round iris of radius r around c:
// iris-dark outside radius r+1, or not dark inside radius r-1. The second
// result is the number of iris-dark pixels.
func irisMisplaced(im raster.Image, opening [][2]float64, c face.Point3, r float64) (bad, iris int) {
	for y := int(float64(c.Y) - 2*r); y <= int(float64(c.Y)+2*r); y++ {
		for x := int(float64(c.X) - 2*r); x <= int(float64(c.X)+2*r); x++ {
			px, py := float64(x)+0.5, float64(y)+0.5
			if !inside(opening, px, py) || distToPolygon(opening, px, py) < 1 {
				continue
			}
			cr, cg, cb := im.RGB(x, y)
			dark := 0.299*float64(cr)+0.587*float64(cg)+0.114*float64(cb) < 80
			d := math.Hypot(px-float64(c.X), py-float64(c.Y))
			if dark {
				iris++
			}
			if (dark && d > r+1) || (!dark && d < r-1) {
				bad++
			}
		}
	}
	return bad, iris
}

// TestEyeFill: widening the eyes keeps the iris round (the plain warp
// stretches it), uncovers more of it, and changes nothing outside the eye
// openings; an eye that shows no white beside the iris is left to the warp.
func TestEyeFill(t *testing.T) {
	canon, b := models(t)
	w := newWarper(t)
	p := facePose(260, 320, 240, 0, 0)
	const r = 9.0
	src := withIris(posed(canon, p), r)
	dst := target(t, b, src, p, map[string]float32{"eyeWideLeft": 1.5, "eyeWideRight": 1.5})
	im := eyesFace(src, r, [3]uint8{235, 232, 228})

	plain, filled := im.Clone(), im.Clone()
	opts := render.DefaultOptions
	opts.EyeFill = false
	if _, err := w.Render(plain, src, dst, opts); err != nil {
		t.Fatal(err)
	}
	st, err := w.Render(filled, src, dst, render.DefaultOptions)
	if err != nil {
		t.Fatal(err)
	}
	savePNG(t, "eyes_source.png", im)
	savePNG(t, "eyes_plain.png", plain)
	savePNG(t, "eyes_filled.png", filled)
	if st.EyePixels == 0 {
		t.Fatalf("the eye pass drew nothing: %+v", st)
	}
	openings := [][][2]float64{polygon(dst, eyeRight), polygon(dst, eyeLeft)}
	for k, c := range []face.Point3{dst[468], dst[473]} {
		badPlain, _ := irisMisplaced(plain, openings[k], c, r)
		badFill, irisFill := irisMisplaced(filled, openings[k], c, r)
		_, irisSrc := irisMisplaced(im, polygon(src, [][]int{eyeRight, eyeLeft}[k]), src[468+5*k], r)
		t.Logf("eye %d: pixels against a round iris: plain warp %d, eye pass %d; iris pixels: source %d, eye pass %d", k, badPlain, badFill, irisSrc, irisFill)
		if badFill > 2 || badPlain < 5 {
			t.Errorf("eye %d: %d pixels against a round iris after the eye pass (plain warp: %d)", k, badFill, badPlain)
		}
		if irisFill <= irisSrc {
			t.Errorf("eye %d: the wider eye shows %d iris pixels, the source %d", k, irisFill, irisSrc)
		}
	}
	// Only the target eye openings differ from the plain warp.
	eyes := openings
	outside := 0
	for y := 0; y < im.Height; y++ {
		for x := 0; x < im.Width; x++ {
			if i := y*plain.Stride + x*4; [4]byte(plain.Pix[i:i+4]) == [4]byte(filled.Pix[i:i+4]) {
				continue
			}
			px, py := float64(x)+0.5, float64(y)+0.5
			if !inside(eyes[0], px, py) && !inside(eyes[1], px, py) && distToPolygon(eyes[0], px, py) > 1 && distToPolygon(eyes[1], px, py) > 1 {
				outside++
			}
		}
	}
	if outside != 0 {
		t.Errorf("%d pixels outside the eye openings differ from the plain warp", outside)
	}

	// No white beside the iris (a squint, lashes): nothing to uncover.
	dark := eyesFace(src, r, [3]uint8{95, 70, 60})
	st, err = w.Render(dark, src, dst, render.DefaultOptions)
	if err != nil {
		t.Fatal(err)
	}
	if st.EyePixels != 0 {
		t.Errorf("the eye pass redrew %d pixels of eyes that show no white", st.EyePixels)
	}
}
