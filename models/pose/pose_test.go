package pose

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/nedstream/nedstream/models/mesh"
	"github.com/nedstream/nedstream/models/modeltest"
)

func load(t *testing.T) (*mesh.Mesh, *Fitter) {
	t.Helper()
	dir := modeltest.Upstream(t)
	m, err := mesh.LoadOBJ(filepath.Join(dir, "canonical_face_model.obj"))
	if err != nil {
		t.Fatal(err)
	}
	ws, err := LoadWeights(filepath.Join(dir, "geometry_pipeline_metadata_landmarks.pbtxt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Vertices) != 468 || len(m.Triangles) != 898 || len(ws) != 33 {
		t.Fatalf("canonical mesh %d vertices %d triangles, %d weights", len(m.Vertices), len(m.Triangles), len(ws))
	}
	f, err := NewFitter(m.Vertices, ws)
	if err != nil {
		t.Fatal(err)
	}
	return m, f
}

// TestRecoversKnownPose: landmarks made from the canonical mesh with a known
// similarity transform give that transform back.
func TestRecoversKnownPose(t *testing.T) {
	m, f := load(t)
	for _, c := range []struct{ yaw, pitch, roll float64 }{{0, 0, 0}, {20, 0, 0}, {0, -15, 0}, {0, 0, 10}, {-25, 10, -5}} {
		want := Pose{Scale: 12.5, Rotation: Rotation(c.yaw, c.pitch, c.roll), Translation: [3]float64{320, 240, 0}}
		got := f.Fit(func(i int) [3]float64 { return want.Apply(m.Vertices[i]) })
		if math.Abs(got.Yaw-c.yaw) > 0.01 || math.Abs(got.Pitch-c.pitch) > 0.01 || math.Abs(got.Roll-c.roll) > 0.5 {
			t.Errorf("pose %+v: got yaw %.2f pitch %.2f roll %.2f", c, got.Yaw, got.Pitch, got.Roll)
		}
		if math.Abs(got.Scale-12.5) > 1e-6 || math.Abs(got.Translation[0]-320) > 1e-6 {
			t.Errorf("pose %+v: scale %.4f translation %v", c, got.Scale, got.Translation)
		}
	}
}
