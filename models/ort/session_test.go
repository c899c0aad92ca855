package ort_test

import (
	"bytes"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nedstream/nedstream/models/modeltest"
	"github.com/nedstream/nedstream/models/ort"
)

func TestParseProvider(t *testing.T) {
	for in, want := range map[string]ort.Provider{"": ort.Auto, "AUTO": ort.Auto, "TensorRT": ort.TensorRT, "cuda": ort.CUDA, " cpu ": ort.CPU} {
		got, err := ort.ParseProvider(in)
		if err != nil || got != want {
			t.Errorf("ParseProvider(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ort.ParseProvider("gpu"); err == nil || !strings.Contains(err.Error(), "auto, tensorrt, cuda or cpu") {
		t.Errorf("bad provider: %v", err)
	}
}

// TestAutoFallsBack: on a machine whose onnxruntime has no GPU providers
// (this CPU build), auto ends on the CPU and says why, once per process.
// On a machine with working TensorRT, it must pick TensorRT instead.
func TestAutoFallsBack(t *testing.T) {
	modeltest.InitORT(t)
	path := filepath.Join(modeltest.Upstream(t), "face_blendshapes.onnx")
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	opts := ort.Options{Provider: ort.Auto, Logger: log, TRTCacheDir: t.TempDir(), FP16: true}
	in, out := []string{"serving_default_input_points:0"}, []string{"StatefulPartitionedCall:0"}
	s1, err := ort.Open("blendshapes", path, in, out, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s1.Close()
	s2, err := ort.Open("blendshapes", path, in, out, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	t.Logf("provider %s\n%s", s1.Provider(), logs.String())
	if s1.Provider() == ort.CPU {
		if n := strings.Count(logs.String(), "falling back"); n > 2 {
			t.Errorf("fallback explained %d times, want at most once per provider", n)
		}
	}
	if n := strings.Count(logs.String(), "model loaded"); n != 2 {
		t.Errorf("want one 'model loaded' line per session naming the provider, got %d", n)
	}
	if !strings.Contains(logs.String(), "provider="+string(s1.Provider())) {
		t.Error("log line does not name the provider")
	}
}

// TestExplicitProviderErrors: asking for a provider the library lacks is an
// error that names it (no silent CPU fallback when the user chose).
func TestExplicitProviderErrors(t *testing.T) {
	modeltest.InitORT(t)
	path := filepath.Join(modeltest.Upstream(t), "face_blendshapes.onnx")
	s, err := ort.Open("blendshapes", path, []string{"serving_default_input_points:0"}, []string{"StatefulPartitionedCall:0"}, ort.Options{Provider: ort.TensorRT})
	if err == nil {
		s.Close()
		t.Skip("this onnxruntime has a working TensorRT provider")
	}
	if !strings.Contains(err.Error(), "tensorrt") {
		t.Errorf("error does not name the provider: %v", err)
	}
}

func TestMissingModel(t *testing.T) {
	modeltest.InitORT(t)
	_, err := ort.Open("detector", filepath.Join(t.TempDir(), "nope.onnx"), nil, nil, ort.Options{Provider: ort.CPU})
	if err == nil || !strings.Contains(err.Error(), "detector model") {
		t.Fatalf("missing model: %v", err)
	}
}

func TestSecondLibraryRejected(t *testing.T) {
	modeltest.InitORT(t)
	if err := ort.Init("/somewhere/else/libonnxruntime.so"); err == nil {
		t.Fatal("a second library in one process must be refused")
	}
}
