// Package analysis runs nedfilter over a video file in a GStreamer pipeline
// and collects what it reports: the faces of every frame, warnings, errors
// and the element's timings. It backs `nedface analyze` (the demo) and the
// element's end-to-end tests.
package analysis

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-gst/go-gst/pkg/gst"

	"github.com/nedstream/nedstream/plugin/elements"
	"github.com/nedstream/nedstream/plugin/nedfilter"
)

// Options describe one analysis run.
type Options struct {
	// Input is the video file to read (any container/codec GStreamer decodes;
	// rotation tags are honoured).
	Input string
	// Output, when set, receives the filtered video (H.264 in MP4 or MKV by
	// the file's extension).
	Output string
	// ModelPack is the model pack directory.
	ModelPack string
	// Properties are extra nedfilter properties, as name=value pairs in
	// gst-launch syntax (e.g. "overlay=mesh", "detect-interval=5").
	Properties []string
	// Format is the raw video format nedfilter works on (default BGRx).
	Format string
	// MaxFrames stops the run after this many frames (0: the whole input).
	MaxFrames int
	// Before are elements (gst-launch syntax) placed before the analysing
	// nedfilter, e.g. an editing nedfilter whose output is measured.
	Before []string
	// Timeout bounds the run (default: no bound besides ctx).
	Timeout time.Duration
	// OnFrame, when set, receives a copy of the pixels of every frame that
	// enters the analysing nedfilter (after the Before elements), with the
	// frame's number from 0; it runs on the streaming thread.
	OnFrame func(frame uint64, pix []byte)
}

// Result is what one run produced.
type Result struct {
	// Frames is the number of frames that went through nedfilter.
	Frames uint64
	// Faces holds one message per frame with faces, in frame order.
	Faces []nedfilter.FacesMessage
	// Warnings and Errors are the pipeline's warning and error messages.
	Warnings []string
	Errors   []string
	// Wall is the run's wall-clock time.
	Wall time.Duration
}

var initOnce sync.Once
var initErr error

// Init initialises GStreamer and registers the nedstream elements in this
// process (a Go program must not load libgstnedstream.so). Safe to call often.
func Init() error {
	initOnce.Do(func() {
		gst.Init()
		initErr = elements.RegisterStatic()
	})
	return initErr
}

// Quote makes a string safe as a gst-launch property value (double quotes,
// backslash escapes).
func Quote(s string) string { return quote(s) }

// quote makes a string safe as a gst-launch property value.
func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// Describe returns the gst-launch description of the pipeline Run builds.
func Describe(o Options) (string, error) {
	if o.Input == "" {
		return "", errors.New("analysis: no input file")
	}
	format := o.Format
	if format == "" {
		format = "BGRx"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "filesrc location=%s ! decodebin3 ! videoflip video-direction=auto ! videoconvert ! video/x-raw,format=%s ! ", quote(o.Input), format)
	if o.MaxFrames > 0 {
		// Run stops the stream after MaxFrames on this element's src pad
		// (limitFrames); identity's own eos-after is not exact.
		b.WriteString("identity name=" + limitName + " ! ")
	}
	for _, e := range o.Before {
		if strings.TrimSpace(e) == "" || strings.Contains(e, "name=ned ") || strings.HasSuffix(e, "name=ned") {
			return "", fmt.Errorf("analysis: bad element before nedfilter: %q", e)
		}
		b.WriteString(e + " ! ")
	}
	b.WriteString("nedfilter name=ned")
	if o.ModelPack != "" {
		fmt.Fprintf(&b, " model-pack=%s", quote(o.ModelPack))
	}
	for _, p := range o.Properties {
		if !strings.Contains(p, "=") || strings.ContainsAny(p, "!") {
			return "", fmt.Errorf("analysis: bad nedfilter property %q (want name=value)", p)
		}
		b.WriteString(" " + p)
	}
	switch ext := strings.ToLower(filepath.Ext(o.Output)); {
	case o.Output == "":
		b.WriteString(" ! fakesink name=sink sync=false")
	case ext == ".mp4" || ext == ".mkv":
		mux := "mp4mux"
		if ext == ".mkv" {
			mux = "matroskamux"
		}
		fmt.Fprintf(&b, " ! videoconvert ! video/x-raw,format=I420 ! x264enc speed-preset=veryfast tune=zerolatency key-int-max=60 ! h264parse ! %s ! filesink name=sink location=%s", mux, quote(o.Output))
	default:
		return "", fmt.Errorf("analysis: output %s: want a .mp4 or .mkv file", o.Output)
	}
	return b.String(), nil
}

// limitName names the identity element whose src pad limitFrames watches.
const limitName = "framelimit"

