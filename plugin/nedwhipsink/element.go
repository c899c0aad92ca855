// Package nedwhipsink is the nedwhipsink GStreamer element: a GstBaseSink
// that publishes its encoded video (H.264 byte-stream/AU, VP8, VP9 or AV1 temporal units) to a WHIP
// ingest server (pipeline/webrtc/whip), reconnecting with backoff. Its
// progress is posted as "nedstream-whip-status" element messages; a 401/403
// from the server is an element error; keyframe requests from the server go
// upstream as force-key-unit events.
//
// The element lives in the plugin library libgstnedstream.so (see ../), and
// a Go application registers it in its own process with RegisterStatic.
package nedwhipsink

// #cgo pkg-config: gstreamer-1.0 gstreamer-base-1.0 gstreamer-video-1.0
// #include <stdlib.h>
// #include "nedwhipsink.h"
import "C"

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
	"unsafe"

	"github.com/go-gst/go-glib/pkg/gobject/v2"
	"github.com/go-gst/go-gst/pkg/gst"
	"github.com/go-gst/go-gst/pkg/gstbase"

	"github.com/nedstream/nedstream/pipeline/webrtc/fanout"
	"github.com/nedstream/nedstream/pipeline/webrtc/whip"
	"github.com/nedstream/nedstream/plugin/internal/encsink"
	"github.com/nedstream/nedstream/plugin/internal/gprop"
)

// ElementName is the factory name of the element.
const ElementName = "nedwhipsink"

// TypeName is the GType name of the element class.
const TypeName = "GstNedWhipSink"

// MessageName is the name of the element messages posted on the client's
// progress (fields: event=connected|disconnected|error, attempt, error,
// retry-ms).
const MessageName = "nedstream-whip-status"

// StatsMessageName is the name of the element messages posted every
// stats-interval while a session is connected. Fields: id, then the
// session's statistics as in nedwhepsink's stats messages (bitrate,
// fraction-lost, packets-lost, jitter-ms, rtt-ms from the server's RTCP
// receiver reports, receiver-reports, packets-sent, bytes-sent, plis,
// firs, overflows, time-to-first-frame-ms).
const StatsMessageName = "nedstream-whip-stats"

// Caps are the sink pad caps.
const Caps = encsink.Caps

// Sink is one nedwhipsink instance. Settings are guarded by gprop.Values;
// the client state by stateMu.
type Sink struct {
	gstbase.BaseSinkInstance // parent, must be first

	settings gprop.Values[Settings]

	stateMu sync.Mutex
	codec   fanout.Codec
	bc      *fanout.Broadcaster
	cancel  context.CancelFunc
	done    chan struct{}
	running bool
}

// categoryDescription describes the element's debug category.
const categoryDescription = "nedstream WHIP publisher sink"

var (
	typeOnce sync.Once
	gtype    gobject.Type
	// category is the element's debug category, created with the type.
	category encsink.Category
)

// elementType registers the GType once per process.
func elementType() gobject.Type {
	typeOnce.Do(func() {
		category = encsink.NewCategory(ElementName, categoryDescription)
		gtype = encsink.Class[*Sink]{
			TypeName: TypeName,
			LongName: "Nedstream WHIP publisher sink",
			Description: "Publishes H.264, VP8, VP9 or AV1 video (and Opus audio on an optional audio pad) to a WHIP server over WebRTC, " +
				"reconnecting with backoff; " +
				"posts " + MessageName + " and " + StatsMessageName + " messages and asks upstream for keyframes",
			InstallProperties: properties.Install,
			InstanceInit:      (*Sink).instanceInit,
			SetProperty:       (*Sink).setProperty,
			GetProperty:       (*Sink).getProperty,
			Start:             (*Sink).start,
			Stop:              (*Sink).stop,
			SetCaps:           (*Sink).setCaps,
			Render:            (*Sink).render,
		}.Register()
	})
	return gtype
}

// Register registers nedwhipsink with plugin, as the plugin's init does. A
// nil plugin registers the element for this process only. gst.Init must
// have been called.
func Register(plugin gst.Plugin) bool {
	return gst.ElementRegister(plugin, ElementName, uint(gst.RankNone), elementType())
}

// RegisterStatic makes nedwhipsink available in this process without
// loading libgstnedstream.so (after gst.Init). Calling it again is harmless.
func RegisterStatic() bool {
	return Register(nil)
}

func (s *Sink) instanceInit() {
	s.settings.Reset(DefaultSettings())
}

func (s *Sink) element() *C.GstElement {
	return (*C.GstElement)(gobject.UnsafeObjectToGlibNone(s))
}

func (s *Sink) log(level encsink.Level, format string, args ...any) {
	category.Log(s, level, format, args...)
}

func (s *Sink) elementError(kind encsink.ErrorKind, text string, debug string) {
	encsink.PostError(s, kind, text, debug)
}

func (s *Sink) setProperty(id uint, value any, pspec *gobject.ParamSpec) {
	_, _, note, err := s.settings.Set(properties, id, value)
	if err != nil {
		s.log(encsink.LevelWarning, "ignoring property %s: %v", pspec.Name(), err)
	} else if note != "" {
		s.log(encsink.LevelWarning, "%s", note)
	}
}

