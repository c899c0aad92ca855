package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/nedstream/nedstream/models/emotion"
	"github.com/nedstream/nedstream/models/face"
	"github.com/nedstream/nedstream/models/manipulator"
	"github.com/nedstream/nedstream/models/ort"
	"github.com/nedstream/nedstream/models/raster"
	"github.com/nedstream/nedstream/pipeline/analysis"
	"github.com/nedstream/nedstream/plugin/nedfilter"
)

const evaluateUsage = `nedface evaluate --input FILE --pack DIR --classifier emotion_mini_xception.onnx
                 [--emotions happy,sad,surprised,angry,fear,disgusted] [--intensity 1]
                 [--frames 200] [--every 5] [--images DIR] [--set name=value ...]

  evaluate  Edit the input with nedfilter for each emotion and judge the result:
            the emotion classifier's mean probability of the target emotion on
            face crops of input and output frames (every --every-th frame),
            and the closed-loop blendshape changes measured by a second
            nedfilter with the speech (jawOpen) correlation. Prints a table;
            --images writes before/after frames and a strip of face crops.
`

// evalOptions are evaluate's settings.
type evalOptions struct {
	input, pack, classifier, images string
	emotions                        []string
	intensity                       float64
	frames, every                   int
	props                           []string
}

// frameSet keeps copies of every every-th frame entering the analysing
// nedfilter.
type frameSet struct {
	every uint64
	mu    sync.Mutex
	pix   map[uint64][]byte
}

func (s *frameSet) keep(n uint64, pix []byte) {
	if n%s.every != 0 {
		return
	}
	s.mu.Lock()
	s.pix[n] = pix
	s.mu.Unlock()
}

// evalRow is one emotion's result.
type evalRow struct {
	emotion         string
	pBefore, pAfter float64
	classified      int
	loop            analysis.LoopStats
	sample          uint64 // frame written as an image
}

func runEvaluate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("evaluate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o evalOptions
	var emotions string
	var props multi
	fs.StringVar(&o.input, "input", "", "video file to edit (or a PNG/JPEG image, frozen into --frames frames)")
	fs.StringVar(&o.pack, "pack", os.Getenv("NEDSTREAM_MODEL_PACK"), "model pack directory with the editing models (default $NEDSTREAM_MODEL_PACK)")
	fs.StringVar(&o.classifier, "classifier", "", "emotion classifier emotion_mini_xception.onnx (FER2013 classes)")
	fs.StringVar(&emotions, "emotions", "happy,sad,surprised,angry,fear,disgusted", "comma-separated emotions to edit to")
	fs.Float64Var(&o.intensity, "intensity", 1, "edit intensity 0..1")
	fs.IntVar(&o.frames, "frames", 200, "frames of the input to use (0: all)")
	fs.IntVar(&o.every, "every", 5, "classify every N-th frame")
	fs.StringVar(&o.images, "images", "", "write before/after PNG frames and a face-crop strip into this directory")
	fs.Var(&props, "set", "extra property of the editing nedfilter, name=value (repeatable)")
	fs.Usage = func() { fmt.Fprint(stderr, evaluateUsage) }
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	o.props = props
	switch {
	case o.input == "":
		return usageError{"evaluate needs --input"}
	case o.pack == "":
		return usageError{"evaluate needs --pack (or NEDSTREAM_MODEL_PACK); build one with `nedpack build`"}
	case o.classifier == "":
		return usageError{"evaluate needs --classifier (emotion_mini_xception.onnx, see NOTICE)"}
	case !(o.intensity >= 0 && o.intensity <= 1):
		return usageError{fmt.Sprintf("--intensity %v outside 0..1", o.intensity)}
	case o.every < 1 || o.frames < 0:
		return usageError{"--every must be >= 1 and --frames >= 0"}
	}
	for _, e := range strings.Split(emotions, ",") {
		e = strings.TrimSpace(e)
		if _, err := manipulator.ParseEmotion(e); err != nil {
			return usageError{fmt.Sprintf("--emotions: %v", err)}
		}
		if emotion.Class(e) < 0 {
			return usageError{fmt.Sprintf("--emotions: %s has no class in the classifier (%s)", e, strings.Join(emotion.Classes[:], ", "))}
		}
		o.emotions = append(o.emotions, e)
	}
	for _, p := range o.props {
		if !strings.Contains(p, "=") || strings.ContainsAny(p, "!\"") {
			return usageError{fmt.Sprintf("--set %q: want name=value", p)}
		}
	}
	rows, err := evaluate(ctx, o, stderr)
	if err != nil {
		return err
	}
	printTable(stdout, o, rows)
	return nil
}

