package manipulator

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	ortgo "github.com/yalue/onnxruntime_go"

	"github.com/nedstream/nedstream/models/blendshape"
	"github.com/nedstream/nedstream/models/ort"
	"github.com/nedstream/nedstream/models/pack"
)

// Files names the three model files for OpenFiles.
type Files struct {
	// StyleMapping is the style_mapping model (required).
	StyleMapping string
	// StyleEncoder is the style_encoder model ("" when there is none).
	StyleEncoder string
	// Manipulator is the manipulator model (required).
	Manipulator string
}

// Manipulator runs a set of manipulator models (analytic or trained)
// through onnxruntime. Its methods are safe for concurrent use (onnxruntime
// calls are serialised per model).
type Manipulator struct {
	info                    Info
	mapping, encoder, manip *ort.Session
	fixedT                  int // the manipulator's declared T, 0 when dynamic
}

// Open opens the manipulator models of a loaded pack (roles style_mapping,
// manipulator and, when present, style_encoder) with the manifest's
// manipulator block. Analytic and trained packs open the same way.
func Open(p *pack.Pack, opts ort.Options) (*Manipulator, error) {
	mi, err := p.ManipulatorInfo()
	if err != nil {
		return nil, fmt.Errorf("open manipulator: %w", err)
	}
	f := Files{StyleMapping: p.Path(RoleStyleMapping), StyleEncoder: p.Path(RoleStyleEncoder), Manipulator: p.Path(RoleManipulator)}
	return open(f, InfoFromPack(mi), opts)
}

// OpenFiles opens the models from their files, taking T, S, the classes and
// the kind from the models' nedstream.* metadata (S falls back to the
// declared width of style_mapping's output, T to the manipulator's declared
// window or DefaultT).
func OpenFiles(f Files, opts ort.Options) (*Manipulator, error) {
	info, err := infoFromModels(f)
	if err != nil {
		return nil, fmt.Errorf("open manipulator: %w", err)
	}
	return open(f, info, opts)
}

func infoFromModels(f Files) (Info, error) {
	if f.StyleMapping == "" || f.Manipulator == "" {
		return Info{}, errors.New("style_mapping and manipulator files are required")
	}
	meta, err := readMetadata(f.Manipulator)
	if err != nil {
		return Info{}, err
	}
	info := Info{Classes: append([]string(nil), Classes[:]...), Method: meta[MetaMethod]}
	info.Trained = meta[MetaKind] != KindAnalytic
	if !info.Trained && info.Method == "" {
		info.Method = AnalyticMethod
	}
	if c := meta[MetaClasses]; c != "" {
		info.Classes = strings.Split(c, ",")
	}
	if s := meta[MetaS]; s != "" {
		if info.S, err = strconv.Atoi(s); err != nil {
			return Info{}, fmt.Errorf("%s: metadata %s = %q: %w", f.Manipulator, MetaS, s, err)
		}
	} else {
		_, outs, err := ortgo.GetInputOutputInfo(f.StyleMapping)
		if err != nil {
			return Info{}, fmt.Errorf("style_mapping %s: %w", f.StyleMapping, err)
		}
		for _, o := range outs {
			if o.Name == TensorStyle && len(o.Dimensions) == 2 {
				info.S = int(o.Dimensions[1])
			}
		}
	}
	if t := meta[MetaT]; t != "" {
		if info.T, err = strconv.Atoi(t); err != nil {
			return Info{}, fmt.Errorf("%s: metadata %s = %q: %w", f.Manipulator, MetaT, t, err)
		}
	} else {
		info.T = DefaultT
		ins, _, err := ortgo.GetInputOutputInfo(f.Manipulator)
		if err != nil {
			return Info{}, fmt.Errorf("manipulator %s: %w", f.Manipulator, err)
		}
		for _, in := range ins {
			if in.Name == TensorExpression && len(in.Dimensions) == 3 && in.Dimensions[1] > 0 {
				info.T = int(in.Dimensions[1])
			}
		}
	}
	return info, nil
}

// readMetadata returns a model's nedstream.* custom metadata.
func readMetadata(path string) (map[string]string, error) {
	md, err := ortgo.GetModelMetadata(path)
	if err != nil {
		return nil, fmt.Errorf("metadata of %s: %w", path, err)
	}
	defer md.Destroy()
	out := map[string]string{}
	for _, key := range []string{MetaKind, MetaRole, MetaT, MetaS, MetaClasses, MetaMethod} {
		v, ok, err := md.LookupCustomMetadataMap(key)
		if err != nil {
			return nil, fmt.Errorf("metadata of %s: %w", path, err)
		}
		if ok {
			out[key] = v
		}
	}
	return out, nil
}

// ReadMetadata returns the nedstream.* metadata of a model file (kind, role,
// T, S, classes, method; absent keys are missing from the map). onnxruntime
// must be initialised.
func ReadMetadata(path string) (map[string]string, error) { return readMetadata(path) }

