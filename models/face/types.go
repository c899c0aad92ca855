// Package face strings the models together into the per-frame face engine:
// detection, tracking, landmarks (+ iris), blendshapes and head pose.
package face

import (
	"time"

	"github.com/nedstream/nedstream/models/blendshape"
	"github.com/nedstream/nedstream/models/pose"
	"github.com/nedstream/nedstream/models/raster"
)

// Point3 is a landmark in frame pixels; Z is depth in the same pixel scale
// (smaller is nearer the camera), relative to the face centre.
type Point3 struct{ X, Y, Z float32 }

// Rect is an axis-aligned box in frame pixels.
type Rect struct{ X, Y, W, H float32 }

// Pose is the head pose from the fit of the canonical face mesh to the
// landmarks (see models/pose).
type Pose = pose.Pose

// Face is one tracked face in one frame.
type Face struct {
	// TrackID stays the same while the face is tracked (starts at 1).
	TrackID uint64
	// Box bounds the landmarks.
	Box Rect
	// Score is the landmark model's face-presence probability.
	Score float32
	// Landmarks holds 468 FaceMesh points, or 478 with the iris (468..477).
	Landmarks []Point3
	// Blendshapes are the 52 expression coefficients in blendshape.Names order.
	Blendshapes [blendshape.Count]float32
	// Pose is the fitted head pose.
	Pose Pose
	// Age counts the frames the track has lived.
	Age int
	// Occluded is true while the face is tracked through an occlusion (a
	// hand in front, motion blur): the landmark model no longer sees a face
	// where the face was, so Landmarks, Blendshapes and Pose hold their last
	// good values and Score is the current (low) presence. Editing should
	// leave such a face alone.
	Occluded bool
}

// Timings are the per-stage wall times of one Process call.
type Timings struct {
	Detect, Landmarks, Iris, Blendshapes, Pose, Total time.Duration
}

// Result is what the engine found in one frame.
type Result struct {
	Faces []Face
	// Detected reports whether the detector ran on this frame.
	Detected bool
	Timings  Timings
}

// Image is re-exported for convenience: the frame type the engine reads.
type Image = raster.Image
