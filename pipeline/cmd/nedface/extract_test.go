package main

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/nedstream/nedstream/models/modeltest"
	"github.com/nedstream/nedstream/trainer/dataset"
)

// TestExtractMaxFrames: --max-frames N gives exactly N frames of the talking
// face (which shows the face from its first frame), and crops from within
// those frames.
func TestExtractMaxFrames(t *testing.T) {
	pack := modeltest.Pack(t)
	clip := filepath.Join(modeltest.Media(t), "talking_face.mp4")
	for _, n := range []int{5, 12} {
		out := t.TempDir()
		args := []string{"extract", "--input", clip, "--out", out, "--id", "x", "--actor", "a", "--emotion", "happy",
			"--pack", pack, "--max-frames", strconv.Itoa(n), "--crops", "0"}
		if n == 12 {
			args[len(args)-1] = "2"
		}
		var stderr bytes.Buffer
		if err := run(context.Background(), args, io.Discard, &stderr); err != nil {
			t.Fatalf("extract --max-frames %d: %v\n%s", n, err, stderr.String())
		}
		rec, err := dataset.Read(dataset.ClipPath(out, "x"))
		if err != nil {
			t.Fatal(err)
		}
		if len(rec.Frames) != n || len(rec.Pose) != n {
			t.Errorf("--max-frames %d: %d frames, %d poses", n, len(rec.Frames), len(rec.Pose))
		}
		if n == 12 && len(rec.Crops) == 0 {
			t.Errorf("--max-frames 12: no crops")
		}
	}
}
