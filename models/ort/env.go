// Package ort owns the process-wide onnxruntime environment and opens model
// sessions on the best available execution provider (TensorRT, then CUDA, then
// CPU), falling back on the errors onnxruntime really reports.
package ort

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	ortgo "github.com/yalue/onnxruntime_go"
)

// LibraryEnv is the environment variable that names the onnxruntime shared
// library to load (for example a GPU build with the TensorRT and CUDA providers).
const LibraryEnv = "ONNXRUNTIME_LIB"

// environment is the one onnxruntime environment of the process. onnxruntime
// allows exactly one per process, which is why this is package state.
var environment struct {
	mu      sync.Mutex
	ready   bool
	libPath string
	// probe remembers, per provider, why it could not be used, so that the
	// fallback is explained once per process and not once per model.
	unavailable map[Provider]error
	logged      map[Provider]bool
}

// DefaultLibraryPath returns the library Init loads when given no path:
// $ONNXRUNTIME_LIB, else the copy scripts/setup caches
// ($NEDSTREAM_CACHE or ~/.cache/nedstream, onnxruntime-1.30.0/libonnxruntime.so.1),
// else "libonnxruntime.so.1" for the dynamic loader to find.
func DefaultLibraryPath() string {
	if p := os.Getenv(LibraryEnv); p != "" {
		return p
	}
	cache := os.Getenv("NEDSTREAM_CACHE")
	if cache == "" {
		if dir, err := os.UserCacheDir(); err == nil {
			cache = filepath.Join(dir, "nedstream")
		}
	}
	if cache != "" {
		p := filepath.Join(cache, "onnxruntime-1.30.0", "libonnxruntime.so.1")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return "libonnxruntime.so.1"
}

// Init loads the onnxruntime library at libPath (DefaultLibraryPath when empty)
// and creates the process environment. Later calls are no-ops when they name
// the same library (or none) and an error when they name another one, since a
// process can hold only one.
func Init(libPath string) error {
	environment.mu.Lock()
	defer environment.mu.Unlock()
	if libPath == "" {
		if environment.ready {
			return nil
		}
		libPath = DefaultLibraryPath()
	}
	if environment.ready {
		if libPath != environment.libPath {
			return fmt.Errorf("onnxruntime already initialised from %s; cannot switch to %s in the same process", environment.libPath, libPath)
		}
		return nil
	}
	if filepath.IsAbs(libPath) {
		if _, err := os.Stat(libPath); err != nil {
			return fmt.Errorf("onnxruntime library %s: %w (run scripts/setup, or set %s)", libPath, err, LibraryEnv)
		}
	}
	ortgo.SetSharedLibraryPath(libPath)
	if err := ortgo.InitializeEnvironment(ortgo.WithLogLevelError()); err != nil {
		return fmt.Errorf("initialise onnxruntime from %s: %w (set %s to a working libonnxruntime.so)", libPath, err, LibraryEnv)
	}
	environment.ready = true
	environment.libPath = libPath
	environment.unavailable = map[Provider]error{}
	environment.logged = map[Provider]bool{}
	return nil
}

// LibraryPath returns the library the environment was created from, or "" before Init.
func LibraryPath() string {
	environment.mu.Lock()
	defer environment.mu.Unlock()
	return environment.libPath
}

// Version returns the onnxruntime version string of the loaded library.
func Version() string {
	if !ortgo.IsInitialized() {
		return ""
	}
	return ortgo.GetVersion()
}

// errNotInitialised is returned when a session is opened before Init.
var errNotInitialised = errors.New("onnxruntime environment not initialised (call ort.Init)")

// rememberUnavailable records why provider p cannot be used and reports
// whether this is the first time (so the caller logs it once per process).
func rememberUnavailable(p Provider, err error) bool {
	environment.mu.Lock()
	defer environment.mu.Unlock()
	environment.unavailable[p] = err
	if environment.logged[p] {
		return false
	}
	environment.logged[p] = true
	return true
}

// knownUnavailable returns the remembered reason provider p failed before.
func knownUnavailable(p Provider) error {
	environment.mu.Lock()
	defer environment.mu.Unlock()
	return environment.unavailable[p]
}
