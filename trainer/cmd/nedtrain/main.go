// Command nedtrain trains the NED expression manipulator with per-sample
// lambda weights and writes a model pack that nedfilter loads.
//
//	nedtrain synth   --out data/                      # controlled corpus
//	nedtrain prepare --corpus MEAD/ --out data/ --pack pack/
//	nedtrain score   --data data/ --scorer file --scores-in data/synth_scores.csv
//	nedtrain fit     --data data/ --out run/ --holdout S005,S006
//	nedtrain export  --run run/ --out trained-pack/
//	nedtrain eval    --data data/ --run run/ --run run-off/
//	nedtrain tokenize --bpe bpe_simple_vocab_16e6.txt.gz "a photo of a cat"
//
// See docs/TRAINING.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

const usage = `nedtrain trains nedstream's expression manipulator (NED with lambda-weighted losses).

Usage: nedtrain COMMAND [flags]   (nedtrain COMMAND --help for the flags)

Commands:
  synth     make the controlled synthetic corpus (prototypes at graded intensities,
            speech-like mouth, a known fraction of outliers and matching scores)
  prepare   analyse a video corpus (MEAD layout or CSV manifest) into a dataset,
            one 'nedface extract' subprocess per clip; resumable
  score     compute y and lambda per clip (scorers: file, classifier, clip) and
            write scores.csv and per-class lambda histograms
  fit       train with GoMLX (lambda on, or --lambda off for the ablation)
  export    write the trained models as ONNX in a model pack nedfilter loads
  eval      held-out actors: target-emotion accuracy and mouth correlation per run
  tokenize  print CLIP's token ids of a prompt (checks a merges file for score --text-encoder)

Data flow: (synth | prepare) -> DATA/clips/*.json -> score -> DATA/scores.csv
           -> fit -> RUN/checkpoint.gob -> export -> PACK/ ; eval reads DATA and RUNs.
`

type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return // the command's --help was printed
		}
		fmt.Fprintln(os.Stderr, "nedtrain:", err)
		var ue usageError
		if errors.As(err, &ue) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

var commands = map[string]func(ctx context.Context, args []string, stdout, stderr io.Writer) error{
	"synth":    cmdSynth,
	"prepare":  cmdPrepare,
	"score":    cmdScore,
	"fit":      cmdFit,
	"export":   cmdExport,
	"eval":     cmdEval,
	"tokenize": cmdTokenize,
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, usage)
		return nil
	}
	cmd, ok := commands[args[0]]
	if !ok {
		return usageError{fmt.Sprintf("unknown command %q (want synth, prepare, score, fit, export or eval; see nedtrain --help)", args[0])}
	}
	return cmd(ctx, args[1:], stdout, stderr)
}

// newFlags makes a flag set whose --help prints the command's summary.
func newFlags(name, summary string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: nedtrain %s [flags]\n\n%s\n\nFlags:\n", name, summary)
		fs.PrintDefaults()
	}
	return fs
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("%s: unexpected arguments %q", fs.Name(), fs.Args())}
	}
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
