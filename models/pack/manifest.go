// Package pack reads, checks and builds model packs: a directory holding the
// models and data files the engine loads, described by a manifest (pack.json)
// with each file's checksum, tensor names and shapes, pre-processing constants
// and licence.
package pack

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// ManifestName is the manifest's file name inside a pack directory.
const ManifestName = "pack.json"

// SchemaVersion is the manifest schema this code writes. Schema 2 added the
// expression basis, the manipulator roles and the manipulator block.
const SchemaVersion = 2

// MinSchemaVersion is the oldest schema Load still reads: schema-1 packs
// (face analysis only) load unchanged.
const MinSchemaVersion = 1

// Roles of the files in a pack.
const (
	RoleDetector    = "detector"
	RoleLandmarker  = "landmarker"
	RoleIris        = "iris"
	RoleBlendshapes = "blendshapes"
	// RoleCanonicalMesh is MediaPipe's canonical face mesh (OBJ).
	RoleCanonicalMesh = "canonical_mesh"
	// RoleGeometry is MediaPipe's face-geometry metadata (Procrustes weights).
	RoleGeometry = "geometry"
)

// Kinds of files.
const (
	KindONNX = "onnx"
	KindOBJ  = "obj"
	KindText = "pbtxt"
	// KindBasis is models/basis's binary expression basis.
	KindBasis = "nedbasis"
)

// Tensor is a model input or output as the manifest records it; -1 marks a
// dynamic dimension.
type Tensor struct {
	Name  string  `json:"name"`
	Shape []int64 `json:"shape"`
}

// Entry describes one file of the pack.
type Entry struct {
	// File is the path relative to the pack directory.
	File string `json:"file"`
	// Kind is onnx, obj, pbtxt or nedbasis.
	Kind string `json:"kind"`
	// SHA256 is the hex checksum of the file.
	SHA256 string `json:"sha256"`
	// Inputs and Outputs are the ONNX tensors the engine uses.
	Inputs  []Tensor `json:"inputs,omitempty"`
	Outputs []Tensor `json:"outputs,omitempty"`
	// Preprocess holds the constants the engine applies to the model's input
	// (colour order, scale, bias, crop size, ROI scale ...).
	Preprocess *Preprocess `json:"preprocess,omitempty"`
	// License is the SPDX identifier of the file's licence.
	License string `json:"license"`
	// Source says where the file comes from.
	Source string `json:"source"`
}

// Preprocess are the constants that turn frame pixels into a model input.
type Preprocess struct {
	// Color is "RGB" or "BGR": the channel order of the input tensor.
	Color string `json:"color"`
	// Scale and Bias map a byte v to v*Scale+Bias.
	Scale float32 `json:"scale"`
	Bias  float32 `json:"bias"`
	// Size is the square crop side (0 for the detector's free size).
	Size int `json:"size,omitempty"`
	// ROIScale enlarges the region around a face or eye before cropping.
	ROIScale float64 `json:"roi_scale,omitempty"`
	// InputLong is the detector's input size along the frame's long side.
	InputLong int `json:"input_long,omitempty"`
	// Align is the multiple the detector's input sides are padded to.
	Align int `json:"align,omitempty"`
}

// Manifest is the content of pack.json.
type Manifest struct {
	Schema  int              `json:"schema"`
	Name    string           `json:"name"`
	Created string           `json:"created,omitempty"`
	Files   map[string]Entry `json:"files"`
	// Manipulator describes the manipulator models (schema 2); present
	// exactly when the pack has the style_mapping and manipulator roles.
	Manipulator *ManipulatorInfo `json:"manipulator,omitempty"`
	// Notes are free-form remarks (how the pack was built).
	Notes []string `json:"notes,omitempty"`
}

