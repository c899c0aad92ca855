// Package landmark runs MediaPipe's FaceMesh (468 points) on a rotated face
// region and the iris model on each eye, giving the 478 points the
// blendshape model expects.
package landmark

import (
	"fmt"
	"math"

	"github.com/nedstream/nedstream/models/ort"
	"github.com/nedstream/nedstream/models/pack"
	"github.com/nedstream/nedstream/models/raster"
)

// Count is the number of FaceMesh landmarks; CountWithIris adds 10 iris points.
const (
	Count         = 468
	CountWithIris = 478
)

// Landmark indices used to place regions (MediaPipe's topology; "right" is
// the subject's right, on the image's left for an unmirrored frontal face).
const (
	RightEyeOuter = 33
	RightEyeInner = 133
	LeftEyeInner  = 362
	LeftEyeOuter  = 263
)

// Point is a landmark in frame pixels (Z: depth in the same scale).
type Point struct{ X, Y, Z float32 }

// FaceMesh is a loaded 468-point landmark model.
type FaceMesh struct {
	s        *ort.Session
	pre      raster.TensorLayout
	size     int
	roiScale float64
	in       *ort.Float32
	pts      *ort.Float32
	flag     *ort.Float32
}

// OpenFaceMesh loads the landmarker of a pack entry.
func OpenFaceMesh(path string, e pack.Entry, so ort.Options) (*FaceMesh, error) {
	pre := e.Preprocess
	if pre == nil {
		pre = &pack.Preprocess{Color: "RGB", Scale: 1.0 / 255, Size: 192, ROIScale: 1.5}
	}
	s, err := ort.Open("landmarker", path, []string{"input_1"}, []string{"conv2d_20", "conv2d_30"}, so)
	if err != nil {
		return nil, err
	}
	m := &FaceMesh{s: s, pre: raster.TensorLayout{BGR: pre.Color == "BGR", Scale: pre.Scale, Bias: pre.Bias}, size: pre.Size, roiScale: pre.ROIScale}
	if m.size <= 0 {
		m.size = 192
	}
	if m.roiScale <= 0 {
		m.roiScale = 1.5
	}
	n := int64(m.size)
	if m.in, err = ort.NewFloat32(1, 3, n, n); err == nil {
		if m.pts, err = ort.NewFloat32(1, 3*Count, 1, 1); err == nil {
			m.flag, err = ort.NewFloat32(1, 1, 1, 1)
		}
	}
	if err != nil {
		m.Close()
		return nil, err
	}
	return m, nil
}

// ROIScale is how much the region around a face is enlarged before cropping.
func (m *FaceMesh) ROIScale() float64 { return m.roiScale }

// Provider reports where the model runs.
func (m *FaceMesh) Provider() ort.Provider { return m.s.Provider() }

// Run crops roi from im, runs the model and writes the 468 landmarks in frame
// pixels into dst (len >= Count). It returns the face-presence probability.
func (m *FaceMesh) Run(im raster.Image, roi raster.ROI, dst []Point) (float32, error) {
	if len(dst) < Count {
		return 0, fmt.Errorf("landmarks: destination holds %d points, need %d", len(dst), Count)
	}
	toFrame := roi.ToCrop(m.size)
	raster.SampleToTensor(im, toFrame, m.size, m.size, m.in.Data(), m.pre)
	if err := m.s.Run([]ort.Value{m.in.Value()}, []ort.Value{m.pts.Value(), m.flag.Value()}); err != nil {
		return 0, err
	}
	raw := m.pts.Data()
	zs := roi.Size / float64(m.size)
	for i := 0; i < Count; i++ {
		x, y := toFrame.Apply(float64(raw[3*i]), float64(raw[3*i+1]))
		dst[i] = Point{X: float32(x), Y: float32(y), Z: float32(float64(raw[3*i+2]) * zs)}
	}
	return sigmoid(m.flag.Data()[0]), nil
}

func sigmoid(x float32) float32 { return float32(1 / (1 + math.Exp(-float64(x)))) }

// Close releases the model.
func (m *FaceMesh) Close() error {
	m.in.Destroy()
	m.pts.Destroy()
	m.flag.Destroy()
	if m.s != nil {
		return m.s.Close()
	}
	return nil
}

// ROIFromLandmarks returns the region the next frame's landmarks are taken
// from: rotated by the eye-corner line, centred on the landmarks' rotated
// bounding box, its long side enlarged by scale (MediaPipe's
// face_landmarks_to_roi).
func ROIFromLandmarks(pts []Point, scale float64) raster.ROI {
	a, b := pts[RightEyeOuter], pts[LeftEyeOuter]
	angle := math.Atan2(float64(b.Y-a.Y), float64(b.X-a.X))
	c, s := math.Cos(angle), math.Sin(angle)
	minU, minV := math.Inf(1), math.Inf(1)
	maxU, maxV := math.Inf(-1), math.Inf(-1)
	for _, p := range pts[:Count] {
		// Rotate into the face's frame.
		u := c*float64(p.X) + s*float64(p.Y)
		v := -s*float64(p.X) + c*float64(p.Y)
		minU, maxU = math.Min(minU, u), math.Max(maxU, u)
		minV, maxV = math.Min(minV, v), math.Max(maxV, v)
	}
	cu, cv := (minU+maxU)/2, (minV+maxV)/2
	return raster.ROI{
		CX:    c*cu - s*cv,
		CY:    s*cu + c*cv,
		Size:  math.Max(maxU-minU, maxV-minV) * scale,
		Angle: angle,
	}
}
