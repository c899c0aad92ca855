package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/draw"
	"image/jpeg"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/go-gst/go-gst/pkg/gst"

	"github.com/nedstream/nedstream/models/atomicfile"
	"github.com/nedstream/nedstream/pipeline/analysis"
	"github.com/nedstream/nedstream/plugin/nedfilter"
	"github.com/nedstream/nedstream/trainer/dataset"
)

const extractUsage = `nedface extract analyses one clip into a trainer dataset record (trainer/dataset):
the main face's 52 coefficients and head pose per frame, the labels given here, and
--crops face crops. nedtrain prepare runs it once per clip.

Usage:
  nedface extract --input CLIP --out DATASET --id ID --actor A --emotion E [--level N]
                  [--pack DIR] [--crops 4] [--max-frames N]
`

// cropRate is the frame rate at which extract samples frames for crops.
const cropRate = 4

func runExtract(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("extract", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, extractUsage); fs.PrintDefaults() }
	var o analysis.Options
	rec := &dataset.Record{Format: dataset.FormatVersion}
	var out string
	var crops int
	fs.StringVar(&o.Input, "input", "", "video clip")
	fs.StringVar(&o.ModelPack, "pack", os.Getenv("NEDSTREAM_MODEL_PACK"), "model pack directory (default $NEDSTREAM_MODEL_PACK)")
	fs.IntVar(&o.MaxFrames, "max-frames", 0, "analyse at most this many frames (0: all)")
	fs.StringVar(&out, "out", "", "dataset directory")
	fs.StringVar(&rec.ID, "id", "", "clip id in the dataset")
	fs.StringVar(&rec.Actor, "actor", "", "actor")
	fs.StringVar(&rec.Emotion, "emotion", "", "labelled emotion")
	fs.IntVar(&rec.Level, "level", 0, "labelled intensity level")
	fs.IntVar(&crops, "crops", 4, "face crops to store")
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	switch {
	case o.Input == "" || out == "" || rec.ID == "" || rec.Actor == "" || rec.Emotion == "":
		return usageError{"extract needs --input, --out, --id, --actor and --emotion"}
	case o.ModelPack == "":
		return usageError{"extract needs --pack (or NEDSTREAM_MODEL_PACK)"}
	case crops < 0 || crops > 64:
		return usageError{fmt.Sprintf("extract: --crops %d (want 0..64)", crops)}
	}
	if _, err := dataset.ClassIndex(rec.Emotion); err != nil {
		return usageError{err.Error()}
	}
	if o.MaxFrames < 0 {
		return usageError{fmt.Sprintf("extract: --max-frames %d (want 0 for all, or more)", o.MaxFrames)}
	}
	rec.Source = o.Input
	o.Properties = []string{"overlay=none", "analysis-only=true", "on-model-error=error"}
	o.Timeout = 30 * time.Minute
	res, err := analysis.Run(ctx, o)
	if err != nil {
		return err
	}
	track, err := mainTrack(res.Faces)
	if err != nil {
		return fmt.Errorf("%s: %w", o.Input, err)
	}
	fillRecord(rec, res.Faces, track)
	if crops > 0 {
		tmp, err := os.MkdirTemp("", "nedface-extract-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		if err := sampleFrames(ctx, o, tmp); err != nil {
			return err
		}
		if rec.Crops, err = writeCrops(tmp, out, rec.ID, res.Faces, track, crops); err != nil {
			return err
		}
	}
	if err := dataset.Write(out, rec); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %d frames, %d crops\n", rec.ID, len(rec.Frames), len(rec.Crops))
	return nil
}

// mainTrack is the track seen in the most frames; it must cover at least
// half of the frames with faces.
func mainTrack(msgs []nedfilter.FacesMessage) (uint64, error) {
	count := map[uint64]int{}
	for _, m := range msgs {
		for _, f := range m.Faces {
			count[f.TrackID]++
		}
	}
	if len(count) == 0 {
		return 0, errors.New("no face found")
	}
	var best uint64
	for id, n := range count {
		if n > count[best] || (n == count[best] && id < best) {
			best = id
		}
	}
	if count[best] < 4 {
		return 0, fmt.Errorf("the face is seen in %d frames only", count[best])
	}
	return best, nil
}

// fillRecord takes the track's coefficients and pose per frame, holding the
// last values through frames where the track is missing.
func fillRecord(rec *dataset.Record, msgs []nedfilter.FacesMessage, track uint64) {
	var firstPTS, lastPTS uint64
	n := 0
	var last *nedfilter.FaceInfo
	for _, m := range msgs {
		var cur *nedfilter.FaceInfo
		for i := range m.Faces {
			if m.Faces[i].TrackID == track {
				cur = &m.Faces[i]
			}
		}
		if cur == nil {
			cur = last
		}
		if cur == nil {
			continue
		}
		if n == 0 {
			firstPTS = m.PTS
		}
		lastPTS = m.PTS
		n++
		last = cur
		rec.Frames = append(rec.Frames, append([]float32(nil), cur.Blendshapes[:]...))
		rec.Pose = append(rec.Pose, [3]float32{float32(cur.Yaw), float32(cur.Pitch), float32(cur.Roll)})
	}
	rec.FPS = 30
	if n > 1 && lastPTS > firstPTS {
		rec.FPS = math.Round(float64(n-1)/(float64(lastPTS-firstPTS)/1e9)*100) / 100
	}
}

