package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nedstream/nedstream/models/manipulator"
	"github.com/nedstream/nedstream/models/pack"
	"github.com/nedstream/nedstream/trainer/cliptok"
	"github.com/nedstream/nedstream/trainer/dataset"
	"github.com/nedstream/nedstream/trainer/eval"
	"github.com/nedstream/nedstream/trainer/export"
	"github.com/nedstream/nedstream/trainer/fit"
	"github.com/nedstream/nedstream/trainer/lambda"
	"github.com/nedstream/nedstream/trainer/ned"
	"github.com/nedstream/nedstream/trainer/prepare"
	"github.com/nedstream/nedstream/trainer/report"
	"github.com/nedstream/nedstream/trainer/score"
	"github.com/nedstream/nedstream/trainer/synth"
)

// SynthScoresFile is where synth writes its synthetic scorer's confidences.
const SynthScoresFile = "synth_scores.csv"

func cmdSynth(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("synth", "Write the controlled synthetic corpus: coefficient sequences of synthetic actors built from\n"+
		"the FACS prototypes at graded intensities with a speech-like mouth track, a known fraction of\n"+
		"outliers (weak or other-class expressions carrying the label), and DATA/"+SynthScoresFile+" with\n"+
		"scores that reflect them (feed it to 'score --scorer file').", stderr)
	var o synth.Options
	out := fs.String("out", "", "dataset directory to write (required)")
	fs.IntVar(&o.Actors, "actors", 6, "synthetic actors")
	fs.IntVar(&o.ClipsPerLevel, "clips", 2, "clips per actor, emotion and level")
	fs.IntVar(&o.Frames, "frames", 48, "frames per clip")
	fs.Float64Var(&o.Outliers, "outliers", 0.25, "fraction of outlier clips")
	fs.Float64Var(&o.Noise, "noise", 0.02, "per-frame coefficient noise (std)")
	seed := fs.Uint64("seed", 1, "random seed")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return usageError{"synth: --out is required"}
	}
	o.Seed = *seed
	recs, err := synth.Generate(o)
	if err != nil {
		return err
	}
	var scores []dataset.Score
	outliers := 0
	bar := report.Bar(stderr, len(recs), "synth")
	for _, r := range recs {
		if err := dataset.Write(*out, r); err != nil {
			return err
		}
		scores = append(scores, dataset.Score{ID: r.ID, Emotion: r.Emotion, Y: r.Truth.Score, Lambda: math.NaN()})
		if r.Truth.Outlier {
			outliers++
		}
		_ = bar.Add(1)
	}
	for i := range scores {
		scores[i].Lambda, _ = lambda.Weight(scores[i].Y, lambda.DefaultThreshold)
	}
	if err := dataset.WriteScores(filepath.Join(*out, SynthScoresFile), scores); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %d clips (%d outliers) and %s to %s\n", len(recs), outliers, SynthScoresFile, *out)
	return nil
}

func cmdPrepare(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("prepare", "Analyse a video corpus into a dataset. Each clip runs 'nedface extract' (GStreamer decoding\n"+
		"and the project's face analysis) in a subprocess; clips already in the dataset are skipped, clips\n"+
		"that fail are listed in DATA/failed.jsonl and the run goes on.", stderr)
	var o prepare.Options
	fs.StringVar(&o.Corpus, "corpus", "", "MEAD-style tree <actor>/video/front/<emotion>/level_<n>/<clip>.mp4")
	fs.StringVar(&o.Manifest, "manifest", "", "CSV with columns path,actor,emotion[,level,id] (other layouts)")
	fs.StringVar(&o.Out, "out", "", "dataset directory (required)")
	fs.StringVar(&o.Nedface, "nedface", "", "nedface binary (default: next to nedtrain, then PATH)")
	fs.StringVar(&o.Pack, "pack", os.Getenv("NEDSTREAM_MODEL_PACK"), "model pack for the face analysis (default $NEDSTREAM_MODEL_PACK)")
	fs.IntVar(&o.Crops, "crops", 4, "face crops stored per clip (for the image scorers)")
	fs.IntVar(&o.MaxFrames, "max-frames", 0, "analyse at most this many frames per clip (0: all)")
	fs.DurationVar(&o.ClipTimeout, "clip-timeout", 10*time.Minute, "give up on a clip after this long")
	if err := parse(fs, args); err != nil {
		return err
	}
	o.Progress = stderr
	s, err := prepare.Run(ctx, o)
	if s != nil {
		fmt.Fprintf(stdout, "clips: %d found, %d prepared, %d already done, %d failed, %d outside the layout\n",
			s.Found, s.Done, s.Skipped, len(s.Failed), len(s.Layout))
		for _, f := range s.Failed {
			fmt.Fprintf(stdout, "  failed: %s: %s\n", f.Source, f.Error)
		}
		for _, f := range s.Layout {
			fmt.Fprintf(stdout, "  skipped: %s: %s\n", f.Source, f.Error)
		}
	}
	return err
}