// ManipulatorInfo is the manifest's manipulator block (docs/MODELS.md).
type ManipulatorInfo struct {
	// T is the window length (frames) the manipulator is meant to see.
	T int `json:"t"`
	// S is the width of the style vector.
	S int `json:"s"`
	// Classes is the order of style_mapping's "emotion" input (8 names;
	// models/manipulator checks them against its class list).
	Classes []string `json:"classes"`
	// Trained says whether the models were trained; false for the analytic
	// FACS-prototype models.
	Trained bool `json:"trained"`
	// Method says how the models were made (required when not trained).
	Method string `json:"method,omitempty"`
	// Training describes the training run of a trained pack.
	Training *Training `json:"training,omitempty"`
}

// Training records where a trained manipulator came from.
type Training struct {
	// Data names the training data (corpus, split).
	Data string `json:"data,omitempty"`
	// DataSHA256 is a checksum over the training data list.
	DataSHA256 string `json:"data_sha256,omitempty"`
	// Samples is the number of training clips.
	Samples int `json:"samples,omitempty"`
	// Lambda summarises the per-sample loss weights (trainer/lambda.Stats).
	Lambda *LambdaStats `json:"lambda,omitempty"`
}

// LambdaStats mirrors trainer/lambda.Stats in the manifest: the count, mean
// and minimum of the per-sample loss weights, the share of samples with
// weight 1 and the confidence threshold used.
type LambdaStats struct {
	N         int     `json:"n"`
	Mean      float64 `json:"mean"`
	Min       float64 `json:"min"`
	FullShare float64 `json:"full_share"`
	Threshold float64 `json:"threshold"`
}

// Pack is a loaded, checksum-verified pack.
type Pack struct {
	Dir      string
	Manifest Manifest
}

// RequiredRoles are the roles face analysis needs.
var RequiredRoles = []string{RoleDetector, RoleLandmarker, RoleIris, RoleBlendshapes, RoleCanonicalMesh, RoleGeometry}

// EditingRoles are the roles expression editing needs in addition
// (style_encoder and renderer are optional).
var EditingRoles = []string{RoleExpressionBasis, RoleStyleMapping, RoleManipulator}

// Load reads dir/pack.json and checks that every file it names exists and
// matches its checksum, and that the roles in required are present. ONNX
// tensor names and shapes are checked by CheckModels (it needs onnxruntime).
func Load(dir string, required ...string) (*Pack, error) {
	if dir == "" {
		return nil, errors.New("model pack: no directory given (set the model-pack property or NEDSTREAM_MODEL_PACK; build one with `nedpack build`)")
	}
	raw, err := os.ReadFile(filepath.Join(dir, ManifestName))
	if err != nil {
		return nil, fmt.Errorf("model pack %s: %w (build one with `nedpack build --from DIR --out %s`)", dir, err, dir)
	}
	var m Manifest
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("model pack %s: %s is not a valid manifest: %w", dir, ManifestName, err)
	}
	if m.Schema < MinSchemaVersion || m.Schema > SchemaVersion {
		return nil, fmt.Errorf("model pack %s: manifest schema %d, this build reads schemas %d to %d (rebuild the pack with this version's nedpack)", dir, m.Schema, MinSchemaVersion, SchemaVersion)
	}
	p := &Pack{Dir: dir, Manifest: m}
	problems := m.checkManipulator()
	for _, role := range required {
		if _, ok := m.Files[role]; !ok {
			problems = append(problems, fmt.Sprintf("role %q missing from the manifest", role))
		}
	}
	roles := make([]string, 0, len(m.Files))
	for role := range m.Files {
		roles = append(roles, role)
	}
	slices.Sort(roles)
	for _, role := range roles {
		if err := p.verifyFile(role, m.Files[role]); err != nil {
			problems = append(problems, err.Error())
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("model pack %s: %s", dir, strings.Join(problems, "; "))
	}
	return p, nil
}

