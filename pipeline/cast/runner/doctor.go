package runner

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-gst/go-gst/pkg/gst"

	"github.com/nedstream/nedstream/models/ort"
	"github.com/nedstream/nedstream/models/pack"
	"github.com/nedstream/nedstream/pipeline/cast"
)

// Check is one line of `nedcast doctor`.
type Check struct {
	Name   string
	OK     bool
	Detail string
	// Fix says what to do when !OK.
	Fix string
	// Warning marks a problem that does not stop nedcast (e.g. no virtual
	// camera module when --vcam is not used).
	Warning bool
}

// DoctorOptions say what to check.
type DoctorOptions struct {
	// ModelPack is the pack to check ("" : $NEDSTREAM_MODEL_PACK).
	ModelPack string
	// VCam makes a missing v4l2loopback a problem rather than a warning.
	VCam bool
}

// element, the Debian package that ships it.
var doctorElements = [][2]string{
	{"filesrc", "gstreamer1.0 (core)"}, {"tee", "gstreamer1.0 (core)"}, {"queue", "gstreamer1.0 (core)"},
	{"clocksync", "gstreamer1.0 (core)"},
	{"decodebin3", "gstreamer1.0-plugins-base"}, {"uridecodebin3", "gstreamer1.0-plugins-base"},
	{"videoconvert", "gstreamer1.0-plugins-base"}, {"videoscale", "gstreamer1.0-plugins-base"},
	{"videorate", "gstreamer1.0-plugins-base"}, {"videotestsrc", "gstreamer1.0-plugins-base"},
	{"appsrc", "gstreamer1.0-plugins-base"}, {"opusenc", "gstreamer1.0-plugins-base"}, {"opusdec", "gstreamer1.0-plugins-base"},
	{"audioconvert", "gstreamer1.0-plugins-base"}, {"audioresample", "gstreamer1.0-plugins-base"},
	{"audiotestsrc", "gstreamer1.0-plugins-base"}, {"audiomixer", "gstreamer1.0-plugins-base"},
	{"videoflip", "gstreamer1.0-plugins-good"}, {"imagefreeze", "gstreamer1.0-plugins-good"},
	{"mp4mux", "gstreamer1.0-plugins-good"}, {"matroskamux", "gstreamer1.0-plugins-good"},
	{"v4l2src", "gstreamer1.0-plugins-good"}, {"v4l2sink", "gstreamer1.0-plugins-good"},
	{"autovideosink", "gstreamer1.0-plugins-good"}, {"rtpjitterbuffer", "gstreamer1.0-plugins-good"},
	{"rtph264depay", "gstreamer1.0-plugins-good"}, {"rtpopusdepay", "gstreamer1.0-plugins-good"},
	{"h264parse", "gstreamer1.0-plugins-bad"}, {"watchdog", "gstreamer1.0-plugins-bad"}, {"x264enc", "gstreamer1.0-plugins-ugly"},
	{"avdec_h264", "gstreamer1.0-libav"},
	{"nedfilter", "this project (elements.RegisterStatic)"}, {"nedwhepsink", "this project"}, {"nedwhipsink", "this project"},
}

