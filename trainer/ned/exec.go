package ned

import (
	"fmt"
	"sync"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph DSL
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// NewBackend returns GoMLX's pure-Go backend configured for this machine:
// ops run sequentially (its default worker pool can deadlock on 2 cores).
func NewBackend() (backends.Backend, error) {
	b, err := simplego.New("ops_sequential")
	if err != nil {
		return nil, fmt.Errorf("gomlx backend: %w", err)
	}
	return b, nil
}

// catch turns a GoMLX panic into an error.
func catch(err *error, what string) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("%s: %v", what, r)
	}
}

// LossNames are the values Step returns, in order.
var LossNames = []string{"d", "g", "d_real", "d_fake", "adv", "style", "cycle", "mouth"}

// Model binds a config and parameters to compiled GoMLX computations.
type Model struct {
	// Config and Params are the networks' sizes and weights (Params is
	// read on every call, so updates in place take effect).
	Config  Config
	Params  *Params
	backend backends.Backend
	mask    []float32

	mu                sync.Mutex
	stepExec, fwdExec *Exec
	mapExec, encExec  *Exec
	dIdx, gIdx        []int
}

// NewModel prepares a model (nothing compiles until first use).
func NewModel(b backends.Backend, c Config, ps *Params) (*Model, error) {
	if err := ps.Check(c); err != nil {
		return nil, err
	}
	m := &Model{Config: c, Params: ps, backend: b, mask: MouthMask()}
	m.dIdx = ps.Group("d.")
	m.gIdx = ps.Group("g.", "m.", "e.")
	return m, nil
}

func (m *Model) paramTensors() []any {
	out := make([]any, len(m.Params.List))
	for i, p := range m.Params.List {
		out[i] = tensors.FromFlatDataAndDimensions(p.Data, p.Shape...)
	}
	return out
}

// StepData is one batch in Go memory.
type StepData struct {
	B      int
	X      []float32 // [B,T,52]
	Src    []float32 // [B,8] one-hot
	Trg    []float32 // [B,8] one-hot
	Z      []float32 // [B,Z]
	Lambda []float32 // [B]
}

// StepResult holds the loss values (LossNames order) and the gradients of
// every parameter (D's from the discriminator loss, the others from the
// generator loss), in Params order.
type StepResult struct {
	Losses []float64
	Grads  [][]float32
}

// Step computes losses and gradients for a batch.
func (m *Model) Step(d StepData) (res StepResult, err error) {
	defer catch(&err, "training step")
	c := m.Config
	if len(d.X) != d.B*c.T*Coefficients || len(d.Src) != d.B*Classes || len(d.Trg) != d.B*Classes || len(d.Z) != d.B*c.Z || len(d.Lambda) != d.B {
		return res, fmt.Errorf("training step: batch sizes do not match B=%d T=%d Z=%d", d.B, c.T, c.Z)
	}
	m.mu.Lock()
	if m.stepExec == nil {
		np := len(m.Params.List)
		m.stepExec, err = NewExec(m.backend, func(in []*Node) []*Node {
			w := bind(m.Params, in[:np])
			b := Batch{X: in[np], Src: in[np+1], Trg: in[np+2], Z: in[np+3], Lambda: in[np+4]}
			l := ComputeLosses(c, w, b, m.mask)
			out := []*Node{l.D, l.G, l.DReal, l.DFake, l.Adv, l.Style, l.Cycle, l.Mouth}
			grads := make([]*Node, np)
			dn := make([]*Node, len(m.dIdx))
			for i, k := range m.dIdx {
				dn[i] = in[k]
			}
			for i, g := range Gradient(l.D, dn...) {
				grads[m.dIdx[i]] = g
			}
			gn := make([]*Node, len(m.gIdx))
			for i, k := range m.gIdx {
				gn[i] = in[k]
			}
			for i, g := range Gradient(l.G, gn...) {
				grads[m.gIdx[i]] = g
			}
			return append(out, grads...)
		})
	}
	e := m.stepExec
	m.mu.Unlock()
	if err != nil {
		return res, err
	}
	args := append(m.paramTensors(),
		tensors.FromFlatDataAndDimensions(d.X, d.B, c.T, Coefficients),
		tensors.FromFlatDataAndDimensions(d.Src, d.B, Classes),
		tensors.FromFlatDataAndDimensions(d.Trg, d.B, Classes),
		tensors.FromFlatDataAndDimensions(d.Z, d.B, c.Z),
		tensors.FromFlatDataAndDimensions(d.Lambda, d.B))
	outs, err := e.Exec(args...)
	if err != nil {
		return res, err
	}
	defer func() {
		for _, o := range outs {
			o.FinalizeAll()
		}
	}()
	for i := range LossNames {
		v, err := tensors.CopyFlatData[float32](outs[i])
		if err != nil {
			return res, err
		}
		res.Losses = append(res.Losses, float64(v[0]))
	}
	for _, o := range outs[len(LossNames):] {
		g, err := tensors.CopyFlatData[float32](o)
		if err != nil {
			return res, err
		}
		res.Grads = append(res.Grads, g)
	}
	return res, nil
}

// Manipulate runs the generator: x [B,T',52] (any T'), style [B,S].
func (m *Model) Manipulate(b, t int, x, style []float32) (out []float32, err error) {
	defer catch(&err, "generator")
	m.mu.Lock()
	if m.fwdExec == nil {
		np := len(m.Params.List)
		m.fwdExec, err = NewExec(m.backend, func(in []*Node) []*Node {
			return []*Node{Generator(m.Config, bind(m.Params, in[:np]), in[np], in[np+1])}
		})
	}
	e := m.fwdExec
	m.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return run1(e, append(m.paramTensors(), tensors.FromFlatDataAndDimensions(x, b, t, Coefficients), tensors.FromFlatDataAndDimensions(style, b, m.Config.S)))
}

// Map runs the mapping network: noise z [B,Z], class weights cls [B,8] -> [B,S].
func (m *Model) Map(b int, z, cls []float32) (out []float32, err error) {
	defer catch(&err, "mapping network")
	m.mu.Lock()
	if m.mapExec == nil {
		np := len(m.Params.List)
		m.mapExec, err = NewExec(m.backend, func(in []*Node) []*Node {
			return []*Node{Mapping(m.Config, bind(m.Params, in[:np]), in[np], in[np+1])}
		})
	}
	e := m.mapExec
	m.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return run1(e, append(m.paramTensors(), tensors.FromFlatDataAndDimensions(z, b, m.Config.Z), tensors.FromFlatDataAndDimensions(cls, b, Classes)))
}

// Encode runs the style encoder on x [B,T',52].
func (m *Model) Encode(b, t int, x []float32) (out []float32, err error) {
	defer catch(&err, "style encoder")
	m.mu.Lock()
	if m.encExec == nil {
		np := len(m.Params.List)
		m.encExec, err = NewExec(m.backend, func(in []*Node) []*Node {
			return []*Node{Encoder(m.Config, bind(m.Params, in[:np]), in[np])}
		})
	}
	e := m.encExec
	m.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return run1(e, append(m.paramTensors(), tensors.FromFlatDataAndDimensions(x, b, t, Coefficients)))
}

func run1(e *Exec, args []any) ([]float32, error) {
	outs, err := e.Exec(args...)
	if err != nil {
		return nil, err
	}
	defer outs[0].FinalizeAll()
	return tensors.CopyFlatData[float32](outs[0])
}
