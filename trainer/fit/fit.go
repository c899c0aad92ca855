// Package fit trains the NED networks (trainer/ned) on a prepared dataset
// with per-sample lambda weights: Adam, checkpoints and resume, a
// deterministic schedule from the seed, and loss curves as CSV and PNG.
package fit

import (
	"encoding/csv"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/nedstream/nedstream/models/atomicfile"
	"github.com/nedstream/nedstream/trainer/dataset"
	"github.com/nedstream/nedstream/trainer/lambda"
	"github.com/nedstream/nedstream/trainer/ned"
	"github.com/nedstream/nedstream/trainer/report"
)

// Files in a run directory.
const (
	CheckpointFile = "checkpoint.gob"
	LossCSV        = "losses.csv"
	LossPNG        = "losses.png"
	RunJSON        = "run.json"
)

// Options control a training run.
type Options struct {
	// Data is the dataset directory; Scores the scores CSV (default
	// Data/scores.csv; required unless Lambda is off).
	Data, Scores string
	// Out is the run directory (checkpoints, curves).
	Out string
	// Model sizes and loss weights.
	Model ned.Config
	// UseLambda weights each sample's loss by its lambda (false: the
	// ablation, every lambda 1).
	UseLambda bool
	// Steps is the total number of training steps; Batch the windows per step.
	Steps, Batch int
	// LR is Adam's learning rate (betas 0.5/0.99 as StarGAN v2 and NED).
	LR float64
	// Seed fixes initialisation, batches, targets and noise.
	Seed uint64
	// Holdout lists actors kept out of training (for eval).
	Holdout []string
	// CheckpointEvery writes a checkpoint every that many steps (default 100).
	CheckpointEvery int
	// Resume continues from Out's checkpoint when there is one.
	Resume bool
	// Progress receives the progress bar (nil: none).
	Progress io.Writer
}

// Run is what run.json records about a training run.
type Run struct {
	// Model is the network configuration.
	Model ned.Config `json:"model"`
	// UseLambda says whether losses were weighted by lambda.
	UseLambda bool `json:"lambda"`
	// Steps, Batch, LR and Seed are the training schedule.
	Steps int     `json:"steps"`
	Batch int     `json:"batch"`
	LR    float64 `json:"lr"`
	Seed  uint64  `json:"seed"`
	// Holdout are the actors kept out of training.
	Holdout []string `json:"holdout_actors"`
	// TrainClips is the number of training clips.
	TrainClips int `json:"train_clips"`
	// DataSHA256 is dataset.Hash of the training clips.
	DataSHA256 string `json:"data_sha256"`
	// Lambda summarises the training clips' lambdas.
	Lambda lambda.Stats `json:"lambda_stats"`
	// Data is the dataset directory.
	Data string `json:"data"`
	// SamplesPerSecond is the measured training throughput of this run.
	SamplesPerSecond float64 `json:"samples_per_second"`
}

// checkpoint is the resumable state.
type checkpoint struct {
	Config ned.Config
	Step   int
	Params []*ned.Param
	M, V   [][]float32
	Log    [][]float64
}

// Sample is one training clip with its weight.
type Sample struct {
	Rec    *dataset.Record
	Class  int
	Lambda float64
}

// LoadSamples reads the dataset and scores, drops the held-out actors and
// returns the training samples; with useLambda false every lambda is 1.
func LoadSamples(data, scores string, useLambda bool, holdout []string) ([]Sample, []*dataset.Record, error) {
	recs, err := dataset.Load(data)
	if err != nil {
		return nil, nil, err
	}
	var sc map[string]dataset.Score
	if useLambda {
		if scores == "" {
			scores = filepath.Join(data, "scores.csv")
		}
		if sc, err = dataset.ReadScores(scores); err != nil {
			return nil, nil, fmt.Errorf("%w (run nedtrain score first, or --lambda off)", err)
		}
	}
	var out []Sample
	var train []*dataset.Record
	for _, r := range recs {
		if slices.Contains(holdout, r.Actor) {
			continue
		}
		c, err := dataset.ClassIndex(r.Emotion)
		if err != nil {
			return nil, nil, err
		}
		l := 1.0
		if useLambda {
			s, ok := sc[r.ID]
			if !ok {
				return nil, nil, fmt.Errorf("scores %s: no score for clip %s", scores, r.ID)
			}
			l = s.Lambda
			if l < 0 {
				return nil, nil, fmt.Errorf("scores %s: clip %s has no lambda column value", scores, r.ID)
			}
		}
		out = append(out, Sample{Rec: r, Class: c, Lambda: l})
		train = append(train, r)
	}
	if len(out) == 0 {
		return nil, nil, errors.New("no training clips left after removing the held-out actors")
	}
	return out, train, nil
}

// window copies frames [start, start+T) of r into dst (the first frame
// repeated in front when the clip is shorter than T).
func window(dst []float32, r *dataset.Record, start, T int) {
	n := len(r.Frames)
	for k := range T {
		f := start + k
		if n < T {
			f = max(0, k-(T-n))
		}
		copy(dst[k*ned.Coefficients:], r.Frames[f])
	}
}

