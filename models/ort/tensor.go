package ort

import (
	"fmt"

	ortgo "github.com/yalue/onnxruntime_go"
)

// Float32 is a float32 tensor whose Go slice onnxruntime reads and writes in
// place; models keep theirs between frames to avoid allocations.
type Float32 struct {
	t *ortgo.Tensor[float32]
}

// NewFloat32 allocates a zeroed float32 tensor of the given shape.
func NewFloat32(shape ...int64) (*Float32, error) {
	t, err := ortgo.NewEmptyTensor[float32](ortgo.NewShape(shape...))
	if err != nil {
		return nil, fmt.Errorf("tensor %v: %w", shape, err)
	}
	return &Float32{t: t}, nil
}

// Data returns the tensor's backing slice.
func (f *Float32) Data() []float32 { return f.t.GetData() }

// Shape returns the tensor's shape.
func (f *Float32) Shape() []int64 { return f.t.GetShape() }

// Value returns the tensor as an onnxruntime value for Session.Run.
func (f *Float32) Value() ortgo.Value { return f.t }

// Destroy frees the tensor; nil-safe.
func (f *Float32) Destroy() {
	if f != nil && f.t != nil {
		f.t.Destroy()
		f.t = nil
	}
}

// Value is an onnxruntime input or output value.
type Value = ortgo.Value
