package onnx

import (
	"encoding/binary"
	"fmt"
	"math"
)

// numElements returns the element count of a fixed shape, or an error for a
// negative dimension or an overflowing product.
func numElements(dims []int64) (int64, error) {
	n := int64(1)
	for i, d := range dims {
		if d < 0 {
			return 0, fmt.Errorf("dimension %d is %d; tensors need fixed, non-negative sizes", i, d)
		}
		if d != 0 && n > math.MaxInt32/d {
			return 0, fmt.Errorf("shape %v too large", dims)
		}
		n *= d
	}
	return n, nil
}

// FloatTensor makes a float32 tensor with the given shape; data (row-major)
// must hold exactly the product of dims values. Values are stored as
// little-endian raw_data, the compact form onnxruntime reads directly.
func FloatTensor(name string, dims []int64, data []float32) (*TensorProto, error) {
	n, err := numElements(dims)
	if err != nil {
		return nil, fmt.Errorf("tensor %q: %w", name, err)
	}
	if int64(len(data)) != n {
		return nil, fmt.Errorf("tensor %q: shape %v needs %d values, got %d", name, dims, n, len(data))
	}
	raw := make([]byte, 4*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
	}
	return &TensorProto{Name: name, Dims: append([]int64(nil), dims...), DataType: int32(TensorProto_FLOAT), RawData: raw}, nil
}

// Int64Tensor makes an int64 tensor (shapes, Slice starts/ends/axes, ...);
// data must hold exactly the product of dims values.
func Int64Tensor(name string, dims []int64, data []int64) (*TensorProto, error) {
	n, err := numElements(dims)
	if err != nil {
		return nil, fmt.Errorf("tensor %q: %w", name, err)
	}
	if int64(len(data)) != n {
		return nil, fmt.Errorf("tensor %q: shape %v needs %d values, got %d", name, dims, n, len(data))
	}
	raw := make([]byte, 8*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint64(raw[8*i:], uint64(v))
	}
	return &TensorProto{Name: name, Dims: append([]int64(nil), dims...), DataType: int32(TensorProto_INT64), RawData: raw}, nil
}

// Floats decodes a float32 tensor's values (from raw_data or float_data),
// for reading weights back out of a model.
func Floats(t *TensorProto) ([]float32, error) {
	if t == nil {
		return nil, fmt.Errorf("nil tensor")
	}
	if TensorProto_DataType(t.DataType) != TensorProto_FLOAT {
		return nil, fmt.Errorf("tensor %q: data type %v, want FLOAT", t.Name, TensorProto_DataType(t.DataType))
	}
	n, err := numElements(t.Dims)
	if err != nil {
		return nil, fmt.Errorf("tensor %q: %w", t.Name, err)
	}
	if len(t.RawData) > 0 {
		if int64(len(t.RawData)) != 4*n {
			return nil, fmt.Errorf("tensor %q: %d raw bytes for %d floats", t.Name, len(t.RawData), n)
		}
		out := make([]float32, n)
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(t.RawData[4*i:]))
		}
		return out, nil
	}
	if int64(len(t.FloatData)) != n {
		return nil, fmt.Errorf("tensor %q: %d floats for shape %v", t.Name, len(t.FloatData), t.Dims)
	}
	return append([]float32(nil), t.FloatData...), nil
}
