package render_test

import (
	"errors"
	"math"
	"slices"
	"testing"

	"github.com/nedstream/nedstream/models/face"
	"github.com/nedstream/nedstream/models/mesh"
	"github.com/nedstream/nedstream/models/raster"
	"github.com/nedstream/nedstream/models/render"
)

// TestTopology: the canonical mesh's only boundary is the 36-point face
// oval (its eyes and mouth are closed already); a mesh with the openings cut
// out gets them closed again with the same number of triangles, and the cut
// loops are MediaPipe's contour lists.
func TestTopology(t *testing.T) {
	canon, _ := models(t)
	w := newWarper(t)
	oval := []int{10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377, 152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109}
	got := w.Oval()
	if len(got) != len(oval) {
		t.Fatalf("oval has %d points, want %d", len(got), len(oval))
	}
	// Same cyclic sequence (either direction).
	start := slices.Index(got, oval[0])
	if start < 0 {
		t.Fatalf("oval %v lacks %d", got, oval[0])
	}
	fwd, bwd := true, true
	for i := range oval {
		if got[(start+i)%len(got)] != oval[i] {
			fwd = false
		}
		if got[(start-i+len(got))%len(got)] != oval[i] {
			bwd = false
		}
	}
	if !fwd && !bwd {
		t.Errorf("oval %v is not MediaPipe's FACEMESH_FACE_OVAL %v", got, oval)
	}
	if w.Filled() != 0 || len(w.Triangles()) != len(canon.Triangles) {
		t.Errorf("canonical mesh: filled %d, %d triangles; want 0 and %d", w.Filled(), len(w.Triangles()), len(canon.Triangles))
	}

	// Cut the openings out and build again.
	eyeR := []int{33, 246, 161, 160, 159, 158, 157, 173, 133, 155, 154, 153, 145, 144, 163, 7}
	eyeL := []int{263, 466, 388, 387, 386, 385, 384, 398, 362, 382, 381, 380, 374, 373, 390, 249}
	holes := [][]int{innerLips, eyeR, eyeL}
	in := func(set []int, tr [3]int) bool {
		return slices.Contains(set, tr[0]) && slices.Contains(set, tr[1]) && slices.Contains(set, tr[2])
	}
	cut := &mesh.Mesh{Vertices: canon.Vertices}
	removed := 0
	for _, tr := range canon.Triangles {
		if in(innerLips, tr) || in(eyeR, tr) || in(eyeL, tr) {
			removed++
			continue
		}
		cut.Triangles = append(cut.Triangles, tr)
	}
	want := 0
	for _, h := range holes {
		want += len(h) - 2
	}
	if removed != want {
		t.Fatalf("cut %d triangles out of the openings, want %d", removed, want)
	}
	w2, err := render.NewWarper(cut)
	if err != nil {
		t.Fatal(err)
	}
	if w2.Filled() != want || len(w2.Triangles()) != len(canon.Triangles) {
		t.Errorf("cut mesh: filled %d, %d triangles; want %d and %d", w2.Filled(), len(w2.Triangles()), want, len(canon.Triangles))
	}
	// The filled triangles lie on the loops.
	for _, tr := range w2.Triangles()[len(cut.Triangles):] {
		if !in(innerLips, tr) && !in(eyeR, tr) && !in(eyeL, tr) {
			t.Errorf("fill triangle %v is not inside one opening", tr)
		}
	}

	for _, c := range []struct {
		name string
		m    *mesh.Mesh
	}{
		{"nil", nil},
		{"too few vertices", &mesh.Mesh{Vertices: canon.Vertices[:100], Triangles: canon.Triangles[:10]}},
		{"vertex out of range", &mesh.Mesh{Vertices: canon.Vertices, Triangles: [][3]int{{0, 1, 468}}}},
		{"no lips", &mesh.Mesh{Vertices: canon.Vertices, Triangles: canon.Triangles[:100]}},
	} {
		if _, err := render.NewWarper(c.m); err == nil {
			t.Errorf("%s: NewWarper accepted the mesh", c.name)
		}
	}
}

