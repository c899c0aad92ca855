// Command nedface runs nedstream's face analysis on video files.
//
//	nedface analyze --input clip.mp4 --pack DIR --out annotated.mp4 --summary summary.json
//
// It registers the nedstream elements in its own process (a Go program must
// not load libgstnedstream.so), so it needs GStreamer >= 1.26 at run time
// (scripts/gst-env provides it on older hosts).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/nedstream/nedstream/pipeline/analysis"
)

const usage = `nedface runs nedstream's face analysis on video files.

Usage:
  nedface analyze --input FILE --pack DIR [--out VIDEO.mp4] [--summary FILE.json]
                  [--overlay none|box|landmarks|mesh|axes] [--set name=value ...]

  nedface evaluate --input FILE --pack DIR --classifier emotion_mini_xception.onnx [...]
  nedface sidebyside --input FILE --pack DIR --out VIDEO.mp4 [--emotion E] [--intensity I]
  nedface style --input CLIP --pack DIR --out STYLE.json [--max-frames N]
  nedface extract --input CLIP --pack DIR --out DATASET --id ID --emotion E [...]

  analyze   Track every face of the input with nedfilter, write the video with
            the overlay drawn (if --out) and a JSON summary (tracks, pose,
            mean blendshapes, timings) to --summary or standard output.
  evaluate  Edit the input to each emotion and judge it: emotion-classifier
            probabilities before/after and closed-loop blendshape changes
            (nedface evaluate --help).
  sidebyside
            Write the input and the nedfilter-edited video side by side.
  style     Save the expression style of a reference clip as JSON for
            nedfilter's reference property (nedface style --help).
  extract   Add a clip's per-frame coefficients, pose and face crops to a
            nedtrain dataset (nedface extract --help).
`

type multi []string

func (m *multi) String() string     { return strings.Join(*m, " ") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "nedface:", err)
		var ue usageError
		if errors.As(err, &ue) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, usage)
		return nil
	}
	if args[0] == "style" {
		return runStyle(ctx, args[1:], stdout, stderr)
	}
	if args[0] == "sidebyside" {
		return runSideBySide(ctx, args[1:], stdout, stderr)
	}
	if args[0] == "evaluate" {
		return runEvaluate(ctx, args[1:], stdout, stderr)
	}
	if args[0] == "extract" {
		return runExtract(ctx, args[1:], stdout, stderr)
	}
	if args[0] != "analyze" {
		return usageError{fmt.Sprintf("unknown command %q (see nedface --help)", args[0])}
	}
	fs := flag.NewFlagSet("analyze", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o analysis.Options
	var summaryPath, overlayMode string
	var props multi
	fs.StringVar(&o.Input, "input", "", "video file to analyse")
	fs.StringVar(&o.ModelPack, "pack", os.Getenv("NEDSTREAM_MODEL_PACK"), "model pack directory (default $NEDSTREAM_MODEL_PACK)")
	fs.StringVar(&o.Output, "out", "", "write the annotated video here (.mp4 or .mkv)")
	fs.StringVar(&summaryPath, "summary", "", "write the JSON summary here (default: standard output)")
	fs.StringVar(&overlayMode, "overlay", "mesh", "what to draw: none, box, landmarks, mesh or axes")
	fs.Var(&props, "set", "extra nedfilter property name=value (repeatable)")
	if err := fs.Parse(args[1:]); err != nil {
		return usageError{err.Error()}
	}
	if o.Input == "" {
		return usageError{"analyze needs --input"}
	}
	if o.ModelPack == "" {
		return usageError{"analyze needs --pack (or NEDSTREAM_MODEL_PACK); build one with `nedpack build`"}
	}
	o.Properties = append([]string{"overlay=" + overlayMode, "analysis-only=true", "on-model-error=error"}, props...)
	res, err := analysis.Run(ctx, o)
	if res == nil {
		return err
	}
	sum := analysis.Summarize(o, res)
	raw, jerr := json.MarshalIndent(sum, "", "  ")
	if jerr != nil {
		return fmt.Errorf("encode summary: %w", jerr)
	}
	if summaryPath == "" {
		stdout.Write(append(raw, '\n'))
	} else if werr := os.WriteFile(summaryPath, append(raw, '\n'), 0o644); werr != nil {
		return fmt.Errorf("write summary: %w", werr)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "nedface: %d frames, %d with faces, %d tracks, %.1f fps", sum.Frames, sum.FramesWithFaces, len(sum.Tracks), sum.FPS)
	if o.Output != "" {
		fmt.Fprintf(stderr, "; video: %s", o.Output)
	}
	if summaryPath != "" {
		fmt.Fprintf(stderr, "; summary: %s", summaryPath)
	}
	fmt.Fprintln(stderr)
	return nil
}
