package onnx_test

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	ortgo "github.com/yalue/onnxruntime_go"

	"github.com/nedstream/nedstream/models/modeltest"
	"github.com/nedstream/nedstream/models/onnx"
	"github.com/nedstream/nedstream/models/ort"
)

// feed is one named input tensor for runModel.
type feed struct {
	name string
	dims []int64
	data []float32
}

// runModel writes the builder's model to a file, runs it on onnxruntime's
// CPU provider and returns the one output.
func runModel(t *testing.T, b *onnx.Builder, in []feed, out string, outDims []int64) []float32 {
	t.Helper()
	modeltest.InitORT(t)
	path := filepath.Join(t.TempDir(), "m.onnx")
	if err := b.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	var names []string
	var values []ort.Value
	for _, f := range in {
		x, err := ort.NewFloat32(f.dims...)
		if err != nil {
			t.Fatal(err)
		}
		defer x.Destroy()
		copy(x.Data(), f.data)
		names = append(names, f.name)
		values = append(values, x.Value())
	}
	y, err := ort.NewFloat32(outDims...)
	if err != nil {
		t.Fatal(err)
	}
	defer y.Destroy()
	s, err := ort.Open("test", path, names, []string{out}, ort.Options{Provider: ort.CPU})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Run(values, []ort.Value{y.Value()}); err != nil {
		t.Fatal(err)
	}
	return append([]float32(nil), y.Data()...)
}

func seq(n int, scale, offset float32) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(i)*scale + offset
	}
	return v
}

func sigmoid(x float32) float32 { return float32(1 / (1 + math.Exp(-float64(x)))) }

