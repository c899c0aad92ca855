package face

import (
	"fmt"
	"testing"

	"github.com/nedstream/nedstream/models/raster"
)

// frameWithFace places the astronaut portrait (512x512, face about 90 px wide)
// scaled to fill the frame's height, centred, in a w x h BGRx frame.
func frameWithFace(b testing.TB, w, h int) raster.Image {
	src := astronaut(b)
	im := raster.NewImage(w, h, raster.BGRx)
	s := float64(src.Height) / float64(h)
	off := (w - h) / 2
	for y := 0; y < h; y++ {
		for x := 0; x < h; x++ {
			r, g, bb := src.RGB(int(float64(x)*s), int(float64(y)*s))
			im.SetRGB(x+off, y, r, g, bb)
		}
	}
	return im
}

// BenchmarkProcess measures the face analysis per frame (one face, default
// detect-interval) and reports the mean per-stage times.
func BenchmarkProcess(b *testing.B) {
	for _, sz := range [][2]int{{640, 480}, {1280, 720}} {
		b.Run(fmt.Sprintf("%dx%d", sz[0], sz[1]), func(b *testing.B) {
			e := newEngine(b, DefaultConfig())
			im := frameWithFace(b, sz[0], sz[1])
			var sum Timings
			var faces int
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				res, err := e.Process(im)
				if err != nil {
					b.Fatal(err)
				}
				faces += len(res.Faces)
				sum.Detect += res.Timings.Detect
				sum.Landmarks += res.Timings.Landmarks
				sum.Iris += res.Timings.Iris
				sum.Blendshapes += res.Timings.Blendshapes
				sum.Pose += res.Timings.Pose
			}
			n := float64(b.N)
			if faces != b.N {
				b.Fatalf("%d faces in %d frames", faces, b.N)
			}
			b.ReportMetric(float64(sum.Detect.Microseconds())/n/1000, "detect-ms")
			b.ReportMetric(float64(sum.Landmarks.Microseconds())/n/1000, "landmarks-ms")
			b.ReportMetric(float64(sum.Iris.Microseconds())/n/1000, "iris-ms")
			b.ReportMetric(float64(sum.Blendshapes.Microseconds())/n/1000, "blendshapes-ms")
			b.ReportMetric(float64(sum.Pose.Microseconds())/n/1000, "pose-ms")
			b.ReportMetric(n/b.Elapsed().Seconds(), "fps")
		})
	}
}
