package nedfilter

import (
	"github.com/nedstream/nedstream/models/edit"
	"github.com/nedstream/nedstream/models/manipulator"
	"os"
	"time"

	"github.com/nedstream/nedstream/models/face"
	"github.com/nedstream/nedstream/models/ort"
	"github.com/nedstream/nedstream/models/overlay"
)

// ModelPackEnv names the environment variable that gives model-pack its default.
const ModelPackEnv = "NEDSTREAM_MODEL_PACK"

// ModelErrorPolicy says what the element does when the model pack cannot be loaded.
type ModelErrorPolicy int

const (
	// ModelErrorWarning posts a warning and passes the video through unchanged.
	ModelErrorWarning ModelErrorPolicy = iota
	// ModelErrorError posts an error, which stops the pipeline.
	ModelErrorError
)

// Property ranges and defaults (shared by the property specs and the clamping).
const (
	minDetectInterval, maxDetectInterval = 1, 1000
	minMaxFaces, maxMaxFaces             = 1, 16
	maxDeviceID                          = 64
	maxStatsIntervalMs                   = 3_600_000
	maxTransitionMs                      = 60_000
	maxLookahead                         = edit.MaxLookahead
)

// providers lists the provider enum in its GEnum order.
var providers = [...]ort.Provider{ort.Auto, ort.TensorRT, ort.CUDA, ort.CPU}

// Settings are the property values, guarded by Filter.settings. The
// streaming thread works on a copy taken once per frame.
type Settings struct {
	// Load-time settings: changing one reloads the engine.
	ModelPack string
	// OnnxRuntimeLib is the onnxruntime library to load ("" : ort.DefaultLibraryPath).
	OnnxRuntimeLib string
	Provider       ort.Provider
	DeviceID       int
	TRTCacheDir    string
	FP16           bool

	// Runtime settings: applied from the next frame.
	DetectInterval    int
	MaxFaces          int
	MinFaceConfidence float64
	Smoothing         float64
	Overlay           overlay.Mode
	AnalysisOnly      bool
	IrisEveryFrame    bool
	// Editing settings (used when AnalysisOnly is false).
	Emotion    manipulator.Emotion
	Intensity  float64
	Transition time.Duration
	// Lookahead holds each frame back this many frames to smooth the edit
	// over a centred window (0: causal, no added latency).
	Lookahead int
	// PreserveSpeech keeps the speech channels following the source.
	PreserveSpeech bool
	// Overrides are the per-face targets (face-overrides property and the
	// set-face-override signal). Never modified in place: a change
	// installs a new map, so snapshots may share it.
	Overrides Overrides
	// Reference is the reference clip or saved style ("" : none); when its
	// style is ready it takes precedence over Emotion.
	Reference     string
	StatsInterval time.Duration
	OnModelError  ModelErrorPolicy
}

// DefaultSettings returns the property defaults; model-pack comes from
// $NEDSTREAM_MODEL_PACK.
func DefaultSettings() Settings {
	cfg := face.DefaultConfig()
	return Settings{
		ModelPack:         os.Getenv(ModelPackEnv),
		OnnxRuntimeLib:    os.Getenv(ort.LibraryEnv),
		Provider:          ort.Auto,
		DetectInterval:    cfg.DetectInterval,
		MaxFaces:          cfg.MaxFaces,
		MinFaceConfidence: float64(cfg.MinFaceConfidence),
		Smoothing:         cfg.Smoothing,
		Overlay:           overlay.None,
		AnalysisOnly:      false,
		Emotion:           manipulator.Neutral,
		Intensity:         0.7,
		Transition:        300 * time.Millisecond,
		PreserveSpeech:    true,
		OnModelError:      ModelErrorWarning,
	}
}

// editSettings maps the editing settings to the editor's; ref is the
// reference style when one is ready (it then replaces the emotion).
func (s Settings) editSettings(ref *edit.Reference) edit.Settings {
	base := edit.Target{Mix: manipulator.OneHot(s.Emotion), Intensity: float32(s.Intensity)}
	if ref != nil {
		base = edit.Target{Ref: ref, Intensity: float32(s.Intensity)}
	}
	es := edit.Settings{Target: base, Transition: s.Transition, FreeSpeech: !s.PreserveSpeech}
	if len(s.Overrides) > 0 {
		es.Overrides = make(map[uint64]edit.Target, len(s.Overrides))
		for id, o := range s.Overrides {
			t := edit.Target{Mix: manipulator.OneHot(o.Emotion), Intensity: float32(s.Intensity)}
			if o.Intensity >= 0 {
				t.Intensity = float32(o.Intensity)
			}
			es.Overrides[id] = t
		}
	}
	return es
}

// loadKey is the part of Settings whose change needs a new engine.
type loadKey struct {
	ModelPack      string
	OnnxRuntimeLib string
	Provider       ort.Provider
	DeviceID       int
	TRTCacheDir    string
	FP16           bool
}

func (s Settings) loadKey() loadKey {
	return loadKey{s.ModelPack, s.OnnxRuntimeLib, s.Provider, s.DeviceID, s.TRTCacheDir, s.FP16}
}

// engineConfig maps the runtime settings to the engine's.
func (s Settings) engineConfig() face.Config {
	cfg := face.DefaultConfig()
	cfg.DetectInterval = s.DetectInterval
	cfg.MaxFaces = s.MaxFaces
	cfg.MinFaceConfidence = float32(s.MinFaceConfidence)
	cfg.Smoothing = s.Smoothing
	cfg.IrisEveryFrame = s.IrisEveryFrame
	return cfg
}
