package pack

import "fmt"

// Roles of the expression-editing files (manifest schema 2). The manipulator
// roles follow the contract in docs/MODELS.md; models/manipulator runs them.
const (
	// RoleExpressionBasis is the expression basis on the canonical mesh
	// (models/basis binary format; docs/BASIS.md).
	RoleExpressionBasis = "expression_basis"
	// RoleStyleMapping maps an emotion mixture and an intensity to a style.
	RoleStyleMapping = "style_mapping"
	// RoleStyleEncoder (optional) maps a reference clip to a style.
	RoleStyleEncoder = "style_encoder"
	// RoleManipulator edits a window of coefficients with a style.
	RoleManipulator = "manipulator"
)

// Sizes fixed by the manipulator contract.
const (
	// Coefficients is the number of expression coefficients (MediaPipe's 52
	// ARKit-named blendshapes, models/blendshape order).
	Coefficients = 52
	// EmotionClasses is the width of style_mapping's "emotion" input.
	EmotionClasses = 8
)

// Tensor names of the manipulator contract.
const (
	TensorEmotion       = "emotion"        // style_mapping input [B,8]
	TensorIntensity     = "intensity"      // style_mapping input [B,1]
	TensorStyle         = "style"          // style_mapping and style_encoder output, manipulator input [B,S]
	TensorReference     = "reference"      // style_encoder input [B,T,52]
	TensorExpression    = "expression"     // manipulator input [B,T,52]
	TensorExpressionOut = "expression_out" // manipulator output [B,T,52]
)

// ONNX metadata_props keys the manipulator models may carry, and the values
// of MetaKind. CheckModels compares them with the manifest when present.
const (
	MetaKind     = "nedstream.kind"
	MetaRole     = "nedstream.role"
	MetaT        = "nedstream.T"
	MetaS        = "nedstream.S"
	MetaClasses  = "nedstream.classes"
	MetaMethod   = "nedstream.method"
	KindAnalytic = "analytic"
	KindTrained  = "trained"
)

// ManipulatorTensors returns the inputs and outputs the contract fixes for
// a manipulator role with style width s; -1 marks the dynamic B and T.
func ManipulatorTensors(role string, s int) (inputs, outputs []Tensor, err error) {
	S := int64(s)
	switch role {
	case RoleStyleMapping:
		return []Tensor{{TensorEmotion, []int64{-1, EmotionClasses}}, {TensorIntensity, []int64{-1, 1}}},
			[]Tensor{{TensorStyle, []int64{-1, S}}}, nil
	case RoleStyleEncoder:
		return []Tensor{{TensorReference, []int64{-1, -1, Coefficients}}},
			[]Tensor{{TensorStyle, []int64{-1, S}}}, nil
	case RoleManipulator:
		return []Tensor{{TensorExpression, []int64{-1, -1, Coefficients}}, {TensorStyle, []int64{-1, S}}},
			[]Tensor{{TensorExpressionOut, []int64{-1, -1, Coefficients}}}, nil
	}
	return nil, nil, fmt.Errorf("unknown manipulator role %q", role)
}

// IsManipulatorRole reports whether role is one of the manipulator roles.
func IsManipulatorRole(role string) bool {
	return role == RoleStyleMapping || role == RoleStyleEncoder || role == RoleManipulator
}

// RoleRenderer (optional) is a learned renderer that replaces the warp:
// face crop + source and target geometry -> edited crop (docs/MODELS.md).
const RoleRenderer = "renderer"

// Renderer tensors and sizes (models/render runs the model).
const (
	TensorCrop     = "crop"     // renderer input [1,3,N,N], RGB in [0,1]
	TensorSource   = "source"   // renderer input [1,468,2], crop-normalised x, y
	TensorTarget   = "target"   // renderer input [1,468,2], crop-normalised x, y
	TensorCropOut  = "crop_out" // renderer output [1,3,N,N], RGB in [0,1]
	RendererPoints = 468
)

// RendererTensors returns the inputs and outputs the renderer contract
// fixes; -1 marks the crop side N (the model may fix it).
func RendererTensors() (inputs, outputs []Tensor) {
	return []Tensor{{TensorCrop, []int64{1, 3, -1, -1}}, {TensorSource, []int64{1, RendererPoints, 2}}, {TensorTarget, []int64{1, RendererPoints, 2}}},
		[]Tensor{{TensorCropOut, []int64{1, 3, -1, -1}}}
}
