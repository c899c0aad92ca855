package detect

import (
	"path/filepath"
	"testing"

	"github.com/nedstream/nedstream/models/modeltest"
	"github.com/nedstream/nedstream/models/ort"
	"github.com/nedstream/nedstream/models/pack"
	"github.com/nedstream/nedstream/models/raster"
)

func openDetector(t *testing.T) *Detector {
	t.Helper()
	dir := modeltest.Upstream(t)
	modeltest.InitORT(t)
	d, err := Open(filepath.Join(dir, "yunet_n_dynamic.onnx"), pack.Entry{}, ort.Options{Provider: ort.CPU}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// TestAstronaut: exactly one face, in the right place, with keypoints in order.
func TestAstronaut(t *testing.T) {
	d := openDetector(t)
	im, err := raster.Load(filepath.Join(modeltest.Media(t), "astronaut.png"))
	if err != nil {
		t.Fatal(err)
	}
	dets, err := d.Detect(im, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	if len(dets) != 1 {
		t.Fatalf("want exactly 1 face, got %d: %+v", len(dets), dets)
	}
	f := dets[0]
	t.Logf("face %+v", f)
	// The astronaut's face (looked up in the image): centre about (225, 120),
	// about 90 px wide, in the 512x512 frame.
	cx, cy := f.X+f.W/2, f.Y+f.H/2
	if cx < 205 || cx > 245 || cy < 100 || cy > 140 || f.W < 70 || f.W > 130 {
		t.Errorf("face box %+v not where the face is", f)
	}
	if f.Keypoints[RightEye][0] >= f.Keypoints[LeftEye][0] {
		t.Errorf("right eye (image left) should be left of the left eye: %v", f.Keypoints)
	}
	if f.Keypoints[NoseTip][1] <= f.Keypoints[RightEye][1] || f.Keypoints[RightMouth][1] <= f.Keypoints[NoseTip][1] {
		t.Errorf("keypoints not eyes above nose above mouth: %v", f.Keypoints)
	}
}

// TestAnySize: the detector accepts odd frame sizes and finds the same face
// in a padded, shifted frame.
func TestAnySize(t *testing.T) {
	d := openDetector(t)
	src, err := raster.Load(filepath.Join(modeltest.Media(t), "astronaut.png"))
	if err != nil {
		t.Fatal(err)
	}
	for _, sz := range [][2]int{{777, 601}, {1280, 720}, {641, 1001}} {
		im := raster.NewImage(sz[0], sz[1], raster.BGRx)
		for y := 0; y < src.Height && y+50 < im.Height; y++ {
			for x := 0; x < src.Width && x+60 < im.Width; x++ {
				r, g, b := src.RGB(x, y)
				im.SetRGB(x+60, y+50, r, g, b)
			}
		}
		dets, err := d.Detect(im, 0.5)
		if err != nil {
			t.Fatal(err)
		}
		if len(dets) != 1 {
			t.Fatalf("%v: want 1 face, got %d", sz, len(dets))
		}
		if cx := dets[0].X + dets[0].W/2 - 60; cx < 205 || cx > 245 {
			t.Errorf("%v: face centre x %.0f", sz, cx)
		}
	}
}

func TestNMS(t *testing.T) {
	c := []Detection{
		{X: 0, Y: 0, W: 10, H: 10, Score: 0.6},
		{X: 1, Y: 1, W: 10, H: 10, Score: 0.9},
		{X: 50, Y: 50, W: 10, H: 10, Score: 0.7},
	}
	got := NMS(c, 0.3, 0)
	if len(got) != 2 || got[0].Score != 0.9 || got[1].Score != 0.7 {
		t.Fatalf("NMS = %+v", got)
	}
}

// BenchmarkDetect times one detection on a 640x480 frame (resize included).
func BenchmarkDetect(b *testing.B) {
	dir := modeltest.Upstream(b)
	modeltest.InitORT(b)
	d, err := Open(filepath.Join(dir, "yunet_n_dynamic.onnx"), pack.Entry{}, ort.Options{Provider: ort.CPU}, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	src, err := raster.Load(filepath.Join(modeltest.Media(b), "astronaut.png"))
	if err != nil {
		b.Fatal(err)
	}
	im := raster.NewImage(640, 480, raster.BGRx)
	for y := 0; y < src.Height && y < im.Height; y++ {
		for x := 0; x < src.Width; x++ {
			r, g, bb := src.RGB(x, y)
			im.SetRGB(x+64, y, r, g, bb)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := d.Detect(im, 0.5); err != nil {
			b.Fatal(err)
		}
	}
}
