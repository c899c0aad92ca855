package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nedstream/nedstream/models/manipulator"
	"github.com/nedstream/nedstream/models/modeltest"
	"github.com/nedstream/nedstream/models/ort"
	"github.com/nedstream/nedstream/models/pack"
)

func nedtrain(t *testing.T, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	if err := run(context.Background(), args, &out, &errb); err != nil {
		t.Fatalf("nedtrain %s: %v\n%s", strings.Join(args, " "), err, errb.String())
	}
	return out.String()
}

// TestEndToEnd: synth -> score -> fit (lambda on and off) -> eval -> export
// on a tiny corpus, then the exported pack loads and passes the model
// checks, and its manipulator runs through the runtime package.
func TestEndToEnd(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	out := nedtrain(t, "synth", "--out", data, "--actors", "3", "--clips", "1", "--frames", "16", "--outliers", "0.3")
	if !strings.Contains(out, "wrote 72 clips") {
		t.Fatalf("synth: %s", out)
	}
	out = nedtrain(t, "score", "--data", data, "--scorer", "file", "--scores-in", filepath.Join(data, SynthScoresFile), "--aggregate", "median")
	if !strings.Contains(out, "scored 72 clips") {
		t.Fatalf("score: %s", out)
	}
	for _, f := range []string{"scores.csv", "lambda_hist.png"} {
		if _, err := os.Stat(filepath.Join(data, f)); err != nil {
			t.Fatal(err)
		}
	}
	model := []string{"--T", "8", "--S", "4", "--hidden", "8", "--map-hidden", "8", "--steps", "4", "--batch", "4", "--holdout", "S003"}
	on, off := filepath.Join(dir, "on"), filepath.Join(dir, "off")
	nedtrain(t, append([]string{"fit", "--data", data, "--out", on}, model...)...)
	nedtrain(t, append([]string{"fit", "--data", data, "--out", off, "--lambda", "off"}, model...)...)
	for _, f := range []string{"losses.csv", "losses.png", "run.json", "checkpoint.gob"} {
		if _, err := os.Stat(filepath.Join(on, f)); err != nil {
			t.Fatal(err)
		}
	}
	table := nedtrain(t, "eval", "--data", data, "--run", on, "--run", off)
	if !strings.Contains(table, "lambda on") || !strings.Contains(table, "lambda off") || strings.Count(table, "\n| ") < 9 {
		t.Fatalf("eval table:\n%s", table)
	}
	pk := filepath.Join(dir, "pack")
	nedtrain(t, "export", "--run", on, "--out", pk, "--upstream", modeltest.Upstream(t))

	modeltest.InitORT(t)
	p, err := pack.Load(pk, append(pack.RequiredRoles, pack.EditingRoles...)...)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.CheckModels(); err != nil {
		t.Fatal(err)
	}
	mi := p.Manifest.Manipulator
	if !mi.Trained || mi.T != 8 || mi.S != 5 || mi.Training.Samples != 48 || mi.Training.DataSHA256 == "" || mi.Training.Lambda.N != 48 {
		t.Fatalf("manipulator block %+v training %+v", mi, mi.Training)
	}
	m, err := manipulator.Open(p, ort.Options{Provider: ort.CPU, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	s, err := m.Style(manipulator.OneHot(manipulator.Happy), 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Apply(make([][52]float32, 3), s); err != nil {
		t.Fatal(err)
	}
}

// TestFitLSTMDisc: fit --disc lstm trains and exports; resuming its
// checkpoint with the MLP discriminator is refused.
func TestFitLSTMDisc(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	nedtrain(t, "synth", "--out", data, "--actors", "2", "--clips", "1", "--frames", "12")
	nedtrain(t, "score", "--data", data, "--scorer", "file", "--scores-in", filepath.Join(data, SynthScoresFile))
	run1 := filepath.Join(dir, "run")
	model := []string{"--T", "6", "--S", "3", "--hidden", "8", "--map-hidden", "8", "--steps", "2", "--batch", "4"}
	out := nedtrain(t, append([]string{"fit", "--data", data, "--out", run1, "--disc", "lstm"}, model...)...)
	if !strings.Contains(out, "trained 2 steps") {
		t.Fatalf("fit: %s", out)
	}
	raw, err := os.ReadFile(filepath.Join(run1, "run.json"))
	if err != nil || !strings.Contains(string(raw), `"disc": "lstm"`) {
		t.Errorf("run.json does not record the LSTM discriminator: %v %.300s", err, raw)
	}
	err = run(context.Background(), append([]string{"fit", "--data", data, "--out", run1, "--resume", "--steps", "3", "--disc", "mlp"}, model[:8]...), &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "checkpoint") {
		t.Errorf("resume with another discriminator: %v", err)
	}
	nedtrain(t, "export", "--run", run1, "--out", filepath.Join(dir, "pack"), "--upstream", modeltest.Upstream(t))
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"bogus"},
		{"fit", "--data", "x"},
		{"fit", "--data", "x", "--out", "y", "--lambda", "maybe"},
		{"fit", "--data", "x", "--out", "y", "--disc", "gru"},
		{"score", "--data", "x", "--scorer", "nope"},
		{"synth"},
		{"eval", "--data", "x"},
	} {
		err := run(context.Background(), args, &bytes.Buffer{}, &bytes.Buffer{})
		var ue usageError
		if !errors.As(err, &ue) {
			t.Errorf("%v: %v, want a usage error", args, err)
		}
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"--help"}, &out, &out); err != nil || !strings.Contains(out.String(), "export") {
		t.Errorf("help: %v %s", err, out.String())
	}
	// A missing dataset is a clear error, not a crash.
	err := run(context.Background(), []string{"score", "--data", t.TempDir(), "--scorer", "file", "--scores-in", "x.csv"}, &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "no clips") {
		t.Errorf("empty dataset: %v", err)
	}
}
