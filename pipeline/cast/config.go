// Package cast holds the GStreamer-free parts of the nedcast application:
// its configuration (flags and a YAML file, strictly validated), the
// pipeline description builder, the control HTTP API with its page, and the
// Prometheus metrics. The pipeline itself runs in pipeline/cast/runner; the
// command is pipeline/cmd/nedcast.
package cast

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Emotions are the values of nedfilter's emotion property, in its order.
var Emotions = []string{"neutral", "angry", "contempt", "disgusted", "fear", "happy", "sad", "surprised"}

// Config is everything nedcast can be told, by flags or by the config file
// (YAML, the same names as the flags). The zero value is not valid: start
// from Defaults.
type Config struct {
	// Input is a V4L2 device (/dev/videoN), a file, a URI (scheme://...),
	// "test" (a synthetic source) or "whip" (nedcast is the WHIP ingest).
	Input string `yaml:"input"`
	// Loop restarts a file or URI input at its end instead of stopping.
	Loop bool `yaml:"loop"`
	// Size is WIDTHxHEIGHT to scale to ("" keeps the input's size).
	Size string `yaml:"size"`
	// FPS is the output frame rate (0 keeps the input's rate).
	FPS int `yaml:"fps"`
	// TestImage is a still image the "test" input loops (default: a pattern).
	TestImage string `yaml:"test-image"`
	// OnInputLost says what a lost camera or a broken stream does: "stop"
	// (finalise the outputs and exit) or "retry" (rebuild the pipeline after
	// RetryDelay).
	OnInputLost string `yaml:"on-input-lost"`
	// RetryDelay is the wait before a retry.
	RetryDelay Duration `yaml:"retry-delay"`
	// InputTimeout is how long a live input (a camera, a live URI such as
	// udp:// or rtsp://) may send no frame before it counts as lost
	// (OnInputLost decides what follows); 0 turns the watchdog off.
	InputTimeout Duration `yaml:"input-timeout"`

	// ModelPack is nedfilter's model pack directory.
	ModelPack string `yaml:"model-pack"`
	// Provider is nedfilter's onnxruntime execution provider.
	Provider string `yaml:"provider"`
	// Emotion, Intensity, TransitionMS and Reference are the initial edit.
	Emotion      string  `yaml:"emotion"`
	Intensity    float64 `yaml:"intensity"`
	TransitionMS int     `yaml:"transition"`
	Reference    string  `yaml:"reference"`
	// Filter holds extra nedfilter properties (name: value).
	Filter map[string]string `yaml:"filter"`

	// Outputs; any combination, at least one.
	VCam    string `yaml:"vcam"`
	WHEP    string `yaml:"whep"`
	WHIP    string `yaml:"whip"`
	Record  string `yaml:"record"`
	Display bool   `yaml:"display"`
	// WHIPToken is the bearer token for the WHIP output (default: Token).
	WHIPToken string `yaml:"whip-token"`
	// Bitrate is the WebRTC encoder's target in kbit/s.
	Bitrate int `yaml:"bitrate"`

	// Listen is the control server's address (page, API, metrics, WHIP
	// ingest); "off" disables it.
	Listen string `yaml:"listen"`
	// Token protects the control API, the WHEP viewers and the WHIP ingest
	// (bearer token), and is the WHIP output's token unless WHIPToken is set.
	Token string `yaml:"token"`

	// LogLevel is debug, info, warn or error; LogFormat text or json.
	LogLevel  string `yaml:"log-level"`
	LogFormat string `yaml:"log-format"`
}

// Duration is a time.Duration read from "2s" style strings in the config file.
type Duration time.Duration

// UnmarshalYAML implements yaml.Unmarshaler.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration (e.g. 2s, 500ms)", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

// String implements flag.Value.
func (d *Duration) String() string { return time.Duration(*d).String() }

// Set implements flag.Value.
func (d *Duration) Set(s string) error {
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("%q is not a duration (e.g. 2s, 500ms)", s)
	}
	*d = Duration(v)
	return nil
}

// Defaults returns the configuration nedcast starts from.
func Defaults() Config {
	return Config{
		Input:        "",
		OnInputLost:  "stop",
		RetryDelay:   Duration(2 * time.Second),
		InputTimeout: Duration(5 * time.Second),
		ModelPack:    os.Getenv("NEDSTREAM_MODEL_PACK"),
		Provider:     "auto",
		Emotion:      "neutral",
		Intensity:    0.7,
		TransitionMS: 300,
		Bitrate:      2000,
		Listen:       "127.0.0.1:8090",
		LogLevel:     "info",
		LogFormat:    "text",
	}
}

