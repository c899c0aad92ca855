package pack

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	ortgo "github.com/yalue/onnxruntime_go"

	"github.com/nedstream/nedstream/models/atomicfile"
)

// upstreamFile says how to take one upstream file into a pack.
type upstreamFile struct {
	role  string
	entry Entry
}

// upstreamSpec is the face-analysis part of the default pack, built from the
// upstream files listed in ../shared/models/SOURCES.md. Pre-processing
// constants are those of the original pipelines (MediaPipe, OpenCV).
var upstreamSpec = []upstreamFile{
	{RoleDetector, Entry{
		File: "yunet_n_dynamic.onnx", Kind: KindONNX,
		Inputs: []Tensor{{"input", []int64{1, 3, -1, -1}}},
		Outputs: []Tensor{
			{"cls_8", []int64{1, -1, 1}}, {"cls_16", []int64{1, -1, 1}}, {"cls_32", []int64{1, -1, 1}},
			{"obj_8", []int64{1, -1, 1}}, {"obj_16", []int64{1, -1, 1}}, {"obj_32", []int64{1, -1, 1}},
			{"bbox_8", []int64{1, -1, 4}}, {"bbox_16", []int64{1, -1, 4}}, {"bbox_32", []int64{1, -1, 4}},
			{"kps_8", []int64{1, -1, 10}}, {"kps_16", []int64{1, -1, 10}}, {"kps_32", []int64{1, -1, 10}},
		},
		Preprocess: &Preprocess{Color: "BGR", Scale: 1, Bias: 0, InputLong: 320, Align: 32},
		License:    "Apache-2.0",
		Source:     "YuNet, ShiqiYu/libfacedetection.train @ 0047ac24: onnx/yunet_n_dynamic.onnx",
	}},
	{RoleLandmarker, Entry{
		File: "face_landmark_468.onnx", Kind: KindONNX,
		Inputs:     []Tensor{{"input_1", []int64{1, 3, 192, 192}}},
		Outputs:    []Tensor{{"conv2d_20", []int64{1, 1404, 1, 1}}, {"conv2d_30", []int64{1, 1, 1, 1}}},
		Preprocess: &Preprocess{Color: "RGB", Scale: 1.0 / 255, Bias: 0, Size: 192, ROIScale: 1.5},
		License:    "Apache-2.0",
		Source:     "MediaPipe FaceMesh via keijiro/FaceLandmarkBarracuda @ a58cb331",
	}},
	{RoleIris, Entry{
		File: "iris_landmark.onnx", Kind: KindONNX,
		Inputs:     []Tensor{{"input_1", []int64{1, 3, 64, 64}}},
		Outputs:    []Tensor{{"output_eyes_contours_and_brows", []int64{1, 213}}, {"output_iris", []int64{1, 15}}},
		Preprocess: &Preprocess{Color: "RGB", Scale: 1.0 / 255, Bias: 0, Size: 64, ROIScale: 2.3},
		License:    "Apache-2.0",
		Source:     "MediaPipe iris via keijiro/IrisBarracuda @ e1372d72",
	}},
	{RoleBlendshapes, Entry{
		File: "face_blendshapes.onnx", Kind: KindONNX,
		Inputs:  []Tensor{{"serving_default_input_points:0", []int64{1, 146, 2}}},
		Outputs: []Tensor{{"StatefulPartitionedCall:0", []int64{52}}},
		License: "Apache-2.0",
		Source:  "MediaPipe face blendshapes via nlml/deconstruct-mediapipe @ 6befeeb8",
	}},
	{RoleCanonicalMesh, Entry{
		File: "canonical_face_model.obj", Kind: KindOBJ, License: "Apache-2.0",
		Source: "MediaPipe google-ai-edge/mediapipe @ 85c0cdc7: mediapipe/modules/face_geometry/data/canonical_face_model.obj",
	}},
	{RoleGeometry, Entry{
		File: "geometry_pipeline_metadata_landmarks.pbtxt", Kind: KindText, License: "Apache-2.0",
		Source: "MediaPipe google-ai-edge/mediapipe @ 85c0cdc7: mediapipe/modules/face_geometry/data/geometry_pipeline_metadata_landmarks.pbtxt",
	}},
}

// A Part builds files into a pack beyond the copied upstream files and
// records them in the manifest (entries, manipulator block, notes). The
// expression basis and the analytic manipulator come as parts
// (manipulator.PackParts) because their packages depend on
// models/blendshape, whose tests build packs through this package: pack
// itself stays free of them.
type Part struct {
	// Name says what the part builds, for messages.
	Name string
	// Build reads upstream files from the from directory, writes into the
	// pack directory out and adds what it wrote to m.
	Build func(from, out string, m *Manifest) error
}