// TestGraphsMatchGo builds small graphs and checks onnxruntime's outputs
// against the same computation in Go.
func TestGraphsMatchGo(t *testing.T) {
	x23 := seq(6, 0.7, -2) // 2x3
	cases := []struct {
		name    string
		build   func(b *onnx.Builder)
		in      []feed
		outDims []int64
		want    func() []float32
	}{
		{
			name: "MatMul+Add",
			build: func(b *onnx.Builder) {
				b.Input("x", []int64{2, 3})
				b.Initializer("w", []int64{3, 4}, seq(12, 0.1, -0.5))
				b.Initializer("bias", []int64{4}, []float32{1, -1, 0.5, 2})
				b.Node("MatMul", []string{"x", "w"}, []string{"xw"})
				b.Node("Add", []string{"xw", "bias"}, []string{"y"})
				b.Output("y", []int64{2, 4})
			},
			in:      []feed{{"x", []int64{2, 3}, x23}},
			outDims: []int64{2, 4},
			want: func() []float32 {
				w, bias := seq(12, 0.1, -0.5), []float32{1, -1, 0.5, 2}
				y := make([]float32, 8)
				for i := range 2 {
					for j := range 4 {
						s := bias[j]
						for k := range 3 {
							s += x23[3*i+k] * w[4*k+j]
						}
						y[4*i+j] = s
					}
				}
				return y
			},
		},
		{
			name: "Gemm transB alpha beta",
			build: func(b *onnx.Builder) {
				b.Input("a", []int64{2, 3})
				b.Initializer("bt", []int64{4, 3}, seq(12, -0.2, 1)) // B^T
				b.Initializer("c", []int64{1, 4}, []float32{0.1, 0.2, 0.3, 0.4})
				b.Node("Gemm", []string{"a", "bt", "c"}, []string{"y"},
					onnx.AttrInt("transB", 1), onnx.AttrFloat("alpha", 0.5), onnx.AttrFloat("beta", 2))
				b.Output("y", []int64{2, 4})
			},
			in:      []feed{{"a", []int64{2, 3}, x23}},
			outDims: []int64{2, 4},
			want: func() []float32 {
				bt, c := seq(12, -0.2, 1), []float32{0.1, 0.2, 0.3, 0.4}
				y := make([]float32, 8)
				for i := range 2 {
					for j := range 4 {
						var s float32
						for k := range 3 {
							s += x23[3*i+k] * bt[3*j+k]
						}
						y[4*i+j] = 0.5*s + 2*c[j]
					}
				}
				return y
			},
		},
		{
			name: "Relu Tanh Sigmoid",
			build: func(b *onnx.Builder) {
				b.Input("x", []int64{1, 6})
				b.Node("Relu", []string{"x"}, []string{"r"})
				b.Node("Tanh", []string{"x"}, []string{"t"})
				b.Node("Sigmoid", []string{"x"}, []string{"s"})
				b.Node("Concat", []string{"r", "t", "s"}, []string{"y"}, onnx.AttrInt("axis", 0))
				b.Output("y", []int64{3, 6})
			},
			in:      []feed{{"x", []int64{1, 6}, x23}},
			outDims: []int64{3, 6},
			want: func() []float32 {
				var y []float32
				for _, v := range x23 {
					y = append(y, max(v, 0))
				}
				for _, v := range x23 {
					y = append(y, float32(math.Tanh(float64(v))))
				}
				for _, v := range x23 {
					y = append(y, sigmoid(v))
				}
				return y
			},
		},
		{
			name: "Concat axis 1",
			build: func(b *onnx.Builder) {
				b.Input("x", []int64{2, 3})
				b.Initializer("c", []int64{2, 2}, []float32{9, 8, 7, 6})
				b.Node("Concat", []string{"x", "c"}, []string{"y"}, onnx.AttrInt("axis", 1))
				b.Output("y", []int64{2, 5})
			},
			in:      []feed{{"x", []int64{2, 3}, x23}},
			outDims: []int64{2, 5},
			want: func() []float32 {
				return []float32{x23[0], x23[1], x23[2], 9, 8, x23[3], x23[4], x23[5], 7, 6}
			},
		},
		{
			name: "Slice",
			build: func(b *onnx.Builder) {
				b.Input("x", []int64{2, 5})
				b.InitializerInt64("starts", []int64{1}, []int64{1})
				b.InitializerInt64("ends", []int64{1}, []int64{4})
				b.InitializerInt64("axes", []int64{1}, []int64{1})
				b.Node("Slice", []string{"x", "starts", "ends", "axes"}, []string{"y"})
				b.Output("y", []int64{2, 3})
			},
			in:      []feed{{"x", []int64{2, 5}, seq(10, 1, 0)}},
			outDims: []int64{2, 3},
			want:    func() []float32 { return []float32{1, 2, 3, 6, 7, 8} },
		},
		{
			name: "Mul broadcast",
			build: func(b *onnx.Builder) {
				b.Input("x", []int64{2, 3})
				b.Initializer("k", []int64{3}, []float32{2, -1, 0.25})
				b.Node("Mul", []string{"x", "k"}, []string{"y"})
				b.Output("y", []int64{2, 3})
			},
			in:      []feed{{"x", []int64{2, 3}, x23}},
			outDims: []int64{2, 3},
			want: func() []float32 {
				k := []float32{2, -1, 0.25}
				y := make([]float32, 6)
				for i, v := range x23 {
					y[i] = v * k[i%3]
				}
				return y
			},
		},
		{
			name: "Clip scalar bounds, dynamic batch",
			build: func(b *onnx.Builder) {
				b.Input("x", []int64{-1, 3})
				b.Initializer("lo", nil, []float32{-0.5})
				b.Initializer("hi", nil, []float32{0.75})
				b.Node("Clip", []string{"x", "lo", "hi"}, []string{"y"})
				b.Output("y", []int64{-1, 3})
			},
			in:      []feed{{"x", []int64{2, 3}, x23}},
			outDims: []int64{2, 3},
			want: func() []float32 {
				y := make([]float32, 6)
				for i, v := range x23 {
					y[i] = min(max(v, -0.5), 0.75)
				}
				return y
			},
		},
		{
			name: "two inputs, optional input skipped",
			build: func(b *onnx.Builder) {
				b.Input("x", []int64{2, 3})
				b.Input("z", []int64{2, 3})
				b.Initializer("hi", nil, []float32{1})
				b.Node("Sub", []string{"x", "z"}, []string{"d"})
				b.Node("Clip", []string{"d", "", "hi"}, []string{"y"}) // no min
				b.Output("y", []int64{2, 3})
			},
			in:      []feed{{"x", []int64{2, 3}, x23}, {"z", []int64{2, 3}, seq(6, -0.3, 0.2)}},
			outDims: []int64{2, 3},
			want: func() []float32 {
				z := seq(6, -0.3, 0.2)
				y := make([]float32, 6)
				for i, v := range x23 {
					y[i] = min(v-z[i], 1)
				}
				return y
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := onnx.NewBuilder("test", 17)
			tc.build(b)
			got := runModel(t, b, tc.in, "y", tc.outDims)
			want := tc.want()
			if len(got) != len(want) {
				t.Fatalf("got %d values, want %d", len(got), len(want))
			}
			var worst float64
			for i := range got {
				worst = max(worst, math.Abs(float64(got[i]-want[i])))
			}
			if worst > 1e-5 {
				t.Errorf("max |onnxruntime - Go| = %g > 1e-5\n got %v\nwant %v", worst, got, want)
			}
		})
	}
}

