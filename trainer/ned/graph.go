package ned

import (
	"fmt"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph DSL
	"github.com/gomlx/gomlx/pkg/core/shapes"

	"github.com/nedstream/nedstream/models/manipulator"
)

// W maps parameter names to graph nodes.
type W map[string]*Node

func relu(x *Node) *Node { return Max(x, ZerosLike(x)) }

// linear applies x [N,in] @ w [in,out] + b [1,out].
func linear(x *Node, w W, name string) *Node {
	return Add(Dot(x, w[name+".w"]), w[name+".b"])
}

// frames flattens [B,T,F] to [B*T,F].
func frames(x *Node) *Node {
	d := x.Shape().Dimensions
	return Reshape(x, d[0]*d[1], d[2])
}

// withStyle concatenates the style [B,S] to every frame of x [B,T,F].
func withStyle(x, s *Node) *Node {
	d := x.Shape().Dimensions
	S := s.Shape().Dimensions[1]
	st := BroadcastToDims(Reshape(s, d[0], 1, S), d[0], d[1], S)
	return Concatenate([]*Node{x, st}, 2)
}

// timeSelect returns x[:, t, :] of x [B,T,F] through a one-hot product
// (GoMLX's pure-Go backend cannot differentiate Slice).
func timeSelect(xT *Node, t, T, B, F int) *Node {
	sel := make([]float32, T)
	sel[t] = 1
	return Reshape(Dot(Const(xT.Graph(), [][]float32{sel}), xT), B, F)
}

// lstmDir runs one direction (0 forward, 1 backward) of an LSTM over
// x [B,T,in] and returns the state per frame ([B,1,H] each, in time order);
// name(gate) is the parameter prefix of each gate. Gates as ONNX:
// i, o, f = sigmoid, c = tanh, C = f*C + i*c, h = o*tanh(C).
func lstmDir(x *Node, w W, name func(gate string) string, dir, hidden int) []*Node {
	d := x.Shape().Dimensions
	B, T := d[0], d[1]
	H := hidden
	xf := frames(x)
	// Input projections of all frames, per gate, as [T, B*H] for timeSelect.
	xw := map[string]*Node{}
	for _, gate := range Gates {
		p := name(gate)
		proj := Reshape(Add(Dot(xf, w[p+".w"]), w[p+".b"]), B, T, H)
		xw[gate] = Reshape(Transpose(proj, 0, 1), T, B*H)
	}
	h := Zeros(x.Graph(), shapes.Make(x.DType(), B, H))
	c := h
	out := make([]*Node, T)
	for k := range T {
		t := k
		if dir == 1 {
			t = T - 1 - k
		}
		gate := func(g string) *Node {
			return Add(timeSelect(xw[g], t, T, B, H), Dot(h, w[name(g)+".r"]))
		}
		i := Sigmoid(gate("i"))
		o := Sigmoid(gate("o"))
		f := Sigmoid(gate("f"))
		cc := Tanh(gate("c"))
		c = Add(Mul(f, c), Mul(i, cc))
		h = Mul(o, Tanh(c))
		out[t] = Reshape(h, B, 1, H)
	}
	return out
}

// biLSTM runs bidirectional layer l: [B,T,in] -> [B,T,2H] (forward then
// backward state per frame, as ONNX's Y transposed to [B,T,2,H]).
func biLSTM(x *Node, w W, l, hidden int) *Node {
	var dirs []*Node
	for d := range 2 {
		name := func(gate string) string { return LSTMName(l, d, gate) }
		dirs = append(dirs, Concatenate(lstmDir(x, w, name, d, hidden), 1))
	}
	return Concatenate(dirs, 2)
}

