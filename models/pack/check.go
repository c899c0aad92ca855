package pack

import (
	"fmt"
	"slices"
	"strings"

	ortgo "github.com/yalue/onnxruntime_go"
)

// CheckModels opens every ONNX file of the pack with onnxruntime (which must
// be initialised, see models/ort) and checks that the tensors the manifest
// names exist with compatible shapes. It reports every problem at once.
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
