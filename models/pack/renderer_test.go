package pack_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/nedstream/nedstream/models/manipulator"
	"github.com/nedstream/nedstream/models/modeltest"
	"github.com/nedstream/nedstream/models/onnx"
	"github.com/nedstream/nedstream/models/pack"
)

// TestAddRenderer: a model with the renderer contract's tensors is added and
// checked; one without them is refused and leaves the pack as it was.
func TestAddRenderer(t *testing.T) {
	modeltest.InitORT(t)
	dir := fullPack(t)
	wrong := filepath.Join(dir, manipulator.FileManipulator)
	if err := pack.AddRenderer(dir, wrong); err == nil || !strings.Contains(err.Error(), `"crop"`) {
		t.Errorf("a manipulator added as renderer: %v", err)
	}
	p, err := pack.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if p.Path(pack.RoleRenderer) != "" {
		t.Fatal("a refused renderer is in the manifest")
	}

	model := filepath.Join(t.TempDir(), "identity.onnx")
	b := onnx.NewBuilder("identity_renderer", 17)
	b.Input(pack.TensorCrop, []int64{1, 3, 128, 128})
	b.Input(pack.TensorSource, []int64{1, pack.RendererPoints, 2})
	b.Input(pack.TensorTarget, []int64{1, pack.RendererPoints, 2})
	b.Node("Identity", []string{pack.TensorCrop}, []string{pack.TensorCropOut})
	b.Output(pack.TensorCropOut, []int64{1, 3, 128, 128})
	if err := b.WriteFile(model); err != nil {
		t.Fatal(err)
	}
	if err := pack.AddRenderer(dir, model); err != nil {
		t.Fatal(err)
	}
	if p, err = pack.Load(dir, append(pack.RequiredRoles, pack.RoleRenderer)...); err != nil {
		t.Fatal(err)
	}
	if err := p.CheckModels(); err != nil {
		t.Fatal(err)
	}

	// A renderer without the manipulator is refused when the pack loads.
	err = breakPack(t, func(dir string, m *pack.Manifest) {
		m.Files[pack.RoleRenderer] = p.Manifest.Files[pack.RoleRenderer]
		delete(m.Files, pack.RoleManipulator)
		delete(m.Files, pack.RoleStyleMapping)
		delete(m.Files, pack.RoleStyleEncoder)
		m.Manipulator = nil
	})
	if err == nil || !strings.Contains(err.Error(), `"renderer" without "manipulator"`) {
		t.Errorf("renderer without manipulator: %v", err)
	}
}