// MakeBatch draws step's batch deterministically from (seed, step).
func MakeBatch(samples []Sample, c ned.Config, batch int, seed uint64, step int) ned.StepData {
	rng := rand.New(rand.NewPCG(seed, uint64(step)+1))
	d := ned.StepData{B: batch, X: make([]float32, batch*c.T*ned.Coefficients), Src: make([]float32, batch*ned.Classes),
		Trg: make([]float32, batch*ned.Classes), Z: make([]float32, batch*c.Z), Lambda: make([]float32, batch)}
	for b := range batch {
		s := samples[rng.IntN(len(samples))]
		start := 0
		if n := len(s.Rec.Frames); n > c.T {
			start = rng.IntN(n - c.T + 1)
		}
		window(d.X[b*c.T*ned.Coefficients:], s.Rec, start, c.T)
		d.Src[b*ned.Classes+s.Class] = 1
		d.Trg[b*ned.Classes+rng.IntN(ned.Classes)] = 1
		for k := range c.Z {
			d.Z[b*c.Z+k] = float32(rng.NormFloat64())
		}
		d.Lambda[b] = float32(s.Lambda)
	}
	return d
}

// adam applies one Adam update to the parameters with indices idx.
func adam(ps *ned.Params, grads, m, v [][]float32, idx []int, lr float64, t int) {
	const b1, b2, eps = 0.5, 0.99, 1e-8
	c1 := 1 - math.Pow(b1, float64(t))
	c2 := 1 - math.Pow(b2, float64(t))
	for _, i := range idx {
		p, g := ps.List[i].Data, grads[i]
		for k := range p {
			gk := float64(g[k])
			mk := b1*float64(m[i][k]) + (1-b1)*gk
			vk := b2*float64(v[i][k]) + (1-b2)*gk*gk
			m[i][k], v[i][k] = float32(mk), float32(vk)
			p[k] -= float32(lr * (mk / c1) / (math.Sqrt(vk/c2) + eps))
		}
	}
}

func (o *Options) defaults() {
	if o.Model.T == 0 {
		o.Model = ned.DefaultConfig()
	}
	if o.Steps == 0 {
		o.Steps = 2000
	}
	if o.Batch == 0 {
		o.Batch = 16
	}
	if o.LR == 0 {
		o.LR = 1e-3
	}
	if o.CheckpointEvery == 0 {
		o.CheckpointEvery = 100
	}
}

// Train runs (or resumes) training and returns the final parameters.
func Train(o Options) (*ned.Params, *Run, error) {
	o.defaults()
	if o.Out == "" {
		return nil, nil, errors.New("fit: no output directory (--out)")
	}
	if o.Steps < 1 || o.Batch < 1 || o.LR <= 0 || math.IsNaN(o.LR) {
		return nil, nil, fmt.Errorf("fit: steps %d, batch %d, lr %g (want >= 1, >= 1, > 0)", o.Steps, o.Batch, o.LR)
	}
	if err := o.Model.Validate(); err != nil {
		return nil, nil, err
	}
	samples, train, err := LoadSamples(o.Data, o.Scores, o.UseLambda, o.Holdout)
	if err != nil {
		return nil, nil, err
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return nil, nil, fmt.Errorf("fit: %w", err)
	}
	ls := make([]float64, len(samples))
	for i, s := range samples {
		ls[i] = s.Lambda
	}
	run := &Run{Model: o.Model, UseLambda: o.UseLambda, Steps: o.Steps, Batch: o.Batch, LR: o.LR, Seed: o.Seed,
		Holdout: o.Holdout, TrainClips: len(samples), DataSHA256: dataset.Hash(train), Lambda: lambda.Summarize(ls, lambda.DefaultThreshold), Data: o.Data}

	ps, err := ned.NewParams(o.Model, o.Seed)
	if err != nil {
		return nil, nil, err
	}
	mom := zerosLike(ps)
	vel := zerosLike(ps)
	var log [][]float64
	start := 0
	ckPath := filepath.Join(o.Out, CheckpointFile)
	if o.Resume {
		ck, err := readCheckpoint(ckPath)
		switch {
		case errors.Is(err, os.ErrNotExist):
		case err != nil:
			return nil, nil, err
		default:
			if ck.Config != o.Model {
				return nil, nil, fmt.Errorf("fit: checkpoint %s was made with model %+v, this run asks for %+v", ckPath, ck.Config, o.Model)
			}
			ps = &ned.Params{List: ck.Params}
			if err := ps.Check(o.Model); err != nil {
				return nil, nil, fmt.Errorf("checkpoint %s: %w", ckPath, err)
			}
			mom, vel, log, start = ck.M, ck.V, ck.Log, ck.Step
		}
	}
	be, err := ned.NewBackend()
	if err != nil {
		return nil, nil, err
	}
	model, err := ned.NewModel(be, o.Model, ps)
	if err != nil {
		return nil, nil, err
	}
	dIdx, gIdx := ps.Group("d."), ps.Group("g.", "m.", "e.")
	bar := report.Bar(o.Progress, o.Steps, "fit")
	_ = bar.Set(start)
	t0 := time.Now()
	for step := start; step < o.Steps; step++ {
		d := MakeBatch(samples, o.Model, o.Batch, o.Seed, step)
		r, err := model.Step(d)
		if err != nil {
			return nil, nil, fmt.Errorf("step %d: %w", step, err)
		}
		for _, l := range r.Losses {
			if math.IsNaN(l) || math.IsInf(l, 0) {
				return nil, nil, fmt.Errorf("step %d: loss diverged (%v); lower --lr", step, r.Losses)
			}
		}
		adam(ps, r.Grads, mom, vel, dIdx, o.LR, step+1)
		adam(ps, r.Grads, mom, vel, gIdx, o.LR, step+1)
		log = append(log, append([]float64{float64(step + 1)}, r.Losses...))
		_ = bar.Add(1)
		if (step+1)%o.CheckpointEvery == 0 || step+1 == o.Steps {
			if err := writeCheckpoint(ckPath, checkpoint{Config: o.Model, Step: step + 1, Params: ps.List, M: mom, V: vel, Log: log}); err != nil {
				return nil, nil, err
			}
		}
	}
	_ = bar.Finish()
	if done := o.Steps - start; done > 0 {
		run.SamplesPerSecond = float64(done*o.Batch) / time.Since(t0).Seconds()
	}
	if err := writeLog(o.Out, log); err != nil {
		return nil, nil, err
	}
	raw, _ := json.MarshalIndent(run, "", "  ")
	if err := atomicfile.WriteBytes(filepath.Join(o.Out, RunJSON), append(raw, '\n')); err != nil {
		return nil, nil, fmt.Errorf("fit: %w", err)
	}
	return ps, run, nil
}

