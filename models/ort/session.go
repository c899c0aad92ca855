package ort

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"

	ortgo "github.com/yalue/onnxruntime_go"
)

// Provider names an onnxruntime execution provider, or Auto.
type Provider string

// The execution providers a session can ask for.
const (
	// Auto tries TensorRT, then CUDA, then CPU.
	Auto Provider = "auto"
	// TensorRT is NVIDIA's TensorRT provider (engine cache, optional fp16).
	TensorRT Provider = "tensorrt"
	// CUDA is the CUDA provider.
	CUDA Provider = "cuda"
	// CPU is onnxruntime's default CPU provider, always present.
	CPU Provider = "cpu"
)

// ParseProvider turns a user's string (case-insensitive) into a Provider.
func ParseProvider(s string) (Provider, error) {
	switch p := Provider(strings.ToLower(strings.TrimSpace(s))); p {
	case Auto, TensorRT, CUDA, CPU:
		return p, nil
	case "":
		return Auto, nil
	}
	return "", fmt.Errorf("unknown execution provider %q (want auto, tensorrt, cuda or cpu)", s)
}

// Options choose how sessions are opened.
type Options struct {
	// Provider is the execution provider; Auto (the zero value) tries
	// TensorRT, then CUDA, then CPU.
	Provider Provider
	// DeviceID is the GPU index for TensorRT and CUDA.
	DeviceID int
	// TRTCacheDir is where TensorRT keeps built engines ("" disables caching).
	TRTCacheDir string
	// FP16 lets TensorRT build fp16 engines.
	FP16 bool
	// Threads is the intra-op thread count for the CPU provider. 0 means 1:
	// the face models are small, and on a 2-core machine one thread per
	// session with the engine running independent models side by side beats
	// onnxruntime's own intra-op parallelism (FaceMesh 6.9 ms with 1 thread,
	// 8.8 ms with 2; see docs/PERFORMANCE.md).
	Threads int
	// Logger receives one line per session saying which provider it runs on
	// (slog.Default when nil).
	Logger *slog.Logger
}

func (o Options) logger() *slog.Logger {
	if o.Logger != nil {
		return o.Logger
	}
	return slog.Default()
}

// Session is one loaded model on one execution provider. Run is safe for
// concurrent use (calls are serialised).
type Session struct {
	name     string
	path     string
	provider Provider
	inputs   []ortgo.InputOutputInfo
	outputs  []ortgo.InputOutputInfo
	mu       sync.Mutex
	s        *ortgo.DynamicAdvancedSession
}

// Open loads the model at path (named role in messages) with the given input
// and output tensor names, on the provider the options ask for.
func Open(role, path string, inputs, outputs []string, opts Options) (*Session, error) {
	if LibraryPath() == "" {
		return nil, errNotInitialised
	}
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("%s model: %w", role, err)
	}
	ins, outs, err := ortgo.GetInputOutputInfo(path)
	if err != nil {
		return nil, fmt.Errorf("%s model %s is not a loadable ONNX model: %w", role, path, err)
	}
	chain := []Provider{opts.Provider}
	if opts.Provider == Auto || opts.Provider == "" {
		chain = []Provider{TensorRT, CUDA, CPU}
	}
	var reasons []string
	for _, p := range chain {
		if err := knownUnavailable(p); err != nil && len(chain) > 1 {
			reasons = append(reasons, fmt.Sprintf("%s: %v", p, err))
			continue
		}
		s, err := openOn(p, path, inputs, outputs, opts)
		if err != nil {
			if len(chain) == 1 {
				return nil, fmt.Errorf("%s model on %s: %w", role, p, err)
			}
			if rememberUnavailable(p, err) {
				opts.logger().Warn("execution provider unavailable, falling back", "provider", string(p), "reason", err.Error())
			}
			reasons = append(reasons, fmt.Sprintf("%s: %v", p, err))
			continue
		}
		opts.logger().Info("model loaded", "role", role, "provider", string(p), "path", path)
		return &Session{name: role, path: path, provider: p, inputs: ins, outputs: outs, s: s}, nil
	}
	return nil, fmt.Errorf("%s model: no execution provider worked (%s)", role, strings.Join(reasons, "; "))
}

