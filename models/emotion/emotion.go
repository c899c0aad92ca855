// Package emotion runs a facial-emotion classifier on face crops: the
// mini-Xception of Arriaga et al. (oarriaga/face_classification), trained on
// FER2013, as emotion_mini_xception.onnx (see ../shared/models/SOURCES.md).
// nedstream uses it to judge its own edits (`nedface evaluate`), not in the
// element.
package emotion

import (
	"errors"
	"fmt"
	"math"

	"github.com/nedstream/nedstream/models/face"
	"github.com/nedstream/nedstream/models/ort"
	"github.com/nedstream/nedstream/models/raster"
)

// Tensor names and input size of emotion_mini_xception.onnx.
const (
	InputName  = "input_1"
	OutputName = "emotion_probs"
	// Size is the side of the square grey input crop.
	Size = 64
)

// NumClasses is the number of FER2013 classes.
const NumClasses = 7

// Classes are the model's output classes, in order.
var Classes = [NumClasses]string{"angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"}

// Margin is how much the square crop extends beyond the face box on each
// side, as a fraction of the box's larger side: FER2013 faces are framed
// from just above the brows to just below the chin, a little wider than the
// landmarks' box.
const Margin = 0.1

// Class returns the index of a class by its FER2013 name or by nedstream's
// emotion name (surprised, disgusted), or -1 (contempt has no FER class).
func Class(name string) int {
	switch name {
	case "surprised":
		name = "surprise"
	case "disgusted":
		name = "disgust"
	}
	for i, c := range Classes {
		if c == name {
			return i
		}
	}
	return -1
}

// Classifier is a loaded emotion model with its reusable tensors; not safe
// for concurrent use.
type Classifier struct {
	s   *ort.Session
	in  *ort.Float32
	out *ort.Float32
}

// Open loads the model at path.
func Open(path string, opts ort.Options) (*Classifier, error) {
	s, err := ort.Open("emotion", path, []string{InputName}, []string{OutputName}, opts)
	if err != nil {
		return nil, err
	}
	c := &Classifier{s: s}
	if c.in, err = ort.NewFloat32(1, Size, Size, 1); err == nil {
		c.out, err = ort.NewFloat32(1, NumClasses)
	}
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("emotion model %s: %w", path, err)
	}
	return c, nil
}

// Classify crops the face in box out of img and returns the class
// probabilities.
func (c *Classifier) Classify(img raster.Image, box face.Rect) ([NumClasses]float32, error) {
	var p [NumClasses]float32
	if err := Crop(img, box, c.in.Data()); err != nil {
		return p, err
	}
	if err := c.s.Run([]ort.Value{c.in.Value()}, []ort.Value{c.out.Value()}); err != nil {
		return p, fmt.Errorf("emotion model: %w", err)
	}
	copy(p[:], c.out.Data())
	return p, nil
}

// Close releases the model.
func (c *Classifier) Close() error {
	if c.in != nil {
		c.in.Destroy()
	}
	if c.out != nil {
		c.out.Destroy()
	}
	if c.s != nil {
		return c.s.Close()
	}
	return nil
}

// Crop writes the model input for the face in box into dst (Size*Size
// values): the square around the box's centre with side max(W,H)·(1+2·Margin),
// in grey (ITU-R BT.601 luma), bilinearly resampled, scaled to [-1, 1]
// ((v/255 - 0.5)·2). Pixels outside the frame count as black.
func Crop(img raster.Image, box face.Rect, dst []float32) error {
	if err := img.Validate(); err != nil {
		return fmt.Errorf("emotion crop: %w", err)
	}
	if len(dst) < Size*Size {
		return fmt.Errorf("emotion crop: dst holds %d values, want %d", len(dst), Size*Size)
	}
	side := float64(max(box.W, box.H)) * (1 + 2*Margin)
	if !(side >= 4) || math.IsInf(side, 0) {
		return errors.New("emotion crop: face box too small or not a number")
	}
	cx, cy := float64(box.X+box.W/2), float64(box.Y+box.H/2)
	x0, y0 := cx-side/2, cy-side/2
	step := side / Size
	for j := 0; j < Size; j++ {
		for i := 0; i < Size; i++ {
			v := grey(img, x0+(float64(i)+0.5)*step-0.5, y0+(float64(j)+0.5)*step-0.5)
			dst[j*Size+i] = (v/255 - 0.5) * 2
		}
	}
	return nil
}

// grey samples the luma at pixel coordinates (x, y) (pixel centres at
// integers), bilinearly.
func grey(img raster.Image, x, y float64) float32 {
	fx, fy := math.Floor(x), math.Floor(y)
	ax, ay := x-fx, y-fy
	at := func(px, py int) float64 {
		if px < 0 || py < 0 || px >= img.Width || py >= img.Height {
			return 0
		}
		r, g, b := img.RGB(px, py)
		return 0.299*float64(r) + 0.587*float64(g) + 0.114*float64(b)
	}
	ix, iy := int(fx), int(fy)
	v := (1-ay)*((1-ax)*at(ix, iy)+ax*at(ix+1, iy)) + ay*((1-ax)*at(ix, iy+1)+ax*at(ix+1, iy+1))
	return float32(v)
}
