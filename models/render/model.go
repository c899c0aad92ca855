package render

import (
	"fmt"
	"image"
	"math"
	"sync"

	"github.com/nedstream/nedstream/models/face"
	"github.com/nedstream/nedstream/models/mesh"
	"github.com/nedstream/nedstream/models/ort"
	"github.com/nedstream/nedstream/models/raster"
)

// Tensor names of the renderer contract (docs/MODELS.md, role "renderer").
const (
	// TensorCrop is the renderer's image input: float32 [1,3,N,N], RGB in
	// [0,1], the face region resampled to N×N.
	TensorCrop = "crop"
	// TensorSource and TensorTarget are float32 [1,468,2]: the source and
	// target landmarks (x, y) in crop coordinates normalised to [0,1].
	TensorSource = "source"
	TensorTarget = "target"
	// TensorCropOut is the output: float32 [1,3,N,N], the edited crop, RGB in [0,1].
	TensorCropOut = "crop_out"
)

// Renderer constants.
const (
	// ModelPoints is the number of landmarks the renderer sees (the mesh
	// without the iris points).
	ModelPoints = 468
	// DefaultModelSize is the crop side used when the model declares a
	// dynamic one.
	DefaultModelSize = 256
	// ModelMargin widens the square crop around the source and target
	// landmarks (1.4: the crop side is 1.4 times their larger extent).
	ModelMargin = 1.4
	// ModelFeather is the width of the mask's fade, as a fraction of the
	// crop's inscribed circle radius: the mask is 1 inside radius
	// 1-ModelFeather, fades to 0 at the circle and is 0 beyond it.
	ModelFeather = 0.3
)

// Model is the optional learned renderer (pack role "renderer"): an ONNX
// model that returns the edited face crop, given the crop and the source and
// target geometry. Model.Render cuts the crop, runs the model and blends the
// result back with a feathered circular mask, so nothing outside the crop's
// inscribed circle changes. Safe for concurrent use (runs are serialised).
type Model struct {
	mu      sync.Mutex
	session *ort.Session
	n       int
	crop    []float32
}

// OpenModel opens a renderer model. canonical is accepted for renderers
// that need the topology; the contract only passes landmark positions.
func OpenModel(path string, canonical *mesh.Mesh, so ort.Options) (*Model, error) {
	_ = canonical
	s, err := ort.Open("renderer", path, []string{TensorCrop, TensorSource, TensorTarget}, []string{TensorCropOut}, so)
	if err != nil {
		return nil, fmt.Errorf("renderer: %w", err)
	}
	m := &Model{session: s, n: DefaultModelSize}
	for _, in := range s.Inputs() {
		if in.Name == TensorCrop {
			d := in.Dimensions
			if len(d) != 4 || (d[1] != 3 && d[1] > 0) || (d[2] > 0 && d[3] > 0 && d[2] != d[3]) {
				s.Close()
				return nil, fmt.Errorf("renderer %s: input %q has shape %v, want [1,3,N,N]", path, TensorCrop, []int64(d))
			}
			if d[2] > 0 {
				m.n = int(d[2])
			}
		}
	}
	for _, io := range append(s.Inputs()[:len(s.Inputs()):len(s.Inputs())], s.Outputs()...) {
		if io.Name == TensorSource || io.Name == TensorTarget {
			d := io.Dimensions
			if len(d) != 3 || (d[1] > 0 && d[1] != ModelPoints) || (d[2] > 0 && d[2] != 2) {
				s.Close()
				return nil, fmt.Errorf("renderer %s: input %q has shape %v, want [1,%d,2]", path, io.Name, []int64(d), ModelPoints)
			}
		}
	}
	return m, nil
}

// Size is the crop side N the model works at.
func (m *Model) Size() int { return m.n }

// Close releases the model.
func (m *Model) Close() error { return m.session.Close() }

// ModelRegion returns the square crop (in frame pixels, x0, y0, side) that
// Model.Render uses for the given landmarks, and false when the geometry
// is unusable.
func ModelRegion(src, dst []face.Point3) (x0, y0, side float64, ok bool) {
	if len(src) < ModelPoints || len(dst) < ModelPoints {
		return 0, 0, 0, false
	}
	minX, minY := math.Inf(1), math.Inf(1)
	maxX, maxY := math.Inf(-1), math.Inf(-1)
	for _, pts := range [][]face.Point3{src[:ModelPoints], dst[:ModelPoints]} {
		for _, p := range pts {
			x, y := float64(p.X), float64(p.Y)
			if math.IsNaN(x) || math.IsNaN(y) || math.IsInf(x, 0) || math.IsInf(y, 0) {
				return 0, 0, 0, false
			}
			minX, maxX = min(minX, x), max(maxX, x)
			minY, maxY = min(minY, y), max(maxY, y)
		}
	}
	side = ModelMargin * max(maxX-minX, maxY-minY)
	if !(side >= 4) {
		return 0, 0, 0, false
	}
	return (minX + maxX - side) / 2, (minY + maxY - side) / 2, side, true
}

// ModelMask is the blend weight at normalised crop position (u, v) in [0,1]².
func ModelMask(u, v float64) float64 {
	r := 2 * math.Hypot(u-0.5, v-0.5)
	return min(max((1-r)/ModelFeather, 0), 1)
}