// miniXceptionClasses is the output order of emotion_mini_xception.onnx (FER2013).
const miniXceptionClasses = "angry,disgusted,fear,happy,sad,surprised,neutral"

func parseTriple(s string) ([3]float32, error) {
	var out [3]float32
	parts := splitList(s)
	if len(parts) == 1 {
		parts = []string{parts[0], parts[0], parts[0]}
	}
	if len(parts) != 3 {
		return out, fmt.Errorf("%q: want one value or three (R,G,B)", s)
	}
	for i, p := range parts {
		v, err := strconv.ParseFloat(p, 32)
		if err != nil {
			return out, fmt.Errorf("%q: %w", s, err)
		}
		out[i] = float32(v)
	}
	return out, nil
}

func cmdScore(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("score", "Compute each clip's confidence y that it shows its label and lambda (1 if y >= threshold, else y).\n"+
		"Scorers:\n"+
		"  file        --scores-in CSV with id,y (precomputed; e.g. DATA/"+SynthScoresFile+")\n"+
		"  classifier  --model ONNX emotion classifier on the face crops, --classes naming its outputs\n"+
		"              (default for emotion_mini_xception.onnx: "+miniXceptionClasses+").\n"+
		"              Classes the classifier lacks (mini-Xception has no contempt) cannot be judged:\n"+
		"              those clips keep lambda = 1 and are counted as unjudged.\n"+
		"  clip        --image-encoder CLIP image ONNX ([N,3,224,224] -> [N,D]) and the class text embeddings,\n"+
		"              either --text-embeddings JSON ({\"embeddings\": {\"happy\": [D floats], ...}}) or\n"+
		"              --text-encoder CLIP text ONNX (input_ids [N,77] int64/int32 -> [N,D]) with --bpe\n"+
		"              CLIP's merges file (bpe_simple_vocab_16e6.txt[.gz]): each class's embedding is the\n"+
		"              mean over --templates of the prompts' normalised embeddings.\n"+
		"              y = softmax(logit-scale x cos) over the classes.\n"+
		"Writes DATA/scores.csv (or --out) and DATA/lambda_hist.png.", stderr)
	data := fs.String("data", "", "dataset directory (required)")
	scorer := fs.String("scorer", "file", "file, classifier or clip")
	scoresIn := fs.String("scores-in", "", "file scorer: CSV with id,y")
	model := fs.String("model", "", "classifier scorer: emotion classifier ONNX")
	classes := fs.String("classes", "", "classifier scorer: class of each output, comma-separated (- for none of the 8)")
	mean := fs.String("mean", "0.5", "classifier scorer: per-channel mean of v/255")
	std := fs.String("std", "0.5", "classifier scorer: per-channel std of v/255")
	softmaxFlag := fs.Bool("softmax", false, "classifier scorer: apply softmax to the outputs (models that output logits)")
	imageEnc := fs.String("image-encoder", "", "clip scorer: CLIP image encoder ONNX")
	textEmb := fs.String("text-embeddings", "", "clip scorer: class text embeddings JSON")
	textEnc := fs.String("text-encoder", "", "clip scorer: CLIP text encoder ONNX (instead of --text-embeddings)")
	bpe := fs.String("bpe", "", "clip scorer: CLIP's BPE merges file for --text-encoder (bpe_simple_vocab_16e6.txt or .txt.gz)")
	templates := fs.String("templates", strings.Join(score.DefaultTemplates, ";"), "clip scorer: prompt templates for --text-encoder, ';'-separated, {} = class word")
	classWords := fs.String("class-words", "", "clip scorer: class words in the prompts, e.g. fear=scared,contempt=scornful (defaults: "+strings.Join(score.DefaultClassWords[:], ",")+")")
	logitScale := fs.Float64("logit-scale", score.ClipLogitScale, "clip scorer: scale of the cosine similarities before the softmax")
	saveText := fs.String("save-text-embeddings", "", "clip scorer: write the class embeddings computed by --text-encoder to this JSON (reuse with --text-embeddings)")
	threshold := fs.Float64("threshold", lambda.DefaultThreshold, "confidence from which lambda = 1")
	agg := fs.String("aggregate", "mean", "how a clip's frame confidences combine: mean, median, min or max")
	out := fs.String("out", "", "scores CSV to write (default DATA/scores.csv)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *data == "" {
		return usageError{"score: --data is required"}
	}
	a, err := lambda.ParseAggregation(*agg)
	if err != nil {
		return usageError{err.Error()}
	}
	if _, err := lambda.Weight(0, *threshold); err != nil {
		return usageError{err.Error()}
	}
	if *scorer != "file" && *scorer != "classifier" && *scorer != "clip" {
		return usageError{fmt.Sprintf("unknown scorer %q (want file, classifier or clip)", *scorer)}
	}
	var textOpts score.TextEncoderOptions
	if *scorer == "clip" {
		if *imageEnc == "" || (*textEmb == "") == (*textEnc == "") {
			return usageError{"score --scorer clip needs --image-encoder ONNX and either --text-embeddings JSON or --text-encoder ONNX with --bpe"}
		}
		if *logitScale <= 0 {
			return usageError{"--logit-scale must be positive"}
		}
		if *textEnc != "" {
			if *bpe == "" {
				return usageError{"score --text-encoder needs --bpe, CLIP's merges file bpe_simple_vocab_16e6.txt(.gz)"}
			}
			var err error
			if textOpts.Templates, err = score.ParseTemplates(*templates); err != nil {
				return usageError{"--templates: " + err.Error()}
			}
			if textOpts.Words, err = score.ParseClassWords(*classWords); err != nil {
				return usageError{"--class-words: " + err.Error()}
			}
		}
	}
	recs, err := dataset.Load(*data)
	if err != nil {
		return err
	}
	var s score.Scorer
	switch *scorer {
	case "file":
		if *scoresIn == "" {
			return usageError{"score --scorer file needs --scores-in CSV"}
		}
		s, err = score.NewFile(*scoresIn)
	case "classifier":
		if *model == "" {
			return usageError{"score --scorer classifier needs --model ONNX"}
		}
		cm := *classes
		if cm == "" {
			if !strings.Contains(filepath.Base(*model), "mini_xception") {
				return usageError{"score --scorer classifier: give --classes (the class of each model output, in order)"}
			}
			cm = miniXceptionClasses
		}
		var o score.ClassifierOptions
		if o.ClassMap, err = score.ParseClassMap(cm); err != nil {
			return usageError{err.Error()}
		}
		if o.Mean, err = parseTriple(*mean); err != nil {
			return usageError{"--mean " + err.Error()}
		}
		if o.Std, err = parseTriple(*std); err != nil {
			return usageError{"--std " + err.Error()}
		}
		o.Softmax = *softmaxFlag
		s, err = score.NewClassifier(*model, o)
	case "clip":
		var te *score.TextEmbeddings
		if *textEmb != "" {
			te, err = score.ReadTextEmbeddings(*textEmb)
		} else {
			te, err = score.ClassEmbeddings(*textEnc, *bpe, textOpts)
			if err == nil && *saveText != "" {
				err = score.WriteTextEmbeddings(*saveText, te)
			}
		}
		if err != nil {
			return err
		}
		s, err = score.NewClip(*imageEnc, te, *logitScale)
	default:
		return usageError{fmt.Sprintf("unknown scorer %q (want file, classifier or clip)", *scorer)}
	}
	if err != nil {
		return err
	}
	defer s.Close()
	bar := report.Bar(stderr, len(recs), "score")
	res, err := score.Run(*data, recs, s, score.Options{Threshold: *threshold, Aggregation: a}, func() { _ = bar.Add(1) })
	if err != nil {
		return err
	}
	_ = bar.Finish()
	path := *out
	if path == "" {
		path = filepath.Join(*data, "scores.csv")
	}
	scores := make([]dataset.Score, len(res))
	perClass := make([][]float64, manipulator.NumClasses)
	all := make([]float64, len(res))
	unjudged := 0
	for i, r := range res {
		scores[i] = r.Score
		c, _ := dataset.ClassIndex(r.Emotion)
		perClass[c] = append(perClass[c], r.Lambda)
		all[i] = r.Lambda
		if !r.Judged {
			unjudged++
		}
	}
	if err := dataset.WriteScores(path, scores); err != nil {
		return err
	}
	hist := filepath.Join(filepath.Dir(path), "lambda_hist.png")
	if err := report.Histograms(hist, "lambda", manipulator.Classes[:], perClass); err != nil {
		return err
	}
	st := lambda.Summarize(all, *threshold)
	fmt.Fprintf(stdout, "scored %d clips (%d unjudged, lambda 1): lambda mean %.3f, min %.3f, %.1f%% at 1; wrote %s and %s\n",
		len(res), unjudged, st.Mean, st.Min, 100*st.FullShare, path, hist)
	return nil
}