func zerosLike(ps *ned.Params) [][]float32 {
	out := make([][]float32, len(ps.List))
	for i, p := range ps.List {
		out[i] = make([]float32, len(p.Data))
	}
	return out
}

func writeCheckpoint(path string, ck checkpoint) error {
	err := atomicfile.Write(path, func(w io.Writer) error { return gob.NewEncoder(w).Encode(ck) })
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return nil
}

func readCheckpoint(path string) (*checkpoint, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ck := &checkpoint{}
	if err := gob.NewDecoder(f).Decode(ck); err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	return ck, nil
}

// LoadParams reads the parameters and config of a run directory's checkpoint.
func LoadParams(runDir string) (*ned.Params, ned.Config, int, error) {
	ck, err := readCheckpoint(filepath.Join(runDir, CheckpointFile))
	if err != nil {
		return nil, ned.Config{}, 0, fmt.Errorf("load trained model: %w (run nedtrain fit first)", err)
	}
	ps := &ned.Params{List: ck.Params}
	if err := ps.Check(ck.Config); err != nil {
		return nil, ned.Config{}, 0, err
	}
	return ps, ck.Config, ck.Step, nil
}

// ReadRun reads a run directory's run.json.
func ReadRun(runDir string) (*Run, error) {
	raw, err := os.ReadFile(filepath.Join(runDir, RunJSON))
	if err != nil {
		return nil, fmt.Errorf("run record: %w", err)
	}
	r := &Run{}
	if err := json.Unmarshal(raw, r); err != nil {
		return nil, fmt.Errorf("run record %s: %w", runDir, err)
	}
	return r, nil
}

func writeLog(dir string, log [][]float64) error {
	err := atomicfile.Write(filepath.Join(dir, LossCSV), func(w io.Writer) error {
		cw := csv.NewWriter(w)
		if err := cw.Write(append([]string{"step"}, ned.LossNames...)); err != nil {
			return err
		}
		for _, row := range log {
			rec := make([]string, len(row))
			for i, v := range row {
				rec[i] = strconv.FormatFloat(v, 'g', 6, 64)
			}
			if err := cw.Write(rec); err != nil {
				return err
			}
		}
		cw.Flush()
		return cw.Error()
	})
	if err != nil {
		return fmt.Errorf("loss log: %w", err)
	}
	var series []report.Series
	for k, name := range ned.LossNames {
		s := report.Series{Name: name}
		for _, row := range smooth(log, k+1, 20) {
			s.X = append(s.X, row[0])
			s.Y = append(s.Y, row[1])
		}
		series = append(series, s)
	}
	return report.Lines(filepath.Join(dir, LossPNG), "training losses (moving mean of 20 steps)", "step", "loss", series)
}

// smooth returns (step, moving mean) pairs of column col.
func smooth(log [][]float64, col, n int) [][2]float64 {
	out := make([][2]float64, len(log))
	sum := 0.0
	for i, row := range log {
		sum += row[col]
		if i >= n {
			sum -= log[i-n][col]
		}
		out[i] = [2]float64{row[0], sum / float64(min(i+1, n))}
	}
	return out
}
