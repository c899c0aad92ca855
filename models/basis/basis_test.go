package basis_test

import (
	"bytes"
	"math"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/nedstream/nedstream/models/basis"
	"github.com/nedstream/nedstream/models/blendshape"
	"github.com/nedstream/nedstream/models/mesh"
	"github.com/nedstream/nedstream/models/modeltest"
	"github.com/nedstream/nedstream/models/ort"
)

var built struct {
	once sync.Once
	b    *basis.Basis
	rep  *basis.Report
	err  error
}

// build transfers the real ICT-FaceKit shapes once per test binary.
func build(t testing.TB) (*basis.Basis, *basis.Report) {
	t.Helper()
	up := modeltest.Upstream(t)
	built.once.Do(func() {
		built.b, built.rep, built.err = basis.Build(filepath.Join(up, "ict-facekit"), filepath.Join(up, "canonical_face_model.obj"))
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.b, built.rep
}

func sub(a, b [3]float32) [3]float32 { return [3]float32{a[0] - b[0], a[1] - b[1], a[2] - b[2]} }
func length(a [3]float32) float64 {
	return math.Sqrt(float64(a[0]*a[0] + a[1]*a[1] + a[2]*a[2]))
}

// TestAlignment bounds the landmark fit and the surface match against the
// face's size (canonical face width about 15.5 cm).
func TestAlignment(t *testing.T) {
	_, rep := build(t)
	t.Logf("scale %.4f, inner-landmark residual mean %.3f cm max %.3f cm, jaw-line mean %.3f cm, surface distance mean %.3f cm max %.3f cm, face width %.2f cm, built in %v",
		rep.Alignment.Scale, rep.FitResidualMean, rep.FitResidualMax, rep.JawResidualMean, rep.SurfaceDistanceMean, rep.SurfaceDistanceMax, rep.FaceWidth, rep.Duration)
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"inner-landmark residual mean / face width", rep.FitResidualMean / rep.FaceWidth, 0.03},
		{"inner-landmark residual max (cm)", rep.FitResidualMax, 1.0},
		{"jaw-line residual mean (cm)", rep.JawResidualMean, 3.0},
		{"surface distance mean (cm)", rep.SurfaceDistanceMean, 0.3},
		{"surface distance max (cm)", rep.SurfaceDistanceMax, 1.5},
		{"|scale - 1|", math.Abs(rep.Alignment.Scale - 1), 0.1},
	} {
		if c.got > c.want {
			t.Errorf("%s = %.4f, want <= %.4f", c.name, c.got, c.want)
		}
	}
	if len(rep.Dropped) != 0 || len(rep.Missing) != 0 {
		t.Errorf("dropped %v, missing %v; want every ICT shape used and every coefficient covered", rep.Dropped, rep.Missing)
	}
	for k, src := range rep.Sources {
		want := 1
		switch blendshape.Names[k] {
		case "_neutral":
			want = 0
		case "browInnerUp", "cheekPuff":
			want = 2
		}
		if len(src) != want {
			t.Errorf("%s fed by %v, want %d ICT shapes", blendshape.Names[k], src, want)
		}
	}
}

