package landmark

import (
	"math"

	"github.com/nedstream/nedstream/models/ort"
	"github.com/nedstream/nedstream/models/pack"
	"github.com/nedstream/nedstream/models/raster"
)

// Iris is a loaded MediaPipe iris model. It is trained on one eye; the other
// eye's crop is mirrored in and its results mirrored back (see Run).
type Iris struct {
	s        *ort.Session
	pre      raster.TensorLayout
	size     int
	roiScale float64
	in       *ort.Float32
	contour  *ort.Float32
	iris     *ort.Float32
}

// OpenIris loads the iris model of a pack entry.
func OpenIris(path string, e pack.Entry, so ort.Options) (*Iris, error) {
	pre := e.Preprocess
	if pre == nil {
		pre = &pack.Preprocess{Color: "RGB", Scale: 1.0 / 255, Size: 64, ROIScale: 2.3}
	}
	s, err := ort.Open("iris", path, []string{"input_1"}, []string{"output_eyes_contours_and_brows", "output_iris"}, so)
	if err != nil {
		return nil, err
	}
	m := &Iris{s: s, pre: raster.TensorLayout{BGR: pre.Color == "BGR", Scale: pre.Scale, Bias: pre.Bias}, size: pre.Size, roiScale: pre.ROIScale}
	if m.size <= 0 {
		m.size = 64
	}
	if m.roiScale <= 0 {
		m.roiScale = 2.3
	}
	n := int64(m.size)
	if m.in, err = ort.NewFloat32(1, 3, n, n); err == nil {
		if m.contour, err = ort.NewFloat32(1, 213); err == nil {
			m.iris, err = ort.NewFloat32(1, 15)
		}
	}
	if err != nil {
		m.Close()
		return nil, err
	}
	return m, nil
}

// Provider reports where the model runs.
func (m *Iris) Provider() ort.Provider { return m.s.Provider() }

// eyeROI is the square region around one eye, from its two corners.
func (m *Iris) eyeROI(a, b Point) raster.ROI {
	dx, dy := float64(b.X-a.X), float64(b.Y-a.Y)
	return raster.ROI{
		CX:    float64(a.X+b.X) / 2,
		CY:    float64(a.Y+b.Y) / 2,
		Size:  math.Hypot(dx, dy) * m.roiScale,
		Angle: math.Atan2(dy, dx),
	}
}

// Eye selects one eye for RunEye.
type Eye int

// The two eyes, named from the subject's side.
const (
	// EyeRight is the subject's right eye (landmarks 33..133, iris 468..472).
	EyeRight Eye = iota
	// EyeLeft is the subject's left eye (landmarks 362..263, iris 473..477).
	EyeLeft
)

// The model is trained on the subject's right eye (the image's left one in
// an unmirrored frame); the left eye's crop is mirrored in and its results
// mirrored back. Measured on astronaut.png, the iris model's eye and brow
// contour agrees best with FaceMesh that way (1.34-1.43 px against
// 1.51-1.53 px mean distance the other way round), which is also what the
// model's upstream documents. Each crop runs along the eye line from the
// image-left corner to the image-right corner.
var eyes = [2]struct {
	a, b   int
	mirror bool
	dst    int
}{
	EyeRight: {RightEyeOuter, RightEyeInner, false, 468},
	EyeLeft:  {LeftEyeInner, LeftEyeOuter, true, 473},
}

// Run adds the 10 iris points to a 468-point face: pts[468..472] for the
// subject's right eye (centre first) and pts[473..477] for the left, the
// layout of MediaPipe's 478-point mesh. pts must have room for 478 points.
func (m *Iris) Run(im raster.Image, pts []Point) error {
	if err := m.RunEye(im, pts, EyeRight); err != nil {
		return err
	}
	return m.RunEye(im, pts, EyeLeft)
}

// RunEye adds the 5 iris points of one eye. Two Iris models may work on the
// two eyes of the same pts concurrently: they write disjoint points.
func (m *Iris) RunEye(im raster.Image, pts []Point, eye Eye) error {
	e := eyes[eye]
	return m.RunEyeAt(im, m.EyeROI(pts, eye), eye, pts[e.dst:e.dst+5])
}

// EyeROI returns the crop region of one eye from a face's landmarks.
func (m *Iris) EyeROI(pts []Point, eye Eye) raster.ROI {
	e := eyes[eye]
	return m.eyeROI(pts[e.a], pts[e.b])
}

// RunEyeAt runs the model on an eye region (from EyeROI, possibly of an
// earlier frame) and writes the eye's 5 iris points, centre first, to dst.
func (m *Iris) RunEyeAt(im raster.Image, roi raster.ROI, eye Eye, dst []Point) error {
	e := eyes[eye]
	toFrame := roi.ToCrop(m.size)
	l := m.pre
	l.Mirror = e.mirror
	raster.SampleToTensor(im, toFrame, m.size, m.size, m.in.Data(), l)
	if err := m.s.Run([]ort.Value{m.in.Value()}, []ort.Value{m.contour.Value(), m.iris.Value()}); err != nil {
		return err
	}
	raw := m.iris.Data()
	zs := roi.Size / float64(m.size)
	for k := 0; k < 5; k++ {
		u := float64(raw[3*k])
		if e.mirror {
			u = float64(m.size) - u
		}
		x, y := toFrame.Apply(u, float64(raw[3*k+1]))
		dst[k] = Point{X: float32(x), Y: float32(y), Z: float32(float64(raw[3*k+2]) * zs)}
	}
	return nil
}

// Close releases the model.
func (m *Iris) Close() error {
	m.in.Destroy()
	m.contour.Destroy()
	m.iris.Destroy()
	if m.s != nil {
		return m.s.Close()
	}
	return nil
}