// TestIdentity: a target equal to the source leaves every pixel as it was,
// in every pixel format, for rolled, turned and partly visible faces: no
// triangle moves, so none is drawn, and drawing them all anyway gives back
// the input exactly.
func TestIdentity(t *testing.T) {
	canon, _ := models(t)
	w := newWarper(t)
	all := newWarper(t)
	render.DrawAll(all)
	for _, c := range []struct {
		name                  string
		f                     raster.Format
		width, cx, cy, yaw, r float64
	}{
		{"frontal RGBA", raster.RGBA, 200, 320, 240, 0, 0},
		{"rolled BGRx", raster.BGRx, 180, 300, 250, 0, 25},
		{"turned RGBx", raster.RGBx, 220, 320, 240, 45, 5},
		{"left edge BGRA", raster.BGRA, 200, 20, 240, 0, 0},
		{"bottom-right corner", raster.RGBA, 250, 630, 470, 10, 0},
		{"small", raster.RGBA, 40, 100, 100, 0, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			im := noise(640, 480, c.f, 1)
			orig := im.Clone()
			p := facePose(c.width, c.cx, c.cy, c.yaw, c.r)
			src := posed(canon, p)
			st, err := w.Render(im, src, src, render.DefaultOptions)
			if err != nil {
				t.Fatal(err)
			}
			if st.Pixels != 0 || st.Triangles != 0 {
				t.Errorf("identity drew %d triangles, %d pixels", st.Triangles, st.Pixels)
			}
			if n := countDiff(im, orig); n != 0 {
				t.Errorf("identity changed %d bytes (%+v)", n, st)
			}
			// The warp itself, every triangle drawn, is exact too.
			st, err = all.Render(im, src, src, render.DefaultOptions)
			if err != nil {
				t.Fatal(err)
			}
			if st.Pixels == 0 {
				t.Fatalf("nothing drawn: %+v", st)
			}
			if n := countDiff(im, orig); n != 0 {
				t.Errorf("identity warp changed %d bytes (%+v)", n, st)
			}
		})
	}
}

// TestEditStaysInsideRing: a real expression edit (jaw open, smile, brows)
// changes pixels, all of them inside the anchor ring; the feather band is
// reported.
func TestEditStaysInsideRing(t *testing.T) {
	canon, b := models(t)
	w := newWarper(t)
	for _, c := range []struct {
		name string
		p    [5]float64
		kv   map[string]float32
		opts render.Options
	}{
		{"jaw open", [5]float64{200, 320, 240, 0, 0}, map[string]float32{"jawOpen": 0.6}, render.DefaultOptions},
		{"smile rolled", [5]float64{240, 300, 260, 0, -20}, map[string]float32{"mouthSmileLeft": 1, "mouthSmileRight": 1, "browInnerUp": 1}, render.DefaultOptions},
		{"jaw open turned", [5]float64{200, 320, 240, 35, 0}, map[string]float32{"jawOpen": 0.8}, render.DefaultOptions},
		{"smile turned far", [5]float64{200, 320, 240, -45, 10}, map[string]float32{"jawOpen": 0.4, "mouthSmileLeft": 1}, render.DefaultOptions},
		{"narrow ring, hard feather", [5]float64{200, 320, 240, 0, 0}, map[string]float32{"jawOpen": 0.6}, render.Options{Ring: 0.15, Feather: 0.3, Workers: 1}},
	} {
		t.Run(c.name, func(t *testing.T) {
			im := noise(640, 480, raster.RGBA, 2)
			orig := im.Clone()
			p := facePose(c.p[0], c.p[1], c.p[2], c.p[3], c.p[4])
			src := posed(canon, p)
			dst := target(t, b, src, p, c.kv)
			st, err := w.Render(im, src, dst, c.opts)
			if err != nil {
				t.Fatal(err)
			}
			ring := c.opts.Ring
			if ring == 0 {
				ring = render.DefaultOptions.Ring
			}
			poly := ringOf(t, w, src, dst)
			// The band is at least Ring times the oval's mean radius.
			var cx, cy, r float64
			oval := w.Oval()
			for _, k := range oval {
				cx += float64(src[k].X) / float64(len(oval))
				cy += float64(src[k].Y) / float64(len(oval))
			}
			for _, k := range oval {
				r += math.Hypot(float64(src[k].X)-cx, float64(src[k].Y)-cy) / float64(len(oval))
			}
			if st.Band < 0.99*ring*r {
				t.Errorf("band %.1f px, want at least %.2f x the oval radius %.1f px", st.Band, ring, r)
			}
			changed := countDiff(im, orig)
			out, first := changedOutside(im, orig, poly, 0.5)
			t.Logf("%+v; %d bytes changed, band %.1f px", st, changed, st.Band)
			if changed == 0 {
				t.Fatal("the edit changed nothing")
			}
			if out != 0 {
				t.Errorf("%d changed pixels beyond the anchor ring, first at %v", out, first)
			}
		})
	}
}