func (s *Sink) getProperty(id uint, pspec *gobject.ParamSpec) any {
	return s.settings.Get(properties, id)
}

func (s *Sink) snapshot() Settings {
	return s.settings.Snapshot()
}

// start checks the properties; publishing starts at the first caps.
func (s *Sink) start() bool {
	if _, err := s.snapshot().clientOptions(); err != nil {
		s.elementError(encsink.ErrSettings, "Invalid nedwhipsink settings: "+err.Error(), err.Error())
		return false
	}
	s.stateMu.Lock()
	s.running = true
	s.stateMu.Unlock()
	return true
}

// stopWait bounds how long stop waits for the client's DELETE.
const stopWait = 5 * time.Second

// stop ends the publication (DELETE of the session) and the broadcaster.
func (s *Sink) stop() bool {
	encsink.Detach(s)
	s.stateMu.Lock()
	cancel, done, bc := s.cancel, s.done, s.bc
	s.cancel, s.done, s.bc, s.codec, s.running = nil, nil, nil, "", false
	s.stateMu.Unlock()
	if cancel != nil {
		cancel()
		select {
		case <-done:
		case <-time.After(stopWait):
			s.log(encsink.LevelWarning, "the WHIP client did not stop within %v", stopWait)
		}
	}
	if bc != nil {
		_ = bc.Close()
	}
	return true
}

func (s *Sink) setCaps(caps *gst.Caps) bool {
	codec, err := encsink.Codec(caps)
	if err != nil {
		s.elementError(encsink.ErrFormat, "nedwhipsink: "+err.Error(), err.Error())
		return false
	}
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	if s.bc != nil {
		if s.codec == codec {
			return true
		}
		msg := fmt.Sprintf("codec changed from %s to %s while streaming", s.codec, codec)
		s.elementError(encsink.ErrFormat, "nedwhipsink: "+msg, msg)
		return false
	}
	set := s.snapshot()
	opts, err := set.clientOptions()
	if err != nil {
		s.elementError(encsink.ErrSettings, "Invalid nedwhipsink settings: "+err.Error(), err.Error())
		return false
	}
	audio := encsink.HasAudioPad(s)
	bc, err := fanout.New(fanout.Options{Video: codec, Audio: audio, OnKeyframeRequest: s.onKeyframeRequest})
	if err != nil {
		s.elementError(encsink.ErrFailed, "nedwhipsink: cannot create the broadcaster: "+err.Error(), err.Error())
		return false
	}
	opts.Broadcaster = bc
	opts.OnEvent = s.onEvent
	client, err := whip.New(opts)
	if err != nil {
		_ = bc.Close()
		s.elementError(encsink.ErrSettings, "Invalid nedwhipsink settings: "+err.Error(), err.Error())
		return false
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := client.Run(ctx); err != nil {
			if errors.Is(err, whip.ErrUnauthorized) {
				s.elementError(encsink.ErrNotAuthorized, "nedwhipsink: the WHIP server refused the token: "+err.Error(), err.Error())
			} else {
				s.elementError(encsink.ErrFailed, "nedwhipsink: "+err.Error(), err.Error())
			}
		}
	}()
	if set.StatsIntervalMs > 0 {
		go s.postStats(client, time.Duration(set.StatsIntervalMs)*time.Millisecond, ctx.Done())
	}
	s.codec, s.bc, s.cancel, s.done = codec, bc, cancel, done
	if audio {
		encsink.Attach(s, bc, func(err error) { s.log(encsink.LevelWarning, "dropping an audio sample: %v", err) })
	}
	s.log(encsink.LevelInfo, "publishing %s (audio: %v) to %s", codec, audio, opts.URL)
	return true
}

func (s *Sink) render(buf *gst.Buffer) gst.FlowReturn {
	s.stateMu.Lock()
	bc := s.bc
	s.stateMu.Unlock()
	return encsink.Render(s, category, ElementName, bc, buf)
}

func (s *Sink) onKeyframeRequest(r fanout.KeyframeRequest) {
	s.stateMu.Lock()
	running := s.running
	s.stateMu.Unlock()
	if running {
		encsink.RequestKeyframe(s, category, r)
	}
}

// onEvent posts a status message.
func (s *Sink) onEvent(e whip.Event) {
	msg := ""
	if e.Err != nil {
		msg = e.Err.Error()
	}
	ce, cm := C.CString(string(e.Type)), C.CString(msg)
	defer C.free(unsafe.Pointer(ce))
	defer C.free(unsafe.Pointer(cm))
	C.ned_whip_status_message(s.element(), ce, C.int(e.Attempt), cm, C.guint64(e.Retry.Milliseconds()))
}

// postStats posts a stats message every interval while a session is
// connected, until stop is closed.
func (s *Sink) postStats(client *whip.Client, interval time.Duration, stop <-chan struct{}) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		if st := client.Stats(); st.Connected {
			encsink.PostMessage(s, StatsMessageName, []encsink.Field{{Key: "id", Value: st.ID}}, &st)
		}
	}
}