// TestDisplacements checks that the transferred shapes move the canonical
// vertices the way their names say, by plausible amounts (cm).
func TestDisplacements(t *testing.T) {
	b, _ := build(t)
	d := func(shape string, v int) [3]float32 {
		k := b.Index(shape)
		if k < 0 {
			t.Fatalf("no shape %s", shape)
		}
		return b.Deltas[k][v]
	}
	// gap returns how much the distance between vertices u and v changes.
	gap := func(shape string, u, v int) float64 {
		k := blendshape.Index(shape)
		base := canonical(t)
		pu, pv := base[u], base[v]
		var qu, qv [3]float32
		for a := range 3 {
			qu[a] = pu[a] + b.Deltas[k][u][a]
			qv[a] = pv[a] + b.Deltas[k][v][a]
		}
		return length(sub(qu, qv)) - length(sub(pu, pv))
	}
	cases := []struct {
		name     string
		got      float64
		min, max float64
	}{
		{"jawOpen: chin 152 dy", float64(d("jawOpen", 152)[1]), -5, -1.5},
		{"jawOpen: inner lips 13-14 gap change", gap("jawOpen", 13, 14), 1.5, 5},
		{"jawOpen: upper inner lip 13 dy", float64(d("jawOpen", 13)[1]), -0.5, 0.1},
		{"mouthSmileLeft: left corner 291 dy", float64(d("mouthSmileLeft", 291)[1]), 0.3, 2},
		{"mouthSmileLeft: left corner 291 dx (outward)", float64(d("mouthSmileLeft", 291)[0]), 0.1, 2},
		{"mouthSmileLeft: right corner 61 |d|", length(d("mouthSmileLeft", 61)), 0, 0.05},
		{"mouthSmileRight: right corner 61 dy", float64(d("mouthSmileRight", 61)[1]), 0.3, 2},
		{"mouthSmileRight: right corner 61 dx (outward)", float64(d("mouthSmileRight", 61)[0]), -2, -0.1},
		{"mouthSmileRight: left corner 291 |d|", length(d("mouthSmileRight", 291)), 0, 0.05},
		{"eyeBlinkLeft: left lids 386-374 gap change", gap("eyeBlinkLeft", 386, 374), -1, -0.4},
		{"eyeBlinkLeft: right lids 159-145 gap change", gap("eyeBlinkLeft", 159, 145), -0.02, 0.02},
		{"eyeBlinkRight: right lids 159-145 gap change", gap("eyeBlinkRight", 159, 145), -1, -0.4},
		{"eyeBlinkRight: left lids 386-374 gap change", gap("eyeBlinkRight", 386, 374), -0.02, 0.02},
		{"browInnerUp: 107 dy", float64(d("browInnerUp", 107)[1]), 0.2, 1.5},
		{"browInnerUp: 336 dy", float64(d("browInnerUp", 336)[1]), 0.2, 1.5},
		{"browDownLeft: 334 dy", float64(d("browDownLeft", 334)[1]), -1.5, -0.1},
		{"cheekPuff: 205 dz (out)", float64(d("cheekPuff", 205)[2]), 0.2, 2},
		{"cheekPuff: 425 dz (out)", float64(d("cheekPuff", 425)[2]), 0.2, 2},
		{"_neutral: |d| at 1", length(d("_neutral", 1)), 0, 0},
	}
	for _, c := range cases {
		if c.got < c.min || c.got > c.max {
			t.Errorf("%s = %.3f, want in [%g, %g]", c.name, c.got, c.min, c.max)
		} else {
			t.Logf("%s = %.3f", c.name, c.got)
		}
	}
}

var canon struct {
	once sync.Once
	v    [][3]float32
	err  error
}

func canonical(t testing.TB) [][3]float32 {
	t.Helper()
	canon.once.Do(func() {
		m, err := mesh.LoadOBJ(filepath.Join(modeltest.Upstream(t), "canonical_face_model.obj"))
		if err != nil {
			canon.err = err
			return
		}
		for _, p := range m.Vertices {
			canon.v = append(canon.v, [3]float32{float32(p[0]), float32(p[1]), float32(p[2])})
		}
	})
	if canon.err != nil {
		t.Fatal(canon.err)
	}
	return canon.v
}