// TestMouthCornerMoves: moving a mouth corner up by k px moves a horizontal
// line through the corner up by about k px there.
func TestMouthCornerMoves(t *testing.T) {
	canon, _ := models(t)
	w := newWarper(t)
	p := facePose(200, 320, 240, 0, 0)
	src := posed(canon, p)
	for _, k := range []float64{2, 4, 6} {
		for _, corner := range []int{61, 291} {
			im := raster.NewImage(640, 480, raster.RGBA)
			for i := range im.Pix {
				im.Pix[i] = 220
			}
			cx, cy := float64(src[corner].X), float64(src[corner].Y)
			// A 3 px dark line centred on the corner's row.
			y0 := int(math.Floor(cy - 0.5))
			for y := y0 - 1; y <= y0+1; y++ {
				for x := int(cx) - 40; x <= int(cx)+40; x++ {
					im.SetRGB(x, y, 20, 20, 20)
				}
			}
			lineCentre := float64(y0) + 0.5 // landmark coordinates
			// The corner and its neighbourhood move up, with a Gaussian
			// falloff (sigma 12 px) as an expression would move them: the
			// mesh is fine around the corner (neighbours 3-6 px away), so
			// moving the corner vertex alone would only stretch the line.
			dst := slices.Clone(src)
			for i := range dst {
				d2 := math.Pow(float64(src[i].X)-cx, 2) + math.Pow(float64(src[i].Y)-cy, 2)
				dst[i].Y -= float32(k * math.Exp(-d2/(2*12*12)))
			}
			if _, err := w.Render(im, src, dst, render.DefaultOptions); err != nil {
				t.Fatal(err)
			}
			// Darkness centroid in the corner's column.
			x := int(math.Round(cx - 0.5))
			var s, sw float64
			for y := y0 - 20; y <= y0+20; y++ {
				r, _, _ := im.RGB(x, y)
				d := 220 - float64(r)
				s += d * (float64(y) + 0.5)
				sw += d
			}
			moved := lineCentre - s/sw
			t.Logf("corner %d up %.0f px: line moved %.2f px", corner, k, moved)
			if math.Abs(moved-k) > 0.5 {
				t.Errorf("corner %d up %.0f px: line at the corner moved %.2f px", corner, k, moved)
			}
		}
	}
}

// lipsFace paints a synthetic face: skin everywhere, lips between the inner
// and outer lip rings, a dark gap inside the inner ring.
func lipsFace(lm []face.Point3) raster.Image {
	im := raster.NewImage(640, 480, raster.RGBA)
	outer, inner := polygon(lm, outerLips), polygon(lm, innerLips)
	// Pupils: the darkest tones of a real face.
	type disc struct{ x, y, r float64 }
	var pupils []disc
	for _, e := range [][2]int{{33, 133}, {263, 362}} {
		a, b := lm[e[0]], lm[e[1]]
		pupils = append(pupils, disc{float64(a.X+b.X) / 2, float64(a.Y+b.Y) / 2, math.Abs(float64(a.X-b.X)) / 5})
	}
	inPupil := func(x, y float64) bool {
		for _, d := range pupils {
			if math.Hypot(x-d.x, y-d.y) < d.r {
				return true
			}
		}
		return false
	}
	for y := 0; y < im.Height; y++ {
		for x := 0; x < im.Width; x++ {
			px, py := float64(x)+0.5, float64(y)+0.5
			switch {
			case inPupil(px, py):
				im.SetRGB(x, y, 30, 25, 25)
			case inside(inner, px, py):
				im.SetRGB(x, y, 40, 15, 15)
			case inside(outer, px, py):
				im.SetRGB(x, y, 180, 80, 85)
			default:
				// Skin with a little texture.
				v := 8 * math.Sin(float64(x)*0.3) * math.Cos(float64(y)*0.25)
				im.SetRGB(x, y, uint8(205+v), uint8(160+v), uint8(140+v))
			}
		}
	}
	return im
}