func open(f Files, info Info, opts ort.Options) (*Manipulator, error) {
	if err := info.Validate(); err != nil {
		return nil, fmt.Errorf("open manipulator: %w", err)
	}
	m := &Manipulator{info: info}
	roles := []struct {
		role, path string
		dst        **ort.Session
	}{
		{RoleStyleMapping, f.StyleMapping, &m.mapping},
		{RoleStyleEncoder, f.StyleEncoder, &m.encoder},
		{RoleManipulator, f.Manipulator, &m.manip},
	}
	for _, r := range roles {
		if r.path == "" {
			if r.role == RoleStyleEncoder {
				continue
			}
			m.Close()
			return nil, fmt.Errorf("open manipulator: no %s model", r.role)
		}
		ins, outs, err := pack.ManipulatorTensors(r.role, info.S)
		if err != nil {
			m.Close()
			return nil, err
		}
		s, err := ort.Open(r.role, r.path, names(ins), names(outs), opts)
		if err != nil {
			m.Close()
			return nil, fmt.Errorf("open manipulator: %w", err)
		}
		*r.dst = s
		if err := checkDeclared(r.role, "input", ins, s.Inputs()); err != nil {
			m.Close()
			return nil, err
		}
		if err := checkDeclared(r.role, "output", outs, s.Outputs()); err != nil {
			m.Close()
			return nil, err
		}
	}
	for _, in := range m.manip.Inputs() {
		if in.Name == TensorExpression && in.Dimensions[1] > 0 {
			m.fixedT = int(in.Dimensions[1])
		}
	}
	return m, nil
}

func names(ts []pack.Tensor) []string {
	n := make([]string, len(ts))
	for i, t := range ts {
		n[i] = t.Name
	}
	return n
}

// checkDeclared checks a model's declared tensors against the contract.
func checkDeclared(role, what string, want []pack.Tensor, have []ortgo.InputOutputInfo) error {
	for _, w := range want {
		found := false
		for _, h := range have {
			if h.Name != w.Name {
				continue
			}
			found = true
			if !pack.ShapeCompatible(w.Shape, h.Dimensions) {
				return fmt.Errorf("open manipulator: %s %s %q has shape %v, the contract needs %v", role, what, w.Name, []int64(h.Dimensions), w.Shape)
			}
		}
		if !found {
			return fmt.Errorf("open manipulator: %s has no %s %q", role, what, w.Name)
		}
	}
	return nil
}

// Info returns what the models are (T, S, classes, trained or analytic).
func (m *Manipulator) Info() Info { return m.info }

// HasEncoder reports whether StyleFromReference is available.
func (m *Manipulator) HasEncoder() bool { return m.encoder != nil }

// Close releases the models; safe to call more than once.
func (m *Manipulator) Close() error {
	var errs []error
	for _, s := range []*ort.Session{m.mapping, m.encoder, m.manip} {
		if s != nil {
			errs = append(errs, s.Close())
		}
	}
	return errors.Join(errs...)
}

// feed is one input of a run.
type feed struct {
	shape []int64
	data  []float32
}

// run runs s on the inputs and returns its one output of shape out.
func run(s *ort.Session, in []feed, out []int64) ([]float32, error) {
	if s == nil {
		return nil, errors.New("model is closed")
	}
	values := make([]ort.Value, len(in))
	for i, f := range in {
		t, err := ort.NewFloat32(f.shape...)
		if err != nil {
			return nil, err
		}
		defer t.Destroy()
		copy(t.Data(), f.data)
		values[i] = t.Value()
	}
	y, err := ort.NewFloat32(out...)
	if err != nil {
		return nil, err
	}
	defer y.Destroy()
	if err := s.Run(values, []ort.Value{y.Value()}); err != nil {
		return nil, err
	}
	return append([]float32(nil), y.Data()...), nil
}

func finite(vs []float32) bool {
	for _, v := range vs {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return false
		}
	}
	return true
}

// Style returns the style vector (length S) for an emotion mixture over the
// classes (a one-hot such as OneHot(Happy), or several weights) and an
// intensity (the analytic model clips it to [0,1]).
func (m *Manipulator) Style(mix [NumClasses]float32, intensity float32) ([]float32, error) {
	s, err := m.Styles([][NumClasses]float32{mix}, []float32{intensity})
	if err != nil {
		return nil, err
	}
	return s[0], nil
}

// Styles is Style for a batch.
func (m *Manipulator) Styles(mixes [][NumClasses]float32, intensities []float32) ([][]float32, error) {
	b := len(mixes)
	if b == 0 || len(intensities) != b {
		return nil, fmt.Errorf("style: %d mixtures and %d intensities (want the same number, at least 1)", b, len(intensities))
	}
	emo := make([]float32, 0, b*NumClasses)
	for _, mix := range mixes {
		emo = append(emo, mix[:]...)
	}
	if !finite(emo) || !finite(intensities) {
		return nil, errors.New("style: emotion weights and intensities must be finite")
	}
	out, err := run(m.mapping, []feed{{[]int64{int64(b), NumClasses}, emo}, {[]int64{int64(b), 1}, intensities}}, []int64{int64(b), int64(m.info.S)})
	if err != nil {
		return nil, fmt.Errorf("style: %w", err)
	}
	return split(out, b, m.info.S), nil
}