// TestSides pins the left/right conventions: in the canonical mesh the
// subject's left eye (MediaPipe 263, outer corner) is at x > 0, and
// MediaPipe's own blendshape model, shown the canonical face with the
// transferred eyeBlinkLeft (or mouthSmileLeft) applied, answers with the
// "Left" coefficient, so ICT's "_L" and MediaPipe's "Left" name the same
// side of the face.
func TestSides(t *testing.T) {
	b, _ := build(t)
	up := modeltest.Upstream(t)
	if x := canonical(t)[263][0]; x <= 0 {
		t.Fatalf("canonical vertex 263 (left eye outer corner) at x = %.2f, want > 0", x)
	}
	modeltest.InitORT(t)
	m, err := blendshape.Open(filepath.Join(up, "face_blendshapes.onnx"), ort.Options{Provider: ort.CPU})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	iris, err := mesh.LoadOBJ(filepath.Join(up, "face_model_with_iris.obj"))
	if err != nil {
		t.Fatal(err)
	}
	if len(iris.Vertices) != 478 {
		t.Fatalf("face_model_with_iris.obj: %d vertices", len(iris.Vertices))
	}
	// A frontal face about 250 px wide in an 820x1024 frame (the size of
	// MediaPipe's own test): image x grows with canonical x (the subject's
	// left appears on the image's right), image y grows downwards.
	scores := func(shape string, c float32) [blendshape.Count]float32 {
		pts := make([][2]float32, 478)
		k := blendshape.Index(shape)
		for i, p := range iris.Vertices {
			x, y := float32(p[0]), float32(p[1])
			if i < basis.NumVertices && k >= 0 {
				x += c * b.Deltas[k][i][0]
				y += c * b.Deltas[k][i][1]
			}
			pts[i] = [2]float32{410 + 16*x, 480 - 16*y}
		}
		s, err := m.Run(pts)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	neutral := scores("", 0)
	for _, c := range []struct{ shape, same, other string }{
		{"eyeBlinkLeft", "eyeBlinkLeft", "eyeBlinkRight"},
		{"eyeBlinkRight", "eyeBlinkRight", "eyeBlinkLeft"},
		{"mouthSmileLeft", "mouthSmileLeft", "mouthSmileRight"},
		{"mouthSmileRight", "mouthSmileRight", "mouthSmileLeft"},
		{"jawOpen", "jawOpen", "mouthClose"},
	} {
		s := scores(c.shape, 0.8)
		same, other := blendshape.Index(c.same), blendshape.Index(c.other)
		dSame, dOther := s[same]-neutral[same], s[other]-neutral[other]
		t.Logf("%s applied at 0.8: %s %.3f -> %.3f, %s %.3f -> %.3f", c.shape, c.same, neutral[same], s[same], c.other, neutral[other], s[other])
		if dSame < 0.2 || dSame < 2*dOther {
			t.Errorf("%s: MediaPipe's %s rose by %.3f and %s by %.3f; want the named one clearly higher", c.shape, c.same, dSame, c.other, dOther)
		}
	}
}

// TestRoundTrip: Write then Read gives back the same basis; damaged files
// are rejected with a reason.
func TestRoundTrip(t *testing.T) {
	b, _ := build(t)
	var buf bytes.Buffer
	if err := b.Write(&buf); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	t.Logf("file size %d bytes", len(data))
	got, err := basis.Read(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if got.Names != b.Names || got.Deltas != b.Deltas || len(got.Missing) != len(b.Missing) {
		t.Fatal("round trip changed the basis")
	}
	path := filepath.Join(t.TempDir(), "basis.bin")
	if err := b.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	if got, err := basis.ReadFile(path); err != nil || got.Deltas != b.Deltas {
		t.Fatalf("file round trip: %v", err)
	}
	flip := func(i int) []byte {
		c := bytes.Clone(data)
		c[i] ^= 0x40
		return c
	}
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "bad magic"},
		{"bad magic", flip(0), "bad magic"},
		{"flipped delta byte", flip(len(data) / 2), "CRC"},
		{"flipped CRC", flip(len(data) - 1), "CRC"},
		{"truncated", data[:len(data)-100], "CRC"},
		{"trailing byte", append(bytes.Clone(data), 0), "CRC"},
		{"too large", make([]byte, 2<<20), "larger than"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := basis.Read(bytes.NewReader(c.data))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
		})
	}
	if _, err := basis.ReadFile(filepath.Join(t.TempDir(), "missing.bin")); err == nil {
		t.Error("missing file: no error")
	}
}

// TestDisplace: Displace sums coefficient-weighted deltas and checks sizes.
func TestDisplace(t *testing.T) {
	b, _ := build(t)
	coeffs := make([]float32, basis.NumShapes)
	jaw, smile := b.Index("jawOpen"), b.Index("mouthSmileLeft")
	coeffs[jaw], coeffs[smile] = 0.5, 0.25
	out := make([][3]float32, basis.NumVertices)
	if err := b.Displace(coeffs, out); err != nil {
		t.Fatal(err)
	}
	for _, v := range []int{14, 152, 291} {
		for a := range 3 {
			want := 0.5*b.Deltas[jaw][v][a] + 0.25*b.Deltas[smile][v][a]
			if math.Abs(float64(out[v][a]-want)) > 1e-6 {
				t.Errorf("vertex %d axis %d: %g, want %g", v, a, out[v][a], want)
			}
		}
	}
	if err := b.Displace(coeffs[:3], out); err == nil {
		t.Error("short coefficients: no error")
	}
}

// TestBuildErrors: missing inputs are reported with their paths.
func TestBuildErrors(t *testing.T) {
	up := modeltest.Upstream(t)
	cases := []struct{ name, ict, canonical, want string }{
		{"no ict dir", filepath.Join(t.TempDir(), "nope"), filepath.Join(up, "canonical_face_model.obj"), "vertex_indices.json"},
		{"no canonical mesh", filepath.Join(up, "ict-facekit"), filepath.Join(t.TempDir(), "none.obj"), "canonical mesh"},
		{"wrong canonical mesh", filepath.Join(up, "ict-facekit"), filepath.Join(up, "face_model_with_iris.obj"), "478 vertices, want 468"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := basis.Build(c.ict, c.canonical)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}

// BenchmarkBuild times the whole transfer (reading 53 shapes included).
func BenchmarkBuild(b *testing.B) {
	up := modeltest.Upstream(b)
	for b.Loop() {
		if _, _, err := basis.Build(filepath.Join(up, "ict-facekit"), filepath.Join(up, "canonical_face_model.obj")); err != nil {
			b.Fatal(err)
		}
	}
}