// openOn creates the session on exactly provider p.
func openOn(p Provider, path string, inputs, outputs []string, opts Options) (*ortgo.DynamicAdvancedSession, error) {
	so, err := ortgo.NewSessionOptions()
	if err != nil {
		return nil, fmt.Errorf("session options: %w", err)
	}
	defer so.Destroy()
	switch p {
	case TensorRT:
		if err := appendTensorRT(so, opts); err != nil {
			return nil, err
		}
	case CUDA:
		if err := appendCUDA(so, opts); err != nil {
			return nil, err
		}
	case CPU:
		threads := opts.Threads
		if threads <= 0 {
			threads = 1
		}
		if err := so.SetIntraOpNumThreads(threads); err != nil {
			return nil, fmt.Errorf("set threads: %w", err)
		}
	default:
		return nil, fmt.Errorf("unknown provider %q", p)
	}
	s, err := ortgo.NewDynamicAdvancedSession(path, inputs, outputs, so)
	if err != nil {
		return nil, fmt.Errorf("create session: %w", err)
	}
	return s, nil
}

// appendTensorRT configures the TensorRT provider. The option constructors
// succeed even without the provider libraries: the real failure comes from
// Update or Append ("Failed to load library libonnxruntime_providers_shared.so"),
// and that is what the fallback keys on.
func appendTensorRT(so *ortgo.SessionOptions, opts Options) error {
	trt, err := ortgo.NewTensorRTProviderOptions()
	if err != nil {
		return fmt.Errorf("tensorrt options: %w", err)
	}
	defer trt.Destroy()
	m := map[string]string{"device_id": strconv.Itoa(opts.DeviceID)}
	if opts.TRTCacheDir != "" {
		if err := os.MkdirAll(opts.TRTCacheDir, 0o755); err != nil {
			return fmt.Errorf("tensorrt engine cache dir: %w", err)
		}
		m["trt_engine_cache_enable"] = "1"
		m["trt_engine_cache_path"] = opts.TRTCacheDir
		m["trt_timing_cache_enable"] = "1"
		m["trt_timing_cache_path"] = opts.TRTCacheDir
	}
	if opts.FP16 {
		m["trt_fp16_enable"] = "1"
	}
	if err := trt.Update(m); err != nil {
		return fmt.Errorf("tensorrt: %w", err)
	}
	if err := so.AppendExecutionProviderTensorRT(trt); err != nil {
		return fmt.Errorf("tensorrt: %w", err)
	}
	return nil
}

// appendCUDA configures the CUDA provider (same failure pattern as TensorRT).
func appendCUDA(so *ortgo.SessionOptions, opts Options) error {
	cuda, err := ortgo.NewCUDAProviderOptions()
	if err != nil {
		return fmt.Errorf("cuda options: %w", err)
	}
	defer cuda.Destroy()
	if err := cuda.Update(map[string]string{"device_id": strconv.Itoa(opts.DeviceID)}); err != nil {
		return fmt.Errorf("cuda: %w", err)
	}
	if err := so.AppendExecutionProviderCUDA(cuda); err != nil {
		return fmt.Errorf("cuda: %w", err)
	}
	return nil
}

// Provider returns the execution provider the session runs on.
func (s *Session) Provider() Provider { return s.provider }

// Role returns the role name the session was opened with.
func (s *Session) Role() string { return s.name }

// Inputs returns the model's declared inputs.
func (s *Session) Inputs() []ortgo.InputOutputInfo { return s.inputs }

// Outputs returns the model's declared outputs.
func (s *Session) Outputs() []ortgo.InputOutputInfo { return s.outputs }

// Run runs the model on inputs, writing into outputs (entries may be nil to
// let onnxruntime allocate them; the caller then destroys them).
func (s *Session) Run(inputs, outputs []ortgo.Value) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.s == nil {
		return errors.New(s.name + " session is closed")
	}
	if err := s.s.Run(inputs, outputs); err != nil {
		return fmt.Errorf("run %s: %w", s.name, err)
	}
	return nil
}

// Close releases the session. It is safe to call more than once.
func (s *Session) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.s == nil {
		return nil
	}
	err := s.s.Destroy()
	s.s = nil
	return err
}
