package render

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/nedstream/nedstream/models/face"
	"github.com/nedstream/nedstream/models/modeltest"
	"github.com/nedstream/nedstream/models/onnx"
	"github.com/nedstream/nedstream/models/ort"
	"github.com/nedstream/nedstream/models/raster"
)

// writeRenderer writes a renderer test model: crop_out = crop*scale + shift.
func writeRenderer(t *testing.T, scale, shift float32) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "renderer.onnx")
	b := onnx.NewBuilder("test_renderer", 17)
	b.Input(TensorCrop, []int64{1, 3, -1, -1})
	b.Input(TensorSource, []int64{1, ModelPoints, 2})
	b.Input(TensorTarget, []int64{1, ModelPoints, 2})
	b.Initializer("scale", []int64{}, []float32{scale})
	b.Initializer("shift", []int64{}, []float32{shift})
	b.Node("Mul", []string{TensorCrop, "scale"}, []string{"scaled"})
	b.Node("Add", []string{"scaled", "shift"}, []string{TensorCropOut})
	b.Output(TensorCropOut, []int64{1, 3, -1, -1})
	if err := b.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	return path
}

// ringFace is 468 points on a circle of radius r around (cx, cy).
func ringFace(cx, cy, r float32) []face.Point3 {
	pts := make([]face.Point3, ModelPoints)
	for i := range pts {
		a := 2 * math.Pi * float64(i) / ModelPoints
		pts[i] = face.Point3{X: cx + r*float32(math.Cos(a)), Y: cy + r*float32(math.Sin(a))}
	}
	return pts
}

// TestModelRendererPlacement: a model's crop goes back where it came from,
// blended with the feathered circular mask; nothing outside changes.
func TestModelRendererPlacement(t *testing.T) {
	modeltest.InitORT(t)
	img := raster.NewImage(160, 120, raster.BGRx)
	for y := range img.Height {
		for x := range img.Width {
			img.SetRGB(x, y, uint8(x), uint8(y), 200)
		}
	}
	pts := ringFace(80, 60, 30)
	x0, y0, side, ok := ModelRegion(pts, pts)
	if !ok {
		t.Fatal("region refused")
	}
	for _, tc := range []struct {
		name         string
		scale, shift float32
	}{{"identity", 1, 0}, {"black", 0, 0}} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := OpenModel(writeRenderer(t, tc.scale, tc.shift), nil, ort.Options{Provider: ort.CPU})
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			out := img.Clone()
			if _, err := m.Render(out, pts, pts, DefaultOptions); err != nil {
				t.Fatal(err)
			}
			maxDiff := 0
			for y := range img.Height {
				for x := range img.Width {
					u, v := (float64(x)+0.5-x0)/side, (float64(y)+0.5-y0)/side
					w := ModelMask(u, v)
					r0, g0, b0 := img.RGB(x, y)
					r1, g1, b1 := out.RGB(x, y)
					d := max(absInt(int(r1)-int(r0)), absInt(int(g1)-int(g0)), absInt(int(b1)-int(b0)))
					switch {
					case w == 0 && d != 0:
						t.Fatalf("(%d,%d) outside the mask changed by %d", x, y, d)
					case tc.name == "identity":
						maxDiff = max(maxDiff, d)
					case w == 1 && (r1 > 1 || g1 > 1 || b1 > 1):
						t.Fatalf("(%d,%d) inside the mask is %d,%d,%d, want black", x, y, r1, g1, b1)
					case w > 0 && w < 1:
						// Feather: the original scaled by 1-w.
						if want := math.Round((1 - w) * 200); math.Abs(float64(b1)-want) > 1 {
							t.Fatalf("(%d,%d) feather weight %.2f: blue %d, want %.0f", x, y, w, b1, want)
						}
					}
				}
			}
			if tc.name == "identity" && maxDiff > 2 {
				t.Errorf("identity model changed pixels by up to %d", maxDiff)
			}
		})
	}
	if _, _, _, ok := ModelRegion(pts[:10], pts); ok {
		t.Error("a region from 10 points")
	}
}

func absInt(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