// run one pass: the input, optionally edited, measured by an analysing
// nedfilter; sampled frames kept.
func evalPass(ctx context.Context, o evalOptions, before []string) (map[uint64]nedfilter.FaceInfo, *frameSet, [2]int, error) {
	set := &frameSet{every: uint64(o.every), pix: map[uint64][]byte{}}
	frames := o.frames
	if isImage(o.input) {
		// A still image becomes a video of --frames identical frames.
		n := o.frames
		if n <= 0 {
			n = 60
		}
		before = append([]string{fmt.Sprintf("imagefreeze num-buffers=%d", n)}, before...)
		frames = 0
	}
	res, err := analysis.Run(ctx, analysis.Options{Input: o.input, ModelPack: o.pack, Before: before, MaxFrames: frames,
		Properties: []string{"analysis-only=true", "max-faces=1", "on-model-error=error"}, OnFrame: set.keep})
	if err != nil {
		return nil, nil, [2]int{}, err
	}
	if len(res.Warnings) > 0 {
		return nil, nil, [2]int{}, fmt.Errorf("nedfilter warned: %s", strings.Join(res.Warnings, "; "))
	}
	var size [2]int
	for _, m := range res.Faces {
		size = [2]int{m.Width, m.Height}
		break
	}
	return analysis.SingleFaces(res), set, size, nil
}

func evaluate(ctx context.Context, o evalOptions, log io.Writer) ([]evalRow, error) {
	if err := ort.Init(""); err != nil {
		return nil, err
	}
	cls, err := emotion.Open(o.classifier, ort.Options{Provider: ort.CPU})
	if err != nil {
		return nil, err
	}
	defer cls.Close()
	t0 := time.Now()
	src, srcFrames, size, err := evalPass(ctx, o, nil)
	if err != nil {
		return nil, fmt.Errorf("input pass: %w", err)
	}
	if len(src) == 0 {
		return nil, errors.New("no frame of the input shows a single, unoccluded face")
	}
	fmt.Fprintf(log, "nedface: input measured (%d frames with a face, %.0f s)\n", len(src), time.Since(t0).Seconds())
	var rows []evalRow
	var strip []image.Image
	for _, e := range o.emotions {
		t0 := time.Now()
		el := fmt.Sprintf("nedfilter name=edit model-pack=%s emotion=%s intensity=%g transition=0 on-model-error=error %s", analysis.Quote(o.pack), e, o.intensity, strings.Join(o.props, " "))
		out, outFrames, _, err := evalPass(ctx, o, []string{el})
		if err != nil {
			return nil, fmt.Errorf("%s pass: %w", e, err)
		}
		row := evalRow{emotion: e, loop: analysis.Compare(src, out)}
		k := emotion.Class(e)
		var keys []uint64
		for n := range srcFrames.pix {
			if _, ok := out[n]; ok {
				if _, ok := src[n]; ok {
					keys = append(keys, n)
				}
			}
		}
		slices.Sort(keys)
		for _, n := range keys {
			a, b := frameImage(srcFrames.pix[n], size), frameImage(outFrames.pix[n], size)
			if a.Pix == nil || b.Pix == nil {
				continue
			}
			pa, err := cls.Classify(a, src[n].Box)
			if err != nil {
				return nil, err
			}
			pb, err := cls.Classify(b, out[n].Box)
			if err != nil {
				return nil, err
			}
			row.pBefore += float64(pa[k])
			row.pAfter += float64(pb[k])
			row.classified++
		}
		if row.classified > 0 {
			row.pBefore /= float64(row.classified)
			row.pAfter /= float64(row.classified)
			row.sample = keys[len(keys)/2]
		}
		if o.images != "" && row.classified > 0 {
			n := row.sample
			if len(strip) == 0 {
				strip = append(strip, faceCrop(frameImage(srcFrames.pix[n], size), src[n].Box))
			}
			strip = append(strip, faceCrop(frameImage(outFrames.pix[n], size), src[n].Box))
			if err := writeFrames(o.images, e, n, frameImage(srcFrames.pix[n], size), frameImage(outFrames.pix[n], size)); err != nil {
				return nil, err
			}
		}
		rows = append(rows, row)
		fmt.Fprintf(log, "nedface: %s done (%.0f s)\n", e, time.Since(t0).Seconds())
	}
	if o.images != "" && len(strip) > 0 {
		if err := writePNG(filepath.Join(o.images, "faces.png"), hstack(strip)); err != nil {
			return nil, err
		}
	}
	return rows, nil
}

