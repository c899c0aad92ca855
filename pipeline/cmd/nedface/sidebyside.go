package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-gst/go-gst/pkg/gst"

	"github.com/nedstream/nedstream/models/manipulator"
	"github.com/nedstream/nedstream/pipeline/analysis"
)

const sideBySideUsage = `nedface sidebyside --input FILE --pack DIR --out VIDEO.mp4
                   [--emotion happy] [--intensity 0.8] [--set name=value ...]

  sidebyside  Edit every face of the input with nedfilter and write the input
              (left) and the edited video (right) side by side, H.264 in MP4.
`

func runSideBySide(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sidebyside", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var input, pack, out, emo string
	var intensity float64
	var props multi
	fs.StringVar(&input, "input", "", "video file to edit")
	fs.StringVar(&pack, "pack", os.Getenv("NEDSTREAM_MODEL_PACK"), "model pack directory with the editing models (default $NEDSTREAM_MODEL_PACK)")
	fs.StringVar(&out, "out", "", "the side-by-side video to write (.mp4)")
	fs.StringVar(&emo, "emotion", "happy", "emotion to edit to")
	fs.Float64Var(&intensity, "intensity", 0.8, "edit intensity 0..1")
	fs.Var(&props, "set", "extra nedfilter property name=value (repeatable)")
	fs.Usage = func() { fmt.Fprint(stderr, sideBySideUsage) }
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	switch {
	case input == "":
		return usageError{"sidebyside needs --input"}
	case pack == "":
		return usageError{"sidebyside needs --pack (or NEDSTREAM_MODEL_PACK); build one with `nedpack build`"}
	case out == "" || strings.ToLower(filepath.Ext(out)) != ".mp4":
		return usageError{"sidebyside needs --out FILE.mp4"}
	case !(intensity >= 0 && intensity <= 1):
		return usageError{fmt.Sprintf("--intensity %v outside 0..1", intensity)}
	}
	if _, err := manipulator.ParseEmotion(emo); err != nil {
		return usageError{fmt.Sprintf("--emotion: %v", err)}
	}
	for _, p := range props {
		if !strings.Contains(p, "=") || strings.ContainsAny(p, "!\"") {
			return usageError{fmt.Sprintf("--set %q: want name=value", p)}
		}
	}
	if _, err := os.Stat(input); err != nil {
		return fmt.Errorf("input: %w", err)
	}
	if err := analysis.Init(); err != nil {
		return err
	}
	desc := fmt.Sprintf(`filesrc location=%s ! decodebin3 ! videoflip video-direction=auto ! videoconvert ! video/x-raw,format=BGRx ! tee name=t `+
		`t. ! queue name=left ! comp.sink_0 `+
		`t. ! queue ! nedfilter name=ned model-pack=%s emotion=%s intensity=%g on-model-error=warning %s ! comp.sink_1 `+
		`compositor name=comp background=black ! videoconvert ! video/x-raw,format=I420 ! x264enc speed-preset=veryfast key-int-max=60 ! h264parse ! mp4mux ! filesink location=%s`,
		analysis.Quote(input), analysis.Quote(pack), emo, intensity, strings.Join(props, " "), analysis.Quote(out))
	el, err := gst.ParseLaunch(desc)
	if err != nil {
		return fmt.Errorf("build pipeline: %w", err)
	}
	pipeline, ok := el.(gst.Pipeline)
	if !ok {
		return errors.New("launch description did not make a pipeline")
	}
	defer pipeline.SetState(gst.StateNull)
	bin := pipeline.(gst.Bin)
	comp, left := bin.GetByName("comp"), bin.GetByName("left")
	if comp == nil || left == nil {
		return errors.New("side-by-side pipeline lacks its compositor")
	}
	// Place the edited branch right of the input once the frame width is
	// known (the caps event comes before the first frame).
	var width atomic.Int32
	left.GetStaticPad("src").AddProbe(gst.PadProbeTypeEventDownstream, func(_ gst.Pad, info *gst.PadProbeInfo) gst.PadProbeReturn {
		ev := info.GetEvent()
		if ev == nil || ev.GetType() != gst.EventCaps {
			return gst.PadProbeOK
		}
		caps := ev.ParseCaps()
		if caps == nil {
			return gst.PadProbeOK
		}
		if w, ok := caps.GetStructure(0).GetInt("width"); ok && width.Swap(w) != w {
			if p := comp.GetStaticPad("sink_1"); p != nil {
				p.SetObjectProperty("xpos", w)
			}
		}
		return gst.PadProbeOK
	})
	start := time.Now()
	if pipeline.SetState(gst.StatePlaying) == gst.StateChangeFailure {
		return errors.New("the side-by-side pipeline refused to play")
	}
	bus := pipeline.GetBus()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		msg := bus.TimedPopFiltered(gst.ClockTime(100*time.Millisecond), gst.MessageEOS|gst.MessageError|gst.MessageWarning)
		if msg == nil {
			continue
		}
		switch msg.Type() {
		case gst.MessageEOS:
			fmt.Fprintf(stderr, "nedface: %s (%s, intensity %g) written in %.0f s\n", out, emo, intensity, time.Since(start).Seconds())
			return nil
		case gst.MessageError:
			debug, err := msg.ParseError()
			return fmt.Errorf("pipeline error: %v (%s)", err, debug)
		case gst.MessageWarning:
			_, err := msg.ParseWarning()
			fmt.Fprintf(stderr, "nedface: warning: %v\n", err)
		}
	}
}