// TestMetadata: metadata_props, producer and doc string reach onnxruntime.
func TestMetadata(t *testing.T) {
	modeltest.InitORT(t)
	b := onnx.NewBuilder("meta", 17)
	b.Input("x", []int64{1})
	b.Node("Identity", []string{"x"}, []string{"y"})
	b.Output("y", []int64{1})
	b.Metadata("nedstream.role", "manipulator")
	b.Metadata("nedstream.emotions", "happy,sad")
	b.Doc("a test model")
	b.ModelVersion(3)
	data, err := b.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	md, err := ortgo.GetModelMetadataWithONNXData(data)
	if err != nil {
		t.Fatal(err)
	}
	defer md.Destroy()
	for key, want := range map[string]string{"nedstream.role": "manipulator", "nedstream.emotions": "happy,sad"} {
		got, ok, err := md.LookupCustomMetadataMap(key)
		if err != nil || !ok || got != want {
			t.Errorf("metadata %q = %q, %v, %v; want %q", key, got, ok, err, want)
		}
	}
	if p, _ := md.GetProducerName(); p != onnx.Producer {
		t.Errorf("producer %q", p)
	}
	if d, _ := md.GetDescription(); d != "a test model" {
		t.Errorf("description %q", d)
	}
	if v, _ := md.GetVersion(); v != 3 {
		t.Errorf("version %d", v)
	}
	if g, _ := md.GetGraphName(); g != "meta" {
		t.Errorf("graph name %q", g)
	}
}

// TestReadBack: a written model parses back with its weights intact.
func TestReadBack(t *testing.T) {
	b := onnx.NewBuilder("rb", 17)
	b.Input("x", []int64{2})
	w := []float32{1.5, -2.25}
	b.Initializer("w", []int64{2}, w)
	b.Node("Mul", []string{"x", "w"}, []string{"y"})
	b.Output("y", []int64{2})
	path := filepath.Join(t.TempDir(), "rb.onnx")
	if err := b.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	m, err := onnx.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if m.GetIrVersion() != 8 || m.GetOpsetImport()[0].GetVersion() != 17 {
		t.Errorf("ir %d opset %v", m.GetIrVersion(), m.GetOpsetImport())
	}
	got, err := onnx.Floats(m.GetGraph().GetInitializer()[0])
	if err != nil || len(got) != 2 || got[0] != w[0] || got[1] != w[1] {
		t.Errorf("weights %v, %v", got, err)
	}
	if _, err := onnx.ReadFile(filepath.Join(t.TempDir(), "missing.onnx")); err == nil {
		t.Error("missing file: no error")
	}
	bad := filepath.Join(t.TempDir(), "bad.onnx")
	os.WriteFile(bad, []byte{0xff, 0xff, 0xff}, 0o644)
	if _, err := onnx.ReadFile(bad); err == nil {
		t.Error("garbage file: no error")
	}
}

