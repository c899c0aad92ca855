// Package modeltest locates the real upstream models and demo media for
// tests and initialises onnxruntime once for a test binary.
package modeltest

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/nedstream/nedstream/models/ort"
	"github.com/nedstream/nedstream/models/pack"
)

// UpstreamEnv overrides where the upstream model files are read from.
const UpstreamEnv = "NEDSTREAM_UPSTREAM"

// MediaEnv overrides where the demo media are read from.
const MediaEnv = "NEDSTREAM_MEDIA"

// repoRoot is the checkout this file lives in.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// Upstream returns the upstream model directory (../shared/models/upstream
// beside the checkout, or $NEDSTREAM_UPSTREAM) and fails the test loudly when
// it is missing: these tests are about the real models.
func Upstream(t testing.TB) string {
	t.Helper()
	return mustDir(t, UpstreamEnv, filepath.Join(repoRoot(), "..", "shared", "models", "upstream"), "face_landmark_468.onnx")
}

// Media returns the demo media directory (../shared/media or $NEDSTREAM_MEDIA).
func Media(t testing.TB) string {
	t.Helper()
	return mustDir(t, MediaEnv, filepath.Join(repoRoot(), "..", "shared", "media"), "astronaut.png")
}

func mustDir(t testing.TB, env, def, probe string) string {
	dir := os.Getenv(env)
	if dir == "" {
		dir = def
	}
	dir = filepath.Clean(dir)
	if _, err := os.Stat(filepath.Join(dir, probe)); err != nil {
		t.Fatalf("real models/media not found: %v (put ../shared beside the checkout or set %s)", err, env)
	}
	return dir
}

// InitORT initialises the onnxruntime environment (ort.DefaultLibraryPath) or
// fails the test with the reason.
func InitORT(t testing.TB) {
	t.Helper()
	if err := ort.Init(""); err != nil {
		t.Fatalf("onnxruntime: %v", err)
	}
}

// Pack builds a model pack from the upstream files into a temporary
// directory and returns its path.
func Pack(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	if _, err := pack.Build(pack.BuildOptions{From: Upstream(t), Out: dir}); err != nil {
		t.Fatalf("build model pack: %v", err)
	}
	return dir
}