// sampleFrames decodes the clip at cropRate fps into JPEG files in dir.
func sampleFrames(ctx context.Context, o analysis.Options, dir string) error {
	if err := analysis.Init(); err != nil {
		return err
	}
	q := func(s string) string { return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"` }
	desc := fmt.Sprintf("filesrc location=%s ! decodebin3 ! videoflip video-direction=auto ! videoconvert ! videorate ! video/x-raw,framerate=%d/1 ! jpegenc quality=92 ! multifilesink location=%s",
		q(o.Input), cropRate, q(filepath.Join(dir, "f%05d.jpg")))
	el, err := gst.ParseLaunch(desc)
	if err != nil {
		return fmt.Errorf("crop pipeline: %w", err)
	}
	p, ok := el.(gst.Pipeline)
	if !ok {
		return errors.New("crop pipeline: not a pipeline")
	}
	defer p.SetState(gst.StateNull)
	if p.SetState(gst.StatePlaying) == gst.StateChangeFailure {
		return errors.New("crop pipeline refused to play")
	}
	bus := p.GetBus()
	deadline := time.Now().Add(10 * time.Minute)
	for time.Now().Before(deadline) {
		if err := ctx.Err(); err != nil {
			return err
		}
		msg := bus.TimedPopFiltered(gst.ClockTime(100*time.Millisecond), gst.MessageEOS|gst.MessageError)
		if msg == nil {
			continue
		}
		if msg.Type() == gst.MessageError {
			_, err := msg.ParseError()
			return fmt.Errorf("crop pipeline: %v", err)
		}
		return nil
	}
	return errors.New("crop pipeline: timed out")
}

// writeCrops cuts n face crops, spread over the clip, from the sampled
// frames (frame k shows time k/cropRate) with the track's box at the
// nearest analysed frame.
func writeCrops(frameDir, out, id string, msgs []nedfilter.FacesMessage, track uint64, n int) ([]string, error) {
	files, _ := filepath.Glob(filepath.Join(frameDir, "f*.jpg"))
	sort.Strings(files)
	if len(files) == 0 {
		return nil, errors.New("no frames decoded for crops")
	}
	type boxAt struct {
		pts  uint64
		w, h int
		face nedfilter.FaceInfo
	}
	var boxes []boxAt
	for _, m := range msgs {
		for _, f := range m.Faces {
			if f.TrackID == track && !f.Occluded {
				boxes = append(boxes, boxAt{m.PTS, m.Width, m.Height, f})
			}
		}
	}
	if len(boxes) == 0 {
		return nil, errors.New("no unoccluded face for crops")
	}
	if err := os.MkdirAll(filepath.Join(out, "crops"), 0o755); err != nil {
		return nil, err
	}
	// Only frames inside the analysed span (--max-frames may stop early).
	last := boxes[len(boxes)-1].pts
	usable := min(len(files), int(float64(last)/1e9*cropRate)+1)
	var rels []string
	for k := range min(n, usable) {
		idx := (2*k + 1) * usable / (2 * min(n, usable))
		t := uint64(float64(idx) / cropRate * 1e9)
		best := boxes[0]
		for _, b := range boxes {
			if absDiff(b.pts, t) < absDiff(best.pts, t) {
				best = b
			}
		}
		f, err := os.Open(files[idx])
		if err != nil {
			return nil, err
		}
		img, err := jpeg.Decode(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("crop frame: %w", err)
		}
		sx := float64(img.Bounds().Dx()) / float64(best.w)
		sy := float64(img.Bounds().Dy()) / float64(best.h)
		bx := best.face.Box
		side := 1.2 * math.Max(float64(bx.W)*sx, float64(bx.H)*sy)
		cx, cy := (float64(bx.X)+float64(bx.W)/2)*sx, (float64(bx.Y)+float64(bx.H)/2)*sy
		r := image.Rect(int(cx-side/2), int(cy-side/2), int(cx+side/2), int(cy+side/2)).Intersect(img.Bounds())
		if r.Empty() {
			continue
		}
		crop := image.NewRGBA(image.Rect(0, 0, r.Dx(), r.Dy()))
		draw.Draw(crop, crop.Bounds(), img, r.Min, draw.Src)
		rel := fmt.Sprintf("crops/%s_%d.png", id, k)
		err = atomicfile.Write(filepath.Join(out, rel), func(w io.Writer) error { return png.Encode(w, crop) })
		if err != nil {
			return nil, err
		}
		rels = append(rels, rel)
	}
	return rels, nil
}

func absDiff(a, b uint64) uint64 {
	if a > b {
		return a - b
	}
	return b - a
}
