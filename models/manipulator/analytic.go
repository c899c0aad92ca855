package manipulator

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/nedstream/nedstream/models/blendshape"
	"github.com/nedstream/nedstream/models/onnx"
	"github.com/nedstream/nedstream/models/pack"
)

// Roles of the manipulator models in a pack (defined by models/pack).
const (
	RoleStyleMapping = pack.RoleStyleMapping
	RoleStyleEncoder = pack.RoleStyleEncoder
	RoleManipulator  = pack.RoleManipulator
)

// Tensor names of the contract (docs/MODELS.md; defined by models/pack).
const (
	// style_mapping inputs and output.
	TensorEmotion   = pack.TensorEmotion
	TensorIntensity = pack.TensorIntensity
	TensorStyle     = pack.TensorStyle
	// style_encoder input.
	TensorReference = pack.TensorReference
	// manipulator input (with TensorStyle) and output.
	TensorExpression    = pack.TensorExpression
	TensorExpressionOut = pack.TensorExpressionOut
)

// Metadata keys written into the models (ONNX metadata_props).
const (
	MetaKind    = pack.MetaKind
	MetaRole    = pack.MetaRole
	MetaT       = pack.MetaT
	MetaS       = pack.MetaS
	MetaClasses = pack.MetaClasses
	MetaMethod  = pack.MetaMethod
)

// KindAnalytic is the nedstream.kind of models built by BuildAnalytic;
// trained exports use KindTrained.
const (
	KindAnalytic = pack.KindAnalytic
	KindTrained  = pack.KindTrained
)

// AnalyticS is the style width of the analytic models: 52 coefficients
// (the prototype mixture scaled by the intensity, a·p) and the intensity a.
const AnalyticS = blendshape.Count + 1

// DefaultT is the window length recorded for the analytic manipulator (the
// analytic model is frame-wise and accepts any T; the runtime keeps this
// many frames per face for trained models that use context).
const DefaultT = 16

// AnalyticMethod describes the analytic models in manifests and metadata.
const AnalyticMethod = "analytic FACS prototypes (EMFACS AUs mapped to ARKit coefficients), blended by intensity; speech channels kept with bounded offsets"

// opset is the ONNX operator set of the analytic models (ReduceMean/ReduceMin
// take axes as an attribute up to 17).
const opset = 17

// Model describes one file BuildAnalytic wrote.
type Model struct {
	// Role is style_mapping, style_encoder or manipulator.
	Role string
	// File is the file name inside the directory.
	File string
	// Inputs and Outputs are the contract's tensors; -1 marks B and T.
	Inputs  []pack.Tensor
	Outputs []pack.Tensor
}

// Info is what the runtime needs to know about a set of manipulator models;
// a pack's manifest records it (pack.ManipulatorInfo).
type Info struct {
	// T is the window length the manipulator is meant to see.
	T int
	// S is the style width.
	S int
	// Classes is the class order of style_mapping's "emotion" input.
	Classes []string
	// Trained says whether the models were trained (false: analytic).
	Trained bool
	// Method says how they were made.
	Method string
}

// AnalyticInfo is the Info of BuildAnalytic's models for window length t.
func AnalyticInfo(t int) Info {
	return Info{T: t, S: AnalyticS, Classes: append([]string(nil), Classes[:]...), Method: AnalyticMethod}
}

// InfoFromPack converts a manifest's manipulator block.
func InfoFromPack(mi *pack.ManipulatorInfo) Info {
	return Info{T: mi.T, S: mi.S, Classes: append([]string(nil), mi.Classes...), Trained: mi.Trained, Method: mi.Method}
}

// Validate checks that info fits the contract.
func (i Info) Validate() error {
	var problems []string
	if i.T < 1 {
		problems = append(problems, fmt.Sprintf("T = %d (want >= 1)", i.T))
	}
	if i.S < 1 {
		problems = append(problems, fmt.Sprintf("S = %d (want >= 1)", i.S))
	}
	if strings.Join(i.Classes, ",") != strings.Join(Classes[:], ",") {
		problems = append(problems, fmt.Sprintf("classes %q (want %q in that order)", i.Classes, Classes[:]))
	}
	if !i.Trained && i.Method == "" {
		problems = append(problems, "an untrained (analytic) manipulator must name its method")
	}
	if len(problems) > 0 {
		return errors.New("manipulator info: " + strings.Join(problems, "; "))
	}
	return nil
}

// masks returns the blend mask R (1 on blend channels) and the offset mask:
// 1 on the speech channels that some prototype offsets (jaw drop, lip press,
// lip raise and lower, chin raise, lip stretch). Pure articulation channels
// (mouthClose, funnel, pucker, rolls) never carry an emotion offset, so a
// reference clip's speech on them does not leak into its style.
func masks(protos [NumClasses][blendshape.Count]float32) (blend, offset []float32) {
	blend = make([]float32, blendshape.Count)
	offset = make([]float32, blendshape.Count)
	for i, c := range Channels {
		switch c {
		case Blend:
			blend[i] = 1
		case Speech:
			for _, p := range protos {
				if p[i] != 0 {
					offset[i] = 1
				}
			}
		}
	}
	return blend, offset
}