// BuildOptions control Build.
type BuildOptions struct {
	// From is the directory with the upstream files (../shared/models/upstream).
	From string
	// Out is the pack directory to write; created if missing.
	Out string
	// Name is recorded in the manifest.
	Name string
	// Parts are built after the upstream files are copied, in order
	// (nedpack passes manipulator.PackParts(): the expression basis and the
	// analytic manipulator). Without parts the pack is face analysis only.
	Parts []Part
}

// Build copies the upstream files into a new pack, builds the parts (the
// expression basis and the manipulator models, see BuildOptions.Parts) and
// writes its manifest. It does not need onnxruntime; run CheckModels on the
// result to verify the tensors.
func Build(o BuildOptions) (*Manifest, error) {
	if o.From == "" || o.Out == "" {
		return nil, fmt.Errorf("nedpack build: both --from and --out are required")
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return nil, fmt.Errorf("create pack dir: %w", err)
	}
	name := o.Name
	if name == "" {
		name = "nedstream-default"
	}
	m := &Manifest{Schema: SchemaVersion, Name: name, Created: time.Now().UTC().Format(time.RFC3339), Files: map[string]Entry{}}
	for _, f := range upstreamSpec {
		src := filepath.Join(o.From, f.entry.File)
		if err := copyFile(src, filepath.Join(o.Out, f.entry.File)); err != nil {
			return nil, fmt.Errorf("%s: %w", f.role, err)
		}
		e := f.entry
		sum, err := FileSHA256(filepath.Join(o.Out, e.File))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.role, err)
		}
		e.SHA256 = sum
		m.Files[f.role] = e
	}
	for _, part := range o.Parts {
		if part.Build == nil {
			return nil, fmt.Errorf("pack part %q has no Build function", part.Name)
		}
		if err := part.Build(o.From, o.Out, m); err != nil {
			return nil, fmt.Errorf("build %s: %w", part.Name, err)
		}
	}
	if err := WriteManifest(o.Out, m); err != nil {
		return nil, err
	}
	return m, nil
}

// AddFile records a file a part wrote into the pack directory dir under
// role, filling in its checksum.
func AddFile(dir string, m *Manifest, role string, e Entry) error {
	sum, err := FileSHA256(filepath.Join(dir, e.File))
	if err != nil {
		return fmt.Errorf("%s: %w", role, err)
	}
	e.SHA256 = sum
	if m.Files == nil {
		m.Files = map[string]Entry{}
	}
	m.Files[role] = e
	return nil
}

// WriteManifest writes m as dir/pack.json (atomically).
func WriteManifest(dir string, m *Manifest) error {
	raw, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("encode manifest: %w", err)
	}
	if err := atomicfile.WriteBytes(filepath.Join(dir, ManifestName), append(raw, '\n')); err != nil {
		return fmt.Errorf("manifest: %w", err)
	}
	return nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("upstream file: %w", err)
	}
	defer in.Close()
	return atomicfile.Write(dst, func(w io.Writer) error {
		_, err := io.Copy(w, in)
		return err
	})
}

// AddRenderer copies a renderer model (docs/MODELS.md, role "renderer")
// into the pack in dir as renderer.onnx, records it in the manifest and
// rewrites the manifest. The pack must already carry the manipulator roles,
// and the model must have the contract's tensors (checked first, so a wrong
// model leaves the pack as it was; onnxruntime must be initialised).
func AddRenderer(dir, model string) error {
	p, err := Load(dir)
	if err != nil {
		return fmt.Errorf("add renderer: %w", err)
	}
	ins, outs, err := ortgo.GetInputOutputInfo(model)
	if err != nil {
		return fmt.Errorf("add renderer: %s is not a loadable ONNX model: %w", model, err)
	}
	wantIn, wantOut := RendererTensors()
	if problems := append(checkTensors(RoleRenderer, "input", wantIn, ins), checkTensors(RoleRenderer, "output", wantOut, outs)...); len(problems) > 0 {
		return fmt.Errorf("add renderer: %s: %s", model, strings.Join(problems, "; "))
	}
	m := p.Manifest
	if _, ok := m.Files[RoleManipulator]; !ok {
		return fmt.Errorf("add renderer: model pack %s has no %s (a renderer only serves editing)", dir, RoleManipulator)
	}
	const file = "renderer.onnx"
	if err := copyFile(model, filepath.Join(dir, file)); err != nil {
		return fmt.Errorf("add renderer: %w", err)
	}
	err = AddFile(dir, &m, RoleRenderer, Entry{File: file, Kind: KindONNX, Inputs: wantIn, Outputs: wantOut,
		License: "NOASSERTION", Source: "renderer model added with pack.AddRenderer from " + filepath.Base(model)})
	if err != nil {
		return fmt.Errorf("add renderer: %w", err)
	}
	return WriteManifest(dir, &m)
}