func split(flat []float32, n, width int) [][]float32 {
	rows := make([][]float32, n)
	for i := range rows {
		rows[i] = flat[i*width : (i+1)*width : (i+1)*width]
	}
	return rows
}

// StyleFromReference returns the style of a reference clip (frames of
// coefficients) through the style_encoder model.
func (m *Manipulator) StyleFromReference(frames [][blendshape.Count]float32) ([]float32, error) {
	if m.encoder == nil {
		return nil, errors.New("style from reference: the pack has no style_encoder model")
	}
	if len(frames) == 0 {
		return nil, errors.New("style from reference: empty clip")
	}
	flat := flatten(frames)
	if !finite(flat) {
		return nil, errors.New("style from reference: coefficients must be finite")
	}
	out, err := run(m.encoder, []feed{{[]int64{1, int64(len(frames)), blendshape.Count}, flat}}, []int64{1, int64(m.info.S)})
	if err != nil {
		return nil, fmt.Errorf("style from reference: %w", err)
	}
	return out, nil
}

func flatten(frames [][blendshape.Count]float32) []float32 {
	flat := make([]float32, 0, len(frames)*blendshape.Count)
	for _, f := range frames {
		flat = append(flat, f[:]...)
	}
	return flat
}

// Apply edits a causal window (oldest frame first, the current frame last)
// with a style and returns the edited current frame. The element calls it
// once per face per frame with that face's recent coefficients.
//
// For lookahead (L frames of delay, better for trained models that use
// context), delay the video by L frames, call ApplyWindow on the window that
// ends at the newest frame and take the output frame len(window)-1-L, which
// belongs to the delayed video frame.
func (m *Manipulator) Apply(window [][blendshape.Count]float32, style []float32) ([blendshape.Count]float32, error) {
	out, err := m.ApplyWindow(window, style)
	if err != nil {
		return [blendshape.Count]float32{}, err
	}
	return out[len(out)-1], nil
}

// ApplyWindow edits a window and returns every edited frame. A model with a
// fixed window T gets the last T frames, the oldest repeated in front when
// the window is shorter; the result then covers the frames the model saw
// from the window (the last min(len(window), T)).
func (m *Manipulator) ApplyWindow(window [][blendshape.Count]float32, style []float32) ([][blendshape.Count]float32, error) {
	out, err := m.ApplyBatch([][][blendshape.Count]float32{window}, [][]float32{style})
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// ApplyBatch edits B windows of the same length with one style each in a
// single run (B faces in one frame).
func (m *Manipulator) ApplyBatch(windows [][][blendshape.Count]float32, styles [][]float32) ([][][blendshape.Count]float32, error) {
	b := len(windows)
	if b == 0 || len(styles) != b {
		return nil, fmt.Errorf("manipulate: %d windows and %d styles (want the same number, at least 1)", b, len(styles))
	}
	n := len(windows[0])
	if n == 0 {
		return nil, errors.New("manipulate: empty window")
	}
	t := n
	if m.fixedT > 0 {
		t = m.fixedT
	}
	keep := min(n, t) // frames of the window the model sees
	expr := make([]float32, 0, b*t*blendshape.Count)
	sty := make([]float32, 0, b*m.info.S)
	for i, w := range windows {
		if len(w) != n {
			return nil, fmt.Errorf("manipulate: window %d has %d frames, window 0 has %d (a batch needs equal lengths)", i, len(w), n)
		}
		if len(styles[i]) != m.info.S {
			return nil, fmt.Errorf("manipulate: style %d has %d values, the model takes S = %d", i, len(styles[i]), m.info.S)
		}
		seen := w[n-keep:]
		for range t - keep {
			expr = append(expr, seen[0][:]...)
		}
		expr = append(expr, flatten(seen)...)
		sty = append(sty, styles[i]...)
	}
	if !finite(expr) || !finite(sty) {
		return nil, errors.New("manipulate: coefficients and styles must be finite")
	}
	out, err := run(m.manip, []feed{{[]int64{int64(b), int64(t), blendshape.Count}, expr}, {[]int64{int64(b), int64(m.info.S)}, sty}},
		[]int64{int64(b), int64(t), blendshape.Count})
	if err != nil {
		return nil, fmt.Errorf("manipulate: %w", err)
	}
	res := make([][][blendshape.Count]float32, b)
	for i := range res {
		res[i] = make([][blendshape.Count]float32, keep)
		for k := range keep {
			copy(res[i][k][:], out[(i*t+t-keep+k)*blendshape.Count:])
		}
	}
	return res, nil
}
