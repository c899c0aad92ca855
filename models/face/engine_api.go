package face

import "github.com/nedstream/nedstream/models/ort"

// Config holds the engine settings that may change while running.
type Config struct {
	// DetectInterval runs the detector every N frames (1: every frame);
	// it also runs whenever a track is lost or fewer than MaxFaces are tracked
	// and the interval has passed.
	DetectInterval int
	// MaxFaces bounds the number of tracked faces.
	MaxFaces int
	// MinFaceConfidence is the detector score and landmark presence below
	// which a face is dropped (0..1).
	MinFaceConfidence float32
	// Smoothing is the strength of the One-Euro landmark filter, 0 (off) .. 1 (strong).
	Smoothing float64
	// Iris adds the 10 iris points (478 landmarks); needed for blendshapes.
	Iris bool
}

// DefaultConfig returns the defaults the element uses.
func DefaultConfig() Config {
	return Config{DetectInterval: 10, MaxFaces: 4, MinFaceConfidence: 0.5, Smoothing: 0.5, Iris: true}
}

// Options are the load-time settings of an engine.
type Options struct {
	// PackDir is the model pack directory (see models/pack).
	PackDir string
	// Session chooses the execution provider.
	Session ort.Options
}
