// Package pose estimates head pose by fitting MediaPipe's canonical face mesh
// to the landmarks: a weighted similarity (Procrustes / Umeyama) fit in 3D,
// weak perspective, with the per-landmark weights of MediaPipe's face
// geometry pipeline.
package pose

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"regexp"
	"strconv"

	"gonum.org/v1/gonum/mat"
)

// Pose is the fitted head pose: frame point = Scale * Rotation * canonical +
// Translation, with canonical points in image-aligned axes (x right, y down,
// z away from the camera; MediaPipe's canonical mesh has y up and z towards
// the viewer, which the fitter flips).
type Pose struct {
	// Yaw, Pitch, Roll in degrees; near 0 for a frontal, upright face. Yaw is
	// positive when the face turns towards the image's right, pitch when it
	// looks up, roll when it tilts clockwise in the image.
	Yaw, Pitch, Roll float64
	// Scale maps canonical-mesh centimetres to frame pixels.
	Scale float64
	// Rotation is row-major, canonical (image-aligned) to camera axes.
	Rotation [9]float64
	// Translation is the frame position of the canonical origin (pixels).
	Translation [3]float64
}

// Apply maps a canonical point (MediaPipe axes, as in the OBJ) to the frame.
func (p Pose) Apply(c [3]float64) [3]float64 {
	a := [3]float64{c[0], -c[1], -c[2]}
	r := p.Rotation
	return [3]float64{
		p.Scale*(r[0]*a[0]+r[1]*a[1]+r[2]*a[2]) + p.Translation[0],
		p.Scale*(r[3]*a[0]+r[4]*a[1]+r[5]*a[2]) + p.Translation[1],
		p.Scale*(r[6]*a[0]+r[7]*a[1]+r[8]*a[2]) + p.Translation[2],
	}
}

// Weight is one landmark of the Procrustes basis and its weight.
type Weight struct {
	ID     int
	Weight float64
}

var basisRE = regexp.MustCompile(`procrustes_landmark_basis\s*\{\s*landmark_id:\s*(\d+)\s+weight:\s*([-0-9.eE+]+)\s*\}`)

// LoadWeights reads the Procrustes basis from MediaPipe's
// geometry_pipeline_metadata_landmarks.pbtxt.
func LoadWeights(path string) ([]Weight, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("pose weights: %w", err)
	}
	defer f.Close()
	var ws []Weight
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		m := basisRE.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		id, _ := strconv.Atoi(m[1])
		w, err := strconv.ParseFloat(m[2], 64)
		if err != nil {
			return nil, fmt.Errorf("pose weights %s: %w", path, err)
		}
		ws = append(ws, Weight{ID: id, Weight: w})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("pose weights %s: %w", path, err)
	}
	if len(ws) < 4 {
		return nil, fmt.Errorf("pose weights %s: found %d procrustes_landmark_basis entries, need at least 4", path, len(ws))
	}
	return ws, nil
}

// Fitter fits the canonical mesh to landmarks.
type Fitter struct {
	ids    []int
	w      []float64
	canon  [][3]float64 // image-aligned canonical points of the basis
	center [3]float64   // weighted centroid of canon
	varC   float64      // weighted variance of canon
}

// NewFitter prepares a fitter from the canonical vertices (MediaPipe axes)
// and the Procrustes basis.
func NewFitter(canonical [][3]float64, basis []Weight) (*Fitter, error) {
	f := &Fitter{}
	var wsum float64
	for _, b := range basis {
		if b.ID < 0 || b.ID >= len(canonical) {
			return nil, fmt.Errorf("pose basis landmark %d outside the %d-vertex canonical mesh", b.ID, len(canonical))
		}
		c := canonical[b.ID]
		f.ids = append(f.ids, b.ID)
		f.w = append(f.w, b.Weight)
		f.canon = append(f.canon, [3]float64{c[0], -c[1], -c[2]})
		wsum += b.Weight
	}
	for i := range f.w {
		f.w[i] /= wsum
		for k := 0; k < 3; k++ {
			f.center[k] += f.w[i] * f.canon[i][k]
		}
	}
	for i, c := range f.canon {
		for k := 0; k < 3; k++ {
			d := c[k] - f.center[k]
			f.varC += f.w[i] * d * d
		}
	}
	return f, nil
}

