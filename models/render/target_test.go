package render_test

import (
	"math"
	"testing"

	"github.com/nedstream/nedstream/models/basis"
	"github.com/nedstream/nedstream/models/face"
	"github.com/nedstream/nedstream/models/pose"
	"github.com/nedstream/nedstream/models/render"
)

// TestTargetLandmarks: the offsets equal pose.Apply of the canonical mesh
// displaced by Change minus pose.Apply of the mesh (same axis flip), for a
// rolled and turned face; iris points follow their eye corners.
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
	ch, changed, err := render.Change(b, eSrc, eTgt)
	if err != nil || !changed {
		t.Fatalf("change: %v, changed %v", err, changed)
	}
	var de [basis.NumShapes]float32
	for k := range de {
		de[k] = float32(ch[k])
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

// TestTargetGains: a rise of a gained channel (the smile) moves the
// landmarks by UpGain times its basis shape, a fall by DownGain times it
// below FallKnee and in full above (plus the mouth-opening correction on
// jawOpen and mouthClose); speech channels are not scaled.
func TestTargetGains(t *testing.T) {
	canon, b := models(t)
	p := facePose(150, 320, 240, 0, 0)
	src := posed(canon, p)
	k := b.Index("mouthSmileLeft")
	g, gd := render.UpGain(k), render.DownGain(k)
	if g <= 1 || gd >= 1 || gd <= 0 {
		t.Fatalf("smile gains %v up, %v down; want > 1 and in (0,1)", g, gd)
	}
	for _, n := range []string{"jawOpen", "mouthClose", "mouthFunnel", "mouthPressLeft"} {
		if render.UpGain(b.Index(n)) != 1 || render.DownGain(b.Index(n)) != 1 {
			t.Errorf("speech channel %s has gains %v / %v", n, render.UpGain(b.Index(n)), render.DownGain(b.Index(n)))
		}
	}
	for _, c := range []struct {
		from, to, want float32
	}{
		{0.2, 0.6, 0.4 * float32(g)},   // rise
		{0.6, 0.2, -0.4 * float32(gd)}, // fall below the knee: damped
		{0.9, 0.7, -0.2},               // above the knee: in full
		{0.9, 0.2, -float32(0.9-render.FallKnee) - float32(gd*(render.FallKnee-0.2))}, // across it
	} {
		ch, _, err := render.Change(b, coeffs(b, map[string]float32{"mouthSmileLeft": c.from}), coeffs(b, map[string]float32{"mouthSmileLeft": c.to}))
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(ch[k]-float64(c.want)) > 1e-6 {
			t.Errorf("smile %v -> %v: change %v, want %v", c.from, c.to, ch[k], c.want)
		}
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
	// The mouth corner barely takes part in the opening correction.
	if math.Abs(down+gd*want) > 0.05*math.Abs(want) {
		t.Errorf("fall moved %.4f px, want about %.4f (gain %v)", down, -gd*want, gd)
	}
	if math.Abs(up-g*want) > 0.05*math.Abs(want) {
		t.Errorf("rise moved %.4f px, want about %.4f (gain %v)", up, g*want, g)
	}
}

// opening measures the inner-lip gap (mean of the nine pairs) and the chin
// below the nose tip, in pixels along the face's vertical (frontal pose).
func opening(lm []face.Point3) (gap, chin float64) {
	pairs := [][2]int{{191, 95}, {80, 88}, {81, 178}, {82, 87}, {13, 14}, {312, 317}, {311, 402}, {310, 318}, {415, 324}}
	for _, p := range pairs {
		gap += float64(lm[p[1]].Y - lm[p[0]].Y)
	}
	return gap / float64(len(pairs)), float64(lm[152].Y - lm[1].Y)
}

// TestTargetKeepsMouthOpening: emotion channels (smile removed, frown,
// press, sneer) reshape the mouth without opening or closing it: the
// inner-lip gap and the chin stay where the source has them, while the
// same channels without the correction move them; a jawOpen offset still
// opens the mouth by the full shape.
func TestTargetKeepsMouthOpening(t *testing.T) {
	canon, b := models(t)
	p := facePose(200, 320, 240, 0, 0)
	src := posed(canon, p)
	g0, c0 := opening(src)
	eSrc := coeffs(b, map[string]float32{"mouthSmileLeft": 0.6, "mouthSmileRight": 0.6, "jawOpen": 0.2})
	for _, c := range []struct {
		name string
		kv   map[string]float32
	}{
		{"smile removed", map[string]float32{"jawOpen": 0.2}},
		{"sad", map[string]float32{"jawOpen": 0.2, "mouthFrownLeft": 0.6, "mouthFrownRight": 0.6, "mouthShrugLower": 0.3}},
		{"angry", map[string]float32{"jawOpen": 0.2, "mouthPressLeft": 0.4, "mouthPressRight": 0.4}},
		{"disgusted", map[string]float32{"jawOpen": 0.2, "noseSneerLeft": 0.7, "noseSneerRight": 0.7, "mouthUpperUpLeft": 0.4, "mouthUpperUpRight": 0.4}},
		{"happy", map[string]float32{"jawOpen": 0.2, "mouthSmileLeft": 1, "mouthSmileRight": 1, "cheekSquintLeft": 0.6, "cheekSquintRight": 0.6}},
	} {
		eTgt := coeffs(b, c.kv)
		dst := make([]face.Point3, len(src))
		if err := render.TargetLandmarks(src, p, b, eSrc, eTgt, dst); err != nil {
			t.Fatal(err)
		}
		g, ch := opening(dst)
		// The same change without the correction (the basis alone).
		de, _, _ := render.Change(b, eSrc, eTgt)
		var raw [basis.NumShapes]float32
		for k := range raw {
			raw[k] = float32(de[k])
		}
		jaw, cl := b.Index("jawOpen"), b.Index("mouthClose")
		raw[jaw], raw[cl] = eTgt[jaw]-eSrc[jaw], eTgt[cl]-eSrc[cl]
		off := make([][3]float32, basis.NumVertices)
		if err := b.Displace(raw[:], off); err != nil {
			t.Fatal(err)
		}
		un := make([]face.Point3, len(src))
		for v := range un {
			un[v] = src[v]
			un[v].Y -= off[v][1] * float32(p.Scale)
		}
		gu, cu := opening(un)
		t.Logf("%s: gap %.2f -> %.2f px (uncorrected %.2f), chin %.2f -> %.2f px (uncorrected %.2f); jawOpen %+.3f, mouthClose %+.3f",
			c.name, g0, g, gu, c0, ch, cu, de[jaw], de[cl])
		if math.Abs(g-g0) > 0.01 || math.Abs(ch-c0) > 0.01 {
			t.Errorf("%s: the mouth opening moved: gap %.3f -> %.3f px, chin %.3f -> %.3f px", c.name, g0, g, c0, ch)
		}
		if c.name == "smile removed" && math.Abs(gu-g0)+math.Abs(cu-c0) < 0.5 {
			t.Errorf("%s: the uncorrected change moves the opening by only %.2f px; the test shows nothing", c.name, math.Abs(gu-g0)+math.Abs(cu-c0))
		}
	}
	// A jaw offset (surprise) opens the mouth by the plain jawOpen shape.
	eTgt := eSrc
	eTgt[b.Index("jawOpen")] += 0.25
	de, _, _ := render.Change(b, eSrc, eTgt)
	if math.Abs(de[b.Index("jawOpen")]-0.25) > 1e-6 || de[b.Index("mouthClose")] != 0 {
		t.Errorf("jaw offset 0.25 became jawOpen %+.4f, mouthClose %+.4f", de[b.Index("jawOpen")], de[b.Index("mouthClose")])
	}
}