// Doctor checks the installation: GStreamer, the elements nedcast uses,
// onnxruntime and its providers, the model pack and v4l2loopback.
func Doctor(o DoctorOptions) []Check {
	var out []Check
	add := func(c Check) { out = append(out, c) }

	if err := Init(); err != nil {
		add(Check{Name: "nedstream elements", Detail: err.Error(), Fix: "run nedcast from a clean environment (it must not load libgstnedstream.so)"})
	}
	major, minor, micro, _ := gst.Version()
	ver := fmt.Sprintf("%d.%d.%d", major, minor, micro)
	add(Check{Name: "GStreamer", OK: major > 1 || (major == 1 && minor >= 26), Detail: ver,
		Fix: "GStreamer >= 1.26 is needed: use Debian 13 or newer, or run through scripts/gst-env (make setup builds its root)"})

	var missing []string
	for _, e := range doctorElements {
		if !factoryExists(e[0]) {
			missing = append(missing, fmt.Sprintf("%s (%s)", e[0], e[1]))
		}
	}
	if len(missing) == 0 {
		add(Check{Name: "GStreamer elements", OK: true, Detail: fmt.Sprintf("all %d present", len(doctorElements))})
	} else {
		add(Check{Name: "GStreamer elements", Detail: "missing: " + strings.Join(missing, ", "),
			Fix: "install the packages named (apt-get install ...); `make setup` installs them all"})
	}
	add(Check{Name: "WebRTC audio", OK: factoryHasAudioSink("nedwhepsink") && factoryHasAudioSink("nedwhipsink"), Warning: true,
		Detail: "nedwhepsink/nedwhipsink audio pads", Fix: "this build's WebRTC sinks take video only: audio is recorded but not sent to viewers"})

	lib := ort.DefaultLibraryPath()
	if err := ort.Init(""); err != nil {
		add(Check{Name: "onnxruntime", Detail: err.Error(), Fix: "run `make setup` (caches onnxruntime 1.30.0) or set ONNXRUNTIME_LIB to libonnxruntime.so"})
	} else {
		lib = ort.LibraryPath()
		add(Check{Name: "onnxruntime", OK: true, Detail: fmt.Sprintf("%s (version %s)", lib, ort.Version())})
		dir := filepath.Dir(lib)
		var providers []string
		for _, p := range []string{"cuda", "tensorrt"} {
			if Exists(filepath.Join(dir, "libonnxruntime_providers_"+p+".so")) {
				providers = append(providers, p)
			}
		}
		if len(providers) == 0 {
			add(Check{Name: "onnxruntime providers", OK: true, Detail: "CPU only (no CUDA/TensorRT provider libraries beside " + lib + ")"})
		} else {
			add(Check{Name: "onnxruntime providers", OK: true, Detail: "CPU, " + strings.Join(providers, ", ") + " (provider=auto tries them first)"})
		}
	}

	dir := o.ModelPack
	if dir == "" {
		dir = os.Getenv("NEDSTREAM_MODEL_PACK")
	}
	if dir == "" {
		add(Check{Name: "model pack", Detail: "none given", Fix: "pass --model-pack DIR or set NEDSTREAM_MODEL_PACK; build one with `go run ./models/cmd/nedpack build --from UPSTREAM --out out/pack`"})
	} else if p, err := pack.Load(dir, pack.RequiredRoles...); err != nil {
		add(Check{Name: "model pack", Detail: err.Error(), Fix: "rebuild it: `go run ./models/cmd/nedpack build --from UPSTREAM --out " + dir + "`"})
	} else if err := p.CheckModels(); err != nil {
		add(Check{Name: "model pack", Detail: err.Error(), Fix: "rebuild it: `go run ./models/cmd/nedpack build --from UPSTREAM --out " + dir + "`"})
	} else {
		edit := "analysis and editing"
		if _, err := pack.Load(dir, pack.EditingRoles...); err != nil {
			edit = "analysis only (no editing models: faces are not edited)"
		}
		add(Check{Name: "model pack", OK: true, Detail: dir + ": " + edit})
	}

	loaded, devs := cast.LoopbackDevices()
	switch {
	case len(devs) > 0:
		add(Check{Name: "v4l2loopback", OK: true, Detail: "devices: " + strings.Join(devs, ", ")})
	case loaded:
		add(Check{Name: "v4l2loopback", Warning: !o.VCam, Detail: "module loaded, no device found", Fix: cast.LoopbackHelp})
	default:
		add(Check{Name: "v4l2loopback", Warning: !o.VCam, Detail: "module not loaded (needed for --vcam only)",
			Fix: "install v4l2loopback-dkms, then " + cast.LoopbackHelp})
	}
	return out
}
