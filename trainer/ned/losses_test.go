package ned

import (
	"math"
	"sync"
	"testing"

	"github.com/gomlx/gomlx/backends"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

var (
	beOnce sync.Once
	be     backends.Backend
	beErr  error
)

// testBackend is one backend for the tests of this file (tensors are tied
// to the backend that first used them).
func testBackend(t *testing.T) backends.Backend {
	beOnce.Do(func() { be, beErr = NewBackend() })
	if beErr != nil {
		t.Fatal(beErr)
	}
	return be
}

// eval1 runs fn on arguments given as tensor constructors.
func eval1(t *testing.T, fn func(in []*Node) []*Node, args ...any) []float32 {
	t.Helper()
	e, err := NewExec(testBackend(t), fn)
	if err != nil {
		t.Fatal(err)
	}
	for i, a := range args {
		args[i] = a.(func() *tensors.Tensor)()
	}
	outs, err := e.Exec(args...)
	if err != nil {
		t.Fatal(err)
	}
	v, err := tensors.CopyFlatData[float32](outs[0])
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func close(t *testing.T, what string, got []float32, want ...float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %v, want %v", what, got, want)
	}
	for i := range got {
		if math.Abs(float64(got[i])-want[i]) > 1e-5 {
			t.Fatalf("%s: %v, want %v", what, got, want)
		}
	}
}

func TestLSGANAndL1(t *testing.T) {
	d := func() *tensors.Tensor { return tensors.FromValue([]float32{0, 1, 3, -0.5}) }
	close(t, "real", eval1(t, func(in []*Node) []*Node { return []*Node{LSGANReal(in[0])} }, d), 1, 0, 4, 2.25)
	close(t, "fake", eval1(t, func(in []*Node) []*Node { return []*Node{LSGANFake(in[0])} }, d), 0, 1, 9, 0.25)
	a := func() *tensors.Tensor { return tensors.FromValue([][]float32{{1, 2, 3}, {0, 0, 0}}) }
	b := func() *tensors.Tensor { return tensors.FromValue([][]float32{{1, 0, 4}, {1, -1, 1}}) }
	close(t, "l1", eval1(t, func(in []*Node) []*Node { return []*Node{L1(in[0], in[1])} }, a, b), 1, 1)
	lam := func() *tensors.Tensor { return tensors.FromValue([]float32{0.5, 0}) }
	l := func() *tensors.Tensor { return tensors.FromValue([]float32{4, 100}) }
	close(t, "weighted", eval1(t, func(in []*Node) []*Node { return []*Node{weighted(in[0], in[1])} }, l, lam), 1)
}

// mouthCase builds [B=1,T,52] tensors where every mouth channel carries
// track a in the input and track b in the output.
func mouthCase(a, b []float32) (func() *tensors.Tensor, func() *tensors.Tensor) {
	T := len(a)
	mask := MouthMask()
	x := make([]float32, T*Coefficients)
	y := make([]float32, T*Coefficients)
	for t := range T {
		for k := range Coefficients {
			if mask[k] == 1 {
				x[t*Coefficients+k] = a[t]
				y[t*Coefficients+k] = b[t]
			} else { // other channels never count
				x[t*Coefficients+k] = float32(t)
				y[t*Coefficients+k] = float32(-t * t)
			}
		}
	}
	return func() *tensors.Tensor { return tensors.FromFlatDataAndDimensions(x, 1, T, Coefficients) },
		func() *tensors.Tensor { return tensors.FromFlatDataAndDimensions(y, 1, T, Coefficients) }
}

func TestMouthLoss(t *testing.T) {
	fn := func(in []*Node) []*Node { return []*Node{MouthLoss(in[0], in[1], MouthMask())} }
	track := []float32{0, 0.3, 0.1, 0.4, 0.2, 0}
	cases := []struct {
		name string
		out  []float32
		want float64
	}{
		{"same", track, 0},
		{"scaled and shifted", []float32{0.1, 0.7, 0.3, 0.9, 0.5, 0.1}, 0},
		{"reversed sign", []float32{0, -0.3, -0.1, -0.4, -0.2, 0}, 2},
		// orthogonal after centring: r = 0
		{"uncorrelated", []float32{1, 0, 0, 0, 0, 1}, 1 - pearson(track, []float32{1, 0, 0, 0, 0, 1})},
	}
	for _, c := range cases {
		x, y := mouthCase(track, c.out)
		got := eval1(t, fn, x, y)
		if math.Abs(float64(got[0])-c.want) > 1e-4 {
			t.Errorf("%s: %g, want %g", c.name, got[0], c.want)
		}
	}
}

func pearson(a, b []float32) float64 {
	var ma, mb float64
	for i := range a {
		ma += float64(a[i])
		mb += float64(b[i])
	}
	ma /= float64(len(a))
	mb /= float64(len(a))
	var c, va, vb float64
	for i := range a {
		c += (float64(a[i]) - ma) * (float64(b[i]) - mb)
		va += (float64(a[i]) - ma) * (float64(a[i]) - ma)
		vb += (float64(b[i]) - mb) * (float64(b[i]) - mb)
	}
	return c / math.Sqrt(va*vb)
}

// TestGradients compares GoMLX's gradients with central differences for
// one value of several parameters, through the LSTM and all four networks.
func TestGradients(t *testing.T) {
	c := tinyConfig()
	gradientCheck(t, c, []string{"g.in.w", LSTMName(1, 1, "f") + ".r", "g.out2.b", "m.head.w", "e.l1.w", "d.l2.w", "d.out.b"})
}

// TestGradientsLSTMDisc is TestGradients with the LSTM discriminator,
// through its gates and into the generator.
func TestGradientsLSTMDisc(t *testing.T) {
	c := tinyConfig()
	c.Disc = DiscLSTM
	gradientCheck(t, c, []string{"g.out2.b", "g.in.w", "d.l1.w", DiscLSTMName("f") + ".r", DiscLSTMName("c") + ".w", DiscLSTMName("i") + ".b", "d.out.w"})
}

func gradientCheck(t *testing.T, c Config, names []string) {
	t.Helper()
	ps, _ := NewParams(c, 3)
	be, _ := NewBackend()
	m, err := NewModel(be, c, ps)
	if err != nil {
		t.Fatal(err)
	}
	d := stepData(c, 2)
	r, err := m.Step(d)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		p := ps.Get(name)
		i := ps.idx[name]
		k := len(p.Data) / 3
		loss := 1 // g
		if name[0] == 'd' {
			loss = 0
		}
		orig := p.Data[k]
		const h = 1e-3
		p.Data[k] = orig + h
		up, _ := m.Step(d)
		p.Data[k] = orig - h
		down, _ := m.Step(d)
		p.Data[k] = orig
		num := (up.Losses[loss] - down.Losses[loss]) / (2 * h)
		got := float64(r.Grads[i][k])
		if math.Abs(num-got) > 2e-3+0.05*math.Abs(num) {
			t.Errorf("%s[%d]: gradient %g, central difference %g", name, k, got, num)
		}
	}
}

