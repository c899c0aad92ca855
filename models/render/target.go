package render

import (
	"errors"
	"fmt"
	"math"

	"github.com/nedstream/nedstream/models/basis"
	"github.com/nedstream/nedstream/models/face"
	"github.com/nedstream/nedstream/models/pose"
)

// Iris landmarks appended by the iris model (468..477): two groups of five.
const (
	irisFirst = NumVertices
	irisCount = 5
)

// TargetLandmarks writes into dst the landmarks src moved from the
// expression eSrc to eTgt:
//
//	dst = src + s R flip(B Change(eSrc, eTgt)),  flip(x, y, z) = (x, -y, -z)
//
// with s and R the tracked pose's scale and rotation and B the basis deltas
// (canonical centimetres, MediaPipe axes; flip turns them into the image-
// aligned axes pose.Pose.Apply uses). Change is the coefficient change with
// the render gains and the mouth-opening constraint (see Change). Z moves
// too, in the landmarks' pixel scale. The first 468 points are moved by the
// basis; iris points (468..477, when present) move with their eye's corners,
// so a blink does not drag the iris along. src and dst must have the same
// length (468 or 478) and may be the same slice.
func TargetLandmarks(src []face.Point3, p pose.Pose, b *basis.Basis, eSrc, eTgt [basis.NumShapes]float32, dst []face.Point3) error {
	if b == nil {
		return errors.New("render: target landmarks: nil basis")
	}
	if len(src) < NumVertices {
		return fmt.Errorf("render: target landmarks: %d source landmarks, want at least %d", len(src), NumVertices)
	}
	if len(dst) != len(src) {
		return fmt.Errorf("render: target landmarks: dst holds %d points, src %d", len(dst), len(src))
	}
	if !(p.Scale > 0) || math.IsInf(p.Scale, 0) {
		return fmt.Errorf("render: target landmarks: pose scale %v is not a positive number", p.Scale)
	}
	for i, r := range p.Rotation {
		if math.IsNaN(r) || math.IsInf(r, 0) {
			return fmt.Errorf("render: target landmarks: pose rotation element %d is %v", i, r)
		}
	}
	de, changed, err := Change(b, eSrc, eTgt)
	if err != nil {
		return fmt.Errorf("render: target landmarks: %w", err)
	}
	var off [NumVertices][3]float64
	for k, d := range de {
		if d == 0 {
			continue
		}
		bk := &b.Deltas[k]
		for v := range off {
			off[v][0] += d * float64(bk[v][0])
			off[v][1] += d * float64(bk[v][1])
			off[v][2] += d * float64(bk[v][2])
		}
	}
	copy(dst, src)
	if !changed {
		return nil
	}
	r, s := p.Rotation, p.Scale
	var moved [NumVertices][3]float64
	for v := range off {
		a := [3]float64{off[v][0], -off[v][1], -off[v][2]}
		m := [3]float64{
			s * (r[0]*a[0] + r[1]*a[1] + r[2]*a[2]),
			s * (r[3]*a[0] + r[4]*a[1] + r[5]*a[2]),
			s * (r[6]*a[0] + r[7]*a[1] + r[8]*a[2]),
		}
		moved[v] = m
		dst[v].X += float32(m[0])
		dst[v].Y += float32(m[1])
		dst[v].Z += float32(m[2])
	}
	// Iris groups follow the mean offset of the corners of the nearer eye.
	for g := irisFirst; g+irisCount <= len(src); g += irisCount {
		c := src[g]
		right := mid(src[33], src[133])
		left := mid(src[263], src[362])
		corners := [2]int{263, 362}
		if dist2(c, right) < dist2(c, left) {
			corners = [2]int{33, 133}
		}
		var m [3]float64
		for _, k := range corners {
			for j := 0; j < 3; j++ {
				m[j] += moved[k][j] / 2
			}
		}
		for i := g; i < g+irisCount; i++ {
			dst[i].X += float32(m[0])
			dst[i].Y += float32(m[1])
			dst[i].Z += float32(m[2])
		}
	}
	return nil
}