// limitFrames lets the first n buffers through pad, then ends the stream
// downstream with EOS and drops everything after it, so a run sees exactly
// the input's first n frames. identity eos-after=N is not exact: it answers
// the N-th buffer with EOS instead of passing it, and the decoder still
// pushes one to three more frames after it (GStreamer 1.26), so a run saw
// N-1 frames, a gap, and a few more. Upstream keeps decoding until Run sets
// the pipeline to NULL at the EOS message; those buffers are dropped here.
func limitFrames(pad gst.Pad, n int) {
	var seen int // the streaming thread is the only caller
	pad.AddProbe(gst.PadProbeTypeBuffer, func(p gst.Pad, _ *gst.PadProbeInfo) gst.PadProbeReturn {
		seen++
		switch {
		case seen <= n:
			return gst.PadProbeOK
		case seen == n+1:
			p.PushEvent(gst.NewEventEOS())
		}
		return gst.PadProbeDrop
	})
}

// Run builds the pipeline, plays it to the end of the input and returns what
// nedfilter reported. A pipeline error ends the run with an error; the
// partial result is still returned.
func Run(ctx context.Context, o Options) (*Result, error) {
	if err := Init(); err != nil {
		return nil, err
	}
	if _, err := os.Stat(o.Input); err != nil {
		return nil, fmt.Errorf("analysis: input: %w", err)
	}
	desc, err := Describe(o)
	if err != nil {
		return nil, err
	}
	el, err := gst.ParseLaunch(desc)
	if err != nil {
		return nil, fmt.Errorf("analysis: build pipeline: %w", err)
	}
	pipeline, ok := el.(gst.Pipeline)
	if !ok {
		return nil, errors.New("analysis: launch description did not make a pipeline")
	}
	defer pipeline.SetState(gst.StateNull)

	if o.MaxFrames > 0 {
		limit := pipeline.(gst.Bin).GetByName(limitName)
		if limit == nil {
			return nil, errors.New("analysis: frame limiter missing from the pipeline")
		}
		limitFrames(limit.GetStaticPad("src"), o.MaxFrames)
	}

	res := &Result{}
	var frames atomic.Uint64
	ned := pipeline.(gst.Bin).GetByName("ned")
	if ned == nil {
		return nil, errors.New("analysis: nedfilter missing from the pipeline")
	}
	ned.GetStaticPad("src").AddProbe(gst.PadProbeTypeBuffer, func(gst.Pad, *gst.PadProbeInfo) gst.PadProbeReturn {
		frames.Add(1)
		return gst.PadProbeOK
	})

	if o.OnFrame != nil {
		var in uint64
		ned.GetStaticPad("sink").AddProbe(gst.PadProbeTypeBuffer, func(_ gst.Pad, info *gst.PadProbeInfo) gst.PadProbeReturn {
			n := in
			in++
			buf := info.GetBuffer()
			if buf == nil {
				return gst.PadProbeOK
			}
			m, ok := buf.Map(gst.MapRead)
			if !ok {
				return gst.PadProbeOK
			}
			pix := make([]byte, m.Length())
			_, err := m.ReadAt(pix, 0)
			m.Unmap()
			if err == nil || errors.Is(err, io.EOF) {
				o.OnFrame(n, pix)
			}
			return gst.PadProbeOK
		})
	}
	if o.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.Timeout)
		defer cancel()
	}
	start := time.Now()
	if pipeline.SetState(gst.StatePlaying) == gst.StateChangeFailure {
		return res, fmt.Errorf("analysis: pipeline refused to play (%s)", drainErrors(pipeline, res))
	}
	bus := pipeline.GetBus()
	var runErr error
loop:
	for {
		select {
		case <-ctx.Done():
			runErr = fmt.Errorf("analysis: %w after %d frames", ctx.Err(), frames.Load())
			break loop
		default:
		}
		msg := bus.TimedPopFiltered(gst.ClockTime(100*time.Millisecond), gst.MessageEOS|gst.MessageError|gst.MessageWarning|gst.MessageElement)
		if msg == nil {
			continue
		}
		switch msg.Type() {
		case gst.MessageEOS:
			break loop
		case gst.MessageError:
			debug, err := msg.ParseError()
			res.Errors = append(res.Errors, fmt.Sprintf("%v (%s)", err, debug))
			runErr = fmt.Errorf("analysis: pipeline error: %v", err)
			break loop
		case gst.MessageWarning:
			debug, err := msg.ParseWarning()
			res.Warnings = append(res.Warnings, fmt.Sprintf("%v (%s)", err, debug))
		case gst.MessageElement:
			// Only the analysing element's messages (an editing nedfilter
			// before it posts its own).
			if src := msg.Source(); src == nil || src.GetName() != "ned" {
				continue
			}
			if fm, ok := nedfilter.ParseFacesMessage(msg.GetStructure()); ok {
				res.Faces = append(res.Faces, fm)
			}
		}
	}
	res.Wall = time.Since(start)
	res.Frames = frames.Load()
	return res, runErr
}

// drainErrors collects pending error messages after a failed state change.
func drainErrors(p gst.Pipeline, res *Result) string {
	bus := p.GetBus()
	for {
		msg := bus.TimedPopFiltered(0, gst.MessageError)
		if msg == nil {
			break
		}
		debug, err := msg.ParseError()
		res.Errors = append(res.Errors, fmt.Sprintf("%v (%s)", err, debug))
	}
	if len(res.Errors) == 0 {
		return "no error message"
	}
	return strings.Join(res.Errors, "; ")
}
