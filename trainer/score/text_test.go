package score_test

import (
	"image/color"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nedstream/nedstream/models/manipulator"
	"github.com/nedstream/nedstream/models/modeltest"
	"github.com/nedstream/nedstream/models/onnx"
	"github.com/nedstream/nedstream/trainer/dataset"
	"github.com/nedstream/nedstream/trainer/score"
	"github.com/nedstream/nedstream/trainer/score/scoretest"
)

// textMerges makes "happy" and "sad" single tokens: 0 h a -> 512 "ha",
// 1 p p -> 513, 2 ha pp -> 514, 3 happ y</w> -> 515 "happy</w>",
// 4 s a -> 516, 5 sa d</w> -> 517 "sad</w>"; SOT 518, EOT 519.
const textMerges = "#version: 0.2\nh a\np p\nha pp\nhapp y</w>\ns a\nsa d</w>\n"

const (
	idHappy = 515
	idSad   = 517
	idSOT   = 518
	vocab   = 520
)

// tinyTextEncoder writes a text encoder: a [vocab,2] embedding table with
// happy = (3,0), sad = (0,3), SOT = (1,1), pad id 0 = pad (others zero),
// summed over the sequence. The variant with a mask takes int32 ids and an
// attention_mask (multiplied in), has a fixed batch of 1 and outputs the sum
// at every position ([N,77,2], pooled at EOT by the scorer).
func tinyTextEncoder(t *testing.T, dir string, withMask bool, pad [2]float32) string {
	t.Helper()
	b := onnx.NewBuilder("tiny_clip_text", 17)
	table := make([]float32, vocab*2)
	table[idHappy*2] = 3
	table[idSad*2+1] = 3
	table[idSOT*2], table[idSOT*2+1] = 1, 1
	table[0], table[1] = pad[0], pad[1]
	b.Initializer("table", []int64{vocab, 2}, table)
	b.InitializerInt64("axis1", []int64{1}, []int64{1})
	if withMask {
		b.InputOf("input_ids", onnx.TensorProto_INT32, []int64{1, 77})
		b.InputOf("attention_mask", onnx.TensorProto_INT32, []int64{1, 77})
		b.InitializerInt64("axis2", []int64{1}, []int64{2})
		b.InitializerInt64("reps", []int64{3}, []int64{1, 77, 1})
		b.Node("Gather", []string{"table", "input_ids"}, []string{"emb"}, onnx.AttrInt("axis", 0))
		b.Node("Cast", []string{"attention_mask"}, []string{"maskf"}, onnx.AttrInt("to", int64(onnx.TensorProto_FLOAT)))
		b.Node("Unsqueeze", []string{"maskf", "axis2"}, []string{"mask3"})
		b.Node("Mul", []string{"emb", "mask3"}, []string{"masked"})
		b.Node("ReduceSum", []string{"masked", "axis1"}, []string{"sum"}, onnx.AttrInt("keepdims", 1))
		b.Node("Tile", []string{"sum", "reps"}, []string{"last_hidden_state"})
		b.Output("last_hidden_state", []int64{1, 77, 2})
	} else {
		b.InputOf("input_ids", onnx.TensorProto_INT64, []int64{-1, 77})
		b.Node("Gather", []string{"table", "input_ids"}, []string{"emb"}, onnx.AttrInt("axis", 0))
		b.Node("ReduceSum", []string{"emb", "axis1"}, []string{"text_embeds"}, onnx.AttrInt("keepdims", 0))
		b.Output("text_embeds", []int64{-1, 2})
	}
	p := filepath.Join(dir, "text.onnx")
	if withMask {
		p = filepath.Join(dir, "text_mask.onnx")
	}
	if err := b.WriteFile(p); err != nil {
		t.Fatal(err)
	}
	return p
}

func unit(v ...float64) []float64 {
	n := math.Hypot(v[0], v[1])
	return []float64{v[0] / n, v[1] / n}
}

