package pack_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nedstream/nedstream/models/internal/testmodels"
	"github.com/nedstream/nedstream/models/pack"
)

func TestBuildLoadCheck(t *testing.T) {
	testmodels.InitORT(t)
	dir := testmodels.Pack(t)
	p, err := pack.Load(dir, pack.RequiredRoles...)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.CheckModels(); err != nil {
		t.Fatal(err)
	}
	if p.Manifest.Schema != pack.SchemaVersion || len(p.Manifest.Files) != len(pack.RequiredRoles) {
		t.Fatalf("manifest %+v", p.Manifest)
	}
}

// breakPack applies a change to a fresh pack and returns the load/check error.
func breakPack(t *testing.T, change func(dir string, m *pack.Manifest)) error {
	t.Helper()
	testmodels.InitORT(t)
	dir := testmodels.Pack(t)
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
