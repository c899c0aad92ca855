package score_test

import (
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/nedstream/nedstream/models/modeltest"
	"github.com/nedstream/nedstream/models/onnx"
	"github.com/nedstream/nedstream/trainer/dataset"
	"github.com/nedstream/nedstream/trainer/lambda"
	"github.com/nedstream/nedstream/trainer/score"
	"github.com/nedstream/nedstream/trainer/score/scoretest"
)

// writeCrop writes a uniform w x h crop and returns its path relative to root.
func writeCrop(t *testing.T, root, name string, c color.RGBA, w, h int) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, c)
		}
	}
	if err := os.MkdirAll(filepath.Join(root, "crops"), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(root, "crops", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	return "crops/" + name
}

func rec(id, emotion string, crops ...string) *dataset.Record {
	return &dataset.Record{Format: 1, ID: id, Actor: "a", Emotion: emotion, Frames: [][]float32{make([]float32, 52)}, Crops: crops}
}

// tinyClassifier: gray NHWC 8x8 input; logits = [mean, -mean, 0] of the
// normalised pixels; softmax. Outputs map to happy, sad, (other).
func tinyClassifier(t *testing.T, dir string) string {
	b := onnx.NewBuilder("tiny_emotion", 17)
	b.Input("img", []int64{-1, 8, 8, 1})
	w := make([]float32, 64*3)
	for i := range 64 {
		w[i*3] = 1.0 / 64
		w[i*3+1] = -1.0 / 64
	}
	b.Initializer("w", []int64{64, 3}, w)
	b.Node("Flatten", []string{"img"}, []string{"flat"}, onnx.AttrInt("axis", 1))
	b.Node("MatMul", []string{"flat", "w"}, []string{"logits"})
	b.Node("Softmax", []string{"logits"}, []string{"probs"}, onnx.AttrInt("axis", 1))
	b.Output("probs", []int64{-1, 3})
	p := filepath.Join(dir, "cls.onnx")
	if err := b.WriteFile(p); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestClassifierScorer(t *testing.T) {
	modeltest.InitORT(t)
	root := t.TempDir()
	white := writeCrop(t, root, "w.png", color.RGBA{255, 255, 255, 255}, 20, 16)
	black := writeCrop(t, root, "b.png", color.RGBA{0, 0, 0, 255}, 20, 16)
	cm, err := score.ParseClassMap("happy, sadness, -")
	if err != nil {
		t.Fatal(err)
	}
	s, err := score.NewClassifier(tinyClassifier(t, root), score.ClassifierOptions{ClassMap: cm, Mean: [3]float32{0.5, 0.5, 0.5}, Std: [3]float32{0.5, 0.5, 0.5}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// white: normalised pixel 1 -> logits [1,-1,0]; p(happy) among {happy, sad}
	e, ei := math.E, 1/math.E
	pw := e / (e + ei)
	recs := []*dataset.Record{rec("h1", "happy", white, black), rec("s1", "sad", black), rec("c1", "contempt", white)}
	res, err := score.Run(root, recs, s, score.Options{Threshold: 0.6, Aggregation: lambda.Mean}, nil)
	if err != nil {
		t.Fatal(err)
	}
	wantY := []float64{(pw + (1 - pw)) / 2, pw, 1}
	wantL := []float64{0.5, 1, 1}
	for i, r := range res {
		if math.Abs(r.Y-wantY[i]) > 1e-5 || math.Abs(r.Lambda-wantL[i]) > 1e-5 {
			t.Errorf("%s: y %g lambda %g, want %g %g", r.ID, r.Y, r.Lambda, wantY[i], wantL[i])
		}
	}
	if res[2].Judged {
		t.Error("contempt judged by a classifier without contempt")
	}
	// min aggregation makes h1 strict.
	res, _ = score.Run(root, recs[:1], s, score.Options{Threshold: 0.6, Aggregation: lambda.Min}, nil)
	if math.Abs(res[0].Y-(1-pw)) > 1e-5 {
		t.Errorf("min aggregation: %g", res[0].Y)
	}
	// Errors: clip without crops, wrong class map size.
	if _, err := score.Run(root, []*dataset.Record{rec("x", "happy")}, s, score.Options{Threshold: 0.6}, nil); err == nil {
		t.Error("clip without crops scored")
	}
	if _, err := score.NewClassifier(tinyClassifier(t, root), score.ClassifierOptions{ClassMap: cm[:2], Std: [3]float32{1, 1, 1}}); err == nil {
		t.Error("class map of the wrong size accepted")
	}
}

// TestClipScorer: the tiny CLIP image encoder (embedding = [mean R,
// mean B] of the normalised pixels) against fixed text embeddings.
func TestClipScorer(t *testing.T) {
	modeltest.InitORT(t)
	root := t.TempDir()
	model := scoretest.ImageEncoder(t, root, "clip.onnx")
	te := score.TextEmbeddings{Embeddings: map[string][]float32{"happy": {1, 0}, "sad": {0, 1}, "angry": {-1, 0}}}
	raw, _ := json.Marshal(te)
	text := filepath.Join(root, "text.json")
	if err := os.WriteFile(text, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	tr, err := score.ReadTextEmbeddings(text)
	if err != nil {
		t.Fatal(err)
	}
	s, err := score.NewClip(model, tr, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	red := writeCrop(t, root, "r.png", color.RGBA{255, 0, 0, 255}, 9, 9)
	res, err := score.Run(root, []*dataset.Record{rec("h", "happy", red), rec("s", "sad", red), rec("n", "neutral", red)}, s, score.Options{Threshold: 0.6}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Expected from CLIP's formula in Go.
	r := (1 - score.ClipMean[0]) / score.ClipStd[0]
	bl := (0 - score.ClipMean[2]) / score.ClipStd[2]
	n := math.Hypot(float64(r), float64(bl))
	sims := []float64{-float64(r) / n, float64(r) / n, float64(bl) / n} // angry, happy, sad
	var z float64
	for _, v := range sims {
		z += math.Exp(100 * v)
	}
	want := []float64{math.Exp(100*sims[1]) / z, math.Exp(100*sims[2]) / z}
	for i := range 2 {
		if math.Abs(res[i].Y-want[i]) > 1e-4 {
			t.Errorf("%s: y %g, want %g", res[i].ID, res[i].Y, want[i])
		}
	}
	if res[0].Lambda != 1 || res[1].Lambda > 0.01 {
		t.Errorf("lambdas %g %g", res[0].Lambda, res[1].Lambda)
	}
	if res[2].Judged {
		t.Error("neutral has no text embedding and must not be judged")
	}
	// Embedding width mismatch.
	te.Embeddings["happy"] = []float32{1, 0, 0}
	raw, _ = json.Marshal(te)
	os.WriteFile(text, raw, 0o644)
	if tr, err = score.ReadTextEmbeddings(text); err != nil {
		t.Fatal(err)
	}
	if _, err := score.NewClip(model, tr, 0); err == nil {
		t.Error("embedding of the wrong width accepted")
	}
}

func TestFileScorer(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "s.csv")
	os.WriteFile(p, []byte("id,y\na,0.3\nb,0.9\n"), 0o644)
	s, err := score.NewFile(p)
	if err != nil {
		t.Fatal(err)
	}
	res, err := score.Run(dir, []*dataset.Record{rec("a", "happy"), rec("b", "sad")}, s, score.Options{Threshold: 0.6}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Lambda != 0.3 || res[1].Lambda != 1 {
		t.Errorf("lambdas %v %v", res[0].Lambda, res[1].Lambda)
	}
	if _, err := score.Run(dir, []*dataset.Record{rec("c", "happy")}, s, score.Options{Threshold: 0.6}, nil); err == nil {
		t.Error("clip missing from the file scored")
	}
	os.WriteFile(p, []byte("id,y\na,1.3\n"), 0o644)
	if _, err := score.NewFile(p); err == nil {
		t.Error("y > 1 accepted")
	}
}
