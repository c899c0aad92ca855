// Package render edits a face's expression in a frame by warping the frame.
//
// The renderer works in two steps:
//
//  1. TargetLandmarks moves the tracked landmarks by the expression basis:
//     target = landmarks + s R B (e_target - e_source), with s and R from the
//     tracked head pose and B the 52 expression shapes on the canonical mesh
//     (models/basis), flipped from MediaPipe's axes (y up, z toward the
//     viewer) into the pose's image-aligned axes exactly as pose.Pose.Apply
//     does.
//  2. Warper.Render warps the frame so that the face's source landmarks land
//     on the target landmarks: a piecewise-affine map over the canonical
//     mesh's triangles, with the mouth and eye openings closed by triangles
//     (if the mesh leaves them open) and an outer ring of fixed anchors
//     around the face oval, so the map is the identity at the ring. Every
//     destination pixel inside a target triangle samples the source frame
//     (a copy of the face's region, bilinear) at the corresponding point
//     (inverse mapping, triangle by triangle). The result is blended with the
//     original through a feathered mask that is 1 inside the face oval and
//     falls to 0 at the anchor ring, so pixels beyond the ring keep their
//     exact input values. When the target mouth is more open than the
//     source one, a mouth pass keeps the teeth with their lips and darkens
//     the revealed gap instead of stretching the source mouth.
//
// Triangles that are degenerate, folded or facing away in the target are
// skipped (their pixels keep the input) and triangles are drawn back to
// front, so odd landmarks (glasses, occlusions, turned heads) cannot tear
// the frame; landmarks the warp cannot use at all (non-finite, collapsed,
// a face oval folded over by a head turned past about 45 degrees) are
// refused with ErrGeometry and the frame is left alone.
// docs/RENDER.md has the details and the measured costs.
package render
