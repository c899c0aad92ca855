package render_test

import (
	"fmt"
	"testing"

	"github.com/nedstream/nedstream/models/basis"
	"github.com/nedstream/nedstream/models/face"
	"github.com/nedstream/nedstream/models/raster"
	"github.com/nedstream/nedstream/models/render"
)

// BenchmarkRender: one expression edit (jaw open, smile) on a 1280x720
// frame for a face 200 and 400 px wide, with one and two workers, and the
// cost of an identity target (nothing drawn: copy and setup only).
func BenchmarkRender(b *testing.B) {
	canon, bs := models(b)
	w := newWarper(b)
	for _, width := range []float64{200, 400} {
		p := facePose(width, 640, 360, 10, 5)
		src := posed(canon, p)
		dst := target(b, bs, src, p, map[string]float32{"jawOpen": 0.5, "mouthSmileLeft": 0.6, "mouthSmileRight": 0.6})
		for _, workers := range []int{1, 2} {
			b.Run(fmt.Sprintf("face%d/workers%d", int(width), workers), func(b *testing.B) {
				im := noise(1280, 720, raster.BGRx, 7)
				o := render.DefaultOptions
				o.Workers = workers
				var st render.Stats
				var err error
				for b.Loop() {
					st, err = w.Render(im, src, dst, o)
					if err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(st.Region.Dx()*st.Region.Dy()), "region-px")
				b.ReportMetric(float64(st.Pixels), "px-written")
			})
		}
		b.Run(fmt.Sprintf("face%d/identity", int(width)), func(b *testing.B) {
			im := noise(1280, 720, raster.BGRx, 7)
			for b.Loop() {
				if _, err := w.Render(im, src, src, render.DefaultOptions); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkTargetLandmarks: the basis product for three changed coefficients.
func BenchmarkTargetLandmarks(b *testing.B) {
	canon, bs := models(b)
	p := facePose(300, 640, 360, 10, 5)
	src := posed(canon, p)
	dst := make([]face.Point3, len(src))
	eTgt := coeffs(bs, map[string]float32{"jawOpen": 0.5, "mouthSmileLeft": 0.6, "mouthSmileRight": 0.6})
	for b.Loop() {
		if err := render.TargetLandmarks(src, p, bs, [basis.NumShapes]float32{}, eTgt, dst); err != nil {
			b.Fatal(err)
		}
	}
}
