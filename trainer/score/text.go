package score

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"strings"

	ortgo "github.com/yalue/onnxruntime_go"

	"github.com/nedstream/nedstream/models/manipulator"
	"github.com/nedstream/nedstream/models/ort"
	"github.com/nedstream/nedstream/trainer/cliptok"
	"github.com/nedstream/nedstream/trainer/dataset"
)

// DefaultTemplates are the prompt templates of the clip scorer's text route;
// "{}" stands for the class word. Each class's embedding is the normalised
// mean of its templates' normalised embeddings (CLIP's zero-shot recipe).
var DefaultTemplates = []string{
	"a photo of a {} face.",
	"a close-up photo of a {} face.",
	"a photo of a person with a {} expression.",
	"a photo of a {} looking person.",
	"a cropped photo of a {} face.",
}

// DefaultClassWords are the words put into the templates for each class, in
// manipulator.Classes order.
var DefaultClassWords = [manipulator.NumClasses]string{
	"neutral", "angry", "contemptuous", "disgusted", "fearful", "happy", "sad", "surprised",
}

// ParseClassWords reads "class=word,class=word" overrides of
// DefaultClassWords (class names through manipulator.ParseEmotion) and
// returns the full list.
func ParseClassWords(s string) ([manipulator.NumClasses]string, error) {
	words := DefaultClassWords
	if strings.TrimSpace(s) == "" {
		return words, nil
	}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(kv, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || v == "" {
			return words, fmt.Errorf("class word %q: want class=word", kv)
		}
		c, err := dataset.ClassIndex(k)
		if err != nil {
			return words, fmt.Errorf("class word %q: %w", kv, err)
		}
		words[c] = v
	}
	return words, nil
}

// ParseTemplates splits ";"-separated templates, each of which must contain
// "{}" once.
func ParseTemplates(s string) ([]string, error) {
	var out []string
	for _, t := range strings.Split(s, ";") {
		t = strings.TrimSpace(t)
		if t == "" {
			continue
		}
		if strings.Count(t, "{}") != 1 {
			return nil, fmt.Errorf("template %q: want exactly one {} for the class word", t)
		}
		out = append(out, t)
	}
	if len(out) == 0 {
		return nil, errors.New("no prompt templates given")
	}
	return out, nil
}

// TextEncoderOptions control ClassEmbeddings.
type TextEncoderOptions struct {
	// Templates are the prompt templates (DefaultTemplates when empty).
	Templates []string
	// Words are the class words (DefaultClassWords when all empty).
	Words [manipulator.NumClasses]string
}

// textModel is a CLIP text encoder ONNX: input_ids [N,L] int64 or int32
// (and optionally attention_mask of the same type), output [N,D], or
// [N,L,D] pooled here at the EOT position (argmax of the ids).
type textModel struct {
	s           *ort.Session
	ids, mask   string
	int32Input  bool
	batch, ctxL int
	out         string
	rank3       bool
}

