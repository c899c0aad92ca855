package nedfilter

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/go-gst/go-gst/pkg/gst"

	"github.com/nedstream/nedstream/models/blendshape"
	"github.com/nedstream/nedstream/models/edit"
)

// Reference clips: the reference property names a clip or a saved style.
// A clip is analysed in the background by a private pipeline (decode,
// nedfilter analysis-only with one face, fakesink), never on the streaming
// thread; the streaming thread turns the coefficients into a style with the
// pack's style_encoder once they are ready, and keeps editing with the
// emotion property until then, or when loading fails (an element warning).

// MaxReferenceFrames bounds the frames of a reference clip that are analysed.
const MaxReferenceFrames = 150

// referenceTimeout bounds the analysis of a reference clip.
const referenceTimeout = 5 * time.Minute

// ReferenceCoefficients returns the per-frame expression coefficients of the
// most prominent face of a reference: a saved style file (.json, see
// edit.StyleFile) or a clip in any format GStreamer decodes (its first
// maxFrames frames are analysed, 0 or more than MaxReferenceFrames meaning
// MaxReferenceFrames, with the model pack modelPack and the onnxruntime
// library ortLib, "" for the default). GStreamer must be initialised and
// nedfilter registered.
func ReferenceCoefficients(ctx context.Context, path, modelPack, ortLib string, maxFrames int) ([][blendshape.Count]float32, error) {
	if maxFrames <= 0 || maxFrames > MaxReferenceFrames {
		maxFrames = MaxReferenceFrames
	}
	if strings.EqualFold(filepath.Ext(path), ".json") {
		sf, err := edit.ReadStyleFile(path)
		if err != nil {
			return nil, err
		}
		return sf.Coefficients, nil
	}
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("reference: %w", err)
	}
	if modelPack == "" {
		return nil, errors.New("reference: no model pack to analyse the clip with")
	}
	q := func(s string) string { return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"` }
	desc := fmt.Sprintf("filesrc location=%s ! decodebin3 ! videoflip video-direction=auto ! videoconvert ! "+
		"video/x-raw,format=BGRx ! identity eos-after=%d ! nedfilter name=refned analysis-only=true max-faces=1 "+
		"model-pack=%s onnxruntime-lib=%s ! fakesink sync=false", q(path), maxFrames, q(modelPack), q(ortLib))
	el, err := gst.ParseLaunch(desc)
	if err != nil {
		return nil, fmt.Errorf("reference %s: build the analysis pipeline: %w", path, err)
	}
	pipeline, ok := el.(gst.Pipeline)
	if !ok {
		return nil, fmt.Errorf("reference %s: the analysis description did not make a pipeline", path)
	}
	defer pipeline.SetState(gst.StateNull)
	if pipeline.SetState(gst.StatePlaying) == gst.StateChangeFailure {
		return nil, fmt.Errorf("reference %s: the analysis pipeline refused to play", path)
	}
	ctx, cancel := context.WithTimeout(ctx, referenceTimeout)
	defer cancel()
	bus := pipeline.GetBus()
	var rows [][blendshape.Count]float32
	var warnings []string
	for {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("reference %s: %w", path, err)
		}
		msg := bus.TimedPopFiltered(gst.ClockTime(100*time.Millisecond), gst.MessageEOS|gst.MessageError|gst.MessageWarning|gst.MessageElement)
		if msg == nil {
			continue
		}
		switch msg.Type() {
		case gst.MessageEOS:
			if len(rows) == 0 {
				extra := ""
				if len(warnings) > 0 {
					extra = " (" + strings.Join(warnings, "; ") + ")"
				}
				return nil, fmt.Errorf("reference %s: no face found in the clip%s", path, extra)
			}
			return rows, nil
		case gst.MessageError:
			debug, gerr := msg.ParseError()
			return nil, fmt.Errorf("reference %s: %v (%s)", path, gerr, debug)
		case gst.MessageWarning:
			debug, gerr := msg.ParseWarning()
			warnings = append(warnings, fmt.Sprintf("%v (%s)", gerr, debug))
		case gst.MessageElement:
			m, ok := ParseFacesMessage(msg.GetStructure())
			if !ok || len(m.Faces) == 0 {
				continue
			}
			best := -1
			for i, fc := range m.Faces {
				if !fc.Occluded && (best < 0 || fc.Box.W*fc.Box.H > m.Faces[best].Box.W*m.Faces[best].Box.H) {
					best = i
				}
			}
			if best >= 0 {
				rows = append(rows, m.Faces[best].Blendshapes)
			}
		}
	}
}

// refLoader loads the reference in the background and hands its style to
// the streaming thread.
type refLoader struct {
	mu     sync.Mutex
	gen    uint64
	stop   context.CancelFunc
	path   string
	rows   [][blendshape.Count]float32 // nil until ready
	failed bool

	// Owned by the streaming thread (under stateMu): the style made from
	// rows for one editor.
	madeGen uint64
	madeFor *edit.Editor
	made    *edit.Reference
}

// loadReference starts loading s.Reference (or clears it).
func (f *Filter) loadReference(s Settings) {
	r := &f.ref
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stop != nil {
		r.stop()
		r.stop = nil
	}
	r.gen++
	r.path, r.rows, r.failed = s.Reference, nil, false
	if s.Reference == "" {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.stop = cancel
	gen, path := r.gen, s.Reference
	f.infof("analysing reference %s in the background", path)
	go func() {
		start := time.Now()
		rows, err := ReferenceCoefficients(ctx, path, s.ModelPack, s.OnnxRuntimeLib, 0)
		r.mu.Lock()
		stale := gen != r.gen
		if !stale {
			r.rows, r.failed = rows, err != nil
		}
		r.mu.Unlock()
		switch {
		case stale:
		case err != nil:
			f.warnf("reference %s unusable, editing with the emotion property: %v", path, err)
			f.postWarning("Could not use the reference; editing with the emotion property instead", err.Error())
		default:
			f.infof("reference %s: %d frames with a face, analysed in %v", path, len(rows), time.Since(start).Round(time.Millisecond))
		}
	}()
}

// cancel stops a running analysis.
func (r *refLoader) cancel() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stop != nil {
		r.stop()
		r.stop = nil
	}
	r.gen++
}

// current returns the reference style for ed when one is ready (nil
// otherwise); called on the streaming thread with stateMu held.
func (r *refLoader) current(f *Filter, ed *edit.Editor) *edit.Reference {
	r.mu.Lock()
	gen, rows, path := r.gen, r.rows, r.path
	r.mu.Unlock()
	if rows == nil || ed == nil {
		return nil
	}
	if r.madeGen == gen && r.madeFor == ed {
		return r.made
	}
	r.madeGen, r.madeFor, r.made = gen, ed, nil
	sf := edit.NewStyleFile(path, rows)
	ref, err := ed.Reference(sf)
	if err != nil {
		f.warnf("reference %s unusable, editing with the emotion property: %v", path, err)
		f.postWarning("Could not use the reference; editing with the emotion property instead", err.Error())
		return nil
	}
	r.made = ref
	f.infof("editing toward the style of reference %s", path)
	return ref
}