// Render edits img in place with the model: it cuts the square region
// around src and dst (ModelRegion), resamples it to N×N, runs the model and
// blends its output back with ModelMask. The options are accepted for
// symmetry with Warper.Render and unused. Stats.Region bounds the pixels it
// may have written.
func (m *Model) Render(img raster.Image, src, dst []face.Point3, _ Options) (Stats, error) {
	var st Stats
	if err := img.Validate(); err != nil {
		return st, err
	}
	x0, y0, side, ok := ModelRegion(src, dst)
	if !ok {
		return st, ErrGeometry
	}
	n := m.n
	scale := side / float64(n)
	m.mu.Lock()
	defer m.mu.Unlock()
	cropT, err := ort.NewFloat32(1, 3, int64(n), int64(n))
	if err != nil {
		return st, fmt.Errorf("renderer: %w", err)
	}
	defer cropT.Destroy()
	srcT, err := ort.NewFloat32(1, ModelPoints, 2)
	if err != nil {
		return st, fmt.Errorf("renderer: %w", err)
	}
	defer srcT.Destroy()
	dstT, err := ort.NewFloat32(1, ModelPoints, 2)
	if err != nil {
		return st, fmt.Errorf("renderer: %w", err)
	}
	defer dstT.Destroy()
	outT, err := ort.NewFloat32(1, 3, int64(n), int64(n))
	if err != nil {
		return st, fmt.Errorf("renderer: %w", err)
	}
	defer outT.Destroy()

	// The crop: pixel centres of the N×N grid mapped into the frame.
	crop := cropT.Data()
	plane := n * n
	for y := 0; y < n; y++ {
		fy := y0 + (float64(y)+0.5)*scale - 0.5
		for x := 0; x < n; x++ {
			fx := x0 + (float64(x)+0.5)*scale - 0.5
			r, g, b := sampleRGB(img, fx, fy)
			i := y*n + x
			crop[i], crop[plane+i], crop[2*plane+i] = r/255, g/255, b/255
		}
	}
	for k, pair := range []struct {
		pts []face.Point3
		t   *ort.Float32
	}{{src, srcT}, {dst, dstT}} {
		_ = k
		d := pair.t.Data()
		for i, p := range pair.pts[:ModelPoints] {
			d[2*i] = float32((float64(p.X) - x0) / side)
			d[2*i+1] = float32((float64(p.Y) - y0) / side)
		}
	}
	if err := m.session.Run([]ort.Value{cropT.Value(), srcT.Value(), dstT.Value()}, []ort.Value{outT.Value()}); err != nil {
		return st, fmt.Errorf("renderer: %w", err)
	}
	out := outT.Data()

	// Blend back inside the crop's inscribed circle.
	reg := image.Rect(int(math.Floor(x0)), int(math.Floor(y0)), int(math.Ceil(x0+side))+1, int(math.Ceil(y0+side))+1).
		Intersect(image.Rect(0, 0, img.Width, img.Height))
	st.Region = reg
	ro, gro, bo := img.Format.Offsets()
	for y := reg.Min.Y; y < reg.Max.Y; y++ {
		v := (float64(y) + 0.5 - y0) / side
		row := img.Pix[y*img.Stride:]
		for x := reg.Min.X; x < reg.Max.X; x++ {
			u := (float64(x) + 0.5 - x0) / side
			w := ModelMask(u, v)
			if w <= 0 {
				continue
			}
			cx, cy := u*float64(n)-0.5, v*float64(n)-0.5
			r := planeSample(out[:plane], n, cx, cy)
			g := planeSample(out[plane:2*plane], n, cx, cy)
			b := planeSample(out[2*plane:], n, cx, cy)
			px := row[x*4 : x*4+4 : x*4+4]
			px[ro] = blend8(px[ro], r, w)
			px[gro] = blend8(px[gro], g, w)
			px[bo] = blend8(px[bo], b, w)
		}
	}
	return st, nil
}

// blend8 mixes an 8-bit value with a model value in [0,1] by weight w.
func blend8(orig uint8, model float32, w float64) uint8 {
	mv := float64(min(max(model, 0), 1)) * 255
	v := (1-w)*float64(orig) + w*mv
	return uint8(min(max(math.Round(v), 0), 255))
}

// sampleRGB samples img bilinearly at (x, y) with edge clamping.
func sampleRGB(img raster.Image, x, y float64) (float32, float32, float32) {
	x = min(max(x, 0), float64(img.Width-1))
	y = min(max(y, 0), float64(img.Height-1))
	ix, iy := int(x), int(y)
	jx, jy := min(ix+1, img.Width-1), min(iy+1, img.Height-1)
	fx, fy := float32(x-float64(ix)), float32(y-float64(iy))
	ro, gro, bo := img.Format.Offsets()
	px := func(x, y, o int) float32 { return float32(img.Pix[y*img.Stride+x*4+o]) }
	mix := func(o int) float32 {
		top := px(ix, iy, o)*(1-fx) + px(jx, iy, o)*fx
		bot := px(ix, jy, o)*(1-fx) + px(jx, jy, o)*fx
		return top*(1-fy) + bot*fy
	}
	return mix(ro), mix(gro), mix(bo)
}

// planeSample samples an n×n plane bilinearly with edge clamping.
func planeSample(p []float32, n int, x, y float64) float32 {
	x = min(max(x, 0), float64(n-1))
	y = min(max(y, 0), float64(n-1))
	ix, iy := int(x), int(y)
	jx, jy := min(ix+1, n-1), min(iy+1, n-1)
	fx, fy := float32(x-float64(ix)), float32(y-float64(iy))
	top := p[iy*n+ix]*(1-fx) + p[iy*n+jx]*fx
	bot := p[jy*n+ix]*(1-fx) + p[jy*n+jx]*fx
	return top*(1-fy) + bot*fy
}
