package nedfilter

// #include "nedfilter.h"
import "C"

import (
	"fmt"
	"github.com/nedstream/nedstream/models/edit"
	"log/slog"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/nedstream/nedstream/models/face"
	"github.com/nedstream/nedstream/models/ort"
	"github.com/nedstream/nedstream/models/raster"
)

// state is the runtime state of one running element (see Filter).
type state struct {
	engine *face.Engine
	// editor is the expression-editing stage; nil when the pack cannot
	// edit (then the element analyses only, having said why once).
	editor    *edit.Editor
	lastPTS   C.GstClockTime
	triangles [][3]int
	applied   face.Config // the config the engine runs with
	// loaded is the load key of the last load attempt (successful or not);
	// loadTried is false before start.
	loaded    loadKey
	loadTried bool

	// Negotiated frame layout (set_info).
	format        raster.Format
	width, height int
	fpsN, fpsD    int

	// queue holds the frames the lookahead keeps back (oldest first);
	// next is what transformFrame recorded for the buffer generate_output
	// is about to receive (hasNext: it recorded something).
	queue   []pending
	next    pending
	hasNext bool

	frames uint64 // frames seen since start

	faces     []C.NedFace               // reused per frame
	seen      []C.GstClockTime          // first-seen times, parallel to faces
	firstSeen map[uint64]C.GstClockTime // track id -> pts it was first seen at

	processErrors uint64
	lastErrorLog  time.Time
	warnedProcess bool
	stats         statsAccum
}

func (st *state) reset() {
	st.dropQueue()
	st.closeEngine()
	*st = state{firstSeen: map[uint64]C.GstClockTime{}}
}

func (st *state) closeEngine() {
	if st.editor != nil {
		_ = st.editor.Close()
		st.editor = nil
	}
	if st.engine != nil {
		_ = st.engine.Close()
		st.engine = nil
		st.triangles = nil
	}
}

// forgetTracks drops the tracks (after a flush, a new stream or new caps).
func (st *state) forgetTracks() {
	if st.engine != nil {
		st.engine.Reset()
	}
	if st.editor != nil {
		st.editor.Reset()
	}
	st.lastPTS = C.GST_CLOCK_TIME_NONE
	clear(st.firstSeen)
}

// openEngine loads the model pack named by s.
func openEngine(s Settings, logger *slog.Logger) (*face.Engine, error) {
	if s.ModelPack == "" {
		return nil, fmt.Errorf("no model pack given: set the model-pack property or $%s", ModelPackEnv)
	}
	fi, err := os.Stat(s.ModelPack)
	if err != nil {
		return nil, fmt.Errorf("model pack: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("model pack %s is not a directory", s.ModelPack)
	}
	if err := ort.Init(s.OnnxRuntimeLib); err != nil {
		return nil, fmt.Errorf("onnxruntime: %w", err)
	}
	eng, err := face.New(face.Options{PackDir: s.ModelPack, Session: sessionOptions(s, logger)}, s.engineConfig())
	if err != nil {
		return nil, fmt.Errorf("face engine: %w", err)
	}
	return eng, nil
}

// sessionOptions are the onnxruntime options the settings ask for.
func sessionOptions(s Settings, logger *slog.Logger) ort.Options {
	return ort.Options{
		Provider:    s.Provider,
		DeviceID:    s.DeviceID,
		TRTCacheDir: s.TRTCacheDir,
		FP16:        s.FP16,
		Logger:      logger,
	}
}

// describeProviders formats the engine's providers as "role=provider, ...".
func describeProviders(m map[string]ort.Provider) string {
	if len(m) == 0 {
		return "unknown providers"
	}
	parts := make([]string, 0, len(m))
	for role, p := range m {
		parts = append(parts, role+"="+string(p))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

// load (re)opens the engine for s; the caller holds stateMu. On failure it
// applies the on-model-error policy: with "warning" the element goes to
// passthrough and load returns true; with "error" it returns false after
// posting the error.
func (f *Filter) load(s Settings) bool {
	st := &f.state
	st.closeEngine()
	st.loaded, st.loadTried = s.loadKey(), true
	f.infof("loading model pack %q (provider %s, device %d)", s.ModelPack, s.Provider, s.DeviceID)
	start := time.Now()
	eng, err := openEngine(s, f.logger())
	if err != nil {
		C.ned_set_passthrough(f.element(), C.TRUE)
		fatal := s.OnModelError == ModelErrorError
		text := "Could not load the face models; passing video through unchanged"
		if fatal {
			text = "Could not load the face models"
		}
		f.warnf("%s: %v", text, err)
		f.postModelError(fatal, text, err.Error())
		return !fatal
	}
	st.engine = eng
	st.triangles = eng.Triangles()
	if ed, err := edit.Open(eng.Pack(), eng.Canonical(), sessionOptions(s, f.logger())); err != nil {
		f.warnf("expression editing unavailable, analysing only: %v", err)
		f.postWarning("Expression editing is unavailable; faces are analysed but not edited", err.Error())
	} else {
		st.editor = ed
		info := ed.Info()
		f.infof("expression editing ready: %s manipulator (T=%d, S=%d), %s, style encoder: %v", map[bool]string{true: "trained", false: "analytic"}[info.Trained], info.T, info.S,
			map[bool]string{true: "renderer model", false: "warp renderer"}[ed.HasRenderer()], ed.HasEncoder())
	}
	st.applied = s.engineConfig()
	st.forgetTracks()
	C.ned_set_passthrough(f.element(), C.FALSE)
	f.infof("model pack %q loaded in %v: %s", s.ModelPack, time.Since(start).Round(time.Millisecond),
		describeProviders(eng.Providers()))
	return true
}

func (f *Filter) start() bool {
	s := f.snapshot()
	f.stateMu.Lock()
	defer f.stateMu.Unlock()
	f.state.reset()
	f.debugf("starting")
	ok := f.load(s)
	f.state.stats.begin(time.Now()) // after the (possibly slow) load
	f.started.Store(true)
	if s.Reference != "" {
		f.loadReference(s)
	}
	return ok
}

func (f *Filter) stop() bool {
	f.started.Store(false)
	f.ref.cancel()
	f.stateMu.Lock()
	defer f.stateMu.Unlock()
	frames := f.state.frames
	f.state.reset()
	f.infof("stopped after %d frames", frames)
	return true
}
