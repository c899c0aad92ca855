package landmark

import (
	"testing"
)

// BenchmarkFaceMesh and BenchmarkIris time one model run each (crop
// sampling included) on the astronaut.
func BenchmarkFaceMesh(b *testing.B) {
	r := newRig(b)
	pts := make([]Point, CountWithIris)
	roi := ROIFromDetection(r.det, r.mesh.ROIScale())
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := r.mesh.Run(r.im, roi, pts); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkIris(b *testing.B) {
	r := newRig(b)
	pts := make([]Point, CountWithIris)
	if _, err := r.mesh.Run(r.im, ROIFromDetection(r.det, r.mesh.ROIScale()), pts); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := r.iris.Run(r.im, pts); err != nil {
			b.Fatal(err)
		}
	}
}