func modelFlags(fs interface {
	IntVar(*int, string, int, string)
	Float64Var(*float64, string, float64, string)
}, c *ned.Config) {
	d := ned.DefaultConfig()
	fs.IntVar(&c.T, "T", d.T, "window length in frames")
	fs.IntVar(&c.S, "S", d.S, "style width (the exported style has S+1 values: S and the edit strength)")
	fs.IntVar(&c.Z, "Z", d.Z, "mapping-network noise width")
	fs.IntVar(&c.Hidden, "hidden", d.Hidden, "hidden width of the generator (LSTM), encoder and discriminator")
	fs.IntVar(&c.MapHidden, "map-hidden", d.MapHidden, "mapping-network hidden width")
	fs.Float64Var(&c.WAdv, "w-adv", d.WAdv, "adversarial loss weight")
	fs.Float64Var(&c.WStyle, "w-style", d.WStyle, "style reconstruction loss weight")
	fs.Float64Var(&c.WCycle, "w-cycle", d.WCycle, "cycle consistency loss weight")
	fs.Float64Var(&c.WMouth, "w-mouth", d.WMouth, "mouth correlation loss weight")
}

func cmdFit(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("fit", "Train the NED networks with GoMLX (pure-Go backend) on a dataset, each sample's loss multiplied\n"+
		"by its lambda (--lambda off: all 1, the ablation). Deterministic for a --seed; checkpoints every\n"+
		"--checkpoint-every steps into RUN/checkpoint.gob; --resume continues from it. Writes RUN/losses.csv,\n"+
		"RUN/losses.png and RUN/run.json.", stderr)
	var o fit.Options
	fs.StringVar(&o.Data, "data", "", "dataset directory (required)")
	fs.StringVar(&o.Scores, "scores", "", "scores CSV (default DATA/scores.csv)")
	fs.StringVar(&o.Out, "out", "", "run directory (required)")
	lam := fs.String("lambda", "on", "on: weight losses by lambda; off: the ablation")
	fs.IntVar(&o.Steps, "steps", 2000, "training steps")
	fs.IntVar(&o.Batch, "batch", 16, "windows per step")
	fs.Float64Var(&o.LR, "lr", 1e-3, "Adam learning rate")
	fs.Uint64Var(&o.Seed, "seed", 1, "random seed")
	holdout := fs.String("holdout", "", "actors kept out of training, comma-separated (for eval)")
	fs.IntVar(&o.CheckpointEvery, "checkpoint-every", 100, "steps between checkpoints")
	fs.BoolVar(&o.Resume, "resume", false, "continue from RUN/checkpoint.gob")
	modelFlags(fs, &o.Model)
	disc := fs.String("disc", ned.DiscMLP, "discriminator: mlp (frames flattened over the window) or lstm (sequence-based, as NED's; slower)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if o.Data == "" || o.Out == "" {
		return usageError{"fit: --data and --out are required"}
	}
	switch *disc {
	case ned.DiscMLP:
		// "" keeps checkpoints made before --disc existed resumable.
		o.Model.Disc = ""
	case ned.DiscLSTM:
		o.Model.Disc = ned.DiscLSTM
	default:
		return usageError{fmt.Sprintf("fit: --disc %q (want mlp or lstm)", *disc)}
	}
	switch *lam {
	case "on":
		o.UseLambda = true
	case "off":
	default:
		return usageError{fmt.Sprintf("fit: --lambda %q (want on or off)", *lam)}
	}
	o.Holdout = splitList(*holdout)
	o.Progress = stderr
	_, r, err := fit.Train(o)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "trained %d steps on %d clips (lambda %s, mean %.3f): %.1f samples/s; wrote %s\n",
		r.Steps, r.TrainClips, *lam, r.Lambda.Mean, r.SamplesPerSecond, o.Out)
	return nil
}

