package score

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"

	ortgo "github.com/yalue/onnxruntime_go"

	"github.com/nedstream/nedstream/models/ort"
	"github.com/nedstream/nedstream/trainer/dataset"
)

// imageModel runs an ONNX image model with one input and one output.
type imageModel struct {
	s                 *ort.Session
	in, out           string
	nchw              bool
	w, h, ch, outSize int
}

func openImageModel(role, path string) (*imageModel, error) {
	if err := ort.Init(""); err != nil {
		return nil, fmt.Errorf("onnxruntime: %w", err)
	}
	ins, outs, err := ortgo.GetInputOutputInfo(path)
	if err != nil {
		return nil, fmt.Errorf("%s model %s: %w", role, path, err)
	}
	if len(ins) != 1 || len(outs) < 1 {
		return nil, fmt.Errorf("%s model %s: want one image input and an output, have %d inputs, %d outputs", role, path, len(ins), len(outs))
	}
	d, od := ins[0].Dimensions, outs[0].Dimensions
	if len(d) != 4 || len(od) != 2 || od[1] <= 0 {
		return nil, fmt.Errorf("%s model %s: input %v / output %v (want [N,H,W,C] or [N,C,H,W] and [N,K])", role, path, []int64(d), []int64(od))
	}
	m := &imageModel{in: ins[0].Name, out: outs[0].Name, outSize: int(od[1])}
	switch {
	case (d[1] == 1 || d[1] == 3) && d[2] > 3 && d[3] > 3:
		m.nchw, m.ch, m.h, m.w = true, int(d[1]), int(d[2]), int(d[3])
	case (d[3] == 1 || d[3] == 3) && d[1] > 3 && d[2] > 3:
		m.ch, m.h, m.w = int(d[3]), int(d[1]), int(d[2])
	default:
		return nil, fmt.Errorf("%s model %s: cannot tell the image layout of input %v (want fixed H, W and 1 or 3 channels)", role, path, []int64(d))
	}
	m.s, err = ort.Open(role, path, []string{m.in}, []string{m.out}, ort.Options{Provider: ort.CPU, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// run feeds crops (RGB [0,255] HWC, already w x h) normalised per channel
// as (v/255 - mean[c]) / std[c]; gray models get the luma.
func (m *imageModel) run(crops [][]float32, mean, std [3]float32) ([][]float32, error) {
	n := len(crops)
	x, err := ort.NewFloat32(int64(n), int64(ifv(m.nchw, m.ch, m.h)), int64(ifv(m.nchw, m.h, m.w)), int64(ifv(m.nchw, m.w, m.ch)))
	if err != nil {
		return nil, err
	}
	defer x.Destroy()
	data := x.Data()
	for i, c := range crops {
		for p := range m.w * m.h {
			r, g, b := c[p*3], c[p*3+1], c[p*3+2]
			vals := [3]float32{r, g, b}
			if m.ch == 1 {
				vals[0] = 0.299*r + 0.587*g + 0.114*b
			}
			for k := range m.ch {
				v := (vals[k]/255 - mean[k]) / std[k]
				if m.nchw {
					data[(i*m.ch+k)*m.w*m.h+p] = v
				} else {
					data[(i*m.w*m.h+p)*m.ch+k] = v
				}
			}
		}
	}
	y, err := ort.NewFloat32(int64(n), int64(m.outSize))
	if err != nil {
		return nil, err
	}
	defer y.Destroy()
	if err := m.s.Run([]ortgo.Value{x.Value()}, []ortgo.Value{y.Value()}); err != nil {
		return nil, err
	}
	out := make([][]float32, n)
	for i := range out {
		out[i] = append([]float32(nil), y.Data()[i*m.outSize:(i+1)*m.outSize]...)
	}
	return out, nil
}

func ifv(c bool, a, b int) int {
	if c {
		return a
	}
	return b
}

func (m *imageModel) crops(root string, rec *dataset.Record) ([][]float32, error) {
	if len(rec.Crops) == 0 {
		return nil, fmt.Errorf("clip has no face crops (prepare stores them; synthetic clips have none: use --scorer file)")
	}
	var out [][]float32
	for _, rel := range rec.Crops {
		img, err := readCrop(root, rel)
		if err != nil {
			return nil, err
		}
		out = append(out, resample(img, m.w, m.h))
	}
	return out, nil
}

// ClassifierScorer runs an emotion classifier on the crops.
type ClassifierScorer struct {
	m        *imageModel
	classMap []int
	mean     [3]float32
	std      [3]float32
	softmax  bool
}

// ClassifierOptions describe the classifier's outputs and normalisation.
type ClassifierOptions struct {
	// ClassMap names the class of each output (ParseClassMap).
	ClassMap []int
	// Mean and Std normalise v/255 per channel (mini-Xception: 0.5, 0.5).
	Mean, Std [3]float32
	// Softmax applies a softmax to the outputs (for models that output logits).
	Softmax bool
}

// NewClassifier opens an emotion classifier.
func NewClassifier(path string, o ClassifierOptions) (*ClassifierScorer, error) {
	m, err := openImageModel("emotion classifier", path)
	if err != nil {
		return nil, err
	}
	if len(o.ClassMap) != m.outSize {
		m.s.Close()
		return nil, fmt.Errorf("classifier %s has %d outputs, the class map names %d", path, m.outSize, len(o.ClassMap))
	}
	for _, s := range o.Std {
		if s == 0 {
			m.s.Close()
			return nil, errors.New("classifier: std must not be 0")
		}
	}
	return &ClassifierScorer{m: m, classMap: o.ClassMap, mean: o.Mean, std: o.Std, softmax: o.Softmax}, nil
}

// Frames classifies every crop and returns the label's probability.
func (c *ClassifierScorer) Frames(root string, rec *dataset.Record) ([]float64, bool, error) {
	label, err := dataset.ClassIndex(rec.Emotion)
	if err != nil {
		return nil, false, err
	}
	if _, ok := labelProbability(make([]float64, len(c.classMap)), c.classMap, label); !ok {
		return nil, false, nil
	}
	crops, err := c.m.crops(root, rec)
	if err != nil {
		return nil, false, err
	}
	outs, err := c.m.run(crops, c.mean, c.std)
	if err != nil {
		return nil, false, err
	}
	var ys []float64
	for _, o := range outs {
		p := make([]float64, len(o))
		for i, v := range o {
			p[i] = float64(v)
		}
		if c.softmax {
			p = softmax(p, 1)
		}
		y, _ := labelProbability(p, c.classMap, label)
		ys = append(ys, y)
	}
	return ys, true, nil
}

// Close releases the model.
func (c *ClassifierScorer) Close() error { return c.m.s.Close() }

// CLIP's image normalisation.
var (
	ClipMean = [3]float32{0.48145466, 0.4578275, 0.40821073}
	ClipStd  = [3]float32{0.26862954, 0.26130258, 0.27577711}
)

// ClipLogitScale is CLIP's learned temperature (exp(4.6052) = 100), the
// default scale of the cosine similarities before the softmax.
const ClipLogitScale = 100

// TextEmbeddings is the file format of the clip scorer's class embeddings:
//
//	{"model": "...", "prompt": "a photo of a {} face",
//	 "embeddings": {"neutral": [..D..], "angry": [...], ...}}
//
// Keys go through manipulator.ParseEmotion; a class without an embedding
// cannot be scored (its clips keep lambda 1). Several prompts per class are
// averaged before the file is written (ClassEmbeddings does this with a
// text encoder).
type TextEmbeddings struct {
	Model      string               `json:"model,omitempty"`
	Prompt     string               `json:"prompt,omitempty"`
	Embeddings map[string][]float32 `json:"embeddings"`
	// source names where the embeddings came from, for messages.
	source string
}

// ClipScorer scores crops zero-shot with CLIP.
type ClipScorer struct {
	m     *imageModel
	text  [][]float64 // per class (manipulator order), normalised; nil when absent
	known []int
	scale float64
}

// NewClip opens a CLIP image encoder and takes the class text embeddings
// (ReadTextEmbeddings or ClassEmbeddings); logitScale multiplies the cosine
// similarities before the softmax (0 means ClipLogitScale).
func NewClip(imagePath string, te *TextEmbeddings, logitScale float64) (*ClipScorer, error) {
	if logitScale < 0 || math.IsNaN(logitScale) || math.IsInf(logitScale, 0) {
		return nil, fmt.Errorf("clip logit scale %g: want a positive number", logitScale)
	}
	if logitScale == 0 {
		logitScale = ClipLogitScale
	}
	src := te.source
	if src == "" {
		src = te.Model
	}
	m, err := openImageModel("clip image encoder", imagePath)
	if err != nil {
		return nil, err
	}
	cs := &ClipScorer{m: m, text: make([][]float64, 8), scale: logitScale}
	for name, v := range te.Embeddings {
		c, err := dataset.ClassIndex(name)
		if err != nil {
			m.s.Close()
			return nil, fmt.Errorf("text embeddings %s: %w", src, err)
		}
		if len(v) != m.outSize {
			m.s.Close()
			return nil, fmt.Errorf("text embeddings %s: %s has %d values, the image encoder outputs %d", src, name, len(v), m.outSize)
		}
		cs.text[c] = normalise(v)
		cs.known = append(cs.known, c)
	}
	slices.Sort(cs.known)
	if len(cs.known) < 2 {
		m.s.Close()
		return nil, fmt.Errorf("text embeddings %s: need at least two classes", src)
	}
	return cs, nil
}

func normalise(v []float32) []float64 {
	var n float64
	for _, x := range v {
		n += float64(x) * float64(x)
	}
	n = math.Sqrt(n)
	out := make([]float64, len(v))
	for i, x := range v {
		if n > 0 {
			out[i] = float64(x) / n
		}
	}
	return out
}

// Frames returns CLIP's zero-shot probability of the label per crop.
func (c *ClipScorer) Frames(root string, rec *dataset.Record) ([]float64, bool, error) {
	label, err := dataset.ClassIndex(rec.Emotion)
	if err != nil {
		return nil, false, err
	}
	if c.text[label] == nil {
		return nil, false, nil
	}
	crops, err := c.m.crops(root, rec)
	if err != nil {
		return nil, false, err
	}
	outs, err := c.m.run(crops, ClipMean, ClipStd)
	if err != nil {
		return nil, false, err
	}
	var ys []float64
	for _, o := range outs {
		img := normalise(o)
		sims := make([]float64, 0, len(c.known))
		at := -1
		for _, k := range c.known {
			var s float64
			for i := range img {
				s += img[i] * c.text[k][i]
			}
			if k == label {
				at = len(sims)
			}
			sims = append(sims, s)
		}
		ys = append(ys, softmax(sims, c.scale)[at])
	}
	return ys, true, nil
}

// Close releases the model.
func (c *ClipScorer) Close() error { return c.m.s.Close() }
