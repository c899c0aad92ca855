package render_test

import (
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/nedstream/nedstream/models/face"
	"github.com/nedstream/nedstream/models/modeltest"
	"github.com/nedstream/nedstream/models/ort"
	"github.com/nedstream/nedstream/models/raster"
	"github.com/nedstream/nedstream/models/render"
)

// OutEnv names a directory where TestAstronaut writes its frames as PNGs
// for a visual check (nothing is written when unset).
const OutEnv = "NEDSTREAM_RENDER_OUT"

// astronautFace runs the real engine on astronaut.png.
func astronautFace(t testing.TB) (raster.Image, face.Face, *face.Engine) {
	t.Helper()
	modeltest.InitORT(t)
	e, err := face.New(face.Options{PackDir: modeltest.Pack(t), Session: ort.Options{Provider: ort.CPU}}, face.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	im, err := raster.Load(filepath.Join(modeltest.Media(t), "astronaut.png"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.Process(im)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Faces) != 1 {
		t.Fatalf("want one face on astronaut.png, got %d", len(res.Faces))
	}
	return im, res.Faces[0], e
}

func savePNG(t *testing.T, name string, im raster.Image) {
	dir := os.Getenv(OutEnv)
	if dir == "" {
		return
	}
	f, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, im.ToRGBA()); err != nil {
		t.Fatal(err)
	}
}

// TestAstronaut: on the real face, landmarks and pose from the engine and
// the real basis, jawOpen +0.4 changes pixels only inside the face's anchor
// ring, opens the mouth and darkens it; the same frame with the source
// coefficients as target stays bit-identical.
func TestAstronaut(t *testing.T) {
	canon, b := models(t)
	im, f, e := astronautFace(t)
	w, err := render.NewWarper(e.Canonical())
	if err != nil {
		t.Fatal(err)
	}
	if len(w.Triangles()) != len(canon.Triangles) {
		t.Fatalf("engine's canonical mesh gives %d triangles, the OBJ %d", len(w.Triangles()), len(canon.Triangles))
	}
	eSrc := f.Blendshapes
	cases := []struct {
		name string
		kv   map[string]float32 // added to the source coefficients
	}{
		{"jawOpen+0.4", map[string]float32{"jawOpen": 0.4}},
		{"jawOpen+0.8", map[string]float32{"jawOpen": 0.8}},
		{"frown", map[string]float32{"mouthSmileLeft": -0.6, "mouthSmileRight": -0.6, "mouthFrownLeft": 0.8, "mouthFrownRight": 0.8, "browDownLeft": 0.8, "browDownRight": 0.8}},
		{"blink", map[string]float32{"eyeBlinkLeft": 1, "eyeBlinkRight": 1}},
		{"surprise", map[string]float32{"jawOpen": 0.3, "browInnerUp": 0.8, "browOuterUpLeft": 0.8, "browOuterUpRight": 0.8, "eyeWideLeft": 0.5, "eyeWideRight": 0.5}},
	}
	savePNG(t, "astronaut_source.png", im)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			eTgt := eSrc
			for k, v := range c.kv {
				i := b.Index(k)
				eTgt[i] = min(1, max(0, eTgt[i]+v))
			}
			dst := make([]face.Point3, len(f.Landmarks))
			if err := render.TargetLandmarks(f.Landmarks, f.Pose, b, eSrc, eTgt, dst); err != nil {
				t.Fatal(err)
			}
			out := im.Clone()
			st, err := w.Render(out, f.Landmarks, dst, render.DefaultOptions)
			if err != nil {
				t.Fatal(err)
			}
			savePNG(t, "astronaut_"+c.name+".png", out)
			poly := ringOf(t, w, f.Landmarks, dst)
			changed := countDiff(out, im)
			outside, first := changedOutside(out, im, poly, 0.5)
			box := f.Box
			t.Logf("%+v; %d bytes changed; face box %.0fx%.0f at (%.0f,%.0f)", st, changed, box.W, box.H, box.X, box.Y)
			if changed == 0 {
				t.Fatal("nothing changed")
			}
			if outside != 0 {
				t.Errorf("%d pixels changed beyond the anchor ring, first %v", outside, first)
			}
			// The region stays around the face: within 1.6 face boxes.
			cx, cy := box.X+box.W/2, box.Y+box.H/2
			r := st.Region
			if float32(r.Min.X) < cx-1.6*box.W || float32(r.Max.X) > cx+1.6*box.W || float32(r.Min.Y) < cy-1.6*box.H || float32(r.Max.Y) > cy+1.6*box.H {
				t.Errorf("region %v is not around the face box %+v", r, box)
			}
			if c.kv["jawOpen"] >= 0.4 {
				inner := polygon(dst, innerLips)
				lipL, _ := luma(im, polygon(f.Landmarks, outerLips), 1)
				mouthL, n := luma(out, inner, 1.5)
				// The revealed interior (the source's teeth stay with the
				// lips) is dark, but not darker than the darkest tones of
				// the face (pupils, nostrils).
				darkQ, minQ := lumaQuantile(out, inner, 1.5, 0.25), lumaQuantile(out, inner, 1.5, 0.02)
				faceDark := lumaQuantile(im, polygon(f.Landmarks, []int{33, 105, 334, 263, 291, 152, 61}), 0, 0.01)
				t.Logf("mouth area %.0f -> %.0f px²; lips luminance %.1f, opened mouth mean %.1f, darkest quarter %.1f, 2%% %.1f (%d px); face 1%% %.1f",
					st.SourceMouthArea, st.TargetMouthArea, lipL, mouthL, darkQ, minQ, n, faceDark)
				if st.TargetMouthArea < 1.5*st.SourceMouthArea || st.MouthPixels == 0 {
					t.Errorf("mouth did not open: %+v", st)
				}
				if !(darkQ < 0.6*lipL) {
					t.Errorf("opened mouth's darkest quarter at luminance %.1f, want below 0.6 x the lips' %.1f", darkQ, lipL)
				}
				if minQ < faceDark-2 {
					t.Errorf("opened mouth reaches luminance %.1f, darker than the face's darkest 1%% (%.1f)", minQ, faceDark)
				}
			}
		})
	}
	// No edit: the tracked coefficients as target.
	dst := make([]face.Point3, len(f.Landmarks))
	if err := render.TargetLandmarks(f.Landmarks, f.Pose, b, eSrc, eSrc, dst); err != nil {
		t.Fatal(err)
	}
	out := im.Clone()
	if _, err := w.Render(out, f.Landmarks, dst, render.DefaultOptions); err != nil {
		t.Fatal(err)
	}
	if n := countDiff(out, im); n != 0 {
		t.Errorf("no edit changed %d bytes", n)
	}
}