func TestClassEmbeddings(t *testing.T) {
	modeltest.InitORT(t)
	dir := t.TempDir()
	merges := filepath.Join(dir, "bpe.txt")
	if err := os.WriteFile(merges, []byte(textMerges), 0o644); err != nil {
		t.Fatal(err)
	}
	// "{}" and "a {}" both give happy SOT+happy = (4,1).
	o := score.TextEncoderOptions{Templates: []string{"{}", "a {}"}}
	want := map[string][]float64{"happy": unit(4, 1), "sad": unit(1, 4), "neutral": unit(1, 1), "angry": unit(1, 1)}
	for _, withMask := range []bool{false, true} {
		// The pad row is zero for the plain model; with a mask it is large,
		// so forgetting the mask would show.
		pad := [2]float32{}
		if withMask {
			pad = [2]float32{5, -5}
		}
		te, err := score.ClassEmbeddings(tinyTextEncoder(t, dir, withMask, pad), merges, o)
		if err != nil {
			t.Fatalf("mask %v: %v", withMask, err)
		}
		if len(te.Embeddings) != manipulator.NumClasses {
			t.Errorf("mask %v: %d classes", withMask, len(te.Embeddings))
		}
		for name, w := range want {
			got := te.Embeddings[name]
			if len(got) != 2 || math.Abs(float64(got[0])-w[0]) > 1e-6 || math.Abs(float64(got[1])-w[1]) > 1e-6 {
				t.Errorf("mask %v: %s = %v, want %v", withMask, name, got, w)
			}
		}
	}
	// Unequal templates are averaged after normalisation: happy with
	// "{}" (4,1) and "{} happy" (7,1).
	te, err := score.ClassEmbeddings(filepath.Join(dir, "text.onnx"), merges, score.TextEncoderOptions{Templates: []string{"{}", "{} happy"}})
	if err != nil {
		t.Fatal(err)
	}
	a, b := unit(4, 1), unit(7, 1)
	m := unit(a[0]+b[0], a[1]+b[1])
	if got := te.Embeddings["happy"]; math.Abs(float64(got[0])-m[0]) > 1e-6 || math.Abs(float64(got[1])-m[1]) > 1e-6 {
		t.Errorf("averaged happy %v, want %v", got, m)
	}
	// Errors: missing merges, an image model as text encoder, a model
	// whose outputs are all zero for some class.
	if _, err := score.ClassEmbeddings(filepath.Join(dir, "text.onnx"), filepath.Join(dir, "none.txt"), o); err == nil {
		t.Error("missing merges file accepted")
	}
	if _, err := score.ClassEmbeddings(tinyClassifier(t, dir), merges, o); err == nil || !strings.Contains(err.Error(), "int64 or int32") {
		t.Errorf("image model as text encoder: %v", err)
	}
	zero := onnx.NewBuilder("zero_text", 17)
	zero.InputOf("input_ids", onnx.TensorProto_INT64, []int64{-1, 77})
	zero.Initializer("table", []int64{vocab, 2}, make([]float32, vocab*2))
	zero.InitializerInt64("axis1", []int64{1}, []int64{1})
	zero.Node("Gather", []string{"table", "input_ids"}, []string{"emb"}, onnx.AttrInt("axis", 0))
	zero.Node("ReduceSum", []string{"emb", "axis1"}, []string{"out"}, onnx.AttrInt("keepdims", 0))
	zero.Output("out", []int64{-1, 2})
	zp := filepath.Join(dir, "zero.onnx")
	if err := zero.WriteFile(zp); err != nil {
		t.Fatal(err)
	}
	if _, err := score.ClassEmbeddings(zp, merges, o); err == nil {
		t.Error("zero embeddings accepted")
	}
}

// TestClipTextRoute runs the clip scorer with embeddings from the text
// encoder: image embedding (mean R, mean B) of a red crop against the
// class embeddings above, logit scale 10.
func TestClipTextRoute(t *testing.T) {
	modeltest.InitORT(t)
	dir := t.TempDir()
	merges := filepath.Join(dir, "bpe.txt")
	os.WriteFile(merges, []byte(textMerges), 0o644)
	te, err := score.ClassEmbeddings(tinyTextEncoder(t, dir, false, [2]float32{}), merges, score.TextEncoderOptions{Templates: []string{"a photo of a {} face."}})
	if err != nil {
		t.Fatal(err)
	}
	saved := filepath.Join(dir, "emb.json")
	if err := score.WriteTextEmbeddings(saved, te); err != nil {
		t.Fatal(err)
	}
	back, err := score.ReadTextEmbeddings(saved)
	if err != nil || len(back.Embeddings) != manipulator.NumClasses {
		t.Fatalf("saved embeddings: %v", err)
	}
	img := scoretest.ImageEncoder(t, dir, "clip.onnx")
	s, err := score.NewClip(img, back, 10)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	red := writeCrop(t, dir, "r.png", color.RGBA{255, 0, 0, 255}, 9, 9)
	res, err := score.Run(dir, []*dataset.Record{rec("h", "happy", red), rec("s", "sad", red)}, s, score.Options{Threshold: 0.6}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// "a photo of a happy face." has no other token with an embedding:
	// happy (4,1), sad (1,4), the six others (1,1).
	r := float64((1 - score.ClipMean[0]) / score.ClipStd[0])
	bl := float64((0 - score.ClipMean[2]) / score.ClipStd[2])
	im := unit(r, bl)
	cos := func(v []float64) float64 { return im[0]*v[0] + im[1]*v[1] }
	eh, es, eo := math.Exp(10*cos(unit(4, 1))), math.Exp(10*cos(unit(1, 4))), math.Exp(10*cos(unit(1, 1)))
	z := eh + es + 6*eo
	for i, want := range []float64{eh / z, es / z} {
		if math.Abs(res[i].Y-want) > 1e-4 {
			t.Errorf("%s: y %g, want %g", res[i].ID, res[i].Y, want)
		}
	}
	if _, err := score.NewClip(img, back, -1); err == nil {
		t.Error("negative logit scale accepted")
	}
}

func TestPromptOptions(t *testing.T) {
	if ts, err := score.ParseTemplates(" a {} face ; {} ;"); err != nil || len(ts) != 2 || ts[0] != "a {} face" {
		t.Errorf("templates %q, %v", ts, err)
	}
	for _, bad := range []string{"", ";", "a face", "{} and {}"} {
		if _, err := score.ParseTemplates(bad); err == nil {
			t.Errorf("templates %q accepted", bad)
		}
	}
	w, err := score.ParseClassWords("fear=scared, contempt = scornful")
	if err != nil || w[4] != "scared" || w[2] != "scornful" || w[5] != "happy" {
		t.Errorf("class words %q, %v", w, err)
	}
	for _, bad := range []string{"fear", "boredom=bored", "fear="} {
		if _, err := score.ParseClassWords(bad); err == nil {
			t.Errorf("class words %q accepted", bad)
		}
	}
}
