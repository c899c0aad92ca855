package pack

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	ortgo "github.com/yalue/onnxruntime_go"
)

// CheckModels opens every ONNX file of the pack with onnxruntime (which must
// be initialised, see models/ort) and checks that the tensors the manifest
// names exist with compatible shapes; that the manipulator models have the
// contract's tensors for the manifest's S and T and that their metadata, if
// any, agrees with the manifest (S, trained or analytic); and that an
// expression basis file starts with the basis format's magic. It reports
// every problem at once.
func (p *Pack) CheckModels() error {
	var problems []string
	roles := make([]string, 0, len(p.Manifest.Files))
	for role, e := range p.Manifest.Files {
		if e.Kind == KindONNX {
			roles = append(roles, role)
		}
	}
	slices.Sort(roles)
	for _, role := range roles {
		e := p.Manifest.Files[role]
		ins, outs, err := ortgo.GetInputOutputInfo(p.Path(role))
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %s is not a loadable ONNX model: %v", role, e.File, err))
			continue
		}
		problems = append(problems, checkTensors(role, "input", e.Inputs, ins)...)
		problems = append(problems, checkTensors(role, "output", e.Outputs, outs)...)
		if role == RoleRenderer {
			wantIn, wantOut := RendererTensors()
			problems = append(problems, checkTensors(role, "input", wantIn, ins)...)
			problems = append(problems, checkTensors(role, "output", wantOut, outs)...)
		}
		if mi := p.Manifest.Manipulator; mi != nil && IsManipulatorRole(role) {
			problems = append(problems, p.checkManipulatorModel(role, mi, ins, outs)...)
		}
	}
	all := make([]string, 0, len(p.Manifest.Files))
	for role := range p.Manifest.Files {
		all = append(all, role)
	}
	slices.Sort(all)
	for _, role := range all {
		if p.Manifest.Files[role].Kind == KindBasis {
			if err := checkBasisMagic(p.Path(role)); err != nil {
				problems = append(problems, fmt.Sprintf("%s: %v", role, err))
			}
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("model pack %s: %s", p.Dir, strings.Join(problems, "; "))
	}
	return nil
}

func checkTensors(role, what string, want []Tensor, have []ortgo.InputOutputInfo) []string {
	var problems []string
	for _, w := range want {
		i := slices.IndexFunc(have, func(h ortgo.InputOutputInfo) bool { return h.Name == w.Name })
		if i < 0 {
			names := make([]string, len(have))
			for k, h := range have {
				names[k] = h.Name
			}
			problems = append(problems, fmt.Sprintf("%s: model has no %s %q (it has %s)", role, what, w.Name, strings.Join(names, ", ")))
			continue
		}
		if !ShapeCompatible(w.Shape, have[i].Dimensions) {
			problems = append(problems, fmt.Sprintf("%s: %s %q has shape %v, the manifest expects %v", role, what, w.Name, []int64(have[i].Dimensions), w.Shape))
		}
	}
	return problems
}

// ShapeCompatible reports whether a model's declared shape fits the expected
// one; -1 (dynamic) on either side matches any size.
func ShapeCompatible(want, have []int64) bool {
	if len(want) != len(have) {
		return false
	}
	for i := range want {
		if want[i] >= 0 && have[i] >= 0 && want[i] != have[i] {
			return false
		}
	}
	return true
}

// basisMagic starts every models/basis file (docs/BASIS.md); models/basis
// verifies the rest (version, names, CRC) when the renderer reads it.
var basisMagic = []byte("NEDBASIS")

func checkBasisMagic(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	head := make([]byte, len(basisMagic))
	if _, err := io.ReadFull(f, head); err != nil || !bytes.Equal(head, basisMagic) {
		return fmt.Errorf("%s is not an expression basis file (no %s magic)", path, basisMagic)
	}
	return nil
}

// checkManipulatorModel checks one manipulator model against the contract
// (docs/MODELS.md) for the manifest's S and T, and its nedstream.*
// metadata, when present, against the manifest.
func (p *Pack) checkManipulatorModel(role string, mi *ManipulatorInfo, ins, outs []ortgo.InputOutputInfo) []string {
	wantIn, wantOut, err := ManipulatorTensors(role, mi.S)
	if err != nil {
		return []string{fmt.Sprintf("%s: %v", role, err)}
	}
	var problems []string
	problems = append(problems, checkTensors(role, "input", wantIn, ins)...)
	problems = append(problems, checkTensors(role, "output", wantOut, outs)...)
	if role == RoleManipulator {
		for _, in := range ins {
			if in.Name == TensorExpression && len(in.Dimensions) == 3 && in.Dimensions[1] > 0 && int(in.Dimensions[1]) != mi.T {
				problems = append(problems, fmt.Sprintf("%s: input %q has a fixed window of %d frames, the manifest says t = %d", role, in.Name, in.Dimensions[1], mi.T))
			}
		}
	}
	md, err := ortgo.GetModelMetadata(p.Path(role))
	if err != nil {
		return append(problems, fmt.Sprintf("%s: metadata: %v", role, err))
	}
	defer md.Destroy()
	if kind, ok, err := md.LookupCustomMetadataMap(MetaKind); err == nil && ok && (kind == KindAnalytic) == mi.Trained {
		problems = append(problems, fmt.Sprintf("%s: the model says it is %s, the manifest says trained = %v", role, kind, mi.Trained))
	}
	if s, ok, err := md.LookupCustomMetadataMap(MetaS); err == nil && ok && s != strconv.Itoa(mi.S) {
		problems = append(problems, fmt.Sprintf("%s: the model's metadata says S = %s, the manifest says s = %d", role, s, mi.S))
	}
	return problems
}
