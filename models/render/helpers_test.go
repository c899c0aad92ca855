package render_test

import (
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/nedstream/nedstream/models/basis"
	"github.com/nedstream/nedstream/models/face"
	"github.com/nedstream/nedstream/models/mesh"
	"github.com/nedstream/nedstream/models/modeltest"
	"github.com/nedstream/nedstream/models/pose"
	"github.com/nedstream/nedstream/models/raster"
	"github.com/nedstream/nedstream/models/render"
)

var shared struct {
	once  sync.Once
	canon *mesh.Mesh
	b     *basis.Basis
	err   error
}

// models loads the real canonical mesh and transfers the real expression
// basis once per test binary.
func models(t testing.TB) (*mesh.Mesh, *basis.Basis) {
	t.Helper()
	up := modeltest.Upstream(t)
	shared.once.Do(func() {
		obj := filepath.Join(up, "canonical_face_model.obj")
		shared.canon, shared.err = mesh.LoadOBJ(obj)
		if shared.err != nil {
			return
		}
		shared.b, _, shared.err = basis.Build(filepath.Join(up, "ict-facekit"), obj)
	})
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.canon, shared.b
}

func newWarper(t testing.TB) *render.Warper {
	t.Helper()
	canon, _ := models(t)
	w, err := render.NewWarper(canon)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// facePose places the canonical face (about 15 cm wide) so that it is
// width pixels wide, centred at (cx, cy), turned by yaw and rolled by roll
// (degrees).
func facePose(width, cx, cy, yaw, roll float64) pose.Pose {
	y, r := yaw*math.Pi/180, roll*math.Pi/180
	// R = Rz(roll) * Ry(yaw), image-aligned axes.
	ry := [9]float64{math.Cos(y), 0, math.Sin(y), 0, 1, 0, -math.Sin(y), 0, math.Cos(y)}
	rz := [9]float64{math.Cos(r), -math.Sin(r), 0, math.Sin(r), math.Cos(r), 0, 0, 0, 1}
	var m [9]float64
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			for k := 0; k < 3; k++ {
				m[3*i+j] += rz[3*i+k] * ry[3*k+j]
			}
		}
	}
	return pose.Pose{Scale: width / 15.0, Rotation: m, Translation: [3]float64{cx, cy, 0}}
}

// posed returns the canonical mesh's vertices through p as landmarks.
func posed(canon *mesh.Mesh, p pose.Pose) []face.Point3 {
	out := make([]face.Point3, len(canon.Vertices))
	for i, v := range canon.Vertices {
		q := p.Apply(v)
		out[i] = face.Point3{X: float32(q[0]), Y: float32(q[1]), Z: float32(q[2])}
	}
	return out
}

// coeffs returns a coefficient vector with the named values.
func coeffs(b *basis.Basis, kv map[string]float32) [basis.NumShapes]float32 {
	var e [basis.NumShapes]float32
	for k, v := range kv {
		i := b.Index(k)
		if i < 0 {
			panic("unknown coefficient " + k)
		}
		e[i] = v
	}
	return e
}

// target applies the coefficient change eTgt - 0 to the posed landmarks.
func target(t testing.TB, b *basis.Basis, src []face.Point3, p pose.Pose, kv map[string]float32) []face.Point3 {
	t.Helper()
	dst := make([]face.Point3, len(src))
	if err := render.TargetLandmarks(src, p, b, [basis.NumShapes]float32{}, coeffs(b, kv), dst); err != nil {
		t.Fatal(err)
	}
	return dst
}

// noise returns a frame of smooth random texture (a sum of random
// sinusoids plus per-pixel noise), so every warp is visible.
func noise(w, h int, f raster.Format, seed uint64) raster.Image {
	im := raster.NewImage(w, h, f)
	rng := rand.New(rand.NewPCG(seed, 1))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			i := y*im.Stride + x*4
			for c := 0; c < 4; c++ {
				v := 128 + 60*math.Sin(float64(x)*0.13+float64(c)) + 40*math.Cos(float64(y)*0.21-float64(c)) + float64(rng.IntN(40)) - 20
				im.Pix[i+c] = byte(math.Max(0, math.Min(255, v)))
			}
		}
	}
	return im
}

// ringOf returns the anchor ring of w's last Render and checks that it
// encloses every source and target landmark.
func ringOf(t testing.TB, w *render.Warper, src, dst []face.Point3) [][2]float64 {
	t.Helper()
	poly := w.Anchors()
	if poly == nil {
		t.Fatal("no anchor ring after Render")
	}
	for _, lm := range [][]face.Point3{src, dst} {
		for i := 0; i < render.NumVertices; i++ {
			if x, y := float64(lm[i].X), float64(lm[i].Y); !inside(poly, x, y) {
				t.Errorf("landmark %d at (%.1f,%.1f) lies outside the anchor ring", i, x, y)
				return poly
			}
		}
	}
	return poly
}

