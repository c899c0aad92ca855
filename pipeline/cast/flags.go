package cast

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// Usage is nedcast's --help text.
const Usage = `nedcast edits facial expressions live: it takes a camera, a file, a URI, a
test source or an incoming WHIP stream, runs it through nedfilter, and sends
the result to a virtual camera, browsers (WHEP), a WHIP ingest server, a
recording and/or a window, while a web page switches emotion and intensity.

Usage:
  nedcast --input SOURCE --model-pack DIR OUTPUTS... [options]
  nedcast doctor [--model-pack DIR]      check the installation, say how to fix it
  nedcast soak --model-pack DIR [--duration 10m]
                                         long-run growth measurement (goroutines,
                                         memory, files) with viewers coming and going
  nedcast --help

Examples:
  # camera -> virtual camera for video calls, control page on 127.0.0.1:8090
  nedcast --input /dev/video0 --vcam /dev/video10 --emotion happy
  # file -> browsers and a recording; the control page shows the live preview
  nedcast --input clip.mp4 --whep 127.0.0.1:8080 --record edited.mp4
  # OBS publishes to http://HOST:8090/whip (token T); viewers watch on WHEP
  nedcast --input whip --listen 0.0.0.0:8090 --token T --whep 0.0.0.0:8080
  # everything from a file; flags given on the command line override it
  nedcast --config nedcast.yaml --intensity 0.5

Input:
  --input SOURCE       /dev/videoN (V4L2 camera), a video file, a URI
                       (rtsp://, http://, file://), test (synthetic), or whip
                       (nedcast is the WHIP ingest at http://LISTEN/whip)
  --size WxH           scale to this size (even numbers; default: the input's)
  --fps N              frame rate (default: the input's)
  --loop               restart a file or URI at its end instead of stopping
  --test-image FILE    still image the test input shows (default: a pattern)
  --on-input-lost M    stop (default) or retry when the camera is unplugged or
                       a stream breaks
  --retry-delay D      wait before a retry (default 2s)
  --input-timeout D    a camera or live stream that sends no frame for this
                       long is lost (default 5s; 0: never)

Editing (nedfilter):
  --model-pack DIR     model pack (default $NEDSTREAM_MODEL_PACK)
  --provider P         auto, tensorrt, cuda or cpu (default auto)
  --emotion E          neutral, angry, contempt, disgusted, fear, happy, sad,
                       surprised (default neutral)
  --intensity X        0..1 (default 0.7)
  --transition MS      ramp length of a change, in ms (default 300)
  --reference PATH     reference clip or saved style (if nedfilter has it)
  --set NAME=VALUE     any other nedfilter property (repeatable)

Outputs (any combination, at least one):
  --vcam /dev/videoN   v4l2loopback device (load it with
                       modprobe v4l2loopback video_nr=10 exclusive_caps=1)
  --whep HOST:PORT     WHEP server for browsers (viewer page at /)
  --whip URL           publish to a WHIP ingest server (token: --whip-token
                       or --token); reconnects with backoff if it is down
  --record FILE        record to .mp4 (fragmented, survives a crash) or .mkv;
                       finalised on Ctrl-C
  --display            show a window
  --bitrate KBPS       WebRTC encoder bitrate (default 2000)

Control:
  --listen HOST:PORT   control page, API (/api/settings, /api/status),
                       /metrics and the WHIP ingest (default 127.0.0.1:8090;
                       off disables it)
  --token T            bearer token for the API, WHEP viewers and WHIP
                       ingest/output (empty: none; set one off loopback)
  --whip-token T       token for --whip only
  --config FILE        YAML file with the same settings (keys as the flags,
                       without dashes in front; filter: for --set)
  --log-level L        debug, info, warn, error (default info)
  --log-format F       text or json (default text)

Exit status: 0 done, 1 runtime failure, 2 bad usage or configuration.
`

// UsageError is a problem with the command line or configuration (exit 2).
type UsageError struct{ Err error }

func (u UsageError) Error() string { return u.Err.Error() }