// newAnalytic starts a builder with the common metadata.
func newAnalytic(role string, t int) *onnx.Builder {
	b := onnx.NewBuilder("nedstream_analytic_"+role, opset)
	b.Metadata(MetaKind, KindAnalytic)
	b.Metadata(MetaRole, role)
	b.Metadata(MetaT, strconv.Itoa(t))
	b.Metadata(MetaS, strconv.Itoa(AnalyticS))
	b.Metadata(MetaClasses, strings.Join(Classes[:], ","))
	b.Metadata(MetaMethod, AnalyticMethod)
	b.Initializer("zero", []int64{}, []float32{0})
	b.Initializer("one", []int64{}, []float32{1})
	b.InitializerInt64("axis1", []int64{1}, []int64{1})
	return b
}

// buildStyleMapping: emotion [B,8], intensity [B,1] -> style [B,53] =
// [a·p, a], p = normalised mixture of the prototypes, a = clip(intensity, 0, 1).
func buildStyleMapping(t int, protos [NumClasses][blendshape.Count]float32) *onnx.Builder {
	b := newAnalytic(RoleStyleMapping, t)
	b.Doc("nedstream analytic style mapping: emotion mixture + intensity -> style [a*p, a] (docs/MODELS.md)")
	b.Input(TensorEmotion, []int64{-1, NumClasses})
	b.Input(TensorIntensity, []int64{-1, 1})
	flat := make([]float32, 0, NumClasses*blendshape.Count)
	for _, p := range protos {
		flat = append(flat, p[:]...)
	}
	b.Initializer("prototypes", []int64{NumClasses, blendshape.Count}, flat)
	neutral := make([]float32, NumClasses)
	neutral[Neutral] = 1
	b.Initializer("neutral_onehot", []int64{NumClasses}, neutral)
	// Negative weights count as 0; a mixture summing to less than 1 is
	// filled up with neutral, one summing to more is normalised.
	b.Node("Relu", []string{TensorEmotion}, []string{"w"})
	b.Node("ReduceSum", []string{"w", "axis1"}, []string{"w_sum"}, onnx.AttrInt("keepdims", 1))
	b.Node("Sub", []string{"one", "w_sum"}, []string{"w_missing"})
	b.Node("Relu", []string{"w_missing"}, []string{"w_fill"})
	b.Node("Mul", []string{"w_fill", "neutral_onehot"}, []string{"w_fill_neutral"})
	b.Node("Add", []string{"w", "w_fill_neutral"}, []string{"w_full"})
	b.Node("Max", []string{"w_sum", "one"}, []string{"w_total"})
	b.Node("Div", []string{"w_full", "w_total"}, []string{"w_norm"})
	b.Node("MatMul", []string{"w_norm", "prototypes"}, []string{"p"})
	b.Node("Clip", []string{TensorIntensity, "zero", "one"}, []string{"a"})
	b.Node("Mul", []string{"p", "a"}, []string{"ap"})
	b.Node("Concat", []string{"ap", "a"}, []string{TensorStyle}, onnx.AttrInt("axis", 1))
	b.Output(TensorStyle, []int64{-1, AnalyticS})
	return b
}

// buildStyleEncoder: reference [B,T,52] -> style [B,53]: the clip's mean on
// blend channels, its minimum (the sustained part, bounded by
// MaxSpeechOffset) on the speech channels prototypes offset, 0 elsewhere;
// intensity 1.
func buildStyleEncoder(t int, protos [NumClasses][blendshape.Count]float32) *onnx.Builder {
	b := newAnalytic(RoleStyleEncoder, t)
	b.Doc("nedstream analytic style encoder: reference clip -> style [p, 1], p = clip mean (blend) / clip minimum (speech offsets) (docs/MODELS.md)")
	blend, offset := masks(protos)
	b.Initializer("blend_mask", []int64{blendshape.Count}, blend)
	b.Initializer("offset_mask", []int64{blendshape.Count}, offset)
	b.Initializer("max_offset", []int64{}, []float32{MaxSpeechOffset})
	b.InitializerInt64("first", []int64{1}, []int64{0})
	b.Input(TensorReference, []int64{-1, -1, blendshape.Count})
	b.Node("ReduceMean", []string{TensorReference}, []string{"mean"}, onnx.AttrInts("axes", 1), onnx.AttrInt("keepdims", 0))
	b.Node("ReduceMin", []string{TensorReference}, []string{"min"}, onnx.AttrInts("axes", 1), onnx.AttrInt("keepdims", 0))
	b.Node("Clip", []string{"mean", "zero", "one"}, []string{"mean_c"})
	b.Node("Clip", []string{"min", "zero", "max_offset"}, []string{"min_c"})
	b.Node("Mul", []string{"mean_c", "blend_mask"}, []string{"p_blend"})
	b.Node("Mul", []string{"min_c", "offset_mask"}, []string{"p_speech"})
	b.Node("Add", []string{"p_blend", "p_speech"}, []string{"p"})
	// A [B,1] column of ones with the batch's dynamic size.
	b.Node("Slice", []string{"p", "first", "axis1", "axis1"}, []string{"p0"})
	b.Node("Mul", []string{"p0", "zero"}, []string{"zeros"})
	b.Node("Add", []string{"zeros", "one"}, []string{"a"})
	b.Node("Concat", []string{"p", "a"}, []string{TensorStyle}, onnx.AttrInt("axis", 1))
	b.Output(TensorStyle, []int64{-1, AnalyticS})
	return b
}