// Fit estimates the pose from landmarks given as frame x, y and depth z
// (pts(i) returns landmark i).
func (f *Fitter) Fit(pts func(i int) [3]float64) Pose {
	var mu [3]float64
	ps := make([][3]float64, len(f.ids))
	for i, id := range f.ids {
		ps[i] = pts(id)
		for k := 0; k < 3; k++ {
			mu[k] += f.w[i] * ps[i][k]
		}
	}
	// Weighted cross-covariance of targets and canonical points.
	var cov [9]float64
	for i := range ps {
		for r := 0; r < 3; r++ {
			for c := 0; c < 3; c++ {
				cov[3*r+c] += f.w[i] * (ps[i][r] - mu[r]) * (f.canon[i][c] - f.center[c])
			}
		}
	}
	var svd mat.SVD
	if !svd.Factorize(mat.NewDense(3, 3, cov[:]), mat.SVDFull) {
		return Pose{Scale: 0, Rotation: [9]float64{1, 0, 0, 0, 1, 0, 0, 0, 1}, Translation: mu}
	}
	var u, v mat.Dense
	svd.UTo(&u)
	svd.VTo(&v)
	vals := svd.Values(nil)
	d := 1.0
	if mat.Det(&u)*mat.Det(&v) < 0 {
		d = -1
	}
	var rot [9]float64
	for r := 0; r < 3; r++ {
		for c := 0; c < 3; c++ {
			rot[3*r+c] = u.At(r, 0)*v.At(c, 0) + u.At(r, 1)*v.At(c, 1) + d*u.At(r, 2)*v.At(c, 2)
		}
	}
	scale := (vals[0] + vals[1] + d*vals[2]) / f.varC
	var t [3]float64
	for r := 0; r < 3; r++ {
		t[r] = mu[r] - scale*(rot[3*r]*f.center[0]+rot[3*r+1]*f.center[1]+rot[3*r+2]*f.center[2])
	}
	p := Pose{Scale: scale, Rotation: rot, Translation: t}
	p.Yaw, p.Pitch, p.Roll = Angles(rot)
	return p
}

// Rotation builds R = Ry(yaw) * Rx(pitch) * Rz(roll) (degrees, image axes):
// Ry turns the nose (canonical -z) towards +x, Rx turns it up (towards -y),
// Rz turns the face's x axis clockwise in the image (towards +y).
func Rotation(yaw, pitch, roll float64) [9]float64 {
	y, p, r := yaw*math.Pi/180, pitch*math.Pi/180, roll*math.Pi/180
	ry := [9]float64{math.Cos(y), 0, -math.Sin(y), 0, 1, 0, math.Sin(y), 0, math.Cos(y)}
	rx := [9]float64{1, 0, 0, 0, math.Cos(p), math.Sin(p), 0, -math.Sin(p), math.Cos(p)}
	rz := [9]float64{math.Cos(r), -math.Sin(r), 0, math.Sin(r), math.Cos(r), 0, 0, 0, 1}
	return mul3(ry, mul3(rx, rz))
}

func mul3(a, b [9]float64) [9]float64 {
	var c [9]float64
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			for k := 0; k < 3; k++ {
				c[3*i+j] += a[3*i+k] * b[3*k+j]
			}
		}
	}
	return c
}

// Angles inverts Rotation: yaw, pitch and roll in degrees from a rotation
// (row-major, image-aligned axes).
func Angles(r [9]float64) (yaw, pitch, roll float64) {
	const deg = 180 / math.Pi
	// The face looks along canonical -z: n = R * (0,0,-1) = Ry*Rx*(0,0,-1).
	nx, ny, nz := -r[2], -r[5], -r[8]
	yaw = math.Atan2(nx, -nz) * deg
	pitch = math.Atan2(-ny, math.Hypot(nx, nz)) * deg
	// Rz = (Ry*Rx)^T * R.
	m := Rotation(yaw, pitch, 0)
	rz0 := m[0]*r[0] + m[3]*r[3] + m[6]*r[6]
	rz3 := m[1]*r[0] + m[4]*r[3] + m[7]*r[6]
	roll = math.Atan2(rz3, rz0) * deg
	return yaw, pitch, roll
}