func loadModel(run string) (*ned.Model, *fit.Run, error) {
	ps, c, _, err := fit.LoadParams(run)
	if err != nil {
		return nil, nil, err
	}
	r, err := fit.ReadRun(run)
	if err != nil {
		return nil, nil, err
	}
	be, err := ned.NewBackend()
	if err != nil {
		return nil, nil, err
	}
	m, err := ned.NewModel(be, c, ps)
	return m, r, err
}

func cmdExport(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("export", "Write a trained run as a model pack: the face-analysis models and expression basis from the\n"+
		"upstream directory (as nedpack builds the default pack) plus style_mapping, style_encoder and\n"+
		"manipulator ONNX models with the manipulator contract (docs/MODELS.md). Point nedfilter's\n"+
		"model-pack at the result.", stderr)
	runDir := fs.String("run", "", "run directory written by fit (required)")
	out := fs.String("out", "", "pack directory to write (required)")
	up := os.Getenv("NEDSTREAM_UPSTREAM")
	if up == "" {
		up = filepath.Join("..", "shared", "models", "upstream")
	}
	upstream := fs.String("upstream", up, "upstream model directory ($NEDSTREAM_UPSTREAM)")
	name := fs.String("name", "nedstream-trained", "pack name")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *runDir == "" || *out == "" {
		return usageError{"export: --run and --out are required"}
	}
	m, r, err := loadModel(*runDir)
	if err != nil {
		return err
	}
	info := export.Info{Data: r.Data, DataSHA256: r.DataSHA256, Samples: r.TrainClips, Config: r,
		Lambda: &pack.LambdaStats{N: r.Lambda.N, Mean: r.Lambda.Mean, Min: r.Lambda.Min, FullShare: r.Lambda.FullShare, Threshold: r.Lambda.Threshold}}
	if _, err := export.Pack(*upstream, *out, *name, m, info); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote pack %s (T %d, S %d+1)\n", *out, m.Config.T, m.Config.S)
	return nil
}

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