func printTable(w io.Writer, o evalOptions, rows []evalRow) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "emotion\tP(target) before\tafter\tframes\tsmile\tfrown\tbrowInnerUp\tbrowDown\teyeWide\tjawOpen r\t\n")
	for _, r := range rows {
		d := r.loop.Delta()
		fmt.Fprintf(tw, "%s\t%.3f\t%.3f\t%d\t%.2f→%.2f\t%+.3f\t%+.3f\t%+.3f\t%+.3f\t%.3f\t\n", r.emotion, r.pBefore, r.pAfter, r.classified,
			r.loop.In.Smile, r.loop.Out.Smile, d.Frown, d.BrowInnerUp, d.BrowDown, d.EyeWide, r.loop.JawR)
	}
	tw.Flush()
	if len(rows) > 0 {
		n := rows[0].loop.Noise
		fmt.Fprintf(w, "intensity %g, %d frames compared in the closed loop; frame-to-frame noise of the input: smile %.3f frown %.3f browInnerUp %.3f browDown %.3f eyeWide %.3f\n",
			o.intensity, rows[0].loop.Frames, n.Smile, n.Frown, n.BrowInnerUp, n.BrowDown, n.EyeWide)
		printTracks(w, rows)
	}
}

// printTracks splits the speech correlation by the input's face track:
// per emotion and track, r within the track and the gain (least-squares
// slope of the output's jawOpen on the input's).
func printTracks(w io.Writer, rows []evalRow) {
	tracks := rows[0].loop.Tracks
	if len(tracks) < 2 {
		return
	}
	fmt.Fprintf(w, "\nspeech by input track (jawOpen, output vs input: r within the track, gain = least-squares slope)\n")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "emotion\t")
	for _, t := range tracks {
		fmt.Fprintf(tw, "track %d (%d frames, in %.3f)\t", t.TrackID, t.Frames, t.JawIn)
	}
	fmt.Fprintf(tw, "pooled r\t\n")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t", r.emotion)
		for _, t := range tracks {
			i := slices.IndexFunc(r.loop.Tracks, func(x analysis.TrackSpeech) bool { return x.TrackID == t.TrackID })
			if i < 0 {
				fmt.Fprintf(tw, "-\t")
				continue
			}
			x := r.loop.Tracks[i]
			fmt.Fprintf(tw, "r %.2f gain %.2f\t", x.R, x.Gain)
		}
		fmt.Fprintf(tw, "%.3f\t\n", r.loop.JawR)
	}
	tw.Flush()
}

// isImage reports whether the input is a still image (PNG or JPEG).
func isImage(path string) bool {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".png", ".jpg", ".jpeg":
		return true
	}
	return false
}

// frameImage wraps a tightly packed BGRx frame (what analysis.Run uses).
func frameImage(pix []byte, size [2]int) raster.Image {
	w, h := size[0], size[1]
	if w <= 0 || h <= 0 || len(pix) < w*h*4 {
		return raster.Image{}
	}
	return raster.Image{Pix: pix, Width: w, Height: h, Stride: w * 4, Format: raster.BGRx}
}

// faceCrop is the square around the face box (1.6 x its larger side), 160 px.
func faceCrop(img raster.Image, b face.Rect) image.Image {
	const side = 160
	out := image.NewRGBA(image.Rect(0, 0, side, side))
	s := float64(max(b.W, b.H)) * 1.6
	x0, y0 := float64(b.X+b.W/2)-s/2, float64(b.Y+b.H/2)-s/2
	for y := 0; y < side; y++ {
		for x := 0; x < side; x++ {
			px, py := int(x0+(float64(x)+0.5)*s/side), int(y0+(float64(y)+0.5)*s/side)
			if px < 0 || py < 0 || px >= img.Width || py >= img.Height {
				continue
			}
			r, g, bl := img.RGB(px, py)
			i := out.PixOffset(x, y)
			out.Pix[i], out.Pix[i+1], out.Pix[i+2], out.Pix[i+3] = r, g, bl, 255
		}
	}
	return out
}

func hstack(ims []image.Image) image.Image {
	w, h := 0, 0
	for _, im := range ims {
		w += im.Bounds().Dx()
		h = max(h, im.Bounds().Dy())
	}
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	x := 0
	for _, im := range ims {
		b := im.Bounds()
		for y := 0; y < b.Dy(); y++ {
			for i := 0; i < b.Dx(); i++ {
				out.Set(x+i, y, im.At(b.Min.X+i, b.Min.Y+y))
			}
		}
		x += b.Dx()
	}
	return out
}

func writeFrames(dir, e string, n uint64, before, after raster.Image) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("images: %w", err)
	}
	in := filepath.Join(dir, fmt.Sprintf("input_%04d.png", n))
	if _, err := os.Stat(in); err != nil {
		if err := writePNG(in, before.ToRGBA()); err != nil {
			return err
		}
	}
	return writePNG(filepath.Join(dir, fmt.Sprintf("%s_%04d.png", e, n)), after.ToRGBA())
}

func writePNG(path string, im image.Image) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("images: %w", err)
	}
	if err := png.Encode(f, im); err != nil {
		f.Close()
		return fmt.Errorf("images: encode %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("images: %w", err)
	}
	return nil
}
