// Package overlay draws what the face engine found onto a frame, in place:
// boxes with track ids, landmark dots, the triangle mesh and head-pose axes.
// It is a debugging and demo aid, written for speed over beauty (no
// anti-aliasing), and knows nothing about GStreamer.
package overlay

import (
	"fmt"
	"strings"

	"github.com/nedstream/nedstream/models/face"
	"github.com/nedstream/nedstream/models/raster"
)

// Mode selects what is drawn. Every mode except None draws the face box
// (and the track id when the style asks for it); the others add to it.
type Mode int

// The drawing modes, in the order of the element's "overlay" property.
const (
	// None draws nothing.
	None Mode = iota
	// Box draws the face box and the track id.
	Box
	// Landmarks adds a dot per landmark.
	Landmarks
	// Mesh adds the edges of the canonical triangle mesh (dots when no
	// triangles are given).
	Mesh
	// Axes adds the head-pose axes: x red, y green, z blue, drawn from the nose tip.
	Axes
)

var modeNames = [...]string{None: "none", Box: "box", Landmarks: "landmarks", Mesh: "mesh", Axes: "axes"}

// String returns the mode's name as the element's property spells it.
func (m Mode) String() string {
	if m >= 0 && int(m) < len(modeNames) {
		return modeNames[m]
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// ParseMode turns a name (none, box, landmarks, mesh, axes; case-insensitive) into a Mode.
func ParseMode(s string) (Mode, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	for i, n := range modeNames {
		if n == s {
			return Mode(i), nil
		}
	}
	return None, fmt.Errorf("unknown overlay mode %q (want none, box, landmarks, mesh or axes)", s)
}

// Color is an RGB colour; the fourth byte of a pixel is never touched.
type Color struct{ R, G, B uint8 }

// Style holds the colours and sizes Draw uses.
type Style struct {
	Box, Landmark, Mesh Color
	AxisX, AxisY, AxisZ Color
	// BoxThickness is the box line width in pixels (at least 1).
	BoxThickness int
	// TrackIDs writes the track id above each box.
	TrackIDs bool
	// AxisLength is the drawn length of each pose axis as a fraction of the
	// larger box side.
	AxisLength float64
}

// DefaultStyle is what Draw uses: green boxes with ids, yellow dots, cyan
// mesh, red/green/blue axes.
func DefaultStyle() Style {
	return Style{
		Box:          Color{0, 255, 0},
		Landmark:     Color{255, 255, 0},
		Mesh:         Color{0, 200, 255},
		AxisX:        Color{255, 0, 0},
		AxisY:        Color{0, 255, 0},
		AxisZ:        Color{0, 0, 255},
		BoxThickness: 2,
		TrackIDs:     true,
		AxisLength:   0.6,
	}
}

// noseTip is the FaceMesh landmark at the tip of the nose.
const noseTip = 1

// Draw draws faces onto img in place with DefaultStyle. triangles are the
// mesh triangles (indices into each face's Landmarks), used by Mesh.
func Draw(img raster.Image, faces []face.Face, mode Mode, triangles [][3]int) {
	DefaultStyle().Draw(img, faces, mode, triangles)
}

// Draw draws faces onto img in place with style s. Malformed input (an
// invalid image, landmark indices out of range) is skipped, never fatal.
func (s Style) Draw(img raster.Image, faces []face.Face, mode Mode, triangles [][3]int) {
	if mode <= None || mode > Axes || len(faces) == 0 || img.Validate() != nil {
		return
	}
	c := canvas{img: img}
	c.ro, c.go_, c.bo = img.Format.Offsets()
	for i := range faces {
		f := &faces[i]
		switch mode {
		case Landmarks:
			s.drawDots(&c, f)
		case Mesh:
			if len(triangles) == 0 {
				s.drawDots(&c, f)
			} else {
				s.drawMesh(&c, f, triangles)
			}
		case Axes:
			s.drawAxes(&c, f)
		}
		s.drawBox(&c, f)
	}
}

func (s Style) drawBox(c *canvas, f *face.Face) {
	x0, y0 := round(f.Box.X), round(f.Box.Y)
	x1, y1 := round(f.Box.X+f.Box.W), round(f.Box.Y+f.Box.H)
	t := max(s.BoxThickness, 1)
	for k := 0; k < t; k++ {
		c.rect(x0-k, y0-k, x1+k, y1+k, s.Box)
	}
	if s.TrackIDs {
		scale := 2
		if c.img.Height < 240 {
			scale = 1
		}
		label := fmt.Sprintf("#%d", f.TrackID)
		ty := y0 - t - (glyphH+1)*scale
		if ty < 0 {
			ty = y1 + t + 1 // no room above the box: write below it
		}
		c.text(x0-t+1, ty, label, scale, s.Box)
	}
}

func (s Style) drawDots(c *canvas, f *face.Face) {
	for _, p := range f.Landmarks {
		x, y := round(p.X), round(p.Y)
		c.set(x, y, s.Landmark)
		c.set(x+1, y, s.Landmark)
		c.set(x, y+1, s.Landmark)
		c.set(x+1, y+1, s.Landmark)
	}
}

func (s Style) drawMesh(c *canvas, f *face.Face, triangles [][3]int) {
	n := len(f.Landmarks)
	for _, t := range triangles {
		if t[0] < 0 || t[1] < 0 || t[2] < 0 || t[0] >= n || t[1] >= n || t[2] >= n {
			continue
		}
		a, b, d := f.Landmarks[t[0]], f.Landmarks[t[1]], f.Landmarks[t[2]]
		c.line(round(a.X), round(a.Y), round(b.X), round(b.Y), s.Mesh)
		c.line(round(b.X), round(b.Y), round(d.X), round(d.Y), s.Mesh)
		c.line(round(d.X), round(d.Y), round(a.X), round(a.Y), s.Mesh)
	}
}

// drawAxes projects the columns of the pose rotation (the canonical x, y and z
// axes in camera space) orthographically onto the image, from the nose tip
// (or the pose translation, or the box centre when those are missing).
func (s Style) drawAxes(c *canvas, f *face.Face) {
	ox, oy := float64(f.Box.X+f.Box.W/2), float64(f.Box.Y+f.Box.H/2)
	switch {
	case len(f.Landmarks) > noseTip:
		ox, oy = float64(f.Landmarks[noseTip].X), float64(f.Landmarks[noseTip].Y)
	case f.Pose.Scale > 0:
		ox, oy = f.Pose.Translation[0], f.Pose.Translation[1]
	}
	length := s.AxisLength * float64(max(f.Box.W, f.Box.H))
	if length <= 0 {
		return
	}
	r := f.Pose.Rotation
	if r == ([9]float64{}) {
		r = [9]float64{1, 0, 0, 0, 1, 0, 0, 0, 1}
	}
	colors := [3]Color{s.AxisX, s.AxisY, s.AxisZ}
	x0, y0 := roundF(ox), roundF(oy)
	for axis := 0; axis < 3; axis++ {
		dx, dy := r[axis], r[3+axis]
		x1, y1 := roundF(ox+length*dx), roundF(oy+length*dy)
		c.line(x0, y0, x1, y1, colors[axis])
		c.line(x0+1, y0, x1+1, y1, colors[axis])
	}
}

func round(v float32) int {
	if v < 0 {
		return int(v - 0.5)
	}
	return int(v + 0.5)
}

func roundF(v float64) int {
	if v < 0 {
		return int(v - 0.5)
	}
	return int(v + 0.5)
}