// checkManipulator checks that the manipulator roles and block come
// together and that the block is well formed.
func (m *Manifest) checkManipulator() []string {
	var problems []string
	_, hasMapping := m.Files[RoleStyleMapping]
	_, hasManip := m.Files[RoleManipulator]
	_, hasEncoder := m.Files[RoleStyleEncoder]
	_, hasRenderer := m.Files[RoleRenderer]
	if m.Schema < 2 {
		for _, role := range []string{RoleExpressionBasis, RoleStyleMapping, RoleStyleEncoder, RoleManipulator, RoleRenderer} {
			if _, ok := m.Files[role]; ok {
				problems = append(problems, fmt.Sprintf("role %q needs manifest schema 2 (the manifest says %d)", role, m.Schema))
			}
		}
		if m.Manipulator != nil {
			problems = append(problems, fmt.Sprintf("the manipulator block needs manifest schema 2 (the manifest says %d)", m.Schema))
		}
		return problems
	}
	switch {
	case hasMapping != hasManip:
		problems = append(problems, fmt.Sprintf("roles %q and %q come together (the manifest has only one)", RoleStyleMapping, RoleManipulator))
	case hasEncoder && !hasManip:
		problems = append(problems, fmt.Sprintf("role %q without %q", RoleStyleEncoder, RoleManipulator))
	case hasRenderer && !hasManip:
		problems = append(problems, fmt.Sprintf("role %q without %q", RoleRenderer, RoleManipulator))
	}
	mi := m.Manipulator
	switch {
	case (hasMapping || hasManip) && mi == nil:
		problems = append(problems, "the manipulator models need the manifest's manipulator block (t, s, classes, trained)")
	case mi != nil && !hasManip:
		problems = append(problems, fmt.Sprintf("manipulator block without the %q role", RoleManipulator))
	case mi != nil:
		if mi.T < 1 {
			problems = append(problems, fmt.Sprintf("manipulator block: t = %d (want >= 1)", mi.T))
		}
		if mi.S < 1 {
			problems = append(problems, fmt.Sprintf("manipulator block: s = %d (want >= 1)", mi.S))
		}
		if len(mi.Classes) != EmotionClasses || slices.Contains(mi.Classes, "") {
			problems = append(problems, fmt.Sprintf("manipulator block: classes %q (want %d names)", mi.Classes, EmotionClasses))
		}
		if !mi.Trained && mi.Method == "" {
			problems = append(problems, "manipulator block: an untrained (analytic) manipulator must name its method")
		}
	}
	return problems
}

// ManipulatorInfo returns the manifest's manipulator block, or an error
// saying the pack has none (for example a schema-1 pack).
func (p *Pack) ManipulatorInfo() (*ManipulatorInfo, error) {
	if p.Manifest.Manipulator == nil {
		return nil, fmt.Errorf("model pack %s has no manipulator (rebuild it with this version's `nedpack build`)", p.Dir)
	}
	return p.Manifest.Manipulator, nil
}

func (p *Pack) verifyFile(role string, e Entry) error {
	if e.File == "" || filepath.IsAbs(e.File) || strings.Contains(filepath.ToSlash(e.File), "../") {
		return fmt.Errorf("%s: bad file name %q (must be relative, inside the pack)", role, e.File)
	}
	sum, err := FileSHA256(filepath.Join(p.Dir, e.File))
	if err != nil {
		return fmt.Errorf("%s: %w", role, err)
	}
	if !strings.EqualFold(sum, e.SHA256) {
		return fmt.Errorf("%s: %s checksum mismatch (manifest %s, file %s): the file was changed or corrupted", role, e.File, short(e.SHA256), short(sum))
	}
	return nil
}

func short(s string) string {
	if len(s) > 12 {
		return s[:12] + "…"
	}
	return s
}

// Path returns the absolute path of the file for role, or "" if absent.
func (p *Pack) Path(role string) string {
	e, ok := p.Manifest.Files[role]
	if !ok {
		return ""
	}
	return filepath.Join(p.Dir, e.File)
}

// Entry returns the manifest entry of role.
func (p *Pack) Entry(role string) (Entry, bool) {
	e, ok := p.Manifest.Files[role]
	return e, ok
}

// FileSHA256 returns the hex SHA-256 of a file.
func FileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