// TestMouthFill: opening the jaw darkens the revealed inner mouth below the
// lips' luminance (and below what the plain warp gives); closing the mouth
// draws lips, not a tear.
func TestMouthFill(t *testing.T) {
	canon, b := models(t)
	w := newWarper(t)
	p := facePose(220, 320, 240, 0, 0)
	src := posed(canon, p)
	// Close the source mouth: the inner lower lip onto the upper lip.
	upper := []int{78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308}
	lower := []int{78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308}
	for i := 1; i < len(upper)-1; i++ {
		src[lower[i]].Y = src[upper[i]].Y + 0.3
	}
	im0 := lipsFace(src)
	lipL, _ := luma(im0, polygon(src, outerLips), 0)

	dst := target(t, b, src, p, map[string]float32{"jawOpen": 0.6})
	inner := polygon(dst, innerLips)
	filled := im0.Clone()
	st, err := w.Render(filled, src, dst, render.DefaultOptions)
	if err != nil {
		t.Fatal(err)
	}
	plain := im0.Clone()
	if _, err := w.Render(plain, src, dst, render.Options{}); err != nil {
		t.Fatal(err)
	}
	fillL, n := luma(filled, inner, 2)
	plainL, _ := luma(plain, inner, 2)
	t.Logf("mouth area %.0f -> %.0f px², %d pixels filled; luminance lips %.1f, revealed mouth plain %.1f, filled %.1f (%d px)",
		st.SourceMouthArea, st.TargetMouthArea, st.MouthPixels, lipL, plainL, fillL, n)
	if st.TargetMouthArea <= st.SourceMouthArea || st.MouthPixels == 0 || n < 50 {
		t.Fatalf("jaw open did not open the mouth: %+v, %d inner pixels", st, n)
	}
	if fillL > 0.6*lipL || fillL >= plainL {
		t.Errorf("revealed mouth luminance %.1f, want well below the lips' %.1f and the plain warp's %.1f", fillL, lipL, plainL)
	}

	// A washed-out picture (low contrast, as from a cheap camera in a
	// bright room): the revealed mouth is still darker than the lips but
	// not darker than the face's darkest tone (the pupils), where a
	// near-black fill would stand out as a pasted-on bar.
	low := im0.Clone()
	for i := range low.Pix {
		if i%4 != 3 {
			low.Pix[i] = 110 + low.Pix[i]/2
		}
	}
	lowLip, _ := luma(low, polygon(src, outerLips), 0)
	pupilL := 0.299*(110+30/2) + 0.587*(110+25/2) + 0.114*(110+25/2)
	lowFilled := low.Clone()
	if _, err := w.Render(lowFilled, src, dst, render.DefaultOptions); err != nil {
		t.Fatal(err)
	}
	lowL, _ := luma(lowFilled, inner, 2)
	lowMin := lumaQuantile(lowFilled, inner, 2, 0)
	t.Logf("low contrast: lips %.1f, pupils %.1f, revealed mouth mean %.1f, darkest %.1f", lowLip, pupilL, lowL, lowMin)
	if lowL > 0.9*lowLip || lowMin < pupilL-2 {
		t.Errorf("low contrast: revealed mouth mean %.1f (lips %.1f), darkest %.1f, want darker than the lips and not below the pupils' %.1f",
			lowL, lowLip, lowMin, pupilL)
	}

	// Closing: from an open mouth to the closed one above.
	open := dst
	im1 := lipsFace(open)
	lipOpen, _ := luma(im1, polygon(open, outerLips), 0)
	closed := src
	st, err = w.Render(im1, open, closed, render.DefaultOptions)
	if err != nil {
		t.Fatal(err)
	}
	if st.MouthPixels != 0 {
		t.Errorf("closing the mouth filled %d pixels", st.MouthPixels)
	}
	// Inside the closed lips, no skin shows through (a tear would).
	lips := polygon(closed, outerLips)
	skin := 0
	total := 0
	for y := 0; y < im1.Height; y++ {
		for x := 0; x < im1.Width; x++ {
			px, py := float64(x)+0.5, float64(y)+0.5
			if !inside(lips, px, py) || distToPolygon(lips, px, py) < 2 {
				continue
			}
			total++
			r, g, _ := im1.RGB(x, y)
			if g > 120 && r > 190 {
				skin++
			}
		}
	}
	t.Logf("closing: %+v; %d of %d lip pixels skin-coloured, open lips luminance %.1f", st, skin, total, lipOpen)
	if skin > total/50 {
		t.Errorf("closing the mouth shows skin in %d of %d lip pixels", skin, total)
	}
}

