package render_test

import (
	"math"
	"testing"

	"github.com/nedstream/nedstream/models/basis"
	"github.com/nedstream/nedstream/models/face"
	"github.com/nedstream/nedstream/models/pose"
	"github.com/nedstream/nedstream/models/render"
)

// TestTargetLandmarks: the offsets equal pose.Apply of the displaced
// canonical mesh minus pose.Apply of the mesh (same axis flip), for a
// rolled and turned face, with rises scaled by the render gains; iris
// points follow their eye corners.
func TestTargetLandmarks(t *testing.T) {
	canon, b := models(t)
	p := facePose(240, 320, 240, 25, -15)
	src := posed(canon, p)
	// Append ten iris points: right eye group first, left second.
	for _, g := range [][2]int{{33, 133}, {263, 362}} {
		for k := 0; k < 5; k++ {
			a, c := src[g[0]], src[g[1]]
			src = append(src, face.Point3{X: (a.X+c.X)/2 + float32(k), Y: (a.Y + c.Y) / 2, Z: (a.Z + c.Z) / 2})
		}
	}
	kv := map[string]float32{"jawOpen": 0.7, "mouthSmileLeft": 0.4, "eyeBlinkRight": 1}
	eSrc := coeffs(b, map[string]float32{"mouthSmileLeft": 0.1})
	eTgt := coeffs(b, kv)
	dst := make([]face.Point3, len(src))
	if err := render.TargetLandmarks(src, p, b, eSrc, eTgt, dst); err != nil {
		t.Fatal(err)
	}
	// Rises are scaled by the render gains (the smile's is not 1), falls not.
	if render.UpGain(b.Index("mouthSmileLeft")) == 1 || render.UpGain(b.Index("jawOpen")) != 1 {
		t.Fatalf("gains: smile %v, jawOpen %v", render.UpGain(b.Index("mouthSmileLeft")), render.UpGain(b.Index("jawOpen")))
	}
	var de [basis.NumShapes]float32
	for k := range de {
		de[k] = eTgt[k] - eSrc[k]
		if de[k] > 0 {
			de[k] *= float32(render.UpGain(k))
		}
	}
	off := make([][3]float32, basis.NumVertices)
	if err := b.Displace(de[:], off); err != nil {
		t.Fatal(err)
	}
	var worst float64
	for v := 0; v < basis.NumVertices; v++ {
		c := canon.Vertices[v]
		moved := p.Apply([3]float64{c[0] + float64(off[v][0]), c[1] + float64(off[v][1]), c[2] + float64(off[v][2])})
		base := p.Apply(c)
		want := [3]float64{float64(src[v].X) + moved[0] - base[0], float64(src[v].Y) + moved[1] - base[1], float64(src[v].Z) + moved[2] - base[2]}
		d := math.Max(math.Abs(want[0]-float64(dst[v].X)), math.Max(math.Abs(want[1]-float64(dst[v].Y)), math.Abs(want[2]-float64(dst[v].Z))))
		worst = math.Max(worst, d)
	}
	if worst > 1e-3 {
		t.Errorf("offsets differ from pose.Apply of the displaced mesh by up to %.4f px", worst)
	}
	// Frontal face: jaw opening moves the chin down in the image.
	pf := facePose(150, 320, 240, 0, 0)
	sf := posed(canon, pf)
	df := make([]face.Point3, len(sf))
	if err := render.TargetLandmarks(sf, pf, b, [basis.NumShapes]float32{}, coeffs(b, map[string]float32{"jawOpen": 1}), df); err != nil {
		t.Fatal(err)
	}
	dy := float64(df[152].Y - sf[152].Y)
	want := -float64(b.Deltas[b.Index("jawOpen")][152][1]) * pf.Scale
	t.Logf("jawOpen 1 moves the chin %.1f px down (scale %.1f px/cm)", dy, pf.Scale)
	if dy <= 0 || math.Abs(dy-want) > 1e-3 {
		t.Errorf("chin moved %.3f px down, want %.3f", dy, want)
	}
	// Iris points: moved by their corners' mean offset, not by the blink.
	for g, corners := range [][2]int{{33, 133}, {263, 362}} {
		i := 468 + 5*g
		mx := (dst[corners[0]].X - src[corners[0]].X + dst[corners[1]].X - src[corners[1]].X) / 2
		my := (dst[corners[0]].Y - src[corners[0]].Y + dst[corners[1]].Y - src[corners[1]].Y) / 2
		if math.Abs(float64(dst[i].X-src[i].X-mx)) > 1e-3 || math.Abs(float64(dst[i].Y-src[i].Y-my)) > 1e-3 {
			t.Errorf("iris group %d moved (%.3f,%.3f), its corners (%.3f,%.3f)", g, dst[i].X-src[i].X, dst[i].Y-src[i].Y, mx, my)
		}
	}
	// No change: a copy. Same slice for src and dst works.
	same := append([]face.Point3(nil), src...)
	if err := render.TargetLandmarks(same, p, b, eTgt, eTgt, same); err != nil {
		t.Fatal(err)
	}
	for i := range same {
		if same[i] != src[i] {
			t.Fatalf("unchanged coefficients moved landmark %d", i)
		}
	}
	// Errors.
	bad := p
	bad.Scale = math.NaN()
	var nanE [basis.NumShapes]float32
	nanE[5] = float32(math.NaN())
	for name, err := range map[string]error{
		"nil basis":    render.TargetLandmarks(src, p, nil, eSrc, eTgt, dst),
		"short dst":    render.TargetLandmarks(src, p, b, eSrc, eTgt, dst[:468]),
		"short src":    render.TargetLandmarks(src[:100], p, b, eSrc, eTgt, dst[:100]),
		"bad scale":    render.TargetLandmarks(src, bad, b, eSrc, eTgt, dst),
		"bad coeffs":   render.TargetLandmarks(src, p, b, eSrc, nanE, dst),
		"bad rotation": render.TargetLandmarks(src, pose.Pose{Scale: 1, Rotation: [9]float64{math.Inf(1)}}, b, eSrc, eTgt, dst),
	} {
		if err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestTargetGainsOnlyOnRises: a fall of a gained channel (the smile) moves
// the landmarks by exactly its basis shape, a rise by UpGain times it.
func TestTargetGainsOnlyOnRises(t *testing.T) {
	canon, b := models(t)
	p := facePose(150, 320, 240, 0, 0)
	src := posed(canon, p)
	k := b.Index("mouthSmileLeft")
	g := render.UpGain(k)
	if g <= 1 {
		t.Fatalf("smile gain %v, want > 1", g)
	}
	// The vertex the smile moves most vertically.
	v := 0
	for i := range b.Deltas[k] {
		d := b.Deltas[k][i]
		if d[1]*d[1] > b.Deltas[k][v][1]*b.Deltas[k][v][1] {
			v = i
		}
	}
	move := func(from, to float32) float64 {
		dst := make([]face.Point3, len(src))
		if err := render.TargetLandmarks(src, p, b, coeffs(b, map[string]float32{"mouthSmileLeft": from}), coeffs(b, map[string]float32{"mouthSmileLeft": to}), dst); err != nil {
			t.Fatal(err)
		}
		return float64(dst[v].Y - src[v].Y)
	}
	up, down := move(0.2, 0.6), move(0.6, 0.2)
	want := -float64(b.Deltas[k][v][1]) * p.Scale * 0.4
	t.Logf("vertex %d: rise moves %.3f px, fall %.3f px (basis %.3f px)", v, up, down, want)
	if math.Abs(down+want) > 1e-3 {
		t.Errorf("fall moved %.4f px, want %.4f (no gain)", down, -want)
	}
	if math.Abs(up-g*want) > 1e-3 {
		t.Errorf("rise moved %.4f px, want %.4f (gain %v)", up, g*want, g)
	}
}