func mid(a, b face.Point3) face.Point3 {
	return face.Point3{X: (a.X + b.X) / 2, Y: (a.Y + b.Y) / 2, Z: (a.Z + b.Z) / 2}
}

func dist2(a, b face.Point3) float32 {
	dx, dy := a.X-b.X, a.Y-b.Y
	return dx*dx + dy*dy
}

// Inner-lip point pairs of the MediaPipe mesh (upper, lower), from corner to
// corner, and the points the chin height is measured between.
var (
	innerLipPairs = [][2]int{{191, 95}, {80, 88}, {81, 178}, {82, 87}, {13, 14}, {312, 317}, {311, 402}, {310, 318}, {415, 324}}
	chinPoint     = 152
	noseTip       = 1
)

// Change returns the coefficient change that TargetLandmarks displaces the
// landmarks by, and whether anything moves:
//
//   - the render gains: a rise of channel k is scaled by UpGain(k), a fall
//     by DownGain(k) for the part of it below FallKnee (in full above);
//   - the mouth-opening constraint: only jawOpen and mouthClose (the source's
//     speech plus any jaw offset of the style) may open or close the mouth.
//     The change of the inner-lip gap (mean vertical distance of the nine
//     inner-lip pairs) and of the chin's height below the nose tip that all
//     other channels cause together, in the canonical (face-aligned) frame,
//     is cancelled by adding the combination of the jawOpen and mouthClose
//     shapes that has the opposite gap and chin change. A smile removal, a
//     frown or a lip press then reshape the lips without changing how far
//     the mouth is open, which the face analysis reads as speech (jawOpen).
//
// An error reports a coefficient change that is not a finite number.
func Change(b *basis.Basis, eSrc, eTgt [basis.NumShapes]float32) (de [basis.NumShapes]float64, changed bool, err error) {
	if b == nil {
		return de, false, errors.New("nil basis")
	}
	jaw, closed := b.Index("jawOpen"), b.Index("mouthClose")
	var gap, chin float64 // what the non-jaw channels do to the opening
	for k := range de {
		d := float64(eTgt[k]) - float64(eSrc[k])
		if d == 0 {
			continue
		}
		if math.IsNaN(d) || math.IsInf(d, 0) {
			return de, false, fmt.Errorf("coefficient %d (%s) change is %v", k, b.Names[k], d)
		}
		switch {
		case d > 0:
			d *= upGains[k]
		case downGains[k] != 1:
			d = fallScale(float64(eTgt[k]), downGains[k]) - fallScale(float64(eSrc[k]), downGains[k])
		}
		de[k], changed = d, true
		if k != jaw && k != closed {
			g, c := opening(b, k)
			gap += d * g
			chin += d * c
		}
	}
	if !changed || jaw < 0 || closed < 0 || (gap == 0 && chin == 0) {
		return de, changed, nil
	}
	// Solve a·(gap, chin)(jawOpen) + c·(gap, chin)(mouthClose) = -(gap, chin).
	gj, cj := opening(b, jaw)
	gc, cc := opening(b, closed)
	det := gj*cc - gc*cj
	if math.Abs(det) < 1e-9 {
		return de, changed, nil // a basis without usable jaw/closure shapes
	}
	de[jaw] += (-gap*cc + chin*gc) / det
	de[closed] += (-chin*gj + gap*cj) / det
	return de, changed, nil
}

// opening returns how one unit of shape k changes the inner-lip gap (mean
// upper minus lower lip height, canonical cm) and the chin's height relative
// to the nose tip.
func opening(b *basis.Basis, k int) (gap, chin float64) {
	d := &b.Deltas[k]
	for _, p := range innerLipPairs {
		gap += float64(d[p[0]][1] - d[p[1]][1])
	}
	return gap / float64(len(innerLipPairs)), float64(d[chinPoint][1] - d[noseTip][1])
}
