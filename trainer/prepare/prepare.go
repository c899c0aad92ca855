// Package prepare turns a video corpus into a dataset (trainer/dataset) by
// running `nedface extract` once per clip as a subprocess: decoding and face
// analysis need GStreamer, which the trainer does not link. Clips whose
// record exists are skipped (resumable); clips that fail are logged in
// failed.jsonl and reported, and the run goes on.
package prepare

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/nedstream/nedstream/trainer/dataset"
	"github.com/nedstream/nedstream/trainer/report"
)

// Options control Run.
type Options struct {
	// Corpus is a MEAD-style tree; Manifest a CSV list (one of the two).
	Corpus, Manifest string
	// Out is the dataset directory.
	Out string
	// Nedface is the nedface binary (FindNedface when empty).
	Nedface string
	// Pack is the model pack nedface analyses with.
	Pack string
	// Crops is the number of face crops stored per clip (default 4).
	Crops int
	// MaxFrames bounds the frames analysed per clip (0: all).
	MaxFrames int
	// ClipTimeout bounds one clip's analysis (default 10 minutes).
	ClipTimeout time.Duration
	// Progress receives the progress bar (nil: none).
	Progress io.Writer
}

// Summary is what a run did.
type Summary struct {
	Found, Done, Skipped int
	Failed               []dataset.Failure
	// Layout lists files outside the corpus layout (not attempted).
	Layout []dataset.Failure
}

// FindNedface returns the nedface binary next to the running executable, or
// the one on PATH.
func FindNedface() (string, error) {
	if exe, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(exe), "nedface")
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
	}
	p, err := exec.LookPath("nedface")
	if err != nil {
		return "", errors.New("nedface not found next to nedtrain or on PATH (build it with `go build ./pipeline/cmd/nedface` in the GStreamer environment, then pass --nedface PATH)")
	}
	return p, nil
}

// Run prepares the corpus.
func Run(ctx context.Context, o Options) (*Summary, error) {
	if (o.Corpus == "") == (o.Manifest == "") {
		return nil, errors.New("prepare: give exactly one of --corpus (MEAD layout) and --manifest (CSV)")
	}
	if o.Out == "" {
		return nil, errors.New("prepare: no --out dataset directory")
	}
	if o.Crops == 0 {
		o.Crops = 4
	}
	if o.ClipTimeout == 0 {
		o.ClipTimeout = 10 * time.Minute
	}
	if o.Nedface == "" {
		p, err := FindNedface()
		if err != nil {
			return nil, err
		}
		o.Nedface = p
	}
	var clips []dataset.Source
	var layout []dataset.Failure
	var err error
	if o.Corpus != "" {
		clips, layout, err = dataset.WalkMEAD(o.Corpus)
	} else {
		clips, layout, err = dataset.ReadManifest(o.Manifest)
	}
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return nil, fmt.Errorf("prepare: %w", err)
	}
	s := &Summary{Found: len(clips), Layout: layout}
	bar := report.Bar(o.Progress, len(clips), "prepare")
	for _, c := range clips {
		if err := ctx.Err(); err != nil {
			return s, err
		}
		if dataset.Has(o.Out, c.ID) {
			s.Skipped++
			_ = bar.Add(1)
			continue
		}
		if err := extract(ctx, o, c); err != nil {
			f := dataset.Failure{Source: c.Path, Error: err.Error()}
			s.Failed = append(s.Failed, f)
			if lerr := dataset.AppendFailure(o.Out, f); lerr != nil {
				return s, lerr
			}
		} else {
			s.Done++
		}
		_ = bar.Add(1)
	}
	_ = bar.Finish()
	return s, nil
}

// extract runs nedface extract for one clip.
func extract(ctx context.Context, o Options, c dataset.Source) error {
	ctx, cancel := context.WithTimeout(ctx, o.ClipTimeout)
	defer cancel()
	args := []string{"extract", "--input", c.Path, "--out", o.Out, "--id", c.ID, "--actor", c.Actor,
		"--emotion", c.Emotion, "--level", strconv.Itoa(c.Level), "--crops", strconv.Itoa(o.Crops)}
	if o.Pack != "" {
		args = append(args, "--pack", o.Pack)
	}
	if o.MaxFrames > 0 {
		args = append(args, "--max-frames", strconv.Itoa(o.MaxFrames))
	}
	cmd := exec.CommandContext(ctx, o.Nedface, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Stdout = io.Discard
	err := cmd.Run()
	if ctx.Err() == context.DeadlineExceeded {
		return fmt.Errorf("analysis took longer than %v", o.ClipTimeout)
	}
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if i := strings.LastIndex(msg, "\n"); i >= 0 {
			msg = msg[i+1:]
		}
		return fmt.Errorf("nedface extract: %v: %s", err, msg)
	}
	if !dataset.Has(o.Out, c.ID) {
		return errors.New("nedface extract succeeded but wrote no record")
	}
	if _, err := dataset.Read(dataset.ClipPath(o.Out, c.ID)); err != nil {
		return err
	}
	return nil
}