// Unwrap returns the underlying error.
func (u UsageError) Unwrap() error { return u.Err }

type setFlag struct{ m *map[string]string }

func (s setFlag) String() string {
	if s.m == nil {
		return ""
	}
	var parts []string
	for k, v := range *s.m {
		parts = append(parts, k+"="+v)
	}
	return strings.Join(parts, " ")
}

func (s setFlag) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || !validPropName(k) {
		return fmt.Errorf("%q: want name=value", v)
	}
	if *s.m == nil {
		*s.m = map[string]string{}
	}
	(*s.m)[k] = val
	return nil
}

// configPath finds --config FILE / --config=FILE in args.
func configPath(args []string) (string, error) {
	for i, a := range args {
		a = strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-")
		if a == "config" {
			if i+1 >= len(args) {
				return "", errors.New("--config needs a file")
			}
			return args[i+1], nil
		}
		if v, ok := strings.CutPrefix(a, "config="); ok {
			return v, nil
		}
	}
	return "", nil
}

// ParseArgs builds the configuration: defaults, then the --config file,
// then the other flags, and validates the result. Problems are UsageErrors
// listing every bad setting; --help returns flag.ErrHelp.
func ParseArgs(args []string, stderr io.Writer) (Config, error) {
	c := Defaults()
	path, err := configPath(args)
	if err != nil {
		return c, UsageError{err}
	}
	if path != "" {
		if err := LoadFile(path, &c); err != nil {
			return c, UsageError{err}
		}
	}
	fs := flag.NewFlagSet("nedcast", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	var ignored string
	fs.StringVar(&ignored, "config", "", "")
	fs.StringVar(&c.Input, "input", c.Input, "")
	fs.BoolVar(&c.Loop, "loop", c.Loop, "")
	fs.StringVar(&c.Size, "size", c.Size, "")
	fs.IntVar(&c.FPS, "fps", c.FPS, "")
	fs.StringVar(&c.TestImage, "test-image", c.TestImage, "")
	fs.StringVar(&c.OnInputLost, "on-input-lost", c.OnInputLost, "")
	fs.Var(&c.RetryDelay, "retry-delay", "")
	fs.Var(&c.InputTimeout, "input-timeout", "")
	fs.StringVar(&c.ModelPack, "model-pack", c.ModelPack, "")
	fs.StringVar(&c.ModelPack, "pack", c.ModelPack, "")
	fs.StringVar(&c.Provider, "provider", c.Provider, "")
	fs.StringVar(&c.Emotion, "emotion", c.Emotion, "")
	fs.Float64Var(&c.Intensity, "intensity", c.Intensity, "")
	fs.IntVar(&c.TransitionMS, "transition", c.TransitionMS, "")
	fs.StringVar(&c.Reference, "reference", c.Reference, "")
	fs.Var(setFlag{&c.Filter}, "set", "")
	fs.StringVar(&c.VCam, "vcam", c.VCam, "")
	fs.StringVar(&c.WHEP, "whep", c.WHEP, "")
	fs.StringVar(&c.WHIP, "whip", c.WHIP, "")
	fs.StringVar(&c.WHIPToken, "whip-token", c.WHIPToken, "")
	fs.StringVar(&c.Record, "record", c.Record, "")
	fs.BoolVar(&c.Display, "display", c.Display, "")
	fs.IntVar(&c.Bitrate, "bitrate", c.Bitrate, "")
	fs.StringVar(&c.Listen, "listen", c.Listen, "")
	fs.StringVar(&c.Token, "token", c.Token, "")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "")
	fs.StringVar(&c.LogFormat, "log-format", c.LogFormat, "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return c, err
		}
		return c, UsageError{fmt.Errorf("%v (see nedcast --help)", err)}
	}
	if fs.NArg() > 0 {
		return c, UsageError{fmt.Errorf("unexpected argument %q (see nedcast --help)", fs.Arg(0))}
	}
	if err := c.Validate(); err != nil {
		return c, UsageError{err}
	}
	return c, nil
}
