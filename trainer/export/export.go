// Package export writes trained NED networks (trainer/ned) as the three ONNX
// models of the manipulator contract (docs/MODELS.md) and as a model pack
// that nedfilter loads like the default one.
//
// The exported style has S+1 values: the S values of NED's style and, last,
// the edit strength a. style_mapping gives (sum_c emotion_c * M_c(0),
// intensity), where M_c(0) is the mapping network's head for class c at
// the mean noise z = 0; style_encoder gives (E(reference), 1); the
// manipulator returns x + clip(a, 0, 1) * (G(x, s) - x), so intensity 0
// leaves the coefficients untouched, as the analytic models do, and 1 is
// the trained edit.
package export

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/nedstream/nedstream/models/manipulator"
	"github.com/nedstream/nedstream/models/onnx"
	"github.com/nedstream/nedstream/models/pack"
	"github.com/nedstream/nedstream/trainer/ned"
)

// File names of the exported models.
const (
	StyleMappingFile = "ned_style_mapping.onnx"
	StyleEncoderFile = "ned_style_encoder.onnx"
	ManipulatorFile  = "ned_manipulator.onnx"
)

// Method is recorded in the models' metadata and the manifest.
const Method = "NED (Papantoniou et al. 2022) on ARKit coefficients, trained by nedtrain with lambda-weighted losses"

const opset = 17

// Styles returns the mapping network's per-class styles at z = 0 ([8][S]).
func Styles(m *ned.Model) ([][]float32, error) {
	c := m.Config
	cls := make([]float32, ned.Classes*ned.Classes)
	for k := range ned.Classes {
		cls[k*ned.Classes+k] = 1
	}
	out, err := m.Map(ned.Classes, make([]float32, ned.Classes*c.Z), cls)
	if err != nil {
		return nil, err
	}
	rows := make([][]float32, ned.Classes)
	for k := range rows {
		rows[k] = out[k*c.S : (k+1)*c.S]
	}
	return rows, nil
}

func meta(b *onnx.Builder, role string, c ned.Config) {
	b.Metadata(pack.MetaKind, pack.KindTrained)
	b.Metadata(pack.MetaRole, role)
	b.Metadata(pack.MetaT, strconv.Itoa(c.T))
	b.Metadata(pack.MetaS, strconv.Itoa(c.S+1))
	b.Metadata(pack.MetaClasses, strings.Join(manipulator.Classes[:], ","))
	b.Metadata(pack.MetaMethod, Method)
}

// StyleMapping builds style_mapping: emotion [B,8], intensity [B,1] -> style [B,S+1].
func StyleMapping(c ned.Config, styles [][]float32) *onnx.Builder {
	b := onnx.NewBuilder("ned_style_mapping", opset)
	meta(b, pack.RoleStyleMapping, c)
	b.Input(pack.TensorEmotion, []int64{-1, ned.Classes})
	b.Input(pack.TensorIntensity, []int64{-1, 1})
	var flat []float32
	for _, r := range styles {
		flat = append(flat, r...)
	}
	b.Initializer("heads", []int64{ned.Classes, int64(c.S)}, flat)
	b.Node("MatMul", []string{pack.TensorEmotion, "heads"}, []string{"s"})
	b.Node("Concat", []string{"s", pack.TensorIntensity}, []string{pack.TensorStyle}, onnx.AttrInt("axis", 1))
	b.Output(pack.TensorStyle, []int64{-1, int64(c.S + 1)})
	return b
}

// g is a small helper over Builder that names intermediate tensors.
type g struct {
	b  *onnx.Builder
	ps *ned.Params
	n  int
}

func (x *g) tmp(p string) string { x.n++; return fmt.Sprintf("%s_%d", p, x.n) }

func (x *g) node(op string, in []string, attrs ...onnx.Attr) string {
	out := x.tmp(strings.ToLower(op))
	x.b.Node(op, in, []string{out}, attrs...)
	return out
}

// weight adds a parameter (or a row range of a 2-D one) as an initializer.
func (x *g) weight(name string, rows ...int) string {
	p := x.ps.Get(name)
	if p == nil {
		x.b.Initializer("missing_"+name, []int64{1}, []float32{0, 0}) // records an error
		return name
	}
	data, shape := p.Data, []int64{int64(p.Shape[0]), int64(p.Shape[1])}
	if len(rows) == 2 {
		cols := p.Shape[1]
		data = p.Data[rows[0]*cols : rows[1]*cols]
		shape[0] = int64(rows[1] - rows[0])
	}
	id := x.tmp(strings.ReplaceAll(name, ".", "_"))
	x.b.Initializer(id, shape, data)
	return id
}

func (x *g) const1(vals ...int64) string {
	id := x.tmp("c")
	x.b.InitializerInt64(id, []int64{int64(len(vals))}, vals)
	return id
}

