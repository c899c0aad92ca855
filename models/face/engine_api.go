package face

import (
	"fmt"

	"github.com/nedstream/nedstream/models/ort"
)

// Config holds the engine settings that may change while running.
type Config struct {
	// DetectInterval runs the detector every N frames (1: every frame), on
	// the first frame and on the frame after a track is lost; while nothing
	// is tracked, every ceil(N/4) frames.
	DetectInterval int
	// MaxFaces bounds the number of tracked faces.
	MaxFaces int
	// MinFaceConfidence is the detector score and landmark presence below
	// which a face is dropped (0..1).
	MinFaceConfidence float32
	// Smoothing is the strength of the One-Euro landmark filter, 0 (off) .. 1 (strong).
	Smoothing float64
	// Iris adds the 10 iris points (478 landmarks) from the iris model; when
	// off, the iris points are estimated from the eye contours (faster, less
	// accurate eye-gaze coefficients).
	Iris bool
	// IrisEveryFrame runs the iris model on both eyes every frame. By default
	// a tracked face's eyes take turns (each eye at half the frame rate, the
	// other eye's iris carried along with its eye corners), which keeps the
	// per-frame cost to one iris run beside FaceMesh on a second core; only
	// the eyeLook* coefficients see the difference.
	IrisEveryFrame bool
	// OcclusionFrames is how many consecutive frames a face that vanishes
	// away from the frame's border is kept (reported as Occluded) before its
	// track is dropped; 0 drops it at once. A face leaving through the border
	// is dropped at once.
	OcclusionFrames int
	// FrameRate is the nominal frame rate (for the smoothing filter's time
	// step when frames carry no timestamps); default 30.
	FrameRate float64
}

// DefaultConfig returns the defaults the element uses.
func DefaultConfig() Config {
	return Config{DetectInterval: 10, MaxFaces: 4, MinFaceConfidence: 0.5, Smoothing: 0.5, Iris: true, OcclusionFrames: 30, FrameRate: 30}
}

// Validate reports the first out-of-range setting.
func (c Config) Validate() error {
	switch {
	case c.DetectInterval < 1:
		return fmt.Errorf("detect interval %d: must be at least 1", c.DetectInterval)
	case c.MaxFaces < 1:
		return fmt.Errorf("max faces %d: must be at least 1", c.MaxFaces)
	case c.MinFaceConfidence < 0 || c.MinFaceConfidence > 1:
		return fmt.Errorf("min face confidence %g: must be in [0,1]", c.MinFaceConfidence)
	case c.Smoothing < 0 || c.Smoothing > 1:
		return fmt.Errorf("smoothing %g: must be in [0,1]", c.Smoothing)
	case c.OcclusionFrames < 0:
		return fmt.Errorf("occlusion frames %d: must not be negative", c.OcclusionFrames)
	case c.FrameRate < 0:
		return fmt.Errorf("frame rate %g: must not be negative", c.FrameRate)
	}
	return nil
}

// Options are the load-time settings of an engine.
type Options struct {
	// PackDir is the model pack directory (see models/pack).
	PackDir string
	// Session chooses the execution provider.
	Session ort.Options
}
