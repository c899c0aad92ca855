package emotion

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/nedstream/nedstream/models/face"
	"github.com/nedstream/nedstream/models/modeltest"
	"github.com/nedstream/nedstream/models/ort"
	"github.com/nedstream/nedstream/models/raster"
)

func TestClassNames(t *testing.T) {
	for name, want := range map[string]int{"angry": 0, "disgusted": 1, "disgust": 1, "fear": 2, "happy": 3, "sad": 4, "surprised": 5, "neutral": 6, "contempt": -1, "": -1} {
		if got := Class(name); got != want {
			t.Errorf("Class(%q) = %d, want %d", name, got, want)
		}
	}
}

// TestCrop: the crop is the square around the box, grey, in [-1, 1].
func TestCrop(t *testing.T) {
	img := raster.NewImage(200, 100, raster.BGRx)
	// Left half white, right half black.
	for y := 0; y < 100; y++ {
		for x := 0; x < 100; x++ {
			img.SetRGB(x, y, 255, 255, 255)
		}
	}
	dst := make([]float32, Size*Size)
	// A box centred on the edge: the crop's left half is white, right black.
	if err := Crop(img, face.Rect{X: 75, Y: 25, W: 50, H: 50}, dst); err != nil {
		t.Fatal(err)
	}
	if l, r := dst[32*Size+5], dst[32*Size+58]; math.Abs(float64(l-1)) > 1e-3 || math.Abs(float64(r+1)) > 1e-3 {
		t.Errorf("left %v right %v, want 1 and -1", l, r)
	}
	// Outside the frame counts as black.
	if err := Crop(img, face.Rect{X: -60, Y: 25, W: 50, H: 50}, dst); err != nil {
		t.Fatal(err)
	}
	if v := dst[32*Size+2]; v != -1 {
		t.Errorf("outside the frame: %v, want -1", v)
	}
	for _, b := range []face.Rect{{}, {W: float32(math.NaN()), H: 10}, {W: 2, H: 2}} {
		if err := Crop(img, b, dst); err == nil {
			t.Errorf("box %+v accepted", b)
		}
	}
	if err := Crop(img, face.Rect{W: 50, H: 50}, dst[:10]); err == nil {
		t.Error("short dst accepted")
	}
	if err := Crop(raster.Image{}, face.Rect{W: 50, H: 50}, dst); err == nil {
		t.Error("empty image accepted")
	}
}

// TestAstronautIsHappy: the classifier on the (smiling) astronaut's face,
// found by the face engine, says happy; its mirror image says the same.
func TestAstronautIsHappy(t *testing.T) {
	modeltest.InitORT(t)
	so := ort.Options{Provider: ort.CPU}
	c, err := Open(filepath.Join(modeltest.Upstream(t), "emotion_mini_xception.onnx"), so)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	img, err := raster.Load(filepath.Join(modeltest.Media(t), "astronaut.png"))
	if err != nil {
		t.Fatal(err)
	}
	e, err := face.New(face.Options{PackDir: modeltest.Pack(t), Session: so}, face.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	res, err := e.Process(img)
	if err != nil || len(res.Faces) != 1 {
		t.Fatalf("%v, %d faces", err, len(res.Faces))
	}
	box := res.Faces[0].Box
	p, err := c.Classify(img, box)
	if err != nil {
		t.Fatal(err)
	}
	var sum float32
	best := 0
	for i, v := range p {
		sum += v
		if v > p[best] {
			best = i
		}
	}
	t.Logf("astronaut: %v (box %+v)", p, box)
	if math.Abs(float64(sum-1)) > 1e-3 {
		t.Errorf("probabilities sum to %v", sum)
	}
	if Classes[best] != "happy" || p[Class("happy")] < 0.5 {
		t.Errorf("astronaut classified %s (happy %.2f)", Classes[best], p[Class("happy")])
	}
	// A frame where the box lies off the image still classifies (black
	// crop), and does not say happy.
	q, err := c.Classify(img, face.Rect{X: -500, Y: -500, W: 100, H: 100})
	if err != nil {
		t.Fatal(err)
	}
	if q[Class("happy")] > 0.5 {
		t.Errorf("black crop classified happy (%.2f)", q[Class("happy")])
	}
}
