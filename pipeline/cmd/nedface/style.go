package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"sort"

	"github.com/nedstream/nedstream/models/blendshape"
	"github.com/nedstream/nedstream/models/edit"
	"github.com/nedstream/nedstream/models/manipulator"
	"github.com/nedstream/nedstream/models/ort"
	"github.com/nedstream/nedstream/models/pack"
	"github.com/nedstream/nedstream/pipeline/analysis"
	"github.com/nedstream/nedstream/plugin/nedfilter"
)

const styleUsage = `nedface style saves the expression style of a reference clip for nedfilter's
reference property: the main face's 52 coefficients per frame (at most the first
150 frames) and, for information, the style the pack's style_encoder
makes of them. It prints the coefficients the style moves most and the emotion
prototype the clip's mean expression is closest to.

Usage:
  nedface style --input CLIP --out STYLE.json [--pack DIR] [--max-frames 150]
`

func runStyle(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("style", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, styleUsage); fs.PrintDefaults() }
	var input, out, packDir string
	var maxFrames int
	fs.StringVar(&input, "input", "", "reference clip (any file GStreamer decodes)")
	fs.StringVar(&out, "out", "", "style file to write (.json)")
	fs.IntVar(&maxFrames, "max-frames", nedfilter.MaxReferenceFrames, "analyse at most this many frames of the clip")
	fs.StringVar(&packDir, "pack", os.Getenv("NEDSTREAM_MODEL_PACK"), "model pack directory (default $NEDSTREAM_MODEL_PACK)")
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	switch {
	case input == "" || out == "":
		return usageError{"style needs --input and --out"}
	case packDir == "":
		return usageError{"style needs --pack (or NEDSTREAM_MODEL_PACK)"}
	}
	if err := analysis.Init(); err != nil {
		return err
	}
	rows, err := nedfilter.ReferenceCoefficients(ctx, input, packDir, "", maxFrames)
	if err != nil {
		return err
	}
	sf := edit.NewStyleFile(input, rows)
	p, err := pack.Load(packDir)
	if err != nil {
		return err
	}
	if err := ort.Init(""); err != nil {
		return fmt.Errorf("onnxruntime: %w", err)
	}
	m, err := manipulator.Open(p, ort.Options{Provider: ort.CPU})
	if err != nil {
		return err
	}
	defer m.Close()
	if m.HasEncoder() {
		if sf.Style, err = m.StyleFromReference(rows); err != nil {
			return err
		}
		sf.Method = m.Info().Method
	} else {
		fmt.Fprintf(stderr, "nedface style: the pack has no style_encoder; saving the coefficients only\n")
	}
	if err := sf.WriteFile(out); err != nil {
		return err
	}
	mean := meanRows(rows)
	fmt.Fprintf(stdout, "%s: %d frames with a face -> %s\n", input, len(rows), out)
	fmt.Fprintf(stdout, "strongest mean coefficients: %s\n", topCoefficients(mean, 5))
	if name, cos, err := nearestPrototype(mean); err == nil {
		fmt.Fprintf(stdout, "closest emotion prototype: %s (cosine %.2f on the emotion channels)\n", name, cos)
	}
	return nil
}

func meanRows(rows [][blendshape.Count]float32) [blendshape.Count]float32 {
	var m [blendshape.Count]float32
	for _, r := range rows {
		for i, v := range r {
			m[i] += v / float32(len(rows))
		}
	}
	return m
}

func topCoefficients(m [blendshape.Count]float32, n int) string {
	idx := make([]int, blendshape.Count)
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return m[idx[a]] > m[idx[b]] })
	s := ""
	for k, i := range idx[:n] {
		if k > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%s %.2f", blendshape.Names[i], m[i])
	}
	return s
}

// nearestPrototype compares the clip's mean expression with the analytic
// emotion prototypes on the emotion (blend) channels.
func nearestPrototype(mean [blendshape.Count]float32) (string, float64, error) {
	protos, err := manipulator.Prototypes()
	if err != nil {
		return "", 0, err
	}
	best, bestCos := "", -2.0
	for c, p := range protos {
		if manipulator.Emotion(c) == manipulator.Neutral {
			continue
		}
		var dot, na, nb float64
		for i := range p {
			if manipulator.Channels[i] != manipulator.Blend || blendshape.Names[i] == "_neutral" {
				continue
			}
			dot += float64(p[i]) * float64(mean[i])
			na += float64(p[i]) * float64(p[i])
			nb += float64(mean[i]) * float64(mean[i])
		}
		if na == 0 || nb == 0 {
			continue
		}
		if cos := dot / math.Sqrt(na*nb); cos > bestCos {
			best, bestCos = manipulator.Emotion(c).String(), cos
		}
	}
	return best, bestCos, nil
}