// TestDegenerate: unusable targets return ErrGeometry and leave the frame
// alone; folded but finite targets draw without panicking.
func TestDegenerate(t *testing.T) {
	canon, _ := models(t)
	w := newWarper(t)
	p := facePose(200, 320, 240, 0, 0)
	src := posed(canon, p)
	nan := float32(math.NaN())
	// At 60 degrees the rigid canonical face's oval folds over in the image.
	turned := posed(canon, facePose(200, 320, 240, 60, 0))
	mod := func(f func(dst []face.Point3)) []face.Point3 {
		d := slices.Clone(src)
		f(d)
		return d
	}
	for _, c := range []struct {
		name     string
		src, dst []face.Point3
		wantErr  bool
	}{
		{"all points equal", src, mod(func(d []face.Point3) {
			for i := range d {
				d[i] = face.Point3{X: 320, Y: 240}
			}
		}), true},
		{"source collapsed", mod(func(d []face.Point3) {
			for i := range d {
				d[i] = face.Point3{X: 320, Y: 240}
			}
		}), mod(func(d []face.Point3) {
			for i := range d {
				d[i] = face.Point3{X: 320, Y: 240}
			}
		}), true},
		{"NaN target", src, mod(func(d []face.Point3) { d[13].X = nan }), true},
		{"NaN source depth", mod(func(d []face.Point3) { d[200].Z = nan }), src, true},
		{"infinite", src, mod(func(d []face.Point3) { d[1].Y = float32(math.Inf(1)) }), true},
		{"huge", src, mod(func(d []face.Point3) { d[152].Y = 1e30 }), true},
		{"far jump", src, mod(func(d []face.Point3) { d[152].Y += 500 }), true},
		{"huge face", mod(func(d []face.Point3) {
			for i := range d {
				d[i].X *= 1e6
			}
		}), src, true},
		{"short", src[:100], src[:100], true},
		{"turned 60 degrees", turned, turned, true},
		{"lips swapped", src, mod(func(d []face.Point3) {
			for _, k := range [][2]int{{13, 14}, {82, 87}, {312, 317}, {0, 17}} {
				d[k[0]].Y, d[k[1]].Y = d[k[1]].Y+3, d[k[0]].Y-3
			}
		}), false},
		{"mouth mirrored", src, mod(func(d []face.Point3) {
			for _, k := range append(slices.Clone(innerLips), outerLips...) {
				d[k].X = 640 - d[k].X // mirrored about the face's centre line: folds the mouth
			}
		}), false},
		{"jittered", src, mod(func(d []face.Point3) {
			for i := range d {
				d[i].X += float32(7 * math.Sin(float64(i)*12.9898))
				d[i].Y += float32(7 * math.Cos(float64(i)*78.233))
			}
		}), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			im := noise(640, 480, raster.RGBA, 3)
			orig := im.Clone()
			st, err := w.Render(im, c.src, c.dst, render.DefaultOptions)
			if c.wantErr {
				if err == nil {
					t.Fatalf("no error (%+v)", st)
				}
				if n := countDiff(im, orig); n != 0 {
					t.Errorf("error %v, but %d bytes changed", err, n)
				}
				t.Logf("%v", err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			poly := ringOf(t, w, c.src, c.dst)
			if out, first := changedOutside(im, orig, poly, 0.5); out != 0 {
				t.Errorf("%d pixels changed beyond the ring, first %v", out, first)
			}
			t.Logf("%+v", st)
		})
	}
	if !errors.Is(func() error {
		_, err := w.Render(noise(64, 64, raster.RGBA, 1), src, src[:10], render.DefaultOptions)
		return err
	}(), render.ErrGeometry) {
		t.Error("short landmarks: error does not wrap ErrGeometry")
	}
	for _, o := range []render.Options{{Ring: -1}, {Feather: 2}, {Workers: -1}} {
		if _, err := w.Render(noise(64, 64, raster.RGBA, 1), src, src, o); err == nil {
			t.Errorf("options %+v accepted", o)
		}
	}
	if _, err := w.Render(raster.Image{}, src, src, render.DefaultOptions); err == nil {
		t.Error("empty image accepted")
	}
}

// TestPartlyOutside: faces cut by the frame's border warp without error and
// only inside the ring; a face entirely outside touches nothing.
func TestPartlyOutside(t *testing.T) {
	canon, b := models(t)
	w := newWarper(t)
	for _, c := range []struct {
		name   string
		cx, cy float64
	}{
		{"left half out", 0, 240},
		{"top out", 320, 10},
		{"corner", 630, 475},
		{"entirely out", -400, 240},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := facePose(200, c.cx, c.cy, 0, 0)
			src := posed(canon, p)
			dst := target(t, b, src, p, map[string]float32{"jawOpen": 0.7, "mouthSmileLeft": 0.5})
			im := noise(640, 480, raster.BGRx, 4)
			orig := im.Clone()
			st, err := w.Render(im, src, dst, render.DefaultOptions)
			if err != nil {
				t.Fatal(err)
			}
			poly := ringOf(t, w, src, dst)
			if out, first := changedOutside(im, orig, poly, 0.5); out != 0 {
				t.Errorf("%d pixels changed beyond the ring, first %v", out, first)
			}
			if c.cx < 0 {
				if !st.Region.Empty() || countDiff(im, orig) != 0 {
					t.Errorf("face outside the frame: region %v, %d bytes changed", st.Region, countDiff(im, orig))
				}
				return
			}
			if countDiff(im, orig) == 0 {
				t.Errorf("visible part unchanged: %+v", st)
			}
			t.Logf("%+v", st)
		})
	}
}

