package pack_test

import (
	"encoding/json"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nedstream/nedstream/models/basis"
	"github.com/nedstream/nedstream/models/manipulator"
	"github.com/nedstream/nedstream/models/modeltest"
	"github.com/nedstream/nedstream/models/pack"
)

// fullPack builds the default pack as nedpack does: the upstream files, the
// expression basis and the analytic manipulator.
func fullPack(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if _, err := pack.Build(pack.BuildOptions{From: modeltest.Upstream(t), Out: dir, Parts: manipulator.PackParts()}); err != nil {
		t.Fatalf("build model pack: %v", err)
	}
	return dir
}

func TestBuildLoadCheck(t *testing.T) {
	modeltest.InitORT(t)
	// Face analysis only (no parts).
	p, err := pack.Load(modeltest.Pack(t), pack.RequiredRoles...)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.CheckModels(); err != nil {
		t.Fatal(err)
	}
	if p.Manifest.Schema != pack.SchemaVersion || len(p.Manifest.Files) != len(pack.RequiredRoles) || p.Manifest.Manipulator != nil {
		t.Fatalf("manifest %+v", p.Manifest)
	}
	// The default pack: face analysis, the expression basis, the analytic
	// manipulator and its optional style encoder.
	p, err = pack.Load(fullPack(t), append(pack.RequiredRoles, pack.EditingRoles...)...)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.CheckModels(); err != nil {
		t.Fatal(err)
	}
	if len(p.Manifest.Files) != len(pack.RequiredRoles)+len(pack.EditingRoles)+1 {
		t.Fatalf("roles %v", slicesKeys(p.Manifest.Files))
	}
	mi, err := p.ManipulatorInfo()
	if err != nil {
		t.Fatal(err)
	}
	if mi.Trained || mi.T != manipulator.DefaultT || mi.S != manipulator.AnalyticS ||
		strings.Join(mi.Classes, ",") != strings.Join(manipulator.Classes[:], ",") || !strings.Contains(mi.Method, "analytic") {
		t.Fatalf("manipulator block %+v", mi)
	}
	if e, _ := p.Entry(pack.RoleExpressionBasis); e.Kind != pack.KindBasis {
		t.Fatalf("basis entry %+v", e)
	}
	b, err := basis.ReadFile(p.Path(pack.RoleExpressionBasis))
	if err != nil {
		t.Fatal(err)
	}
	if b.Index("jawOpen") < 0 {
		t.Fatal("basis without jawOpen")
	}
}

func slicesKeys(m map[string]pack.Entry) []string {
	var k []string
	for r := range m {
		k = append(k, r)
	}
	return k
}

// TestSchema1: a pack written before the manipulator (schema 1, face
// analysis only) still loads and checks and has no manipulator; schema 1
// cannot carry the new roles.
func TestSchema1(t *testing.T) {
	modeltest.InitORT(t)
	dir := fullPack(t)
	raw, err := os.ReadFile(filepath.Join(dir, pack.ManifestName))
	if err != nil {
		t.Fatal(err)
	}
	var m pack.Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	full := m
	full.Files = maps.Clone(m.Files)
	m.Schema = 1
	m.Manipulator = nil
	for _, role := range []string{pack.RoleExpressionBasis, pack.RoleStyleMapping, pack.RoleStyleEncoder, pack.RoleManipulator} {
		delete(m.Files, role)
	}
	if err := pack.WriteManifest(dir, &m); err != nil {
		t.Fatal(err)
	}
	p, err := pack.Load(dir, pack.RequiredRoles...)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.CheckModels(); err != nil {
		t.Fatal(err)
	}
	if _, err := p.ManipulatorInfo(); err == nil || !strings.Contains(err.Error(), "no manipulator") {
		t.Fatalf("schema-1 manipulator info: %v", err)
	}
	if _, err := pack.Load(dir, pack.EditingRoles...); err == nil || !strings.Contains(err.Error(), `role "manipulator" missing`) {
		t.Fatalf("schema 1 with editing roles required: %v", err)
	}
	full.Schema = 1
	if err := pack.WriteManifest(dir, &full); err != nil {
		t.Fatal(err)
	}
	if _, err := pack.Load(dir); err == nil || !strings.Contains(err.Error(), "needs manifest schema 2") {
		t.Fatalf("schema 1 with a manipulator: %v", err)
	}
}

func TestBadPart(t *testing.T) {
	cases := []struct {
		part pack.Part
		want string
	}{
		{pack.Part{Name: "nothing"}, `"nothing" has no Build`},
		{pack.Part{Name: "failing", Build: func(_, _ string, _ *pack.Manifest) error { return errors.New("boom") }}, "build failing: boom"},
	}
	for _, c := range cases {
		_, err := pack.Build(pack.BuildOptions{From: modeltest.Upstream(t), Out: t.TempDir(), Parts: []pack.Part{c.part}})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("part %q: error %v, want %q", c.part.Name, err, c.want)
		}
	}
	_, err := pack.Build(pack.BuildOptions{From: t.TempDir(), Out: t.TempDir(), Parts: manipulator.PackParts()})
	if err == nil {
		t.Error("build from an empty upstream directory succeeded")
	}
}

// breakPack applies a change to a fresh pack and returns the load/check error.
func breakPack(t *testing.T, change func(dir string, m *pack.Manifest)) error {
	t.Helper()
	modeltest.InitORT(t)
	dir := fullPack(t)
	raw, err := os.ReadFile(filepath.Join(dir, pack.ManifestName))
	if err != nil {
		t.Fatal(err)
	}
	var m pack.Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	change(dir, &m)
	if err := pack.WriteManifest(dir, &m); err != nil {
		t.Fatal(err)
	}
	p, err := pack.Load(dir, pack.RequiredRoles...)
	if err != nil {
		return err
	}
	return p.CheckModels()
}