// buildManipulator: expression [B,T,52], style [B,53] -> expression_out
// [B,T,52] = clip(e·(1 - a·R) + s, 0, 1), s = style[:, :52], a = style[:, 52],
// R the blend mask: blend channels become (1-a)e + a·p, the others e + a·p.
func buildManipulator(t int, protos [NumClasses][blendshape.Count]float32) *onnx.Builder {
	b := newAnalytic(RoleManipulator, t)
	b.Doc("nedstream analytic manipulator: out = clip(e*(1 - a*R) + s, 0, 1), frame-wise (docs/MODELS.md)")
	blend, _ := masks(protos)
	b.Initializer("blend_mask", []int64{blendshape.Count}, blend)
	b.InitializerInt64("s_start", []int64{1}, []int64{0})
	b.InitializerInt64("s_end", []int64{1}, []int64{blendshape.Count})
	b.InitializerInt64("a_end", []int64{1}, []int64{blendshape.Count + 1})
	b.Input(TensorExpression, []int64{-1, -1, blendshape.Count})
	b.Input(TensorStyle, []int64{-1, AnalyticS})
	b.Node("Slice", []string{TensorStyle, "s_start", "s_end", "axis1"}, []string{"s"})
	b.Node("Slice", []string{TensorStyle, "s_end", "a_end", "axis1"}, []string{"a"})
	b.Node("Unsqueeze", []string{"s", "axis1"}, []string{"s3"})
	b.Node("Unsqueeze", []string{"a", "axis1"}, []string{"a3"})
	b.Node("Mul", []string{"a3", "blend_mask"}, []string{"a_blend"})
	b.Node("Sub", []string{"one", "a_blend"}, []string{"keep"})
	b.Node("Mul", []string{TensorExpression, "keep"}, []string{"e_kept"})
	b.Node("Add", []string{"e_kept", "s3"}, []string{"raw"})
	b.Node("Clip", []string{"raw", "zero", "one"}, []string{TensorExpressionOut})
	b.Output(TensorExpressionOut, []int64{-1, -1, blendshape.Count})
	return b
}

// Analytic file names.
const (
	FileStyleMapping = "style_mapping_analytic.onnx"
	FileStyleEncoder = "style_encoder_analytic.onnx"
	FileManipulator  = "manipulator_analytic.onnx"
)

// BuildAnalytic writes the analytic style_mapping, style_encoder and
// manipulator models into dir (created if missing) for window length t, and
// describes them. The models record
// nedstream.kind=analytic, T, S and the classes in their metadata.
func BuildAnalytic(dir string, t int) ([]Model, error) {
	if t < 1 {
		return nil, fmt.Errorf("analytic manipulator: T = %d (want >= 1)", t)
	}
	protos, err := Prototypes()
	if err != nil {
		return nil, fmt.Errorf("analytic manipulator: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("analytic manipulator: %w", err)
	}
	builds := []struct {
		role, file string
		b          *onnx.Builder
	}{
		{RoleStyleMapping, FileStyleMapping, buildStyleMapping(t, protos)},
		{RoleStyleEncoder, FileStyleEncoder, buildStyleEncoder(t, protos)},
		{RoleManipulator, FileManipulator, buildManipulator(t, protos)},
	}
	models := make([]Model, 0, len(builds))
	for _, m := range builds {
		if err := m.b.WriteFile(filepath.Join(dir, m.file)); err != nil {
			return nil, fmt.Errorf("analytic %s: %w", m.role, err)
		}
		ins, outs, err := pack.ManipulatorTensors(m.role, AnalyticS)
		if err != nil {
			return nil, err
		}
		models = append(models, Model{Role: m.role, File: m.file, Inputs: ins, Outputs: outs})
	}
	return models, nil
}