func openTextModel(path string) (*textModel, error) {
	if err := ort.Init(""); err != nil {
		return nil, fmt.Errorf("onnxruntime: %w", err)
	}
	ins, outs, err := ortgo.GetInputOutputInfo(path)
	if err != nil {
		return nil, fmt.Errorf("clip text encoder %s: %w", path, err)
	}
	m := &textModel{ctxL: cliptok.ContextLength}
	var idsInfo *ortgo.InputOutputInfo
	for i := range ins {
		in := &ins[i]
		switch {
		case strings.Contains(strings.ToLower(in.Name), "mask"):
			m.mask = in.Name
		case idsInfo == nil:
			idsInfo = in
		default:
			return nil, fmt.Errorf("clip text encoder %s: unexpected input %q (want input_ids and optionally attention_mask)", path, in.Name)
		}
	}
	if idsInfo == nil {
		return nil, fmt.Errorf("clip text encoder %s: no token-id input", path)
	}
	m.ids = idsInfo.Name
	switch idsInfo.DataType {
	case ortgo.TensorElementDataTypeInt64:
	case ortgo.TensorElementDataTypeInt32:
		m.int32Input = true
	default:
		return nil, fmt.Errorf("clip text encoder %s: input %s is %v (want int64 or int32 token ids)", path, m.ids, idsInfo.DataType)
	}
	d := idsInfo.Dimensions
	if len(d) != 2 {
		return nil, fmt.Errorf("clip text encoder %s: input %s has shape %v (want [N,%d])", path, m.ids, []int64(d), cliptok.ContextLength)
	}
	if d[0] > 0 {
		m.batch = int(d[0])
	}
	if d[1] > 0 {
		m.ctxL = int(d[1])
	}
	if m.ctxL < 2 {
		return nil, fmt.Errorf("clip text encoder %s: context length %d", path, m.ctxL)
	}
	var outInfo *ortgo.InputOutputInfo
	for i := range outs {
		if outs[i].Name == "text_embeds" {
			outInfo = &outs[i]
		}
	}
	if outInfo == nil {
		for i := range outs {
			if n := len(outs[i].Dimensions); n == 2 || n == 3 {
				outInfo = &outs[i]
				break
			}
		}
	}
	if outInfo == nil {
		return nil, fmt.Errorf("clip text encoder %s: no output of shape [N,D] or [N,L,D]", path)
	}
	if outInfo.DataType != ortgo.TensorElementDataTypeFloat {
		return nil, fmt.Errorf("clip text encoder %s: output %s is %v (want float)", path, outInfo.Name, outInfo.DataType)
	}
	m.out = outInfo.Name
	m.rank3 = len(outInfo.Dimensions) == 3
	inputs := []string{m.ids}
	if m.mask != "" {
		inputs = append(inputs, m.mask)
	}
	m.s, err = ort.Open("clip text encoder", path, inputs, []string{m.out}, ort.Options{Provider: ort.CPU, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return nil, err
	}
	return m, nil
}

func (m *textModel) close() error { return m.s.Close() }

// newIDs makes an int64 or int32 tensor [n,L] of rows.
func (m *textModel) newIDs(rows [][]int32, mask bool) (ortgo.Value, error) {
	n, l := len(rows), m.ctxL
	shape := ortgo.NewShape(int64(n), int64(l))
	val := func(r []int32, i int) int64 {
		if !mask {
			return int64(r[i])
		}
		if i <= cliptok.EOTIndex(r) {
			return 1
		}
		return 0
	}
	if m.int32Input {
		data := make([]int32, n*l)
		for k, r := range rows {
			for i := range l {
				data[k*l+i] = int32(val(r, i))
			}
		}
		return ortgo.NewTensor(shape, data)
	}
	data := make([]int64, n*l)
	for k, r := range rows {
		for i := range l {
			data[k*l+i] = val(r, i)
		}
	}
	return ortgo.NewTensor(shape, data)
}

// encode runs the model on tokenized rows and returns one embedding each.
func (m *textModel) encode(rows [][]int32) ([][]float32, error) {
	var out [][]float32
	for start := 0; start < len(rows); {
		b := len(rows) - start
		if m.batch > 0 {
			b = m.batch
		}
		chunk := make([][]int32, b)
		for i := range chunk {
			// A fixed batch size is filled with copies of the last row.
			chunk[i] = rows[min(start+i, len(rows)-1)]
		}
		embs, err := m.run(chunk)
		if err != nil {
			return nil, err
		}
		take := min(b, len(rows)-start)
		out = append(out, embs[:take]...)
		start += take
	}
	return out, nil
}

func (m *textModel) run(rows [][]int32) ([][]float32, error) {
	ids, err := m.newIDs(rows, false)
	if err != nil {
		return nil, fmt.Errorf("clip text encoder input: %w", err)
	}
	defer ids.Destroy()
	inputs := []ortgo.Value{ids}
	if m.mask != "" {
		mask, err := m.newIDs(rows, true)
		if err != nil {
			return nil, fmt.Errorf("clip text encoder mask: %w", err)
		}
		defer mask.Destroy()
		inputs = append(inputs, mask)
	}
	outs := []ortgo.Value{nil}
	if err := m.s.Run(inputs, outs); err != nil {
		return nil, err
	}
	defer outs[0].Destroy()
	t, ok := outs[0].(*ortgo.Tensor[float32])
	if !ok {
		return nil, fmt.Errorf("clip text encoder output %s is not a float tensor", m.out)
	}
	shape, data := t.GetShape(), t.GetData()
	n := len(rows)
	want := 2
	if m.rank3 {
		want = 3
	}
	if len(shape) != want || int(shape[0]) != n || (m.rank3 && int(shape[1]) != m.ctxL) {
		return nil, fmt.Errorf("clip text encoder output %s has shape %v for %d prompts", m.out, []int64(shape), n)
	}
	d := int(shape[len(shape)-1])
	res := make([][]float32, n)
	for k, r := range rows {
		off := k * d
		if m.rank3 {
			off = (k*m.ctxL + cliptok.EOTIndex(r)) * d
		}
		res[k] = append([]float32(nil), data[off:off+d]...)
	}
	return res, nil
}

// ClassEmbeddings computes the clip scorer's class embeddings with a CLIP
// text encoder ONNX and CLIP's merges file: for every class, the prompts
// (templates with the class word) are tokenized, encoded, L2-normalised,
// averaged and normalised again.
func ClassEmbeddings(encoderPath, mergesPath string, o TextEncoderOptions) (*TextEmbeddings, error) {
	tok, err := cliptok.Load(mergesPath)
	if err != nil {
		return nil, err
	}
	templates := o.Templates
	if len(templates) == 0 {
		templates = DefaultTemplates
	}
	words := o.Words
	if words == ([manipulator.NumClasses]string{}) {
		words = DefaultClassWords
	}
	m, err := openTextModel(encoderPath)
	if err != nil {
		return nil, err
	}
	defer m.close()
	var rows [][]int32
	for c := range manipulator.NumClasses {
		if words[c] == "" {
			return nil, fmt.Errorf("class %s has no word for the prompts", manipulator.Classes[c])
		}
		for _, t := range templates {
			rows = append(rows, tok.Tokenize(strings.Replace(t, "{}", words[c], 1), m.ctxL))
		}
	}
	embs, err := m.encode(rows)
	if err != nil {
		return nil, err
	}
	te := &TextEmbeddings{Model: encoderPath, Prompt: strings.Join(templates, "; "), Embeddings: map[string][]float32{}, source: "from " + encoderPath}
	for c := range manipulator.NumClasses {
		var mean []float64
		for k := range templates {
			v := normalise(embs[c*len(templates)+k])
			if mean == nil {
				mean = make([]float64, len(v))
			}
			for i := range v {
				mean[i] += v[i]
			}
		}
		var n float64
		for _, x := range mean {
			n += x * x
		}
		if n == 0 || math.IsNaN(n) || math.IsInf(n, 0) {
			return nil, fmt.Errorf("clip text encoder: the embedding of class %s is zero or not finite", manipulator.Classes[c])
		}
		n = math.Sqrt(n)
		out := make([]float32, len(mean))
		for i, x := range mean {
			out[i] = float32(x / n)
		}
		te.Embeddings[manipulator.Classes[c]] = out
	}
	return te, nil
}

// ReadTextEmbeddings reads a TextEmbeddings JSON file.
func ReadTextEmbeddings(path string) (*TextEmbeddings, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("text embeddings: %w", err)
	}
	var te TextEmbeddings
	if err := json.Unmarshal(raw, &te); err != nil {
		return nil, fmt.Errorf("text embeddings %s: %w", path, err)
	}
	te.source = path
	return &te, nil
}

// WriteTextEmbeddings writes te as JSON (to reuse the text encoder's
// result with --text-embeddings).
func WriteTextEmbeddings(path string, te *TextEmbeddings) error {
	raw, err := json.MarshalIndent(te, "", " ")
	if err != nil {
		return fmt.Errorf("text embeddings: %w", err)
	}
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		return fmt.Errorf("text embeddings: %w", err)
	}
	return nil
}