func cmdEval(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("eval", "Evaluate runs on held-out actors: a small emotion classifier is trained on the other actors'\n"+
		"sequences; every held-out window is edited toward each emotion, and the table gives per target the\n"+
		"classifier's accuracy on the edits and the mouth correlation with the input (one column pair per run).", stderr)
	data := fs.String("data", "", "dataset directory (required)")
	var runs multi
	fs.Var(&runs, "run", "run directory (repeat to compare, e.g. lambda on and off)")
	holdout := fs.String("holdout", "", "held-out actors (default: those of the first run)")
	out := fs.String("out", "", "also write the table to this Markdown file")
	intensity := fs.Float64("intensity", 1, "edit strength a in [0,1] (x + a*(G(x,s)-x), as nedfilter's intensity)")
	plotPath := fs.String("plot", "", "also write the per-target accuracy and mouth correlation as bar charts (PNG; name-mouth.png for the second)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *data == "" || len(runs) == 0 {
		return usageError{"eval: --data and at least one --run are required"}
	}
	if *intensity < 0 || *intensity > 1 || math.IsNaN(*intensity) {
		return usageError{fmt.Sprintf("eval: --intensity %g (want 0..1)", *intensity)}
	}
	recs, err := dataset.Load(*data)
	if err != nil {
		return err
	}
	var results []*eval.Result
	var ho []string
	var cls *eval.Classifier
	var T int
	for i, rd := range runs {
		m, r, err := loadModel(rd)
		if err != nil {
			return err
		}
		if i == 0 {
			ho = splitList(*holdout)
			if len(ho) == 0 {
				ho = r.Holdout
			}
			if len(ho) == 0 {
				return usageError{"eval: no held-out actors (fit --holdout, or eval --holdout)"}
			}
			T = m.Config.T
			train, test := eval.Split(recs, ho)
			if len(test) == 0 {
				return fmt.Errorf("eval: no clips of the held-out actors %v", ho)
			}
			var acc float64
			if cls, acc, err = eval.ClassifierFor(train, test, T); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "evaluation classifier: %.3f accuracy on the held-out actors' unedited windows\n", acc)
		} else if m.Config.T != T {
			return fmt.Errorf("eval: run %s has T %d, the first run %d", rd, m.Config.T, T)
		}
		if slices.ContainsFunc(r.Holdout, func(a string) bool { return !slices.Contains(ho, a) }) || len(r.Holdout) != len(ho) {
			fmt.Fprintf(stderr, "warning: run %s held out %v, evaluating on %v\n", rd, r.Holdout, ho)
		}
		_, test := eval.Split(recs, ho)
		name := filepath.Base(filepath.Clean(rd))
		if r.UseLambda {
			name += ", lambda on"
		} else {
			name += ", lambda off"
		}
		if *intensity != 1 {
			name += fmt.Sprintf(", intensity %g", *intensity)
		}
		res, err := eval.Evaluate(name, m, cls, test, *intensity)
		if err != nil {
			return err
		}
		results = append(results, res)
	}
	var b strings.Builder
	eval.WriteTable(&b, results)
	fmt.Fprint(stdout, b.String())
	if *out != "" {
		if err := os.WriteFile(*out, []byte(b.String()), 0o644); err != nil {
			return fmt.Errorf("eval: %w", err)
		}
	}
	if *plotPath != "" {
		names := make([]string, len(results))
		acc := make([][]float64, len(results))
		mouth := make([][]float64, len(results))
		for i, r := range results {
			names[i] = r.Name
			for _, row := range r.Rows {
				acc[i] = append(acc[i], row.Accuracy)
				mouth[i] = append(mouth[i], row.Mouth)
			}
		}
		if err := report.Bars(*plotPath, "target-emotion accuracy of the edits (held-out actors)", "accuracy", manipulator.Classes[:], names, acc); err != nil {
			return err
		}
		mp := strings.TrimSuffix(*plotPath, filepath.Ext(*plotPath)) + "-mouth.png"
		if err := report.Bars(mp, "mouth correlation with the input (held-out actors)", "Pearson r", manipulator.Classes[:], names, mouth); err != nil {
			return err
		}
	}
	return nil
}

