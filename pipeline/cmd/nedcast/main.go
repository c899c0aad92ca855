// Command nedcast edits facial expressions live: a camera, a file, a URI, a
// test source or an incoming WHIP stream goes through nedfilter to a virtual
// camera, WHEP viewers, a WHIP ingest, a recording and/or a window, while a
// control page and API switch emotion and intensity and /metrics reports
// Prometheus metrics.
//
//	nedcast --input /dev/video0 --vcam /dev/video10 --emotion happy
//	nedcast --input clip.mp4 --whep 127.0.0.1:8080 --record edited.mp4
//	nedcast doctor
//	nedcast soak --duration 10m   # long-run growth measurement
//
// See `nedcast --help` and examples/nedcast. It registers the nedstream
// elements in its own process (it must never load libgstnedstream.so) and
// needs GStreamer >= 1.26 at run time (scripts/gst-env provides it).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	"github.com/nedstream/nedstream/pipeline/cast"
	"github.com/nedstream/nedstream/pipeline/cast/runner"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// Exit statuses.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "doctor" {
		return doctor(args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "soak" {
		return soak(ctx, args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "help" {
		fmt.Fprint(stdout, cast.Usage)
		return exitOK
	}
	cfg, err := cast.ParseArgs(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, cast.Usage)
		return exitOK
	}
	if err != nil {
		fmt.Fprintln(stderr, "nedcast: bad configuration:")
		for _, line := range splitLines(err.Error()) {
			fmt.Fprintln(stderr, "  -", line)
		}
		return exitUsage
	}
	logger := newLogger(cfg, stderr)
	r, err := runner.New(cfg, logger, runner.Options{})
	if err != nil {
		logger.Error("cannot start", "error", err)
		if errors.Is(err, runner.ErrInput) {
			return exitUsage
		}
		return exitFailure
	}
	if err := r.Run(ctx); err != nil {
		logger.Error("stopped with an error", "error", err)
		return exitFailure
	}
	st := r.Status()
	logger.Info("done", "frames", st.Frames, "uptime", time.Duration(st.Uptime*float64(time.Second)).Round(time.Millisecond))
	return exitOK
}

func newLogger(cfg cast.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func splitLines(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// doctor prints every check with its fix; exit 1 on any problem.
func doctor(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("doctor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o runner.DoctorOptions
	fs.StringVar(&o.ModelPack, "model-pack", os.Getenv("NEDSTREAM_MODEL_PACK"), "model pack to check")
	fs.StringVar(&o.ModelPack, "pack", o.ModelPack, "model pack to check")
	fs.BoolVar(&o.VCam, "vcam", false, "a virtual camera is needed (v4l2loopback missing is a problem)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	problems := 0
	for _, c := range runner.Doctor(o) {
		mark := "ok  "
		switch {
		case !c.OK && c.Warning:
			mark = "warn"
		case !c.OK:
			mark = "FAIL"
			problems++
		}
		fmt.Fprintf(stdout, "[%s] %-22s %s\n", mark, c.Name, c.Detail)
		if !c.OK && c.Fix != "" {
			fmt.Fprintf(stdout, "       %-22s fix: %s\n", "", c.Fix)
		}
	}
	if problems > 0 {
		fmt.Fprintf(stdout, "%d problem(s) found\n", problems)
		return exitFailure
	}
	fmt.Fprintln(stdout, "nedcast is ready")
	return exitOK
}

// soak runs the long-run growth measurement and prints its table; exit 1
// when the goroutines did not wind down after the viewers left or the stop.
func soak(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("soak", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o runner.SoakOptions
	fs.StringVar(&o.ModelPack, "model-pack", os.Getenv("NEDSTREAM_MODEL_PACK"), "model pack")
	fs.StringVar(&o.TestImage, "test-image", "", "still image for the test input (a face exercises the editing; default: a test pattern)")
	fs.StringVar(&o.Size, "size", "320x240", "test input size")
	fs.IntVar(&o.FPS, "fps", 15, "test input frame rate")
	fs.DurationVar(&o.Duration, "duration", 10*time.Minute, "how long viewers join and leave")
	fs.DurationVar(&o.Interval, "interval", 0, "sampling period (default duration/10, at least 5s)")
	fs.DurationVar(&o.ViewerEvery, "viewer-every", 4*time.Second, "a WHEP viewer joins this often")
	fs.DurationVar(&o.ViewerStay, "viewer-stay", 10*time.Second, "how long each viewer stays")
	fs.StringVar(&o.Record, "record", "", "keep the recording here (default: a temporary file)")
	fs.Usage = func() {
		fmt.Fprint(stderr, `nedcast soak measures long-run growth: a live test input goes through nedfilter
to a recording and to WHEP viewers that keep joining and leaving (with an emotion
change through the control API every 10 s), while goroutines, Go heap, RSS, open
files and threads are sampled. It prints a table and the growth between samples.

Usage: nedcast soak --model-pack DIR [--duration 10m] [options]

`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "nedcast soak: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	if o.ModelPack == "" {
		fmt.Fprintln(stderr, "nedcast soak: --model-pack is required (or set NEDSTREAM_MODEL_PACK)")
		return exitUsage
	}
	fmt.Fprintf(stdout, "nedcast soak: %v, test input %s@%d, a viewer every %v for %v, %d CPUs\n",
		o.Duration, o.Size, o.FPS, o.ViewerEvery, o.ViewerStay, runtime.NumCPU())
	o.OnSample = func(s runner.SoakSample) {
		fmt.Fprintf(stderr, "soak: %-12s t=%v frames=%d goroutines=%d heap=%.1fMiB rss=%.1fMiB fds=%d\n", s.Phase, s.At, s.Frames,
			s.Goroutines, float64(s.HeapBytes)/(1<<20), float64(s.RSSBytes)/(1<<20), s.FDs)
	}
	res, err := runner.Soak(ctx, o)
	if res != nil {
		runner.WriteSoakTable(stdout, res)
	}
	if err != nil {
		fmt.Fprintln(stderr, "nedcast soak:", err)
		return exitFailure
	}
	code := exitOK
	if res.Goroutines != "" {
		fmt.Fprint(stderr, res.Goroutines)
	}
	if res.ViewersLeft.Goroutines > res.Playing.Goroutines {
		fmt.Fprintf(stdout, "LEAK? %d goroutines after the viewers left, %d before any joined\n", res.ViewersLeft.Goroutines, res.Playing.Goroutines)
		code = exitFailure
	}
	if res.Stopped.Goroutines > res.Before.Goroutines {
		fmt.Fprintf(stdout, "LEAK? %d goroutines after the stop, %d before the start\n", res.Stopped.Goroutines, res.Before.Goroutines)
		code = exitFailure
	}
	return code
}
