package nedfilter

// #include "nedfilter.h"
import "C"

import (
	"fmt"
	"github.com/nedstream/nedstream/models/manipulator"
	"github.com/nedstream/nedstream/models/ort"
	"time"

	"github.com/go-gst/go-glib/pkg/gobject/v2"
	"github.com/go-gst/go-gst/pkg/gst"

	"github.com/nedstream/nedstream/models/overlay"
	"github.com/nedstream/nedstream/plugin/internal/gprop"
)

// enumValue is a value of one of the element's GEnum types, so that
// GetProperty can hand it to GObject.
type enumValue struct {
	typ func() C.GType
	v   int32
}

// GoValueType implements gobject.GoValueInitializer.
func (e enumValue) GoValueType() gobject.Type { return gobject.Type(e.typ()) }

// SetGoValue implements gobject.GoValueInitializer.
func (e enumValue) SetGoValue(v *gobject.Value) { v.SetEnum(e.v) }

func overlayType() C.GType    { return C.ned_overlay_mode_get_type() }
func providerType() C.GType   { return C.ned_provider_get_type() }
func modelErrorType() C.GType { return C.ned_model_error_get_type() }
func emotionType() C.GType    { return C.ned_emotion_get_type() }

// property is one element property (see gprop.Property).
type property = gprop.Property[Settings]

const (
	rw      = gobject.ParamReadwrite
	mutable = gobject.ParamReadwrite | gst.ParamMutablePlaying
)

