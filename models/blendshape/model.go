package blendshape

import (
	"fmt"

	"github.com/nedstream/nedstream/models/ort"
)

// Tensor names of MediaPipe's blendshape model (as converted to ONNX).
const (
	InputName  = "serving_default_input_points:0"
	OutputName = "StatefulPartitionedCall:0"
)

// Model is a loaded blendshape model with its reusable tensors.
type Model struct {
	s   *ort.Session
	in  *ort.Float32
	out *ort.Float32
}

// Open loads the model at path.
func Open(path string, opts ort.Options) (*Model, error) {
	s, err := ort.Open("blendshapes", path, []string{InputName}, []string{OutputName}, opts)
	if err != nil {
		return nil, err
	}
	m := &Model{s: s}
	if m.in, err = ort.NewFloat32(1, 146, 2); err == nil {
		m.out, err = ort.NewFloat32(Count)
	}
	if err != nil {
		m.Close()
		return nil, err
	}
	return m, nil
}

// Provider reports where the model runs.
func (m *Model) Provider() ort.Provider { return m.s.Provider() }

// Run computes the 52 coefficients from 478 landmarks given as x, y pixel
// coordinates (pts[i] = {x, y}).
func (m *Model) Run(pts [][2]float32) ([Count]float32, error) {
	var res [Count]float32
	if len(pts) < 478 {
		return res, fmt.Errorf("blendshapes need 478 landmarks (with iris), got %d", len(pts))
	}
	in := m.in.Data()
	for i, idx := range SubsetIndices {
		in[2*i], in[2*i+1] = pts[idx][0], pts[idx][1]
	}
	if err := m.s.Run([]ort.Value{m.in.Value()}, []ort.Value{m.out.Value()}); err != nil {
		return res, err
	}
	copy(res[:], m.out.Data())
	return res, nil
}

// Close releases the model.
func (m *Model) Close() error {
	m.in.Destroy()
	m.out.Destroy()
	if m.s != nil {
		return m.s.Close()
	}
	return nil
}
