// Package nedwhepsink is the nedwhepsink GStreamer element: a GstBaseSink
// that serves its encoded video (H.264 byte-stream/AU, VP8, VP9 or AV1 temporal units) to WebRTC
// viewers through a WHEP server (pipeline/webrtc/whep) fed by one fan-out
// broadcaster (pipeline/webrtc/fanout). Viewer joins and leaves are posted
// as "nedstream-whep-viewer" element messages; keyframe requests from the
// viewers go upstream as force-key-unit events.
//
// The element lives in the plugin library libgstnedstream.so (see ../), and
// a Go application registers it in its own process with RegisterStatic.
package nedwhepsink

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/go-gst/go-glib/pkg/gobject/v2"
	"github.com/go-gst/go-gst/pkg/gst"
	"github.com/go-gst/go-gst/pkg/gstbase"

	"github.com/nedstream/nedstream/pipeline/webrtc/fanout"
	"github.com/nedstream/nedstream/pipeline/webrtc/whep"
	"github.com/nedstream/nedstream/plugin/internal/encsink"
	"github.com/nedstream/nedstream/plugin/internal/gprop"
)

// ElementName is the factory name of the element.
const ElementName = "nedwhepsink"

// TypeName is the GType name of the element class.
const TypeName = "GstNedWhepSink"

// MessageName is the name of the element messages posted when a viewer
// joins or leaves (fields: event=joined|left, id, reason, remote-addr; a
// left message also carries the viewer's final statistics, see
// StatsMessageName).
const MessageName = "nedstream-whep-viewer"

// StatsMessageName is the name of the element messages posted every
// stats-interval for each connected viewer. Fields: id, remote-addr,
// bitrate (bit/s), fraction-lost (0..1), packets-lost, jitter-ms, rtt-ms
// (from the viewer's RTCP receiver reports), receiver-reports,
// packets-sent, bytes-sent, plis, firs, overflows, time-to-first-frame-ms.
const StatsMessageName = "nedstream-whep-stats"

// Caps are the sink pad caps.
const Caps = encsink.Caps

// AudioCaps are the caps of the optional "audio" request pad (Opus, sent
// on its own track).
const AudioCaps = encsink.AudioCaps

// Sink is one nedwhepsink instance. Settings are guarded by gprop.Values;
// the server state by stateMu (start/stop/set_caps/render and the server's
// callbacks).
type Sink struct {
	gstbase.BaseSinkInstance // parent, must be first

	settings gprop.Values[Settings]

	stateMu   sync.Mutex
	codec     fanout.Codec
	bc        *fanout.Broadcaster
	server    *whep.Server
	running   bool
	stopStats chan struct{} // closed to end the stats ticker
}

// categoryDescription describes the element's debug category.
const categoryDescription = "nedstream WHEP server sink"

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
			LongName: "Nedstream WHEP server sink",
			Description: "Serves H.264, VP8, VP9 or AV1 video (and Opus audio on an optional audio pad) to WebRTC viewers over WHEP " +
				"(one encode, fanned out to every viewer); posts " + MessageName + " and " + StatsMessageName +
				" messages and asks upstream for keyframes",
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

// Register registers nedwhepsink with plugin, as the plugin's init does. A
// nil plugin registers the element for this process only. gst.Init must
// have been called.
func Register(plugin gst.Plugin) bool {
	return gst.ElementRegister(plugin, ElementName, uint(gst.RankNone), elementType())
}

// RegisterStatic makes nedwhepsink available in this process without
// loading libgstnedstream.so (after gst.Init). Calling it again is harmless.
func RegisterStatic() bool {
	return Register(nil)
}