// inside is an even-odd point-in-polygon test.
func inside(poly [][2]float64, x, y float64) bool {
	in := false
	for i, j := 0, len(poly)-1; i < len(poly); j, i = i, i+1 {
		a, b := poly[i], poly[j]
		if (a[1] > y) != (b[1] > y) && x < (b[0]-a[0])*(y-a[1])/(b[1]-a[1])+a[0] {
			in = !in
		}
	}
	return in
}

// distToPolygon is the distance from (x, y) to the polygon's outline.
func distToPolygon(poly [][2]float64, x, y float64) float64 {
	best := math.Inf(1)
	for i, j := 0, len(poly)-1; i < len(poly); j, i = i, i+1 {
		a, b := poly[j], poly[i]
		dx, dy := b[0]-a[0], b[1]-a[1]
		t := ((x-a[0])*dx + (y-a[1])*dy) / (dx*dx + dy*dy)
		t = math.Max(0, math.Min(1, t))
		best = math.Min(best, math.Hypot(a[0]+t*dx-x, a[1]+t*dy-y))
	}
	return best
}

// changedOutside returns how many pixels differ between a and b outside the
// polygon (pixel centres at +0.5), allowing pixels within tol px of the
// outline, and the first such pixel.
func changedOutside(a, b raster.Image, poly [][2]float64, tol float64) (int, [2]int) {
	n := 0
	var first [2]int
	for y := 0; y < a.Height; y++ {
		for x := 0; x < a.Width; x++ {
			i := y*a.Stride + x*4
			if a.Pix[i] == b.Pix[i] && a.Pix[i+1] == b.Pix[i+1] && a.Pix[i+2] == b.Pix[i+2] && a.Pix[i+3] == b.Pix[i+3] {
				continue
			}
			px, py := float64(x)+0.5, float64(y)+0.5
			if inside(poly, px, py) || distToPolygon(poly, px, py) <= tol {
				continue
			}
			if n == 0 {
				first = [2]int{x, y}
			}
			n++
		}
	}
	return n, first
}

func countDiff(a, b raster.Image) int {
	n := 0
	for y := 0; y < a.Height; y++ {
		for x := 0; x < a.Width*4; x++ {
			if a.Pix[y*a.Stride+x] != b.Pix[y*b.Stride+x] {
				n++
			}
		}
	}
	return n
}

// lumas returns the luminance of each pixel whose centre is inside poly
// and farther than margin px from its outline.
func lumas(im raster.Image, poly [][2]float64, margin float64) []float64 {
	var ls []float64
	for y := 0; y < im.Height; y++ {
		for x := 0; x < im.Width; x++ {
			px, py := float64(x)+0.5, float64(y)+0.5
			if !inside(poly, px, py) || distToPolygon(poly, px, py) < margin {
				continue
			}
			r, g, b := im.RGB(x, y)
			ls = append(ls, 0.299*float64(r)+0.587*float64(g)+0.114*float64(b))
		}
	}
	return ls
}

// luma is the mean of lumas and the number of pixels (0, 0 for none).
func luma(im raster.Image, poly [][2]float64, margin float64) (float64, int) {
	ls := lumas(im, poly, margin)
	if len(ls) == 0 {
		return 0, 0
	}
	var s float64
	for _, l := range ls {
		s += l
	}
	return s / float64(len(ls)), len(ls)
}

// lumaQuantile is the q-quantile (0..1) of lumas (-1 for no pixels).
func lumaQuantile(im raster.Image, poly [][2]float64, margin, q float64) float64 {
	ls := lumas(im, poly, margin)
	if len(ls) == 0 {
		return -1
	}
	slices.Sort(ls)
	return ls[min(len(ls)-1, int(q*float64(len(ls))))]
}

// Inner and outer lip rings (landmark ids) for the tests' own polygons.
var (
	innerLips = []int{78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308, 324, 318, 402, 317, 14, 87, 178, 88, 95}
	outerLips = []int{61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291, 375, 321, 405, 314, 17, 84, 181, 91, 146}
)

func polygon(lm []face.Point3, ids []int) [][2]float64 {
	p := make([][2]float64, len(ids))
	for i, k := range ids {
		p[i] = [2]float64{float64(lm[k].X), float64(lm[k].Y)}
	}
	return p
}

func polyArea(p [][2]float64) float64 {
	var a float64
	for i, j := 0, len(p)-1; i < len(p); j, i = i, i+1 {
		a += p[j][0]*p[i][1] - p[i][0]*p[j][1]
	}
	return math.Abs(a) / 2
}
