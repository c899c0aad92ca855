// Command nedbench measures nedfilter end to end in a GStreamer pipeline and
// prints a table: per-stage latency, frames per second and memory growth,
// for a still portrait (one face) and a face-less test pattern at several
// frame sizes. `make bench` runs it; docs/PERFORMANCE.md records its output.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/go-gst/go-gst/pkg/gst"

	"github.com/nedstream/nedstream/pipeline/analysis"
	"github.com/nedstream/nedstream/pipeline/internal/hostinfo"
	"github.com/nedstream/nedstream/plugin/nedfilter"
)

func main() {
	pack := flag.String("pack", os.Getenv("NEDSTREAM_MODEL_PACK"), "model pack directory")
	image := flag.String("image", "../shared/media/astronaut.png", "portrait to use as the face input")
	frames := flag.Int("frames", 600, "frames per run")
	memFrames := flag.Int("mem-frames", 10000, "frames for the memory run (0 skips it)")
	sizes := flag.String("sizes", "640x480,1280x720", "frame sizes")
	flag.Parse()
	if err := run(*pack, *image, *frames, *memFrames, *sizes, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "nedbench:", err)
		os.Exit(1)
	}
}

type row struct {
	name   string
	frames uint64
	fps    float64
	stages map[string]float64
	faces  int
}

func run(pack, image string, frames, memFrames int, sizes string, out io.Writer) error {
	if pack == "" {
		return fmt.Errorf("no model pack (--pack or NEDSTREAM_MODEL_PACK)")
	}
	if err := analysis.Init(); err != nil {
		return err
	}
	abs, err := filepath.Abs(image)
	if err != nil {
		return err
	}
	host, _ := os.Hostname()
	fmt.Fprintf(out, "nedbench: %s, %d CPUs (%s), GStreamer %s, %s\n\n", hostinfo.CPUModel(), runtime.NumCPU(), host, gst.VersionString(), time.Now().UTC().Format("2006-01-02"))
	fmt.Fprintln(out, "| input | frames | fps | detect ms | landmarks ms | iris ms | blendshapes ms | pose ms | engine ms | element ms |")
	fmt.Fprintln(out, "|---|---|---|---|---|---|---|---|---|---|")
	for _, sz := range strings.Split(sizes, ",") {
		w, h, err := parseSize(sz)
		if err != nil {
			return err
		}
		for _, c := range []struct {
			face  bool
			props string
			name  string
		}{
			{true, "analysis-only=true", "1 face, analysis"},
			{true, "emotion=happy intensity=0.8", "1 face, edit happy"},
			{false, "", "no face"},
		} {
			r, err := measure(pack, abs, w, h, frames, c.face, c.props, c.name)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "| %s | %d | %.1f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f |\n", r.name, r.frames, r.fps,
				r.stages["detect"], r.stages["landmarks"], r.stages["iris"], r.stages["blendshapes"], r.stages["pose"], r.stages["total"], r.stages["element"])
		}
	}
	if memFrames > 0 {
		w, h, _ := parseSize(strings.Split(sizes, ",")[0])
		samples, n, err := memory(pack, abs, w, h, memFrames)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "\nmemory (process RSS) over %d frames at %dx%d with a face, editing:", n, w, h)
		for _, s := range samples {
			fmt.Fprintf(out, " %d: %.1f MiB;", s.frame, float64(s.rss)/(1<<20))
		}
		if len(samples) > 2 {
			first, mid, last := samples[0], samples[len(samples)/2], samples[len(samples)-1]
			fmt.Fprintf(out, " growth over the second half %+.1f MiB (first half %+.1f MiB)\n",
				float64(int64(last.rss)-int64(mid.rss))/(1<<20), float64(int64(mid.rss)-int64(first.rss))/(1<<20))
		}
	}
	return nil
}

func parseSize(s string) (int, int, error) {
	a, b, ok := strings.Cut(strings.TrimSpace(s), "x")
	w, err1 := strconv.Atoi(a)
	h, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || w <= 0 || h <= 0 {
		return 0, 0, fmt.Errorf("bad size %q (want WxH)", s)
	}
	return w, h, nil
}

// source returns the launch description of the input: the portrait scaled
// into the frame and repeated, or a face-less test pattern.
func source(image string, w, h, frames int, face bool) string {
	if face {
		return fmt.Sprintf(`filesrc location="%s" ! pngdec ! videoconvert ! videoscale add-borders=true ! video/x-raw,format=BGRx,width=%d,height=%d,pixel-aspect-ratio=1/1 ! imagefreeze num-buffers=%d ! video/x-raw,framerate=30/1`, image, w, h, frames)
	}
	return fmt.Sprintf("videotestsrc num-buffers=%d pattern=smpte ! video/x-raw,format=BGRx,width=%d,height=%d,framerate=30/1", frames, w, h)
}

