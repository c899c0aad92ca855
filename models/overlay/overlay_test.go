package overlay

import (
	"bytes"
	"math"
	"testing"

	"github.com/nedstream/nedstream/models/face"
	"github.com/nedstream/nedstream/models/raster"
)

// filled returns a w x h image of format f whose every byte is 7 (so that
// untouched bytes, including the 4th one, are easy to check).
func filled(w, h int, f raster.Format) raster.Image {
	im := raster.NewImage(w, h, f)
	for i := range im.Pix {
		im.Pix[i] = 7
	}
	return im
}

func pixelIs(t *testing.T, im raster.Image, x, y int, want Color) {
	t.Helper()
	r, g, b := im.RGB(x, y)
	if (Color{r, g, b}) != want {
		t.Errorf("pixel (%d,%d) = %v, want %v", x, y, Color{r, g, b}, want)
	}
}

func untouched(t *testing.T, im raster.Image, x, y int) {
	t.Helper()
	i := y*im.Stride + x*4
	if !bytes.Equal(im.Pix[i:i+4], []byte{7, 7, 7, 7}) {
		t.Errorf("pixel (%d,%d) = %v, want untouched", x, y, im.Pix[i:i+4])
	}
}

func TestParseMode(t *testing.T) {
	for m := None; m <= Axes; m++ {
		got, err := ParseMode(m.String())
		if err != nil || got != m {
			t.Errorf("ParseMode(%q) = %v, %v; want %v", m.String(), got, err, m)
		}
	}
	if m, err := ParseMode(" MESH "); err != nil || m != Mesh {
		t.Errorf("ParseMode(\" MESH \") = %v, %v", m, err)
	}
	if _, err := ParseMode("sparkles"); err == nil {
		t.Error("ParseMode(sparkles) succeeded")
	}
}

func TestNoneAndNoFacesDrawNothing(t *testing.T) {
	faces := []face.Face{{Box: face.Rect{X: 10, Y: 10, W: 20, H: 20}}}
	for _, tc := range []struct {
		name  string
		faces []face.Face
		mode  Mode
	}{
		{"none", faces, None},
		{"no faces", nil, Axes},
		{"bad mode", faces, Mode(99)},
	} {
		im := filled(64, 48, raster.BGRx)
		Draw(im, tc.faces, tc.mode, nil)
		if bytes.IndexFunc(im.Pix, func(r rune) bool { return r != 7 }) >= 0 {
			t.Errorf("%s: image changed", tc.name)
		}
	}
}

func TestBoxInEveryFormat(t *testing.T) {
	st := DefaultStyle()
	st.Box = Color{10, 20, 30}
	st.TrackIDs = false
	st.BoxThickness = 1
	for _, f := range []raster.Format{raster.RGBA, raster.RGBx, raster.BGRA, raster.BGRx} {
		im := filled(64, 48, f)
		st.Draw(im, []face.Face{{Box: face.Rect{X: 10, Y: 12, W: 20, H: 15}}}, Box, nil)
		for _, p := range [][2]int{{10, 12}, {30, 12}, {10, 27}, {30, 27}, {20, 12}, {10, 20}} {
			pixelIs(t, im, p[0], p[1], st.Box)
			if a := im.Pix[p[1]*im.Stride+p[0]*4+3]; f == raster.RGBA || f == raster.RGBx {
				if a != 7 {
					t.Errorf("%v: 4th byte changed to %d", f, a)
				}
			}
		}
		untouched(t, im, 20, 20) // inside
		untouched(t, im, 9, 12)  // outside
		// BGR formats store blue first.
		i := 12*im.Stride + 10*4
		if f == raster.BGRx && (im.Pix[i] != 30 || im.Pix[i+2] != 10) {
			t.Errorf("BGRx byte order wrong: %v", im.Pix[i:i+4])
		}
	}
}

func TestTrackIDIsWritten(t *testing.T) {
	im := filled(320, 240, raster.RGBA)
	st := DefaultStyle()
	Draw(im, []face.Face{{TrackID: 7, Box: face.Rect{X: 100, Y: 100, W: 50, H: 50}}}, Box, nil)
	// The label sits above the box, between y = 100 - thickness - 12 and the box.
	found := false
	for y := 80; y < 98 && !found; y++ {
		for x := 95; x < 140; x++ {
			if r, g, b := im.RGB(x, y); (Color{r, g, b}) == st.Box {
				found = true
				break
			}
		}
	}
	if !found {
		t.Error("no label pixels above the box")
	}
}