// LoadFile reads a YAML config file over c: keys it sets replace c's
// values. Unknown keys and wrongly typed values are errors naming the line.
func LoadFile(path string, c *Config) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".yaml", ".yml", "":
	default:
		return fmt.Errorf("config %s: want a .yaml or .yml file", path)
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil {
		if errors.Is(err, io.EOF) {
			return nil // an empty file changes nothing
		}
		return fmt.Errorf("config %s: %s", path, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	return nil
}

// InputKind classifies Config.Input.
type InputKind int

// Input kinds.
const (
	InputNone InputKind = iota
	InputTest
	InputWHIP
	InputDevice
	InputFile
	InputURI
)

// String names the kind.
func (k InputKind) String() string {
	return [...]string{"none", "test", "whip", "device", "file", "uri"}[k]
}

// Kind returns what Input names.
func (c Config) Kind() InputKind {
	switch in := c.Input; {
	case in == "":
		return InputNone
	case in == "test":
		return InputTest
	case in == "whip":
		return InputWHIP
	case strings.HasPrefix(in, "/dev/"):
		return InputDevice
	case strings.Contains(in, "://"):
		return InputURI
	default:
		return InputFile
	}
}

// Dimensions returns the parsed Size (0, 0 when unset).
func (c Config) Dimensions() (w, h int, err error) {
	if c.Size == "" {
		return 0, 0, nil
	}
	ws, hs, ok := strings.Cut(strings.ToLower(c.Size), "x")
	if !ok {
		return 0, 0, fmt.Errorf("size %q: want WIDTHxHEIGHT, e.g. 1280x720", c.Size)
	}
	w, err1 := strconv.Atoi(ws)
	h, err2 := strconv.Atoi(hs)
	if err1 != nil || err2 != nil || w < 16 || h < 16 || w > 7680 || h > 4320 {
		return 0, 0, fmt.Errorf("size %q: want WIDTHxHEIGHT between 16x16 and 7680x4320", c.Size)
	}
	if w%2 != 0 || h%2 != 0 {
		return 0, 0, fmt.Errorf("size %q: width and height must be even (YUV 4:2:0 and 4:2:2 outputs such as a virtual camera need it)", c.Size)
	}
	return w, h, nil
}

// WebRTC reports whether an encoded WebRTC output (WHEP or WHIP) is wanted.
func (c Config) WebRTC() bool { return c.WHEP != "" || c.WHIP != "" }

// OutputToken is the token the WHIP output sends.
func (c Config) OutputToken() string {
	if c.WHIPToken != "" {
		return c.WHIPToken
	}
	return c.Token
}

// RealTime reports whether some output consumes the stream live (so a file
// input must be paced to the clock rather than read as fast as possible).
func (c Config) RealTime() bool {
	return c.VCam != "" || c.WHEP != "" || c.WHIP != "" || c.Display
}

// ControlEnabled reports whether the control server runs.
func (c Config) ControlEnabled() bool { return c.Listen != "" && c.Listen != "off" }

// Validate checks every setting and reports all problems at once, each with
// what to do about it. It does not touch devices or files beyond os.Stat.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	switch c.Kind() {
	case InputNone:
		bad("no input: give --input /dev/videoN, a file, a URI, test or whip")
	case InputDevice:
		if err := CheckCamera(c.Input); err != nil {
			bad("%v", err)
		}
	case InputFile:
		if st, err := os.Stat(c.Input); err != nil {
			bad("input %s: %v (want /dev/videoN, a file, a URI, test or whip)", c.Input, unwrapPathError(err))
		} else if st.IsDir() {
			bad("input %s: is a directory, not a video file", c.Input)
		} else if f, err := os.Open(c.Input); err != nil {
			bad("input %s: cannot read it: %v", c.Input, unwrapPathError(err))
		} else {
			f.Close()
		}
	case InputURI:
		if u, err := url.Parse(c.Input); err != nil || u.Scheme == "" {
			bad("input %s: not a valid URI", c.Input)
		}
	}
	if c.Loop && c.Kind() != InputFile && c.Kind() != InputURI {
		bad("loop: only a file or URI input can loop (input is %s)", c.Kind())
	}
	if c.TestImage != "" {
		if c.Kind() != InputTest {
			bad("test-image: only used with --input test")
		} else if _, err := os.Stat(c.TestImage); err != nil {
			bad("test-image %s: %v", c.TestImage, unwrapPathError(err))
		}
	}
	if _, _, err := c.Dimensions(); err != nil {
		bad("%v", err)
	}
	if c.FPS < 0 || c.FPS > 240 {
		bad("fps %d: want 1..240 (or 0 to keep the input's rate)", c.FPS)
	}
	if c.OnInputLost != "stop" && c.OnInputLost != "retry" {
		bad("on-input-lost %q: want stop or retry", c.OnInputLost)
	}
	if c.RetryDelay < Duration(100*time.Millisecond) || c.RetryDelay > Duration(10*time.Minute) {
		bad("retry-delay %v: want 100ms..10m", time.Duration(c.RetryDelay))
	}
	if c.InputTimeout != 0 && (c.InputTimeout < Duration(500*time.Millisecond) || c.InputTimeout > Duration(10*time.Minute)) {
		bad("input-timeout %v: want 500ms..10m, or 0 for no watchdog", time.Duration(c.InputTimeout))
	}

	if c.ModelPack == "" {
		bad("no model pack: give --model-pack DIR (or NEDSTREAM_MODEL_PACK); build one with `go run ./models/cmd/nedpack build --from UPSTREAM --out out/pack`")
	} else if st, err := os.Stat(c.ModelPack); err != nil || !st.IsDir() {
		bad("model-pack %s: not a directory; build one with `go run ./models/cmd/nedpack build --from UPSTREAM --out %s`", c.ModelPack, c.ModelPack)
	}
	switch c.Provider {
	case "auto", "tensorrt", "cuda", "cpu":
	default:
		bad("provider %q: want auto, tensorrt, cuda or cpu", c.Provider)
	}
	if !validEmotion(c.Emotion) {
		bad("emotion %q: want one of %s", c.Emotion, strings.Join(Emotions, ", "))
	}
	if c.Intensity < 0 || c.Intensity > 1 {
		bad("intensity %g: want 0..1", c.Intensity)
	}
	if c.TransitionMS < 0 || c.TransitionMS > 60000 {
		bad("transition %d: want 0..60000 ms", c.TransitionMS)
	}
	for k, v := range c.Filter {
		if !validPropName(k) || strings.ContainsAny(v, "!\n") {
			bad("filter: bad nedfilter property %q=%q", k, v)
		}
	}

	if c.VCam == "" && c.WHEP == "" && c.WHIP == "" && c.Record == "" && !c.Display {
		bad("no output: give at least one of --vcam, --whep, --whip, --record, --display")
	}
	if c.VCam != "" {
		if err := CheckVCam(c.VCam); err != nil {
			bad("%v", err)
		}
	}
	if c.VCam != "" && c.VCam == c.Input {
		bad("vcam %s is also the input", c.VCam)
	}
	if c.WHEP != "" {
		if _, _, err := net.SplitHostPort(c.WHEP); err != nil {
			bad("whep %q: want HOST:PORT, e.g. 127.0.0.1:8080", c.WHEP)
		}
	}
	if c.WHIP != "" {
		if u, err := url.Parse(c.WHIP); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("whip %q: want an http(s) URL of the WHIP endpoint", c.WHIP)
		}
	}
	if c.Record != "" {
		switch strings.ToLower(filepath.Ext(c.Record)) {
		case ".mp4", ".mkv":
			if dir := filepath.Dir(c.Record); dir != "" {
				if st, err := os.Stat(dir); err != nil || !st.IsDir() {
					bad("record %s: directory %s does not exist", c.Record, dir)
				}
			}
		default:
			bad("record %s: want a .mp4 or .mkv file", c.Record)
		}
	}
	if c.Bitrate < 100 || c.Bitrate > 50000 {
		bad("bitrate %d: want 100..50000 kbit/s", c.Bitrate)
	}
	if c.ControlEnabled() {
		if _, _, err := net.SplitHostPort(c.Listen); err != nil {
			bad("listen %q: want HOST:PORT (or off)", c.Listen)
		}
	} else if c.Kind() == InputWHIP {
		bad("input whip needs the control server (--listen HOST:PORT): the WHIP endpoint is served there")
	}
	if c.WHEP != "" && c.ControlEnabled() && c.WHEP == c.Listen {
		bad("whep and listen are both %s: give them different ports", c.WHEP)
	}
	if strings.ContainsAny(c.Token, " \t\r\n\"") || strings.ContainsAny(c.WHIPToken, " \t\r\n\"") {
		bad("token: must not contain spaces, quotes or line breaks")
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		bad("log-level %q: want debug, info, warn or error", c.LogLevel)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		bad("log-format %q: want text or json", c.LogFormat)
	}
	return errors.Join(errs...)
}

func validEmotion(e string) bool {
	for _, x := range Emotions {
		if x == e {
			return true
		}
	}
	return false
}

func validPropName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// IsLoopback reports whether addr (HOST:PORT) listens on loopback only.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
