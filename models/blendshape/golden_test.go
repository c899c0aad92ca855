package blendshape

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/nedstream/nedstream/models/modeltest"
	"github.com/nedstream/nedstream/models/ort"
)

// readProto pulls every "key: number" value (in file order) out of a text
// protobuf, which is all the golden files hold.
func readProto(t *testing.T, path, key string) []float64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("golden data: %v", err)
	}
	defer f.Close()
	var v []float64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if rest, ok := strings.CutPrefix(line, key+":"); ok {
			x, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			v = append(v, x)
		}
	}
	return v
}

// TestGolden reproduces MediaPipe's own blendshape test: its 478 landmarks in,
// its 52 scores out, within 1e-4.
func TestGolden(t *testing.T) {
	dir := modeltest.Upstream(t)
	modeltest.InitORT(t)
	m, err := Open(filepath.Join(dir, "face_blendshapes.onnx"), ort.Options{Provider: ort.CPU})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	in := filepath.Join(dir, "testdata_face_blendshapes_in_landmarks.prototxt")
	xs, ys := readProto(t, in, "x"), readProto(t, in, "y")
	want := readProto(t, filepath.Join(dir, "testdata_face_blendshapes_out.prototxt"), "score")
	if len(xs) != 478 || len(ys) != 478 || len(want) != Count {
		t.Fatalf("golden data: %d x, %d y, %d scores", len(xs), len(ys), len(want))
	}
	// MediaPipe's graph scales the normalised landmarks by the image size
	// (820x1024 in its test); the model is not scale invariant, so the engine
	// feeds frame pixels exactly like that.
	for _, size := range [][2]float32{{820, 1024}} {
		pts := make([][2]float32, 478)
		for i := range pts {
			pts[i] = [2]float32{float32(xs[i]) * size[0], float32(ys[i]) * size[1]}
		}
		got, err := m.Run(pts)
		if err != nil {
			t.Fatal(err)
		}
		var worst float64
		for i := range got {
			if d := abs(float64(got[i]) - want[i]); d > worst {
				worst = d
			}
		}
		t.Logf("image size %v: max abs diff %.2g", size, worst)
		if worst > 1e-4 {
			t.Errorf("golden blendshapes differ by %.3g (> 1e-4)", worst)
		}
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
