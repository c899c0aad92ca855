// Package mediaprobe tells what a media file or URI holds (its video and
// audio streams, their sizes and its duration) by prerolling it in a small
// private pipeline: uridecodebin with a fakesink on every stream.
//
// uridecodebin (decodebin2), not uridecodebin3, because decodebin2 exposes
// all pads of a stream group together, while their data is still blocked,
// and then signals no-more-pads: every fakesink is in place before any of
// them can preroll. decodebin3 exposes streams one by one, so on a busy
// machine the audio sink could preroll (ASYNC_DONE) before the video pad
// even appeared, and the probe reported an audio-only file.
//
// It does the job of GstDiscoverer, written here because go-gst v0.0.2's
// gstpbutils package calls gst_encoding_profile_get_type() in its Go init,
// before gst_init, and so prints three GLib-CRITICAL lines at the start of
// every program that merely imports it.
package mediaprobe

import (
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/go-gst/go-gst/pkg/gst"
)

// Stream is one decoded stream of the input.
type Stream struct {
	// Kind is "video", "audio", "text" or "other" (from the decoded caps).
	Kind string
	// Caps is the decoded caps, e.g. video/x-raw,width=640,...
	Caps string
	// Width and Height are the video size in pixels (0 for audio).
	Width, Height int
}

// Info is what Probe learnt.
type Info struct {
	// Duration of the input; 0 when unknown (a live or endless source).
	Duration time.Duration
	// Live is true for a live source (one that does not preroll: udp://,
	// rtsp://, srt://).
	Live bool
	// Streams in the order the decoder exposed them.
	Streams []Stream
}

// Count returns how many streams of the kind ("video", "audio") the input has.
func (i Info) Count(kind string) int {
	n := 0
	for _, s := range i.Streams {
		if s.Kind == kind {
			n++
		}
	}
	return n
}

// FileURI turns a local path into a file:// URI.
func FileURI(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("file uri for %s: %w", path, err)
	}
	return (&url.URL{Scheme: "file", Path: abs}).String(), nil
}

// Probe prerolls uri and reports its streams and duration. A live source
// (one that cannot preroll) is played instead until every stream has caps.
// It gives up after timeout. gst.Init must have been called.
func Probe(uri string, timeout time.Duration) (Info, error) {
	if timeout <= 0 {
		return Info{}, errors.New("mediaprobe: timeout must be > 0")
	}
	p, ok := gst.NewPipeline("mediaprobe").(gst.Pipeline)
	if !ok {
		return Info{}, errors.New("mediaprobe: cannot create a pipeline")
	}
	dec := gst.ElementFactoryMake("uridecodebin", "")
	if dec == nil {
		return Info{}, errors.New("mediaprobe: uridecodebin is missing (gstreamer1.0-plugins-base)")
	}
	dec.SetObjectProperty("uri", uri)
	p.Add(dec)
	defer p.SetState(gst.StateNull)

	var (
		mu      sync.Mutex
		streams []Stream
		sinks   []gst.Pad
		linkErr error
		allPads = make(chan struct{})
		once    sync.Once
	)
	dec.ConnectNoMorePads(func(gst.Element) { once.Do(func() { close(allPads) }) })
	dec.ConnectPadAdded(func(_ gst.Element, pad gst.Pad) {
		sink := gst.ElementFactoryMake("fakesink", "")
		if sink == nil {
			return
		}
		sink.SetObjectProperty("sync", false)
		sink.SetObjectProperty("async", true)
		p.Add(sink)
		sink.SyncStateWithParent()
		sp := sink.GetStaticPad("sink")
		ret := pad.Link(sp)
		mu.Lock()
		defer mu.Unlock()
		if ret != gst.PadLinkOK {
			linkErr = fmt.Errorf("link %s: %s", pad.GetName(), gst.PadLinkGetName(ret))
			return
		}
		streams = append(streams, Stream{Kind: kindOf(pad)})
		sinks = append(sinks, sp)
	})

	live := false
	switch p.SetState(gst.StatePaused) {
	case gst.StateChangeFailure:
		return Info{}, firstError(p, "cannot open it")
	case gst.StateChangeNoPreroll:
		// A live source (udp://, rtsp://, srt://): nothing prerolls
		// until it plays; the streams are known once every decoded pad
		// has caps.
		live = true
		if p.SetState(gst.StatePlaying) == gst.StateChangeFailure {
			return Info{}, firstError(p, "cannot play it")
		}
	}
	allCaps := func() bool {
		mu.Lock()
		defer mu.Unlock()
		for _, sp := range sinks {
			if sp.GetCurrentCaps() == nil {
				return false
			}
		}
		return true
	}
	bus := p.GetBus()
	deadline := time.Now().Add(timeout)
	prerolled, exposed := false, false
	for !(exposed && (prerolled || live && allCaps())) {
		left := time.Until(deadline)
		if left <= 0 {
			if !exposed {
				return Info{}, fmt.Errorf("mediaprobe: the decoder did not expose all its streams within %v", timeout)
			}
			return Info{}, fmt.Errorf("mediaprobe: no answer within %v", timeout)
		}
		select {
		case <-allPads:
			exposed = true
		default:
		}
		msg := bus.TimedPopFiltered(gst.ClockTime(min(left, 20*time.Millisecond)), gst.MessageAsyncDone|gst.MessageError)
		if msg == nil {
			continue
		}
		if msg.Type() == gst.MessageError {
			_, err := msg.ParseError()
			return Info{}, fmt.Errorf("mediaprobe: %w", err)
		}
		prerolled = true
	}

	mu.Lock()
	defer mu.Unlock()
	if linkErr != nil {
		return Info{}, fmt.Errorf("mediaprobe: %w", linkErr)
	}
	info := Info{Streams: streams, Live: live}
	for i, sp := range sinks {
		caps := sp.GetCurrentCaps()
		if caps == nil {
			continue
		}
		info.Streams[i].Caps = caps.String()
		if st := caps.GetStructure(0); st != nil {
			w, _ := st.GetInt("width")
			h, _ := st.GetInt("height")
			info.Streams[i].Width, info.Streams[i].Height = int(w), int(h)
		}
	}
	if d, ok := p.QueryDuration(gst.FormatTime); ok && d > 0 {
		info.Duration = time.Duration(d)
	}
	return info, nil
}

// kindOf classifies a decoded pad by its caps: video, audio, text or other.
func kindOf(pad gst.Pad) string {
	caps := pad.GetCurrentCaps()
	if caps == nil {
		caps = pad.QueryCaps(nil)
	}
	if caps == nil || caps.GetSize() == 0 {
		return "other"
	}
	name := caps.GetStructure(0).GetName()
	switch {
	case strings.HasPrefix(name, "video/"):
		return "video"
	case strings.HasPrefix(name, "audio/"):
		return "audio"
	case strings.HasPrefix(name, "text/"), strings.HasPrefix(name, "subpicture/"), strings.HasPrefix(name, "closedcaption/"):
		return "text"
	}
	return "other"
}

// firstError returns the bus's first error message, or a generic error.
func firstError(p gst.Pipeline, what string) error {
	if msg := p.GetBus().TimedPopFiltered(gst.ClockTime(time.Second), gst.MessageError); msg != nil {
		_, err := msg.ParseError()
		return fmt.Errorf("mediaprobe: %s: %w", what, err)
	}
	return fmt.Errorf("mediaprobe: %s", what)
}
