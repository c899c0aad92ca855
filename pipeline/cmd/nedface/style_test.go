package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nedstream/nedstream/models/blendshape"
	"github.com/nedstream/nedstream/models/edit"
	"github.com/nedstream/nedstream/models/manipulator"
	"github.com/nedstream/nedstream/models/modeltest"
	"github.com/nedstream/nedstream/models/pack"
)

// TestStyleFromSmilingClip: the talking-face clip smiles (mouthSmile about
// 0.6), so its saved style carries the smile and reads as closest to happy.
func TestStyleFromSmilingClip(t *testing.T) {
	dir := t.TempDir()
	if _, err := pack.Build(pack.BuildOptions{From: modeltest.Upstream(t), Out: dir, Parts: manipulator.PackParts()}); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "style.json")
	var stdout, stderr bytes.Buffer
	clip := filepath.Join(modeltest.Media(t), "talking_face.mp4")
	err := runStyle(context.Background(), []string{"--input", clip, "--out", out, "--pack", dir, "--max-frames", "20"}, &stdout, &stderr)
	t.Logf("%s%s", stdout.String(), stderr.String())
	if err != nil {
		t.Fatal(err)
	}
	sf, err := edit.ReadStyleFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(sf.Coefficients); n < 15 || n > 25 {
		t.Errorf("%d coefficient rows from 20 frames", n)
	}
	smile := blendshape.Index("mouthSmileLeft")
	if len(sf.Style) != manipulator.AnalyticS || sf.Style[smile] < 0.3 {
		t.Errorf("style %v: want %d values with the smile (>= 0.3)", sf.Style, manipulator.AnalyticS)
	}
	if !strings.Contains(stdout.String(), "closest emotion prototype: happy") {
		t.Errorf("the smiling clip is not closest to happy")
	}
	if err := runStyle(context.Background(), []string{"--input", filepath.Join(t.TempDir(), "missing.mp4"), "--out", out, "--pack", dir}, &stdout, &stderr); err == nil {
		t.Error("a missing clip gave a style")
	}
}
