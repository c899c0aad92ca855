package landmark

import (
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/nedstream/nedstream/models/detect"
	"github.com/nedstream/nedstream/models/modeltest"
	"github.com/nedstream/nedstream/models/ort"
	"github.com/nedstream/nedstream/models/pack"
	"github.com/nedstream/nedstream/models/raster"
)

type rig struct {
	im   raster.Image
	det  detect.Detection
	mesh *FaceMesh
	iris *Iris
}

func newRig(t testing.TB) rig {
	t.Helper()
	dir := modeltest.Upstream(t)
	modeltest.InitORT(t)
	so := ort.Options{Provider: ort.CPU, Threads: func() int { n, _ := strconv.Atoi(os.Getenv("ORT_THREADS")); return n }()}
	im, err := raster.Load(filepath.Join(modeltest.Media(t), "astronaut.png"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := detect.Open(filepath.Join(dir, "yunet_n_dynamic.onnx"), pack.Entry{}, so, detect.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	dets, err := d.Detect(im, 0.5)
	if err != nil || len(dets) != 1 {
		t.Fatalf("detect: %v %d", err, len(dets))
	}
	mesh, err := OpenFaceMesh(filepath.Join(dir, "face_landmark_468.onnx"), pack.Entry{}, so)
	if err != nil {
		t.Fatal(err)
	}
	iris, err := OpenIris(filepath.Join(dir, "iris_landmark.onnx"), pack.Entry{}, so)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mesh.Close(); iris.Close() })
	return rig{im: im, det: dets[0], mesh: mesh, iris: iris}
}

// TestLandmarksOnFace: the mesh lands on the detected face, eye corners near
// the detector's eye keypoints, and a second pass from the landmark ROI agrees.
func TestLandmarksOnFace(t *testing.T) {
	r := newRig(t)
	pts := make([]Point, CountWithIris)
	pres, err := r.mesh.Run(r.im, ROIFromDetection(r.det, r.mesh.ROIScale()), pts)
	if err != nil {
		t.Fatal(err)
	}
	if pres < 0.9 {
		t.Errorf("face presence %.2f, want > 0.9", pres)
	}
	// Eye centres from the corners vs the detector's eye keypoints.
	reX, reY := (pts[RightEyeOuter].X+pts[RightEyeInner].X)/2, (pts[RightEyeOuter].Y+pts[RightEyeInner].Y)/2
	leX, leY := (pts[LeftEyeOuter].X+pts[LeftEyeInner].X)/2, (pts[LeftEyeOuter].Y+pts[LeftEyeInner].Y)/2
	kr, kl := r.det.Keypoints[detect.RightEye], r.det.Keypoints[detect.LeftEye]
	if d := math.Hypot(float64(reX-kr[0]), float64(reY-kr[1])); d > 6 {
		t.Errorf("right eye centre (%.0f,%.0f) is %.1f px from the detector's (%.0f,%.0f)", reX, reY, d, kr[0], kr[1])
	}
	if d := math.Hypot(float64(leX-kl[0]), float64(leY-kl[1])); d > 6 {
		t.Errorf("left eye centre (%.0f,%.0f) is %.1f px from the detector's (%.0f,%.0f)", leX, leY, d, kl[0], kl[1])
	}
	// Tracking step: the ROI from the landmarks gives the same landmarks.
	pts2 := make([]Point, CountWithIris)
	if _, err := r.mesh.Run(r.im, ROIFromLandmarks(pts, r.mesh.ROIScale()), pts2); err != nil {
		t.Fatal(err)
	}
	var worst float64
	for i := 0; i < Count; i++ {
		worst = math.Max(worst, math.Hypot(float64(pts[i].X-pts2[i].X), float64(pts[i].Y-pts2[i].Y)))
	}
	if worst > 4 {
		t.Errorf("landmarks from the landmark ROI move by up to %.1f px", worst)
	}
	// Iris centres inside the eyes: between the corners, near the eye line.
	if err := r.iris.Run(r.im, pts); err != nil {
		t.Fatal(err)
	}
	for _, e := range []struct {
		c, a, b int
	}{{468, RightEyeOuter, RightEyeInner}, {473, LeftEyeInner, LeftEyeOuter}} {
		c, a, b := pts[e.c], pts[e.a], pts[e.b]
		if c.X <= a.X || c.X >= b.X || math.Abs(float64(c.Y-(a.Y+b.Y)/2)) > 4 {
			t.Errorf("iris centre %d at (%.1f,%.1f) not inside the eye (%.1f,%.1f)-(%.1f,%.1f)", e.c, c.X, c.Y, a.X, a.Y, b.X, b.Y)
		}
		t.Logf("iris %d (%.1f,%.1f) eye (%.1f,%.1f)-(%.1f,%.1f)", e.c, c.X, c.Y, a.X, a.Y, b.X, b.Y)
	}
}
