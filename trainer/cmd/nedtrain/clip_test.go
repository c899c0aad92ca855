package main

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nedstream/nedstream/models/modeltest"
	"github.com/nedstream/nedstream/models/onnx"
	"github.com/nedstream/nedstream/trainer/dataset"
	"github.com/nedstream/nedstream/trainer/score/scoretest"
)

// TestScoreClipTextEncoder runs `score --scorer clip` through the text
// encoder route (tiny generated models and merges file), saves the class
// embeddings, and checks that scoring again from the saved embeddings
// gives the same scores.
func TestScoreClipTextEncoder(t *testing.T) {
	modeltest.InitORT(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	// Two clips with one red crop each, labelled happy and sad.
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for i := range 64 {
		img.Set(i%8, i/8, color.RGBA{255, 0, 0, 255})
	}
	os.MkdirAll(filepath.Join(data, "crops"), 0o755)
	f, err := os.Create(filepath.Join(data, "crops", "r.png"))
	if err != nil {
		t.Fatal(err)
	}
	png.Encode(f, img)
	f.Close()
	for _, e := range []string{"happy", "sad"} {
		r := &dataset.Record{Format: dataset.FormatVersion, ID: e, Actor: "a", Emotion: e, Frames: [][]float32{make([]float32, dataset.Coefficients)}, Crops: []string{"crops/r.png"}}
		if err := dataset.Write(data, r); err != nil {
			t.Fatal(err)
		}
	}
	// Image encoder: (mean R, mean B) of the normalised pixels.
	imageEnc := scoretest.ImageEncoder(t, dir, "image.onnx")
	// Merges: "red" one token (r e -> 512, re d</w> -> 513); SOT
	// 514, EOT 515. Text encoder: sum of a table where "red" points along
	// the red image direction's first axis.
	merges := filepath.Join(dir, "bpe.txt")
	os.WriteFile(merges, []byte("#version: 0.2\nr e\nre d</w>\n"), 0o644)
	table := make([]float32, 516*2)
	table[513*2] = 1     // red
	table[514*2+1] = 0.5 // SOT
	tb := onnx.NewBuilder("tiny_text", 17)
	tb.InputOf("input_ids", onnx.TensorProto_INT64, []int64{-1, 77})
	tb.Initializer("table", []int64{516, 2}, table)
	tb.InitializerInt64("axis1", []int64{1}, []int64{1})
	tb.Node("Gather", []string{"table", "input_ids"}, []string{"emb"}, onnx.AttrInt("axis", 0))
	tb.Node("ReduceSum", []string{"emb", "axis1"}, []string{"text_embeds"}, onnx.AttrInt("keepdims", 0))
	tb.Output("text_embeds", []int64{-1, 2})
	textEnc := filepath.Join(dir, "text.onnx")
	if err := tb.WriteFile(textEnc); err != nil {
		t.Fatal(err)
	}
	// "face" has no merges: f a c e</w> = 69 64 66 324.
	if out := nedtrain(t, "tokenize", "--bpe", merges, "a red face", "RED"); out != "514 320 513 69 64 66 324 515\n514 513 515\n" {
		t.Errorf("tokenize: %q", out)
	}
	saved := filepath.Join(dir, "emb.json")
	out := nedtrain(t, "score", "--data", data, "--scorer", "clip", "--image-encoder", imageEnc,
		"--text-encoder", textEnc, "--bpe", merges, "--templates", "a {} face", "--class-words", "happy=red",
		"--logit-scale", "20", "--save-text-embeddings", saved, "--out", filepath.Join(dir, "a.csv"))
	if !strings.Contains(out, "scored 2 clips (0 unjudged") {
		t.Errorf("output: %s", out)
	}
	nedtrain(t, "score", "--data", data, "--scorer", "clip", "--image-encoder", imageEnc,
		"--text-embeddings", saved, "--logit-scale", "20", "--out", filepath.Join(dir, "b.csv"))
	a, _ := os.ReadFile(filepath.Join(dir, "a.csv"))
	bb, _ := os.ReadFile(filepath.Join(dir, "b.csv"))
	if len(a) == 0 || !bytes.Equal(a, bb) {
		t.Errorf("scores differ:\n%s\n%s", a, bb)
	}
	s, err := dataset.ReadScores(filepath.Join(dir, "a.csv"))
	if err != nil {
		t.Fatal(err)
	}
	// The red crop matches "a red face" (happy) best.
	if s["happy"].Y <= s["sad"].Y || s["happy"].Lambda != 1 || s["sad"].Lambda >= 0.6 {
		t.Errorf("happy %+v, sad %+v", s["happy"], s["sad"])
	}
	for _, args := range [][]string{
		{"--image-encoder", imageEnc},
		{"--image-encoder", imageEnc, "--text-embeddings", saved, "--text-encoder", textEnc, "--bpe", merges},
		{"--image-encoder", imageEnc, "--text-encoder", textEnc},
		{"--image-encoder", imageEnc, "--text-encoder", textEnc, "--bpe", merges, "--templates", "no class word"},
		{"--image-encoder", imageEnc, "--text-encoder", textEnc, "--bpe", merges, "--class-words", "fear"},
		{"--image-encoder", imageEnc, "--text-embeddings", saved, "--logit-scale", "0"},
	} {
		err := run(context.Background(), append([]string{"score", "--data", data, "--scorer", "clip"}, args...), &bytes.Buffer{}, &bytes.Buffer{})
		var ue usageError
		if !errors.As(err, &ue) {
			t.Errorf("%v: %v, want a usage error", args, err)
		}
	}
	for _, args := range [][]string{{"tokenize", "x"}, {"tokenize", "--bpe", merges}, {"tokenize", "--bpe", merges, "--context", "1", "x"}} {
		var ue usageError
		if err := run(context.Background(), args, &bytes.Buffer{}, &bytes.Buffer{}); !errors.As(err, &ue) {
			t.Errorf("%v: %v, want a usage error", args, err)
		}
	}
}
