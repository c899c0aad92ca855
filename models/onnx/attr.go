package onnx

import (
	"fmt"
	"math"
)

// Attr is one node attribute, made by AttrInt, AttrFloat, AttrString,
// AttrInts, AttrFloats, AttrStrings or AttrTensor and passed to Builder.Node.
// A constructor given an invalid value records the error, which Node reports.
type Attr struct {
	p   *AttributeProto
	err error
}

// AttrInt is an integer attribute (e.g. Gemm's transB, Concat's axis).
func AttrInt(name string, v int64) Attr {
	return Attr{p: &AttributeProto{Name: name, Type: AttributeProto_INT, I: v}}
}

// AttrFloat is a float attribute (e.g. Gemm's alpha, LeakyRelu's alpha).
// NaN is rejected: it is almost always a bug in the caller.
func AttrFloat(name string, v float32) Attr {
	a := Attr{p: &AttributeProto{Name: name, Type: AttributeProto_FLOAT, F: v}}
	if math.IsNaN(float64(v)) {
		a.err = fmt.Errorf("attribute %q: NaN", name)
	}
	return a
}

// AttrString is a string attribute (e.g. Resize's mode).
func AttrString(name, v string) Attr {
	return Attr{p: &AttributeProto{Name: name, Type: AttributeProto_STRING, S: []byte(v)}}
}

// AttrInts is an integer-list attribute (e.g. Transpose's perm).
func AttrInts(name string, v ...int64) Attr {
	return Attr{p: &AttributeProto{Name: name, Type: AttributeProto_INTS, Ints: append([]int64(nil), v...)}}
}

// AttrFloats is a float-list attribute.
func AttrFloats(name string, v ...float32) Attr {
	a := Attr{p: &AttributeProto{Name: name, Type: AttributeProto_FLOATS, Floats: append([]float32(nil), v...)}}
	for i, x := range v {
		if math.IsNaN(float64(x)) {
			a.err = fmt.Errorf("attribute %q: NaN at %d", name, i)
			break
		}
	}
	return a
}

// AttrStrings is a string-list attribute.
func AttrStrings(name string, v ...string) Attr {
	p := &AttributeProto{Name: name, Type: AttributeProto_STRINGS}
	for _, s := range v {
		p.Strings = append(p.Strings, []byte(s))
	}
	return Attr{p: p}
}

// AttrTensor is a tensor attribute (e.g. Constant's value); see also
// AttrFloatTensor.
func AttrTensor(name string, t *TensorProto) Attr {
	if t == nil {
		return Attr{err: fmt.Errorf("attribute %q: nil tensor", name)}
	}
	return Attr{p: &AttributeProto{Name: name, Type: AttributeProto_TENSOR, T: t}}
}

// AttrFloatTensor is a float32 tensor attribute of the given shape; a data
// length that does not match dims is reported by Builder.Node.
func AttrFloatTensor(name string, dims []int64, data []float32) Attr {
	t, err := FloatTensor(name, dims, data)
	if err != nil {
		return Attr{err: fmt.Errorf("attribute %q: %w", name, err)}
	}
	return AttrTensor(name, t)
}