// properties lists the element's properties; their GObject ids are the
// positions in this list (plus one).
var properties = gprop.Table[Settings]{
	{
		Spec: func() *gobject.ParamSpec {
			return gobject.ParamSpecString("model-pack", "Model pack",
				"Directory of the face model pack (default: $"+ModelPackEnv+"). "+
					"Changing it while running reloads the models before the next frame",
				DefaultSettings().ModelPack, mutable)
		},
		Get: func(s *Settings) any { return s.ModelPack },
		Set: func(s *Settings, v any) string { s.ModelPack, _ = v.(string); return "" },
	},
	{
		Spec: func() *gobject.ParamSpec {
			return gobject.ParamSpecEnum("provider", "Execution provider",
				"onnxruntime execution provider; auto tries TensorRT, then CUDA, then CPU. "+
					"Changing it while running reloads the models",
				gobject.Type(providerType()), 0, mutable)
		},
		Get: func(s *Settings) any {
			for i, p := range providers {
				if p == s.Provider {
					return enumValue{providerType, int32(i)}
				}
			}
			return enumValue{providerType, 0}
		},
		Set: func(s *Settings, v any) string {
			i, _ := v.(int32)
			if i < 0 || int(i) >= len(providers) {
				return fmt.Sprintf("provider %d is out of range; keeping %s", i, s.Provider)
			}
			s.Provider = providers[i]
			return ""
		},
	},
	gprop.Int("device-id", "Device id",
		"GPU index for the TensorRT and CUDA providers", 0, maxDeviceID, 0, mutable, func(s *Settings) *int { return &s.DeviceID }),
	{
		Spec: func() *gobject.ParamSpec {
			return gobject.ParamSpecString("trt-cache-dir", "TensorRT cache directory",
				"Where TensorRT keeps the engines it builds (empty: no cache, every start rebuilds them)",
				"", mutable)
		},
		Get: func(s *Settings) any { return s.TRTCacheDir },
		Set: func(s *Settings, v any) string { s.TRTCacheDir, _ = v.(string); return "" },
	},
	{
		Spec: func() *gobject.ParamSpec {
			return gobject.ParamSpecBoolean("fp16", "FP16",
				"Let TensorRT build half-precision engines", false, mutable)
		},
		Get: func(s *Settings) any { return s.FP16 },
		Set: func(s *Settings, v any) string { s.FP16, _ = v.(bool); return "" },
	},
	gprop.Int("detect-interval", "Detect interval",
		"Run the face detector every N frames (1: every frame); tracking fills the frames between",
		minDetectInterval, maxDetectInterval, int32(DefaultSettings().DetectInterval), mutable, func(s *Settings) *int { return &s.DetectInterval }),
	gprop.Int("max-faces", "Maximum faces",
		"Most faces tracked at once", minMaxFaces, maxMaxFaces,
		int32(DefaultSettings().MaxFaces), mutable, func(s *Settings) *int { return &s.MaxFaces }),
	gprop.Double("min-face-confidence", "Minimum face confidence",
		"Detector score and landmark face-presence below which a face is dropped",
		0, 1, DefaultSettings().MinFaceConfidence, mutable, func(s *Settings) *float64 { return &s.MinFaceConfidence }),
	gprop.Double("smoothing", "Smoothing",
		"Strength of the landmark smoothing filter (0 disables it, 1 is strongest)",
		0, 1, DefaultSettings().Smoothing, mutable, func(s *Settings) *float64 { return &s.Smoothing }),
	{
		Spec: func() *gobject.ParamSpec {
			return gobject.ParamSpecEnum("overlay", "Overlay",
				"What to draw onto the frames that have faces (a debugging aid)",
				gobject.Type(overlayType()), int32(overlay.None), mutable)
		},
		Get: func(s *Settings) any { return enumValue{overlayType, int32(s.Overlay)} },
		Set: func(s *Settings, v any) string {
			i, _ := v.(int32)
			if i < int32(overlay.None) || i > int32(overlay.Axes) {
				return fmt.Sprintf("overlay %d is out of range; keeping %s", i, s.Overlay)
			}
			s.Overlay = overlay.Mode(i)
			return ""
		},
	},
	{
		Spec: func() *gobject.ParamSpec {
			return gobject.ParamSpecBoolean("analysis-only", "Analysis only",
				"Only analyse (metadata and messages) and never edit the picture, apart from the overlay; "+
					"false edits every face toward the emotion (needs a pack with the expression basis and manipulator)",
				DefaultSettings().AnalysisOnly, mutable)
		},
		Get: func(s *Settings) any { return s.AnalysisOnly },
		Set: func(s *Settings, v any) string { s.AnalysisOnly, _ = v.(bool); return "" },
	},
	{
		Spec: func() *gobject.ParamSpec {
			return gobject.ParamSpecUint("stats-interval", "Statistics interval",
				"Post a nedstream-stats element message (fps, mean per-stage times) every this many "+
					"milliseconds (0: never)", 0, maxStatsIntervalMs, 0, mutable)
		},
		Get: func(s *Settings) any { return uint32(s.StatsInterval / time.Millisecond) },
		Set: func(s *Settings, v any) string {
			ms, _ := v.(uint32)
			clamped := ms > maxStatsIntervalMs
			ms = min(ms, maxStatsIntervalMs)
			s.StatsInterval = time.Duration(ms) * time.Millisecond
			return gprop.ClampNote(clamped, "stats-interval", ms)
		},
	},
	{
		Spec: func() *gobject.ParamSpec {
			return gobject.ParamSpecEnum("on-model-error", "On model error",
				"What to do when the model pack cannot be loaded",
				gobject.Type(modelErrorType()), int32(ModelErrorWarning), mutable)
		},
		Get: func(s *Settings) any { return enumValue{modelErrorType, int32(s.OnModelError)} },
		Set: func(s *Settings, v any) string {
			i, _ := v.(int32)
			if i != int32(ModelErrorWarning) && i != int32(ModelErrorError) {
				return fmt.Sprintf("on-model-error %d is out of range; keeping %d", i, s.OnModelError)
			}
			s.OnModelError = ModelErrorPolicy(i)
			return ""
		},
	},
	{
		Spec: func() *gobject.ParamSpec {
			return gobject.ParamSpecEnum("emotion", "Emotion",
				"The emotion every face is moved toward (unless analysis-only); changes fade in over transition. "+
					"A loaded reference takes precedence, and face-overrides win for their faces",
				gobject.Type(emotionType()), int32(DefaultSettings().Emotion), mutable)
		},
		Get: func(s *Settings) any { return enumValue{emotionType, int32(s.Emotion)} },
		Set: func(s *Settings, v any) string {
			i, _ := v.(int32)
			if i < 0 || i >= manipulator.NumClasses {
				return fmt.Sprintf("emotion %d is out of range; keeping %s", i, s.Emotion)
			}
			s.Emotion = manipulator.Emotion(i)
			return ""
		},
	},
	gprop.Double("intensity", "Intensity",
		"How far faces are moved toward the emotion: 0 leaves them as they are, 1 is the full expression; "+
			"changes fade in over transition",
		0, 1, DefaultSettings().Intensity, mutable, func(s *Settings) *float64 { return &s.Intensity }),
	{
		Spec: func() *gobject.ParamSpec {
			return gobject.ParamSpecUint("transition", "Transition",
				"Milliseconds over which a change of emotion or intensity (and a newly found face) fades in (0: at once)",
				0, maxTransitionMs, uint(DefaultSettings().Transition/time.Millisecond), mutable)
		},
		Get: func(s *Settings) any { return uint32(s.Transition / time.Millisecond) },
		Set: func(s *Settings, v any) string {
			ms, _ := v.(uint32)
			clamped := ms > maxTransitionMs
			ms = min(ms, maxTransitionMs)
			s.Transition = time.Duration(ms) * time.Millisecond
			return gprop.ClampNote(clamped, "transition", ms)
		},
	},
	{
		Spec: func() *gobject.ParamSpec {
			return gobject.ParamSpecUint("lookahead", "Lookahead",
				"Hold every frame back this many frames and smooth the edit over a centred window of "+
					"2N+1 frames (0: causal, no added latency). Adds N frame durations of latency, "+
					"reported in the LATENCY query; end of stream and flushes release or drop the held frames",
				0, maxLookahead, 0, mutable)
		},
		Get: func(s *Settings) any { return uint32(s.Lookahead) },
		Set: func(s *Settings, v any) string {
			n, _ := v.(uint32)
			clamped := n > maxLookahead
			s.Lookahead = int(min(n, maxLookahead))
			return gprop.ClampNote(clamped, "lookahead", s.Lookahead)
		},
	},
	{
		Spec: func() *gobject.ParamSpec {
			return gobject.ParamSpecBoolean("preserve-speech", "Preserve speech",
				"Keep the lip-sync channels (jawOpen, mouthClose, mouthFunnel, mouthPucker, lip rolls, "+
					"presses, lip raise/lower, chin raise, lip stretch) following the source; false lets "+
					"the emotion drive them too, by the intensity (the mouth then follows the speech less)",
				DefaultSettings().PreserveSpeech, mutable)
		},
		Get: func(s *Settings) any { return s.PreserveSpeech },
		Set: func(s *Settings, v any) string { s.PreserveSpeech, _ = v.(bool); return "" },
	},
	{
		Spec: func() *gobject.ParamSpec {
			return gobject.ParamSpecString("face-overrides", "Face overrides",
				"Per-face targets by track id (nedstream-faces track-id): \"overrides, 1=sad:0.5, 3=happy\" "+
					"(EMOTION[:INTENSITY]; without an intensity the intensity property applies). "+
					"Changes fade in over transition; see also the set-face-override and "+
					"clear-face-overrides action signals",
				"", mutable)
		},
		Get: func(s *Settings) any { return s.Overrides.String() },
		Set: func(s *Settings, v any) string {
			text, _ := v.(string)
			o, err := ParseOverrides(text)
			if err != nil {
				return fmt.Sprintf("%v; keeping %q", err, s.Overrides.String())
			}
			s.Overrides = o
			return ""
		},
	},
	{
		Spec: func() *gobject.ParamSpec {
			return gobject.ParamSpecString("reference", "Reference",
				"A reference clip (any file GStreamer decodes) or a saved style (.json from `nedface style`) "+
					"whose expression style faces are moved toward; while set and loaded it takes precedence "+
					"over emotion (intensity still applies). Analysed in the background; until it is ready, "+
					"or if it fails (a warning), emotion applies. Empty: none",
				"", mutable)
		},
		Get: func(s *Settings) any { return s.Reference },
		Set: func(s *Settings, v any) string { s.Reference, _ = v.(string); return "" },
	},
	{
		Spec: func() *gobject.ParamSpec {
			return gobject.ParamSpecString("onnxruntime-lib", "onnxruntime library",
				"Path of the onnxruntime shared library to load, e.g. a GPU build with the TensorRT and CUDA "+
					"providers (default: $"+ort.LibraryEnv+", else the copy scripts/setup caches). "+
					"A process holds one onnxruntime: the first element to load its models decides",
				DefaultSettings().OnnxRuntimeLib, mutable)
		},
		Get: func(s *Settings) any { return s.OnnxRuntimeLib },
		Set: func(s *Settings, v any) string { s.OnnxRuntimeLib, _ = v.(string); return "" },
	},
	{
		Spec: func() *gobject.ParamSpec {
			return gobject.ParamSpecBoolean("iris-every-frame", "Iris every frame",
				"Run the iris model on both eyes every frame; by default a tracked face's eyes take turns "+
					"(each at half the frame rate, the other carried with its eye corners), which halves the iris cost "+
					"and only affects the eyeLook coefficients",
				DefaultSettings().IrisEveryFrame, mutable)
		},
		Get: func(s *Settings) any { return s.IrisEveryFrame },
		Set: func(s *Settings, v any) string { s.IrisEveryFrame, _ = v.(bool); return "" },
	},
}

// PropertyNames lists the element's properties in installation order.
func PropertyNames() []string { return properties.Names() }