// lstmWeights assembles ONNX's W [2,4H,in], R [2,4H,H], B [2,8H] for layer l.
func lstmWeights(ps *ned.Params, l, H int) (w, r, bias []float32, in int) {
	in = ps.Get(ned.LSTMName(l, 0, "i") + ".w").Shape[0]
	w = make([]float32, 2*4*H*in)
	r = make([]float32, 2*4*H*H)
	bias = make([]float32, 2*8*H)
	for d := range 2 {
		for gi, gate := range ned.Gates {
			p := ned.LSTMName(l, d, gate)
			gw, gr, gb := ps.Get(p+".w").Data, ps.Get(p+".r").Data, ps.Get(p+".b").Data
			for j := range H {
				row := d*4*H + gi*H + j
				for k := range in {
					w[row*in+k] = gw[k*H+j]
				}
				for k := range H {
					r[row*H+k] = gr[k*H+j]
				}
				bias[d*8*H+gi*H+j] = gb[j]
			}
		}
	}
	return w, r, bias, in
}

// generator adds G(x, s) for x [B,T,52] and s [B,S]; returns the output name.
func (x *g) generator(c ned.Config, in, style string) string {
	H := c.Hidden
	axes1 := x.const1(1)
	// frame MLP over [x_t, s]: x W_x + s W_s + b
	xw := x.node("MatMul", []string{in, x.weight("g.in.w", 0, ned.Coefficients)})
	sw := x.node("Unsqueeze", []string{x.node("MatMul", []string{style, x.weight("g.in.w", ned.Coefficients, ned.Coefficients+c.S)}), axes1})
	h := x.node("Relu", []string{x.node("Add", []string{x.node("Add", []string{xw, sw}), x.weight("g.in.b")})})
	// LSTM layers on [T,B,F].
	seq := x.node("Transpose", []string{h}, onnx.AttrInts("perm", 1, 0, 2))
	for l := range 2 {
		w, r, bias, inW := lstmWeights(x.ps, l, H)
		wn, rn, bn := x.tmp("lstm_w"), x.tmp("lstm_r"), x.tmp("lstm_b")
		x.b.Initializer(wn, []int64{2, int64(4 * H), int64(inW)}, w)
		x.b.Initializer(rn, []int64{2, int64(4 * H), int64(H)}, r)
		x.b.Initializer(bn, []int64{2, int64(8 * H)}, bias)
		y := x.node("LSTM", []string{seq, wn, rn, bn}, onnx.AttrInt("hidden_size", int64(H)), onnx.AttrString("direction", "bidirectional"))
		// Y [T,2,B,H] -> [T,B,2,H] -> [T,B,2H]
		seq = x.node("Reshape", []string{x.node("Transpose", []string{y}, onnx.AttrInts("perm", 0, 2, 1, 3)), x.const1(0, 0, -1)})
	}
	hb := x.node("Transpose", []string{seq}, onnx.AttrInts("perm", 1, 0, 2)) // [B,T,2H]
	ow := x.node("MatMul", []string{hb, x.weight("g.out1.w", 0, 2*H)})
	os := x.node("Unsqueeze", []string{x.node("MatMul", []string{style, x.weight("g.out1.w", 2*H, 2*H+c.S)}), axes1})
	o := x.node("Relu", []string{x.node("Add", []string{x.node("Add", []string{ow, os}), x.weight("g.out1.b")})})
	delta := x.node("Add", []string{x.node("MatMul", []string{o, x.weight("g.out2.w")}), x.weight("g.out2.b")})
	return x.node("Add", []string{in, delta})
}

// Manipulator builds manipulator: expression [B,T,52], style [B,S+1] -> expression_out [B,T,52].
func Manipulator(c ned.Config, ps *ned.Params) *onnx.Builder {
	b := onnx.NewBuilder("ned_manipulator", opset)
	meta(b, pack.RoleManipulator, c)
	b.Input(pack.TensorExpression, []int64{-1, int64(c.T), ned.Coefficients})
	b.Input(pack.TensorStyle, []int64{-1, int64(c.S + 1)})
	x := &g{b: b, ps: ps}
	axes1 := x.const1(1)
	s := x.node("Slice", []string{pack.TensorStyle, x.const1(0), x.const1(int64(c.S)), axes1})
	a := x.node("Slice", []string{pack.TensorStyle, x.const1(int64(c.S)), x.const1(int64(c.S + 1)), axes1})
	lo, hi := x.tmp("zero"), x.tmp("one")
	b.Initializer(lo, nil, []float32{0})
	b.Initializer(hi, nil, []float32{1})
	a = x.node("Unsqueeze", []string{x.node("Clip", []string{a, lo, hi}), axes1}) // [B,1,1]
	gen := x.generator(c, pack.TensorExpression, s)
	edit := x.node("Mul", []string{a, x.node("Sub", []string{gen, pack.TensorExpression})})
	b.Node("Add", []string{pack.TensorExpression, edit}, []string{pack.TensorExpressionOut})
	b.Output(pack.TensorExpressionOut, []int64{-1, int64(c.T), ned.Coefficients})
	return b
}

