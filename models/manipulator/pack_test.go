package manipulator_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/nedstream/nedstream/models/blendshape"
	"github.com/nedstream/nedstream/models/manipulator"
	"github.com/nedstream/nedstream/models/modeltest"
	"github.com/nedstream/nedstream/models/pack"
)

// TestContractSizes: the sizes models/pack fixes (it cannot import
// models/blendshape) agree with this package's.
func TestContractSizes(t *testing.T) {
	if pack.Coefficients != blendshape.Count || pack.EmotionClasses != manipulator.NumClasses {
		t.Fatalf("pack contract %d coefficients, %d classes", pack.Coefficients, pack.EmotionClasses)
	}
}

// TestOpenFromPack: the default pack's manipulator opens through its
// manifest and edits; a block with the classes in another order is refused.
func TestOpenFromPack(t *testing.T) {
	modeltest.InitORT(t)
	dir := t.TempDir()
	if _, err := pack.Build(pack.BuildOptions{From: modeltest.Upstream(t), Out: dir, Parts: manipulator.PackParts()}); err != nil {
		t.Fatal(err)
	}
	p, err := pack.Load(dir, pack.EditingRoles...)
	if err != nil {
		t.Fatal(err)
	}
	m, err := manipulator.Open(p, cpu)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if info := m.Info(); info.Trained || info.T != manipulator.DefaultT || info.S != manipulator.AnalyticS || !m.HasEncoder() {
		t.Fatalf("info %+v, encoder %v", info, m.HasEncoder())
	}
	out := apply(t, m, baseline(), style(t, m, manipulator.Happy, 1))
	happy, err := manipulator.Prototype(manipulator.Happy)
	if err != nil {
		t.Fatal(err)
	}
	if want := happy[idx("mouthSmileLeft")]; want == 0 || out[idx("mouthSmileLeft")] != want {
		t.Fatalf("happy smile %g", out[idx("mouthSmileLeft")])
	}

	swapped := slices.Clone(p.Manifest.Manipulator.Classes)
	swapped[1], swapped[2] = swapped[2], swapped[1]
	p.Manifest.Manipulator.Classes = swapped
	if _, err := manipulator.Open(p, cpu); err == nil || !strings.Contains(err.Error(), "classes") {
		t.Fatalf("swapped classes: %v", err)
	}
	p.Manifest.Manipulator = nil
	if _, err := manipulator.Open(p, cpu); err == nil || !strings.Contains(err.Error(), "no manipulator") {
		t.Fatalf("no block: %v", err)
	}
}