// TestWorkers: one and two workers give the same frame.
func TestWorkers(t *testing.T) {
	canon, b := models(t)
	w := newWarper(t)
	p := facePose(300, 320, 240, 15, 10)
	src := posed(canon, p)
	dst := target(t, b, src, p, map[string]float32{"jawOpen": 0.5, "mouthSmileRight": 0.8, "eyeBlinkLeft": 1})
	var ims []raster.Image
	for _, n := range []int{1, 2, 3} {
		im := noise(640, 480, raster.RGBA, 5)
		o := render.DefaultOptions
		o.Workers = n
		if _, err := w.Render(im, src, dst, o); err != nil {
			t.Fatal(err)
		}
		ims = append(ims, im)
	}
	for i := 1; i < len(ims); i++ {
		if n := countDiff(ims[0], ims[i]); n != 0 {
			t.Errorf("%d workers differ from 1 in %d bytes", i+1, n)
		}
	}
}

// TestFeather: the mask only acts in the band between the oval and the
// anchor ring: inside the oval a feathered and a hard render agree exactly,
// in the band the feathered one changes the frame less.
func TestFeather(t *testing.T) {
	canon, b := models(t)
	w := newWarper(t)
	p := facePose(220, 320, 240, 0, 0)
	src := posed(canon, p)
	dst := target(t, b, src, p, map[string]float32{"jawOpen": 0.7})
	orig := noise(640, 480, raster.RGBA, 9)
	soft, hard := orig.Clone(), orig.Clone()
	if _, err := w.Render(soft, src, dst, render.Options{Feather: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Render(hard, src, dst, render.Options{Feather: 0.01}); err != nil {
		t.Fatal(err)
	}
	ovalIDs := w.Oval()
	ovS, ovD := polygon(src, ovalIDs), polygon(dst, ovalIDs)
	var inDiff int
	var bandSoft, bandHard float64
	for y := 0; y < orig.Height; y++ {
		for x := 0; x < orig.Width; x++ {
			px, py := float64(x)+0.5, float64(y)+0.5
			i := y*orig.Stride + x*4
			if inside(ovD, px, py) && distToPolygon(ovD, px, py) > 1 {
				for c := 0; c < 4; c++ {
					if soft.Pix[i+c] != hard.Pix[i+c] {
						inDiff++
					}
				}
				continue
			}
			if inside(ovS, px, py) {
				continue
			}
			for c := 0; c < 3; c++ {
				bandSoft += math.Abs(float64(soft.Pix[i+c]) - float64(orig.Pix[i+c]))
				bandHard += math.Abs(float64(hard.Pix[i+c]) - float64(orig.Pix[i+c]))
			}
		}
	}
	t.Logf("inside the oval: %d bytes differ; band change feathered %.0f, hard %.0f", inDiff, bandSoft, bandHard)
	if inDiff != 0 {
		t.Errorf("feathering changed %d bytes inside the target oval", inDiff)
	}
	if !(bandSoft > 0 && bandSoft < 0.8*bandHard) {
		t.Errorf("band change feathered %.0f, hard %.0f: want feathered clearly smaller", bandSoft, bandHard)
	}
}