func TestClippingAndGarbage(t *testing.T) {
	nan := float32(math.NaN())
	faces := []face.Face{
		{Box: face.Rect{X: -50, Y: -50, W: 1e9, H: 1e9}},
		{Box: face.Rect{X: nan, Y: nan, W: nan, H: nan}, Landmarks: []face.Point3{{X: nan, Y: 3}, {X: -1e30, Y: 1e30}, {X: 5, Y: 5}}},
		{Box: face.Rect{X: 60, Y: 40, W: 30, H: 30}, Landmarks: []face.Point3{{X: 63, Y: 47}, {X: 70, Y: 47}},
			Pose: face.Pose{Rotation: [9]float64{1, 0, 0, 0, 1, 0, 0, 0, 1}}},
	}
	tris := [][3]int{{0, 1, 2}, {0, 1, 500}, {-1, 0, 1}}
	for m := None; m <= Axes; m++ {
		im := filled(64, 48, raster.BGRA)
		Draw(im, faces, m, tris) // must not panic
	}
	// A zero-sized image or a short buffer is ignored.
	Draw(raster.Image{}, faces, Box, nil)
	Draw(raster.Image{Pix: make([]byte, 10), Width: 64, Height: 48, Stride: 256}, faces, Box, nil)
}

func TestLandmarksAndMesh(t *testing.T) {
	st := DefaultStyle()
	f := face.Face{
		Box:       face.Rect{X: 5, Y: 5, W: 50, H: 40},
		Landmarks: []face.Point3{{X: 10, Y: 10}, {X: 40, Y: 10}, {X: 10, Y: 40}},
	}
	im := filled(64, 48, raster.RGBx)
	Draw(im, []face.Face{f}, Landmarks, nil)
	pixelIs(t, im, 40, 10, st.Landmark)
	untouched(t, im, 25, 10)

	im = filled(64, 48, raster.RGBx)
	Draw(im, []face.Face{f}, Mesh, [][3]int{{0, 1, 2}})
	pixelIs(t, im, 25, 10, st.Mesh) // on edge 0-1
	pixelIs(t, im, 10, 25, st.Mesh) // on edge 2-0
	pixelIs(t, im, 25, 25, st.Mesh) // on the diagonal 1-2
	untouched(t, im, 20, 15)

	// Without triangles the mesh mode falls back to dots.
	im = filled(64, 48, raster.RGBx)
	Draw(im, []face.Face{f}, Mesh, nil)
	pixelIs(t, im, 40, 10, st.Landmark)
}

func TestAxesFollowRotation(t *testing.T) {
	st := DefaultStyle()
	nose := face.Point3{X: 50, Y: 50}
	f := face.Face{
		Box:       face.Rect{X: 30, Y: 30, W: 40, H: 40},
		Landmarks: []face.Point3{{X: 0, Y: 0}, nose},
	}
	// Identity: x right, y down; z points into the image (drawn as a dot).
	f.Pose.Rotation = [9]float64{1, 0, 0, 0, 1, 0, 0, 0, 1}
	im := filled(100, 100, raster.RGBA)
	Draw(im, []face.Face{f}, Axes, nil)
	pixelIs(t, im, 60, 50, st.AxisX)
	pixelIs(t, im, 50, 60, st.AxisY)

	// Rotation by 90 degrees about z: canonical x goes down, y goes left.
	f.Pose.Rotation = [9]float64{0, -1, 0, 1, 0, 0, 0, 0, 1}
	im = filled(100, 100, raster.RGBA)
	Draw(im, []face.Face{f}, Axes, nil)
	pixelIs(t, im, 50, 65, st.AxisX)
	pixelIs(t, im, 35, 50, st.AxisY)
}

func BenchmarkDrawMesh(b *testing.B) {
	im := raster.NewImage(1280, 720, raster.BGRx)
	lm := make([]face.Point3, 468)
	for i := range lm {
		a := float64(i) * 0.1
		lm[i] = face.Point3{X: float32(640 + 150*math.Cos(a)*float64(i)/468), Y: float32(360 + 150*math.Sin(a)*float64(i)/468)}
	}
	tris := make([][3]int, 900)
	for i := range tris {
		tris[i] = [3]int{i % 468, (i + 1) % 468, (i + 7) % 468}
	}
	faces := []face.Face{{TrackID: 1, Box: face.Rect{X: 490, Y: 210, W: 300, H: 300}, Landmarks: lm}}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		Draw(im, faces, Mesh, tris)
	}
}