// Generator edits x [B,T,52] with style s [B,S].
func Generator(c Config, w W, x, s *Node) *Node {
	d := x.Shape().Dimensions
	B, T := d[0], d[1]
	h := relu(linear(frames(withStyle(x, s)), w, "g.in"))
	h = Reshape(h, B, T, c.Hidden)
	h = biLSTM(h, w, 0, c.Hidden)
	h = biLSTM(h, w, 1, c.Hidden)
	o := relu(linear(frames(withStyle(h, s)), w, "g.out1"))
	delta := Reshape(linear(o, w, "g.out2"), B, T, Coefficients)
	return Add(x, delta)
}

// MappingHeads returns every class's style for noise z [B,Z]: [B,8,S].
func MappingHeads(c Config, w W, z *Node) *Node {
	B := z.Shape().Dimensions[0]
	h := relu(linear(z, w, "m.l1"))
	h = relu(linear(h, w, "m.l2"))
	return Reshape(linear(h, w, "m.head"), B, Classes, c.S)
}

// Mapping returns the style of class weights cls [B,8] (one-hot or a
// mixture) for noise z: sum_c cls_c * head_c(z).
func Mapping(c Config, w W, z, cls *Node) *Node {
	heads := MappingHeads(c, w, z)
	d := heads.Shape().Dimensions
	return ReduceSum(Mul(heads, BroadcastToDims(Reshape(cls, d[0], Classes, 1), d...)), 1)
}

// Encoder returns the style of a clip x [B,T,52].
func Encoder(c Config, w W, x *Node) *Node {
	d := x.Shape().Dimensions
	h := relu(linear(frames(x), w, "e.l1"))
	h = relu(linear(h, w, "e.l2"))
	h = ReduceMean(Reshape(h, d[0], d[1], c.Hidden), 1)
	return linear(h, w, "e.out")
}

// Discriminator returns one LSGAN output per class for x [B,T,52]: [B,8].
// The MLP one flattens the per-frame features over the window; the LSTM
// one (Config.Disc "lstm", as NED's) runs a forward LSTM over them and
// reads the classes from its last state.
func Discriminator(c Config, w W, x *Node) *Node {
	d := x.Shape().Dimensions
	h := relu(linear(frames(x), w, "d.l1"))
	if c.Disc == DiscLSTM {
		name := func(gate string) string { return DiscLSTMName(gate) }
		states := lstmDir(Reshape(h, d[0], d[1], c.Hidden), w, name, 0, c.Hidden)
		last := Reshape(states[len(states)-1], d[0], c.Hidden)
		return linear(last, w, "d.out")
	}
	h = relu(linear(Reshape(h, d[0], d[1]*c.Hidden), w, "d.l2"))
	return linear(h, w, "d.out")
}

// pick returns out[b, class_b] for one-hot cls: [B].
func pick(out, cls *Node) *Node { return ReduceSum(Mul(out, cls), 1) }

// LSGANReal is (d - 1)^2 per sample; LSGANFake is d^2.
func LSGANReal(d *Node) *Node { return Square(AddScalar(d, -1)) }

// LSGANFake is the LSGAN loss of a fake sample the discriminator should
// score 0: d^2.
func LSGANFake(d *Node) *Node { return Square(d) }

// L1 is the per-sample mean absolute difference of a and b ([B,...] -> [B]).
func L1(a, b *Node) *Node {
	diff := Abs(Sub(a, b))
	axes := make([]int, diff.Rank()-1)
	for i := range axes {
		axes[i] = i + 1
	}
	return ReduceMean(diff, axes...)
}

// pearsonEps keeps the correlation of a constant channel finite.
const pearsonEps = 1e-6

