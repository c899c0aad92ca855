// Package nedfilter is the nedfilter GStreamer element: a GstVideoFilter that
// runs the face engine (models/face) on every frame in place, attaches
// GstAnalytics object-detection and tracking metadata for the faces it finds,
// posts a "nedstream-faces" element message per frame with faces (and a
// "nedstream-stats" message at the stats-interval), and can draw an overlay.
//
// The element lives in the plugin library libgstnedstream.so (see ../), and
// a Go application registers it in its own process with RegisterStatic
// (one Go runtime per process: a Go program must not load the library).
package nedfilter

// #cgo pkg-config: gstreamer-1.0 gstreamer-base-1.0 gstreamer-video-1.0 gstreamer-analytics-1.0
// #include "nedfilter.h"
import "C"

import (
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/go-gst/go-glib/pkg/gobject/v2"
	"github.com/go-gst/go-gst/pkg/gst"
	"github.com/go-gst/go-gst/pkg/gstbase"
	"github.com/go-gst/go-gst/pkg/gstvideo"

	"github.com/nedstream/nedstream/plugin/internal/gprop"
)

// ElementName is the factory name of the element.
const ElementName = "nedfilter"

// TypeName is the GType name of the element class.
const TypeName = "GstNedFilter"

// Caps are the pad caps: packed 8-bit RGB formats with 4 bytes per pixel.
const Caps = "video/x-raw, format=(string){ RGBA, RGBx, BGRA, BGRx }, " +
	"width=(int)[ 1, 32767 ], height=(int)[ 1, 32767 ], framerate=(fraction)[ 0/1, 2147483647/1 ]"

// Filter is one nedfilter instance. Settings (the properties) may change
// from any thread (gprop.Values guards them); state is touched by the
// streaming thread and by start/stop, which GStreamer never runs concurrently
// with streaming, and is guarded by stateMu for the rare exceptions.
type Filter struct {
	gstvideo.VideoFilterInstance // parent, must be first

	settings gprop.Values[Settings]

	stateMu sync.Mutex
	state   state

	// ref is the reference style loader (reference property); started
	// says whether the element is between start and stop.
	ref     refLoader
	started atomic.Bool
}

var (
	typeOnce sync.Once
	gtype    gobject.Type
)

// elementType registers the GType once per process.
func elementType() gobject.Type {
	typeOnce.Do(func() {
		initC()
		gtype = gstvideo.RegisterVideoFilterSubClass[*Filter](
			TypeName,
			classInit,
			nil,
			gstvideo.VideoFilterOverrides[*Filter]{
				BaseTransformOverrides: gstbase.BaseTransformOverrides[*Filter]{
					ElementOverrides: gst.ElementOverrides[*Filter]{
						ObjectOverrides: gst.ObjectOverrides[*Filter]{
							InitiallyUnownedOverrides: gobject.InitiallyUnownedOverrides[*Filter]{
								ObjectOverrides: gobject.ObjectOverrides[*Filter]{
									InstanceInit: (*Filter).instanceInit,
									SetProperty:  (*Filter).setProperty,
									GetProperty:  (*Filter).getProperty,
									Finalize:     (*Filter).finalize,
								},
							},
						},
					},
					Start: (*Filter).start,
					Stop:  (*Filter).stop,
				},
				// transform_frame_ip, set_info and sink_event are set in C by
				// classInit (ned_class_setup): they run per frame or per event and
				// must not allocate Go wrappers (or log) each time.
			},
			nil,
		)
	})
	return gtype
}

// Register registers nedfilter with plugin, as the plugin's init does. A nil
// plugin registers the element for this process only (see RegisterStatic).
// gst.Init must have been called.
func Register(plugin gst.Plugin) bool {
	return gst.ElementRegister(plugin, ElementName, uint(gst.RankNone), elementType())
}

// RegisterStatic makes nedfilter available to gst.ElementFactoryMake and
// gst.ParseLaunch in this process, without loading libgstnedstream.so; Go
// applications use it (after gst.Init). Calling it again is harmless.
func RegisterStatic() bool {
	return Register(nil)
}

func classInit(class *gstvideo.VideoFilterClass) {
	C.ned_class_setup((*C.GstVideoFilterClass)(gstvideo.UnsafeVideoFilterClassToGlibNone(class)))

	ec := class.ParentClass().ParentClass()
	// SetMetadata, not SetStaticMetadata: the latter frees strings GStreamer keeps.
	ec.SetMetadata(
		"Nedstream face analysis",
		"Filter/Analyzer/Video",
		"Finds, tracks and measures faces (landmarks, 52 expression coefficients, head pose); "+
			"attaches GstAnalytics metadata and posts nedstream-faces messages",
		"nedstream project",
	)
	for _, dir := range []gst.PadDirection{gst.PadSink, gst.PadSrc} {
		name := "sink"
		if dir == gst.PadSrc {
			name = "src"
		}
		ec.AddPadTemplate(gst.NewPadTemplate(name, dir, gst.PadAlways, gst.CapsFromString(Caps)))
	}

	properties.Install(ec.ParentClass().ParentClass().ParentClass())
}

func (f *Filter) instanceInit() {
	f.settings.Reset(DefaultSettings())
	f.state.reset()
}

func (f *Filter) finalize() {
	f.ref.cancel()
	f.stateMu.Lock()
	f.state.closeEngine()
	f.stateMu.Unlock()
}

// element returns the C element pointer.
func (f *Filter) element() *C.GstElement {
	return (*C.GstElement)(gobject.UnsafeObjectToGlibNone(f))
}

func (f *Filter) setProperty(id uint, value any, pspec *gobject.ParamSpec) {
	before, after, note, err := f.settings.Set(properties, id, value)
	if err != nil {
		f.warnf("ignoring property %s: %v", pspec.Name(), err)
		return
	}
	if before.Lookahead != after.Lookahead {
		// Downstream recomputes the pipeline latency.
		C.ned_post_latency(f.element())
	}
	if after.Lookahead > before.Lookahead {
		// Upstream may renegotiate its pool for the buffers now held.
		C.ned_reconfigure_sink(f.element())
	}
	if before.Reference != after.Reference && f.started.Load() {
		f.loadReference(after)
	}
	if note != "" {
		f.warnf("%s", note)
	} else {
		f.debugf("property %s set to %v", pspec.Name(), value)
	}
}

func (f *Filter) getProperty(id uint, pspec *gobject.ParamSpec) any {
	return f.settings.Get(properties, id)
}

// snapshot returns a copy of the settings.
func (f *Filter) snapshot() Settings {
	return f.settings.Snapshot()
}

// lookup finds the Go instance of a C nedfilter pointer.
func lookup(p unsafe.Pointer) *Filter {
	return gobject.UnsafeObjectFromGlibBorrow(p).UnsafeLoadInstanceFromPrivateData().(*Filter)
}