func cmdTokenize(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("tokenize", "Print CLIP's token ids of each prompt argument, one line each (SOT ... EOT, without the padding),\n"+
		"as score --text-encoder feeds them. With CLIP's merges file \"a photo of a cat\" gives\n"+
		"49406 320 1125 539 320 2368 49407.", stderr)
	bpe := fs.String("bpe", "", "CLIP's BPE merges file (bpe_simple_vocab_16e6.txt or .txt.gz, or merges.txt)")
	ctxLen := fs.Int("context", cliptok.ContextLength, "context length (longer prompts are truncated, EOT last)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	if *bpe == "" || fs.NArg() == 0 {
		return usageError{"tokenize needs --bpe FILE and at least one prompt"}
	}
	if *ctxLen < 2 {
		return usageError{"--context must be at least 2"}
	}
	tok, err := cliptok.Load(*bpe)
	if err != nil {
		return err
	}
	for _, p := range fs.Args() {
		ids := tok.Tokenize(p, *ctxLen)
		ids = ids[:cliptok.EOTIndex(ids)+1]
		parts := make([]string, len(ids))
		for i, v := range ids {
			parts[i] = strconv.Itoa(int(v))
		}
		fmt.Fprintln(stdout, strings.Join(parts, " "))
	}
	return nil
}