// MouthLoss is 1 - the mean Pearson correlation over time between the
// input's and the output's mouth channels (mask [52], 1 on the channels
// used), per sample: [B,T,52] x2 -> [B]. It is 0 when the output's mouth
// moves exactly like the input's (up to scale and offset), 1 when
// uncorrelated and 2 when reversed.
func MouthLoss(in, out *Node, mask []float32) *Node {
	g := in.Graph()
	xc := Sub(in, ReduceAndKeep(in, ReduceMean, 1))
	yc := Sub(out, ReduceAndKeep(out, ReduceMean, 1))
	cov := ReduceSum(Mul(xc, yc), 1)
	vx := ReduceSum(Square(xc), 1)
	vy := ReduceSum(Square(yc), 1)
	r := Div(cov, Sqrt(AddScalar(Mul(vx, vy), pearsonEps))) // [B,52]
	var n float32
	for _, m := range mask {
		n += m
	}
	mk := Const(g, [][]float32{mask})
	B := r.Shape().Dimensions[0]
	mr := ReduceSum(Mul(r, BroadcastToDims(mk, B, len(mask))), 1)
	return OneMinus(DivScalar(mr, float64(n)))
}

// MouthMask marks the speech channels of models/manipulator (jaw opening,
// lip closure, rounding, presses, lip raise and lower, chin raise, lip
// spread): the lip-sync the manipulator must keep.
func MouthMask() []float32 {
	m := make([]float32, Coefficients)
	for i, ch := range manipulator.Channels {
		if ch == manipulator.Speech {
			m[i] = 1
		}
	}
	return m
}

// Batch is the data of one training step.
type Batch struct {
	X      *Node // [B,T,52] real windows
	Src    *Node // [B,8] one-hot labels of X
	Trg    *Node // [B,8] one-hot target classes
	Z      *Node // [B,Z] noise
	Lambda *Node // [B] per-sample weights
}

// Losses are the per-sample loss terms and the weighted totals.
type Losses struct {
	// D is the discriminator's total, G the generator side's total (both
	// scalars: the lambda-weighted batch means).
	D, G *Node
	// Per-term batch means (unweighted), for logging.
	DReal, DFake, Adv, Style, Cycle, Mouth *Node
}

// weighted returns mean_i(lambda_i * l_i).
func weighted(l, lambda *Node) *Node { return ReduceAllMean(Mul(l, lambda)) }

// ComputeLosses builds NED's losses for a batch. fakeForD is G's output
// with gradients stopped (the discriminator step must not move G).
func ComputeLosses(c Config, w W, b Batch, mouthMask []float32) Losses {
	sTrg := Mapping(c, w, b.Z, b.Trg)
	fake := Generator(c, w, b.X, sTrg)
	// Discriminator.
	dReal := LSGANReal(pick(Discriminator(c, w, b.X), b.Src))
	dFake := LSGANFake(pick(Discriminator(c, w, StopGradient(fake)), b.Trg))
	// Generator side.
	adv := LSGANReal(pick(Discriminator(c, w, fake), b.Trg))
	sty := L1(Encoder(c, w, fake), sTrg)
	sSrc := Encoder(c, w, b.X)
	rec := Generator(c, w, fake, sSrc)
	cyc := L1(rec, b.X)
	mouth := MouthLoss(b.X, fake, mouthMask)
	gTotal := Add(Add(MulScalar(adv, c.WAdv), MulScalar(sty, c.WStyle)), Add(MulScalar(cyc, c.WCycle), MulScalar(mouth, c.WMouth)))
	return Losses{
		D: weighted(Add(dReal, dFake), b.Lambda), G: weighted(gTotal, b.Lambda),
		DReal: ReduceAllMean(dReal), DFake: ReduceAllMean(dFake), Adv: ReduceAllMean(adv),
		Style: ReduceAllMean(sty), Cycle: ReduceAllMean(cyc), Mouth: ReduceAllMean(mouth),
	}
}

// bind maps parameter nodes to names.
func bind(ps *Params, nodes []*Node) W {
	w := W{}
	for i, p := range ps.List {
		w[p.Name] = nodes[i]
	}
	return w
}

// errShape reports a batch of the wrong shape.
func errShape(what string, got []int, want ...int) error {
	return fmt.Errorf("%s has shape %v, want %v", what, got, want)
}