func measure(pack, image string, w, h, frames int, face bool, props, what string) (row, error) {
	name := fmt.Sprintf("%dx%d %s", w, h, what)
	desc := source(image, w, h, frames, face) + fmt.Sprintf(` ! nedfilter name=ned model-pack="%s" on-model-error=error %s ! fakesink sync=false`, pack, props)
	msgs, n, wall, err := play(desc, nil)
	if err != nil {
		return row{}, fmt.Errorf("%s: %w", name, err)
	}
	r := row{name: name, frames: n, stages: map[string]float64{}}
	// Leave the first 30 frames out of the timing means (model warm-up).
	var k float64
	for _, m := range msgs {
		if m.Frame < 30 {
			continue
		}
		k++
		r.faces += len(m.Faces)
		r.stages["detect"] += ms(m.Timings.Detect)
		r.stages["landmarks"] += ms(m.Timings.Landmarks)
		r.stages["iris"] += ms(m.Timings.Iris)
		r.stages["blendshapes"] += ms(m.Timings.Blendshapes)
		r.stages["pose"] += ms(m.Timings.Pose)
		r.stages["total"] += ms(m.Timings.Total)
		r.stages["element"] += ms(m.Element)
	}
	for s := range r.stages {
		r.stages[s] /= k
	}
	if face && k == 0 {
		return r, fmt.Errorf("%s: no face found in the portrait", name)
	}
	r.fps = float64(n) / wall.Seconds()
	return r, nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// play runs a pipeline to EOS, counting frames out of "ned" and calling
// onFrame (if set) from the streaming thread.
func play(desc string, onFrame func(n uint64)) ([]nedfilter.FacesMessage, uint64, time.Duration, error) {
	el, err := gst.ParseLaunch(desc)
	if err != nil {
		return nil, 0, 0, err
	}
	p := el.(gst.Pipeline)
	defer p.SetState(gst.StateNull)
	var n uint64
	p.(gst.Bin).GetByName("ned").GetStaticPad("src").AddProbe(gst.PadProbeTypeBuffer, func(gst.Pad, *gst.PadProbeInfo) gst.PadProbeReturn {
		n++
		if onFrame != nil {
			onFrame(n)
		}
		return gst.PadProbeOK
	})
	start := time.Now()
	if p.SetState(gst.StatePlaying) == gst.StateChangeFailure {
		return nil, 0, 0, fmt.Errorf("pipeline refused to play")
	}
	var msgs []nedfilter.FacesMessage
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	for ctx.Err() == nil {
		msg := p.GetBus().TimedPopFiltered(gst.ClockTime(100*time.Millisecond), gst.MessageEOS|gst.MessageError|gst.MessageElement)
		if msg == nil {
			continue
		}
		switch msg.Type() {
		case gst.MessageEOS:
			return msgs, n, time.Since(start), nil
		case gst.MessageError:
			debug, err := msg.ParseError()
			return nil, 0, 0, fmt.Errorf("%v (%s)", err, debug)
		case gst.MessageElement:
			// The memory run (onFrame set) keeps nothing, so that only
			// the element's own memory is measured.
			if fm, ok := nedfilter.ParseFacesMessage(msg.GetStructure()); ok && onFrame == nil {
				msgs = append(msgs, fm)
			}
		}
	}
	return nil, 0, 0, ctx.Err()
}

// sample is the process RSS after a number of frames.
type sample struct {
	frame uint64
	rss   uint64
}

// memory runs many frames and samples the process RSS at 500 frames, at
// every tenth of the run, and at the end.
func memory(pack, image string, w, h, frames int) ([]sample, uint64, error) {
	desc := source(image, w, h, frames, true) + fmt.Sprintf(` ! nedfilter name=ned model-pack="%s" on-model-error=error emotion=happy intensity=0.8 ! fakesink sync=false`, pack)
	var samples []sample
	step := uint64(max(frames/10, 1))
	_, n, _, err := play(desc, func(i uint64) {
		if i == 500 || (i > 500 && i%step == 0) {
			samples = append(samples, sample{i, rss()})
		}
	})
	return samples, n, err
}

// rss reads the resident set size of this process.
func rss() uint64 {
	raw, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(raw))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseUint(f[1], 10, 64)
	return pages * uint64(os.Getpagesize())
}