// TestMistakes: malformed builder use is reported as an error (naming the
// problem), never a panic, and never produces a file.
func TestMistakes(t *testing.T) {
	cases := []struct {
		name  string
		opset int64
		build func(b *onnx.Builder)
		want  string
	}{
		{"undefined input", 17, func(b *onnx.Builder) {
			b.Input("x", []int64{1})
			b.Node("Add", []string{"x", "nope"}, []string{"y"})
			b.Output("y", []int64{1})
		}, `"nope" is not defined`},
		{"node before its input", 17, func(b *onnx.Builder) {
			b.Input("x", []int64{1})
			b.Node("Relu", []string{"h"}, []string{"y"})
			b.Node("Relu", []string{"x"}, []string{"h"})
			b.Output("y", []int64{1})
		}, `"h" is not defined`},
		{"duplicate name", 17, func(b *onnx.Builder) {
			b.Input("x", []int64{1})
			b.Initializer("x", []int64{1}, []float32{1})
		}, `"x" is already defined by input`},
		{"output twice", 17, func(b *onnx.Builder) {
			b.Input("x", []int64{1})
			b.Node("Relu", []string{"x"}, []string{"y"})
			b.Node("Relu", []string{"x"}, []string{"y"})
		}, `already defined by node Relu_0`},
		{"initializer size", 17, func(b *onnx.Builder) {
			b.Initializer("w", []int64{2, 3}, []float32{1, 2})
		}, "needs 6 values, got 2"},
		{"negative initializer dim", 17, func(b *onnx.Builder) {
			b.InitializerInt64("s", []int64{-1}, []int64{1})
		}, "fixed, non-negative"},
		{"bad input dim", 17, func(b *onnx.Builder) {
			b.Input("x", []int64{1, -3})
		}, "dimension 1 is -3"},
		{"undeclared output", 17, func(b *onnx.Builder) {
			b.Input("x", []int64{1})
			b.Output("y", []int64{1})
		}, `output "y" is produced by no node`},
		{"no outputs", 17, func(b *onnx.Builder) {
			b.Input("x", []int64{1})
		}, "no outputs declared"},
		{"empty op", 17, func(b *onnx.Builder) {
			b.Input("x", []int64{1})
			b.Node("", []string{"x"}, []string{"y"})
		}, "empty operator type"},
		{"node without outputs", 17, func(b *onnx.Builder) {
			b.Input("x", []int64{1})
			b.Node("Relu", []string{"x"}, nil)
		}, "no outputs"},
		{"duplicate attribute", 17, func(b *onnx.Builder) {
			b.Input("x", []int64{1})
			b.Node("Concat", []string{"x"}, []string{"y"}, onnx.AttrInt("axis", 0), onnx.AttrInt("axis", 1))
		}, `attribute "axis" given twice`},
		{"zero attribute", 17, func(b *onnx.Builder) {
			b.Input("x", []int64{1})
			b.Node("Concat", []string{"x"}, []string{"y"}, onnx.Attr{})
		}, "zero Attr"},
		{"NaN attribute", 17, func(b *onnx.Builder) {
			b.Input("x", []int64{1})
			b.Node("LeakyRelu", []string{"x"}, []string{"y"}, onnx.AttrFloat("alpha", float32(math.NaN())))
		}, "NaN"},
		{"bad tensor attribute", 17, func(b *onnx.Builder) {
			b.Node("Constant", nil, []string{"y"}, onnx.AttrFloatTensor("value", []int64{3}, []float32{1}))
		}, "needs 3 values"},
		{"domain not imported", 17, func(b *onnx.Builder) {
			b.Input("x", []int64{1})
			b.NodeIn("com.microsoft", "FusedGemm", []string{"x"}, []string{"y"})
		}, `domain "com.microsoft" not imported`},
		{"metadata twice", 17, func(b *onnx.Builder) {
			b.Metadata("k", "1")
			b.Metadata("k", "2")
		}, `metadata key "k"`},
		{"unsupported opset", 99, func(b *onnx.Builder) {}, "opset 99 not supported"},
		{"empty input name", 17, func(b *onnx.Builder) {
			b.Input("", []int64{1})
		}, "empty tensor name"},
		{"nil tensor attribute", 17, func(b *onnx.Builder) {
			b.Node("Constant", nil, []string{"y"}, onnx.AttrTensor("value", nil))
		}, "nil tensor"},
		{"undefined element type", 17, func(b *onnx.Builder) {
			b.InputOf("x", onnx.TensorProto_UNDEFINED, []int64{1})
		}, "undefined element type"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := onnx.NewBuilder("bad", tc.opset)
			tc.build(b)
			path := filepath.Join(t.TempDir(), "bad.onnx")
			err := b.WriteFile(path)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
			if !strings.Contains(err.Error(), `onnx graph "bad"`) {
				t.Errorf("error %q does not name the graph", err)
			}
			if _, serr := os.Stat(path); serr == nil {
				t.Error("a file was written despite the error")
			}
		})
	}
	var nilB *onnx.Builder
	nilB.Input("x", []int64{1}) // must not panic
	if _, err := nilB.Marshal(); err == nil {
		t.Error("nil builder: no error")
	}
}

// TestConstantTensorAttr: a Constant node with a tensor attribute runs.
func TestConstantTensorAttr(t *testing.T) {
	b := onnx.NewBuilder("const", 13)
	b.Input("x", []int64{3})
	b.Node("Constant", nil, []string{"c"}, onnx.AttrFloatTensor("value", []int64{3}, []float32{1, 2, 3}))
	b.Node("Add", []string{"x", "c"}, []string{"y"})
	b.Output("y", []int64{3})
	got := runModel(t, b, []feed{{"x", []int64{3}, []float32{10, 20, 30}}}, "y", []int64{3})
	for i, w := range []float32{11, 22, 33} {
		if got[i] != w {
			t.Fatalf("got %v", got)
		}
	}
}