func TestErrors(t *testing.T) {
	cases := []struct {
		name   string
		change func(dir string, m *pack.Manifest)
		want   []string
	}{
		{"missing file", func(dir string, m *pack.Manifest) {
			os.Remove(filepath.Join(dir, "iris_landmark.onnx"))
		}, []string{"iris", "iris_landmark.onnx", "no such file"}},
		{"corrupt file", func(dir string, m *pack.Manifest) {
			f, _ := os.OpenFile(filepath.Join(dir, "face_landmark_468.onnx"), os.O_WRONLY, 0)
			f.WriteAt([]byte("garbage"), 1000)
			f.Close()
		}, []string{"landmarker", "checksum mismatch"}},
		{"not onnx", func(dir string, m *pack.Manifest) {
			p := filepath.Join(dir, "not.onnx")
			os.WriteFile(p, []byte("this is not a model"), 0o644)
			sum, _ := pack.FileSHA256(p)
			e := m.Files[pack.RoleDetector]
			e.File, e.SHA256 = "not.onnx", sum
			m.Files[pack.RoleDetector] = e
		}, []string{"detector", "not a loadable ONNX model"}},
		{"wrong tensor name", func(dir string, m *pack.Manifest) {
			e := m.Files[pack.RoleIris]
			e.Inputs = []pack.Tensor{{Name: "image", Shape: []int64{1, 3, 64, 64}}}
			m.Files[pack.RoleIris] = e
		}, []string{"iris", `no input "image"`, "input_1"}},
		{"wrong shape", func(dir string, m *pack.Manifest) {
			e := m.Files[pack.RoleLandmarker]
			e.Inputs = []pack.Tensor{{Name: "input_1", Shape: []int64{1, 3, 256, 256}}}
			m.Files[pack.RoleLandmarker] = e
		}, []string{"landmarker", `"input_1" has shape [1 3 192 192]`, "[1 3 256 256]"}},
		{"missing role", func(dir string, m *pack.Manifest) {
			delete(m.Files, pack.RoleBlendshapes)
		}, []string{`role "blendshapes" missing`}},
		{"manipulator without block", func(dir string, m *pack.Manifest) {
			m.Manipulator = nil
		}, []string{"manipulator block"}},
		{"block without manipulator", func(dir string, m *pack.Manifest) {
			delete(m.Files, pack.RoleStyleMapping)
			delete(m.Files, pack.RoleStyleEncoder)
			delete(m.Files, pack.RoleManipulator)
		}, []string{`manipulator block without the "manipulator" role`}},
		{"style mapping alone", func(dir string, m *pack.Manifest) {
			delete(m.Files, pack.RoleManipulator)
		}, []string{"come together"}},
		{"wrong S", func(dir string, m *pack.Manifest) {
			m.Manipulator.S = 40
		}, []string{"style_mapping", `"style" has shape [-1 53]`, "[-1 40]", "S = 53"}},
		{"wrong classes", func(dir string, m *pack.Manifest) {
			m.Manipulator.Classes = []string{"happy", "sad"}
		}, []string{"classes", "want 8 names"}},
		{"zero T", func(dir string, m *pack.Manifest) {
			m.Manipulator.T = 0
		}, []string{"t = 0"}},
		{"analytic without method", func(dir string, m *pack.Manifest) {
			m.Manipulator.Method = ""
		}, []string{"must name its method"}},
		{"analytic called trained", func(dir string, m *pack.Manifest) {
			m.Manipulator.Trained = true
		}, []string{"manipulator", "says it is analytic", "trained = true"}},
		{"manipulator tensor renamed", func(dir string, m *pack.Manifest) {
			e := m.Files[pack.RoleManipulator]
			e.Outputs = []pack.Tensor{{Name: "out", Shape: []int64{-1, -1, 52}}}
			m.Files[pack.RoleManipulator] = e
		}, []string{"manipulator", `no output "out"`, "expression_out"}},
		{"model in the basis role", func(dir string, m *pack.Manifest) {
			e := m.Files[pack.RoleExpressionBasis]
			e.File, e.SHA256 = m.Files[pack.RoleIris].File, m.Files[pack.RoleIris].SHA256
			m.Files[pack.RoleExpressionBasis] = e
		}, []string{"expression_basis", "not an expression basis file"}},
		{"escaping path", func(dir string, m *pack.Manifest) {
			e := m.Files[pack.RoleGeometry]
			e.File = "../../etc/passwd"
			m.Files[pack.RoleGeometry] = e
		}, []string{"geometry", "bad file name"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := breakPack(t, c.change)
			if err == nil {
				t.Fatal("broken pack accepted")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestNoManifest(t *testing.T) {
	_, err := pack.Load(t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "nedpack build") {
		t.Fatalf("want a hint to build a pack, got %v", err)
	}
	if _, err := pack.Load(""); err == nil || !strings.Contains(err.Error(), "model-pack") {
		t.Fatalf("empty dir: %v", err)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, pack.ManifestName), []byte(`{"schema": 99, "files": {}}`), 0o644)
	if _, err := pack.Load(dir); err == nil || !strings.Contains(err.Error(), "schema 99") {
		t.Fatalf("future schema: %v", err)
	}
}
