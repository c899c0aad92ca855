package face

import (
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/nedstream/nedstream/models/blendshape"
	"github.com/nedstream/nedstream/models/modeltest"
	"github.com/nedstream/nedstream/models/ort"
	"github.com/nedstream/nedstream/models/raster"
)

func newEngine(t testing.TB, cfg Config) *Engine {
	t.Helper()
	modeltest.InitORT(t)
	e, err := New(Options{PackDir: modeltest.Pack(t), Session: ort.Options{Provider: ort.CPU, Threads: benchThreads}}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func astronaut(t testing.TB) raster.Image {
	t.Helper()
	im, err := raster.Load(filepath.Join(modeltest.Media(t), "astronaut.png"))
	if err != nil {
		t.Fatal(err)
	}
	return im
}

// TestAstronaut: one face, landmarks on it, a smile, a near-frontal pose.
func TestAstronaut(t *testing.T) {
	e := newEngine(t, DefaultConfig())
	res, err := e.Process(astronaut(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Faces) != 1 || !res.Detected {
		t.Fatalf("want 1 face on a detection frame, got %d (detected %v)", len(res.Faces), res.Detected)
	}
	f := res.Faces[0]
	if len(f.Landmarks) != 478 || f.TrackID != 1 {
		t.Fatalf("face has %d landmarks, track %d", len(f.Landmarks), f.TrackID)
	}
	// Eye corners inside the eye regions (looked up on the image: the eyes
	// span about x 190-215 and 235-260 at y 95-110).
	for _, c := range []struct {
		i      int
		x0, x1 float32
	}{{33, 185, 200}, {133, 205, 222}, {362, 228, 245}, {263, 250, 265}} {
		p := f.Landmarks[c.i]
		if p.X < c.x0 || p.X > c.x1 || p.Y < 92 || p.Y > 112 {
			t.Errorf("landmark %d at (%.1f,%.1f), want x in [%g,%g], y in [92,112]", c.i, p.X, p.Y, c.x0, c.x1)
		}
	}
	sl, sr := f.Blendshapes[blendshape.Index("mouthSmileLeft")], f.Blendshapes[blendshape.Index("mouthSmileRight")]
	t.Logf("smile L %.3f R %.3f, pose yaw %.1f pitch %.1f roll %.1f, scale %.2f", sl, sr, f.Pose.Yaw, f.Pose.Pitch, f.Pose.Roll, f.Pose.Scale)
	if sl < 0.5 || sr < 0.5 {
		t.Errorf("the astronaut smiles: mouthSmileLeft %.3f mouthSmileRight %.3f, want > 0.5", sl, sr)
	}
	if math.Abs(f.Pose.Yaw) > 15 || math.Abs(f.Pose.Pitch) > 15 || math.Abs(f.Pose.Roll) > 10 {
		t.Errorf("near-frontal face: yaw %.1f pitch %.1f roll %.1f", f.Pose.Yaw, f.Pose.Pitch, f.Pose.Roll)
	}
	// Second frame: tracked from the landmarks, no detection, same id.
	res2, err := e.Process(astronaut(t))
	if err != nil {
		t.Fatal(err)
	}
	if res2.Detected || len(res2.Faces) != 1 || res2.Faces[0].TrackID != 1 {
		t.Fatalf("second frame: detected %v, %d faces", res2.Detected, len(res2.Faces))
	}
}

// TestFrontalPose: a mirrored face turns its yaw and roll signs; the frontal
// estimate is symmetric.
func TestMirrorFlipsYaw(t *testing.T) {
	e := newEngine(t, Config{DetectInterval: 1, MaxFaces: 1, MinFaceConfidence: 0.5, Iris: true})
	im := astronaut(t)
	a, err := e.Process(im)
	if err != nil || len(a.Faces) != 1 {
		t.Fatal(err, len(a.Faces))
	}
	m := raster.NewImage(im.Width, im.Height, im.Format)
	for y := 0; y < im.Height; y++ {
		for x := 0; x < im.Width; x++ {
			r, g, b := im.RGB(im.Width-1-x, y)
			m.SetRGB(x, y, r, g, b)
		}
	}
	e.Reset()
	b, err := e.Process(m)
	if err != nil || len(b.Faces) != 1 {
		t.Fatal(err, len(b.Faces))
	}
	pa, pb := a.Faces[0].Pose, b.Faces[0].Pose
	t.Logf("original yaw %.1f roll %.1f, mirrored yaw %.1f roll %.1f", pa.Yaw, pa.Roll, pb.Yaw, pb.Roll)
	if math.Abs(pa.Yaw+pb.Yaw) > 3 || math.Abs(pa.Roll+pb.Roll) > 3 || math.Abs(pa.Pitch-pb.Pitch) > 3 {
		t.Errorf("mirroring should negate yaw and roll and keep pitch: %+v vs %+v", pa, pb)
	}
}

// TestNoFace: a blank frame has no faces.
func TestNoFace(t *testing.T) {
	e := newEngine(t, DefaultConfig())
	res, err := e.Process(raster.NewImage(640, 480, raster.BGRx))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Faces) != 0 {
		t.Fatalf("blank frame: %d faces", len(res.Faces))
	}
}

func TestBadConfig(t *testing.T) {
	e := newEngine(t, DefaultConfig())
	bad := DefaultConfig()
	bad.DetectInterval = 0
	if err := e.SetConfig(bad); err == nil {
		t.Fatal("detect interval 0 accepted")
	}
	if e.Config().DetectInterval != DefaultConfig().DetectInterval {
		t.Fatal("rejected config replaced the old one")
	}
}

var benchThreads = func() int { n, _ := strconv.Atoi(os.Getenv("ORT_THREADS")); return n }()

// TestAlternatingIrisMatchesFull: on a still face, eyes taking turns give
// the iris points of running both eyes every frame.
func TestAlternatingIrisMatchesFull(t *testing.T) {
	im := astronaut(t)
	run := func(every bool) []Point3 {
		cfg := DefaultConfig()
		cfg.IrisEveryFrame = every
		cfg.Smoothing = 0
		e := newEngine(t, cfg)
		var res Result
		var err error
		for i := 0; i < 6; i++ {
			if res, err = e.Process(im); err != nil || len(res.Faces) != 1 {
				t.Fatal(err, len(res.Faces))
			}
		}
		return res.Faces[0].Landmarks[468:]
	}
	full, alt := run(true), run(false)
	for i := range full {
		if d := math.Hypot(float64(full[i].X-alt[i].X), float64(full[i].Y-alt[i].Y)); d > 0.5 {
			t.Errorf("iris point %d: %.2f px apart", 468+i, d)
		}
	}
}