func (s *Sink) instanceInit() {
	s.settings.Reset(DefaultSettings())
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

// start checks the properties; the server starts at the first caps (the
// codec comes from them).
func (s *Sink) start() bool {
	if _, err := s.snapshot().serverOptions(); err != nil {
		s.elementError(encsink.ErrSettings, "Invalid nedwhepsink settings: "+err.Error(), err.Error())
		return false
	}
	s.stateMu.Lock()
	s.running = true
	s.stateMu.Unlock()
	return true
}

// stop closes the WHEP server (ending every session) and the broadcaster.
func (s *Sink) stop() bool {
	encsink.Detach(s)
	s.stateMu.Lock()
	server, bc := s.server, s.bc
	s.server, s.bc, s.codec, s.running = nil, nil, "", false
	if s.stopStats != nil {
		close(s.stopStats)
		s.stopStats = nil
	}
	s.stateMu.Unlock()
	if server != nil {
		if err := server.Close(); err != nil {
			s.log(encsink.LevelWarning, "closing the WHEP server: %v", err)
		}
	}
	if bc != nil {
		_ = bc.Close()
	}
	s.log(encsink.LevelInfo, "stopped")
	return true
}

func (s *Sink) setCaps(caps *gst.Caps) bool {
	codec, err := encsink.Codec(caps)
	if err != nil {
		s.elementError(encsink.ErrFormat, "nedwhepsink: "+err.Error(), err.Error())
		return false
	}
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	if s.server != nil {
		if s.codec == codec {
			return true
		}
		msg := fmt.Sprintf("codec changed from %s to %s while streaming", s.codec, codec)
		s.elementError(encsink.ErrFormat, "nedwhepsink: "+msg, msg)
		return false
	}
	return s.startServer(codec)
}

// startServer creates the broadcaster and the WHEP server; stateMu is held.
func (s *Sink) startServer(codec fanout.Codec) bool {
	set := s.snapshot()
	opts, err := set.serverOptions()
	if err != nil {
		s.elementError(encsink.ErrSettings, "Invalid nedwhepsink settings: "+err.Error(), err.Error())
		return false
	}
	audio := encsink.HasAudioPad(s)
	bc, err := fanout.New(fanout.Options{Video: codec, Audio: audio, OnKeyframeRequest: s.onKeyframeRequest})
	if err != nil {
		s.elementError(encsink.ErrFailed, "nedwhepsink: cannot create the broadcaster: "+err.Error(), err.Error())
		return false
	}
	opts.Broadcaster = bc
	opts.OnEvent = s.onEvent
	server, err := whep.New(opts)
	if err != nil {
		_ = bc.Close()
		s.elementError(encsink.ErrSettings, "Invalid nedwhepsink settings: "+err.Error(), err.Error())
		return false
	}
	addr, err := server.Listen()
	if err != nil {
		_ = server.Close()
		_ = bc.Close()
		text := fmt.Sprintf("nedwhepsink: cannot listen on %s: %v", set.Address, err)
		if errors.Is(err, syscall.EADDRINUSE) || strings.Contains(err.Error(), "address already in use") {
			text = fmt.Sprintf("nedwhepsink: address %s is already in use", set.Address)
		}
		s.elementError(encsink.ErrOpen, text, err.Error())
		return false
	}
	s.codec, s.bc, s.server = codec, bc, server
	if audio {
		encsink.Attach(s, bc, func(err error) { s.log(encsink.LevelWarning, "dropping an audio sample: %v", err) })
	}
	if set.StatsIntervalMs > 0 {
		s.stopStats = make(chan struct{})
		go s.postStats(server, time.Duration(set.StatsIntervalMs)*time.Millisecond, s.stopStats)
	}
	s.log(encsink.LevelInfo, "WHEP server for %s (audio: %v) on http://%s%s", codec, audio, addr, set.Path)
	return true
}

func (s *Sink) render(buf *gst.Buffer) gst.FlowReturn {
	s.stateMu.Lock()
	bc := s.bc
	s.stateMu.Unlock()
	return encsink.Render(s, category, ElementName, bc, buf)
}

// onKeyframeRequest runs on the fanout's limiter goroutine.
func (s *Sink) onKeyframeRequest(r fanout.KeyframeRequest) {
	s.stateMu.Lock()
	running := s.running
	s.stateMu.Unlock()
	if running {
		encsink.RequestKeyframe(s, category, r)
	}
}

// onEvent posts a viewer message; a leave carries the final statistics.
func (s *Sink) onEvent(e whep.Event) {
	event := "joined"
	var st *fanout.ViewerStats
	if e.Type == whep.EventLeave {
		event = "left"
		st = &e.Stats
	}
	encsink.PostMessage(s, MessageName, []encsink.Field{
		{Key: "event", Value: event}, {Key: "id", Value: e.SessionID},
		{Key: "reason", Value: e.Reason}, {Key: "remote-addr", Value: e.RemoteAddr},
	}, st)
}

// postStats posts a stats message per connected viewer every interval
// until stop is closed.
func (s *Sink) postStats(server *whep.Server, interval time.Duration, stop <-chan struct{}) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		for _, info := range server.Sessions() {
			if info.Connected {
				encsink.PostMessage(s, StatsMessageName, []encsink.Field{
					{Key: "id", Value: info.ID}, {Key: "remote-addr", Value: info.RemoteAddr},
				}, &info.Stats)
			}
		}
	}
}
