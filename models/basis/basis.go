// Package basis holds the expression basis: for each of MediaPipe's 52
// blendshape coefficients, how far each of the 468 canonical-mesh vertices
// moves (in the canonical mesh's centimetres) when that coefficient goes
// from 0 to 1. The renderer turns a coefficient change into landmark
// offsets with it: Δlandmarks = s R Σ_k Δe_k B_k.
//
// The shapes come from ICT-FaceKit (MIT licence), whose 53 ARKit-named
// expression meshes share one 26,719-vertex topology, and are transferred
// onto MediaPipe's topology by Build:
//
//  1. Align. A similarity transform (Umeyama's least-squares rotation,
//     uniform scale and translation) maps ICT's neutral face onto the
//     canonical mesh through 51 landmark correspondences: ICT lists 68
//     iBUG-300W landmark vertices, and a table (landmarks.go) gives the
//     MediaPipe vertex of each iBUG point. The 17 jaw-line points are left
//     out of the fit, because iBUG's jaw line is a 2-D silhouette that ICT
//     and MediaPipe put on different 3-D curves (residuals 0.9..3 cm);
//     the 51 inner points (brows, nose, eyes, lips) fit with a mean
//     residual of about 3 mm on a 15 cm wide face.
//  2. Refine (optional, Options.ICPIterations). A few trimmed ICP steps
//     re-fit the similarity to closest-point pairs between the canonical
//     vertices and ICT's face surface, with the landmark pairs kept in as
//     anchors carrying half the weight.
//  3. Project. Each canonical vertex is matched to the closest point on
//     ICT's face surface (the triangles among vertices 0..9408), found by
//     brute force with bounding-sphere early outs. Inner-lip vertices are
//     matched only onto the lip they belong to (upper-lip vertices onto
//     triangles the jawOpen shape leaves in place, lower-lip vertices onto
//     those it moves), so that the canonical mesh's slightly open mouth
//     cannot pin both lips to the same side of ICT's nearly closed one (a
//     guard: with ICT's generic neutral the unrestricted match already
//     lands on the right lips).
//  4. Sample. Each expression's displacement (shape minus neutral) is
//     interpolated at that point with the triangle's barycentric weights
//     and rotated and scaled by the alignment into canonical units.
//
// Names: ICT's "_L"/"_R" become MediaPipe's "Left"/"Right". Both mean the
// subject's own side: in ICT, landmark 45 (iBUG's left-eye outer corner)
// sits at x > 0 and eyeBlink_L closes the eye at x > 0; in the canonical
// mesh vertex 263 (MediaPipe's left-eye outer corner) is at x = +4.45 and
// MediaPipe's blendshape model answers a closed x > 0 eye with eyeBlinkLeft
// (checked by the tests). ICT splits browInnerUp and cheekPuff into halves,
// which are summed. The "_neutral" coefficient has a zero delta.
//
// The file format is described at Write; docs/BASIS.md has the details and
// the measured numbers.
package basis

import (
	"fmt"

	"github.com/nedstream/nedstream/models/blendshape"
)

// NumShapes is the number of coefficients (MediaPipe's 52, "_neutral" first).
const NumShapes = blendshape.Count

// NumVertices is the number of vertices of MediaPipe's canonical face mesh
// (and of FaceMesh's landmarks without the iris).
const NumVertices = 468

// Basis is the expression basis on the canonical mesh topology.
type Basis struct {
	// Names are the coefficient names, equal to blendshape.Names.
	Names [NumShapes]string
	// Deltas[k][v] is the displacement of canonical vertex v, in canonical
	// centimetres (x to the subject's left, y up, z toward the viewer),
	// when coefficient k goes from 0 to 1.
	Deltas [NumShapes][NumVertices][3]float32
	// Missing lists coefficients with no source shape (zero deltas),
	// "_neutral" excluded.
	Missing []string
}

// Index returns the position of the named coefficient, or -1.
func (b *Basis) Index(name string) int {
	for i, n := range b.Names {
		if n == name {
			return i
		}
	}
	return -1
}

// Displace adds Σ_k coeffs[k] * Deltas[k] to out (len(out) must be
// NumVertices and len(coeffs) NumShapes): the offsets, in canonical units,
// that a coefficient change moves the mesh by.
func (b *Basis) Displace(coeffs []float32, out [][3]float32) error {
	if len(coeffs) != NumShapes || len(out) != NumVertices {
		return fmt.Errorf("basis displace: %d coefficients and %d vertices, want %d and %d", len(coeffs), len(out), NumShapes, NumVertices)
	}
	for k, c := range coeffs {
		if c == 0 {
			continue
		}
		d := &b.Deltas[k]
		for v := range out {
			out[v][0] += c * d[v][0]
			out[v][1] += c * d[v][1]
			out[v][2] += c * d[v][2]
		}
	}
	return nil
}

// missing lists the non-neutral coefficients whose deltas are all zero.
func (b *Basis) missing() []string {
	var out []string
	for k := 1; k < NumShapes; k++ {
		zero := true
		for _, d := range b.Deltas[k] {
			if d != [3]float32{} {
				zero = false
				break
			}
		}
		if zero {
			out = append(out, b.Names[k])
		}
	}
	return out
}