func stepData(c Config, B int) StepData {
	d := StepData{B: B, X: make([]float32, B*c.T*Coefficients), Src: make([]float32, B*Classes), Trg: make([]float32, B*Classes), Z: make([]float32, B*c.Z), Lambda: make([]float32, B)}
	for i := range d.X {
		d.X[i] = float32(math.Sin(float64(i)*0.37))*0.3 + 0.3
	}
	for b := range B {
		d.Src[b*Classes+b%Classes] = 1
		d.Trg[b*Classes+(b+3)%Classes] = 1
		d.Z[b*c.Z] = 0.5 - float32(b)
		d.Lambda[b] = 1 - 0.3*float32(b)
	}
	return d
}

// TestLambdaWeighting: a sample with lambda 0 contributes nothing; the
// totals scale with lambda.
func TestLambdaWeighting(t *testing.T) {
	c := tinyConfig()
	ps, _ := NewParams(c, 4)
	be, _ := NewBackend()
	m, _ := NewModel(be, c, ps)
	d := stepData(c, 2)
	d.Lambda = []float32{1, 1}
	full, err := m.Step(d)
	if err != nil {
		t.Fatal(err)
	}
	d.Lambda = []float32{0, 0}
	zero, _ := m.Step(d)
	if zero.Losses[0] != 0 || zero.Losses[1] != 0 {
		t.Errorf("lambda 0: totals %v", zero.Losses[:2])
	}
	for _, g := range zero.Grads {
		for _, v := range g {
			if v != 0 {
				t.Fatal("lambda 0 still has gradients")
			}
		}
	}
	d.Lambda = []float32{0.5, 0.5}
	half, _ := m.Step(d)
	for k := range 2 {
		if math.Abs(half.Losses[k]-full.Losses[k]/2) > 1e-5 {
			t.Errorf("loss %d: lambda 0.5 gives %g, lambda 1 %g", k, half.Losses[k], full.Losses[k])
		}
	}
	// Unweighted terms do not depend on lambda.
	for k := 2; k < len(LossNames); k++ {
		if math.Abs(half.Losses[k]-full.Losses[k]) > 1e-6 {
			t.Errorf("%s changed with lambda", LossNames[k])
		}
	}
}

func TestDiscKinds(t *testing.T) {
	c := tinyConfig()
	c.Disc = "gru"
	if err := c.Validate(); err == nil {
		t.Error("discriminator gru accepted")
	}
	c.Disc = DiscLSTM
	ps, err := NewParams(c, 1)
	if err != nil {
		t.Fatal(err)
	}
	if ps.Get("d.l2.w") != nil || ps.Get(DiscLSTMName("f")+".r") == nil || ps.Get(DiscLSTMName("f") + ".b").Data[0] != 1 {
		t.Error("LSTM discriminator parameters wrong (d.l2 present, gates missing or forget bias not 1)")
	}
	mlp, _ := NewParams(tinyConfig(), 1)
	if err := mlp.Check(c); err == nil {
		t.Error("MLP discriminator parameters accepted for an LSTM config")
	}
}
