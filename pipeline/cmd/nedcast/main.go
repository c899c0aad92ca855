// Command nedcast edits facial expressions live: a camera, a file, a URI, a
// test source or an incoming WHIP stream goes through nedfilter to a virtual
// camera, WHEP viewers, a WHIP ingest, a recording and/or a window, while a
// control page and API switch emotion and intensity and /metrics reports
// Prometheus metrics.
//
//	nedcast --input /dev/video0 --vcam /dev/video10 --emotion happy
//	nedcast --input clip.mp4 --whep 127.0.0.1:8080 --record edited.mp4
//	nedcast doctor
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
