package ned

import (
	"encoding/gob"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/nedstream/nedstream/models/manipulator"
)

// Coefficients is the frame width.
const Coefficients = 52

// Classes is the number of emotion classes.
const Classes = manipulator.NumClasses

// Gates are the LSTM gates in ONNX's order (input, output, forget, cell).
var Gates = []string{"i", "o", "f", "c"}

// LSTMName is the parameter prefix of one gate of one direction (0
// forward, 1 backward) of LSTM layer l; its weights are .w [in,H] (input),
// .r [H,H] (recurrent) and .b [1,H] (bias).
func LSTMName(l, dir int, gate string) string { return fmt.Sprintf("g.lstm%d.%d.%s", l, dir, gate) }

// DiscLSTMName is the parameter prefix of one gate of the LSTM
// discriminator's LSTM (Config.Disc "lstm"); weights as LSTMName's.
func DiscLSTMName(gate string) string { return "d.lstm." + gate }

// Param is one named weight tensor (row-major).
type Param struct {
	// Name is "<network>.<layer>.<w|r|b>" (see spec).
	Name string
	// Shape and Data hold the values, row-major.
	Shape []int
	Data  []float32
}

// Size is the number of values.
func (p *Param) Size() int {
	n := 1
	for _, d := range p.Shape {
		n *= d
	}
	return n
}

// Params are all weights of the four networks, in a fixed order.
type Params struct {
	// List holds the parameters in the order of the config's spec.
	List []*Param
	idx  map[string]int
}

// Get returns a parameter by name (nil if absent).
func (ps *Params) Get(name string) *Param {
	if ps.idx == nil {
		ps.reindex()
	}
	i, ok := ps.idx[name]
	if !ok {
		return nil
	}
	return ps.List[i]
}

func (ps *Params) reindex() {
	ps.idx = map[string]int{}
	for i, p := range ps.List {
		ps.idx[p.Name] = i
	}
}

// Group returns the indices of the parameters whose name starts with prefix
// ("g.", "m.", "e.", "d.").
func (ps *Params) Group(prefixes ...string) []int {
	var out []int
	for i, p := range ps.List {
		for _, pre := range prefixes {
			if strings.HasPrefix(p.Name, pre) {
				out = append(out, i)
			}
		}
	}
	return out
}

// Count is the total number of values.
func (ps *Params) Count() int {
	n := 0
	for _, p := range ps.List {
		n += p.Size()
	}
	return n
}

// Clone deep-copies the parameters.
func (ps *Params) Clone() *Params {
	out := &Params{}
	for _, p := range ps.List {
		out.List = append(out.List, &Param{Name: p.Name, Shape: append([]int(nil), p.Shape...), Data: append([]float32(nil), p.Data...)})
	}
	return out
}

// spec lists every parameter's name and shape for a config.
func spec(c Config) []Param {
	H, S := c.Hidden, c.S
	var ps []Param
	add := func(name string, shape ...int) { ps = append(ps, Param{Name: name, Shape: shape}) }
	// generator
	add("g.in.w", Coefficients+S, H)
	add("g.in.b", 1, H)
	for l := range 2 {
		in := H
		if l > 0 {
			in = 2 * H
		}
		for d := range 2 {
			for _, gate := range Gates {
				pre := LSTMName(l, d, gate)
				add(pre+".w", in, H)
				add(pre+".r", H, H)
				add(pre+".b", 1, H)
			}
		}
	}
	add("g.out1.w", 2*H+S, H)
	add("g.out1.b", 1, H)
	add("g.out2.w", H, Coefficients)
	add("g.out2.b", 1, Coefficients)
	// mapping network
	add("m.l1.w", c.Z, c.MapHidden)
	add("m.l1.b", 1, c.MapHidden)
	add("m.l2.w", c.MapHidden, c.MapHidden)
	add("m.l2.b", 1, c.MapHidden)
	add("m.head.w", c.MapHidden, Classes*S)
	add("m.head.b", 1, Classes*S)
	// style encoder
	add("e.l1.w", Coefficients, H)
	add("e.l1.b", 1, H)
	add("e.l2.w", H, H)
	add("e.l2.b", 1, H)
	add("e.out.w", H, S)
	add("e.out.b", 1, S)
	// discriminator
	add("d.l1.w", Coefficients, H)
	add("d.l1.b", 1, H)
	if c.Disc == DiscLSTM {
		for _, gate := range Gates {
			add(DiscLSTMName(gate)+".w", H, H)
			add(DiscLSTMName(gate)+".r", H, H)
			add(DiscLSTMName(gate)+".b", 1, H)
		}
	} else {
		add("d.l2.w", c.T*H, H)
		add("d.l2.b", 1, H)
	}
	add("d.out.w", H, Classes)
	add("d.out.b", 1, Classes)
	return ps
}

// NewParams initialises the weights for c from seed: Glorot-uniform
// matrices, zero biases (LSTM forget-gate bias 1), and a small last
// generator layer so that the untrained generator is close to identity.
func NewParams(c Config, seed uint64) (*Params, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(seed, 0x696e6974))
	ps := &Params{}
	for _, s := range spec(c) {
		p := &Param{Name: s.Name, Shape: s.Shape}
		p.Data = make([]float32, p.Size())
		switch {
		case strings.HasSuffix(s.Name, ".f.b"):
			for k := range p.Data { // forget-gate bias 1
				p.Data[k] = 1
			}
		case strings.HasSuffix(s.Name, ".b"):
		default:
			fanIn, fanOut := s.Shape[len(s.Shape)-2], s.Shape[len(s.Shape)-1]
			lim := math.Sqrt(6 / float64(fanIn+fanOut))
			if s.Name == "g.out2.w" {
				lim *= 0.05
			}
			for i := range p.Data {
				p.Data[i] = float32((2*rng.Float64() - 1) * lim)
			}
		}
		ps.List = append(ps.List, p)
	}
	ps.reindex()
	return ps, nil
}

// Check verifies that ps has exactly the parameters of c.
func (ps *Params) Check(c Config) error {
	want := spec(c)
	if len(want) != len(ps.List) {
		return fmt.Errorf("parameters: %d tensors, config needs %d", len(ps.List), len(want))
	}
	for i, w := range want {
		p := ps.List[i]
		if p.Name != w.Name || fmt.Sprint(p.Shape) != fmt.Sprint(w.Shape) || len(p.Data) != p.Size() {
			return fmt.Errorf("parameter %d: %s %v (%d values), config needs %s %v", i, p.Name, p.Shape, len(p.Data), w.Name, w.Shape)
		}
	}
	ps.reindex()
	return nil
}

// Encode writes the parameters with gob.
func (ps *Params) Encode(w io.Writer) error { return gob.NewEncoder(w).Encode(ps.List) }

// DecodeParams reads parameters written by Encode.
func DecodeParams(r io.Reader) (*Params, error) {
	ps := &Params{}
	if err := gob.NewDecoder(r).Decode(&ps.List); err != nil {
		return nil, fmt.Errorf("decode parameters: %w", err)
	}
	ps.reindex()
	return ps, nil
}