// StyleEncoder builds style_encoder: reference [B,T,52] -> style [B,S+1].
func StyleEncoder(c ned.Config, ps *ned.Params) *onnx.Builder {
	b := onnx.NewBuilder("ned_style_encoder", opset)
	meta(b, pack.RoleStyleEncoder, c)
	b.Input(pack.TensorReference, []int64{-1, -1, ned.Coefficients})
	x := &g{b: b, ps: ps}
	h := x.node("Relu", []string{x.node("Add", []string{x.node("MatMul", []string{pack.TensorReference, x.weight("e.l1.w")}), x.weight("e.l1.b")})})
	h = x.node("Relu", []string{x.node("Add", []string{x.node("MatMul", []string{h, x.weight("e.l2.w")}), x.weight("e.l2.b")})})
	m := x.node("ReduceMean", []string{h}, onnx.AttrInts("axes", 1), onnx.AttrInt("keepdims", 0))
	s := x.node("Add", []string{x.node("MatMul", []string{m, x.weight("e.out.w")}), x.weight("e.out.b")})
	// strength 1: a column of ones shaped like s[:, :1]
	first := x.node("Slice", []string{s, x.const1(0), x.const1(1), x.const1(1)})
	zero, one := x.tmp("zero"), x.tmp("one")
	b.Initializer(zero, nil, []float32{0})
	b.Initializer(one, nil, []float32{1})
	ones := x.node("Add", []string{x.node("Mul", []string{first, zero}), one})
	b.Node("Concat", []string{s, ones}, []string{pack.TensorStyle}, onnx.AttrInt("axis", 1))
	b.Output(pack.TensorStyle, []int64{-1, int64(c.S + 1)})
	return b
}

// Info describes a training run for the manifest.
type Info struct {
	Data       string
	DataSHA256 string
	Samples    int
	Lambda     *pack.LambdaStats
	// Config is the training configuration (recorded as a manifest note).
	Config any
}

// WriteModels writes the three models into dir and records them (and the
// manipulator block) in m.
func WriteModels(dir string, m *pack.Manifest, model *ned.Model, info Info) error {
	c := model.Config
	styles, err := Styles(model)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	builders := []struct {
		role, file string
		b          *onnx.Builder
	}{
		{pack.RoleStyleMapping, StyleMappingFile, StyleMapping(c, styles)},
		{pack.RoleStyleEncoder, StyleEncoderFile, StyleEncoder(c, model.Params)},
		{pack.RoleManipulator, ManipulatorFile, Manipulator(c, model.Params)},
	}
	for _, bd := range builders {
		if err := bd.b.WriteFile(filepath.Join(dir, bd.file)); err != nil {
			return fmt.Errorf("export %s: %w", bd.role, err)
		}
		ins, outs, err := pack.ManipulatorTensors(bd.role, c.S+1)
		if err != nil {
			return err
		}
		if bd.role == pack.RoleManipulator {
			ins[0].Shape[1], outs[0].Shape[1] = int64(c.T), int64(c.T)
		}
		err = pack.AddFile(dir, m, bd.role, pack.Entry{File: bd.file, Kind: pack.KindONNX, Inputs: ins, Outputs: outs,
			License: "MIT", Source: "trained by nedtrain (trainer/, docs/TRAINING.md) from " + info.Data})
		if err != nil {
			return err
		}
	}
	m.Manipulator = &pack.ManipulatorInfo{T: c.T, S: c.S + 1, Classes: append([]string(nil), manipulator.Classes[:]...), Trained: true, Method: Method,
		Training: &pack.Training{Data: info.Data, DataSHA256: info.DataSHA256, Samples: info.Samples, Lambda: info.Lambda}}
	if info.Config != nil {
		raw, err := json.Marshal(info.Config)
		if err != nil {
			return fmt.Errorf("export: training config: %w", err)
		}
		m.Notes = append(m.Notes, "training config: "+string(raw))
	}
	return nil
}

// Pack builds a complete pack in out: the face-analysis files and the
// expression basis from the upstream directory (as nedpack does), and the
// trained models in place of the analytic ones.
func Pack(upstream, out, name string, model *ned.Model, info Info) (*pack.Manifest, error) {
	var parts []pack.Part
	for _, p := range manipulator.PackParts() {
		if p.Name == pack.RoleExpressionBasis {
			parts = append(parts, p)
		}
	}
	if len(parts) != 1 {
		return nil, fmt.Errorf("export: models/manipulator.PackParts has no %s part", pack.RoleExpressionBasis)
	}
	parts = append(parts, pack.Part{Name: "trained manipulator", Build: func(_, dir string, m *pack.Manifest) error {
		return WriteModels(dir, m, model, info)
	}})
	if name == "" {
		name = "nedstream-trained"
	}
	return pack.Build(pack.BuildOptions{From: upstream, Out: out, Name: name, Parts: parts})
}
