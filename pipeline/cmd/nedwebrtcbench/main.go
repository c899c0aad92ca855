// Command nedwebrtcbench measures the WebRTC fan-out of nedwhepsink: one
// 1280x720 30 fps H.264 stream, encoded once, watched by N loopback pion
// viewers in a second process. It prints a table row per N: the sender
// process's CPU per viewer (getrusage deltas against a no-viewer baseline),
// the time to first frame of a viewer joining the loaded server, and
// latencies read from stamps in the frames (an SEI NAL per access unit
// with the capture time and the time the unit reached the sink):
// glass-to-glass (capture -> access unit complete at a viewer) and
// sink-added (sink input -> access unit complete at a viewer). `make
// bench` runs it; docs/PERFORMANCE.md explains the columns.
package main

// #cgo pkg-config: gstreamer-1.0
// #include "stamp.h"
import "C"

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"github.com/go-gst/go-glib/pkg/gobject/v2"
	"github.com/go-gst/go-gst/pkg/gst"

	"github.com/nedstream/nedstream/pipeline/internal/hostinfo"
	"github.com/nedstream/nedstream/plugin/nedwhepsink"
)

func main() {
	child := flag.String("child", "", "internal: run the viewers against this WHEP endpoint")
	viewers := flag.String("viewers", "10,50", "viewer counts, one table row each")
	n := flag.Int("n", 0, "internal: viewers in the child")
	settle := flag.Duration("settle", 3*time.Second, "time for the viewers to connect before measuring")
	measure := flag.Duration("measure", 10*time.Second, "measuring window")
	bitrate := flag.Int("bitrate", 2500, "x264enc bitrate in kbit/s")
	latency := flag.Duration("latency", 0, "internal: the pipeline latency, for the child")
	flag.Parse()
	var err error
	if *child != "" {
		err = runViewers(*child, *n, *settle, *measure, *latency)
	} else {
		err = run(*viewers, *settle, *measure, *bitrate, os.Stdout)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "nedwebrtcbench:", err)
		os.Exit(1)
	}
}

// cpuTime returns this process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func run(viewers string, settle, measure time.Duration, bitrate int, out io.Writer) error {
	gst.Init()
	if !nedwhepsink.RegisterStatic() {
		return fmt.Errorf("cannot register nedwhepsink")
	}
	fmt.Fprintf(out, "nedwebrtcbench: %s, %d CPUs, %s, %s; 1280x720 30 fps x264enc %d kbit/s, %v window\n\n",
		hostinfo.CPUModel(), runtime.NumCPU(), gst.VersionString(), time.Now().UTC().Format("2006-01-02"), bitrate, measure)
	fmt.Fprintln(out, "| viewers | sender CPU, no viewers | sender CPU with viewers | fan-out per viewer (% of one core) | first frame, joining viewer | glass-to-glass p50 / p95 | pipeline latency | sink-added p50 / p95 | stamped frames received / expected |")
	fmt.Fprintln(out, "|---|---|---|---|---|---|---|---|---|")
	for _, f := range strings.Split(viewers, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return fmt.Errorf("viewer count %q: want a positive number", f)
		}
		if err := row(n, settle, measure, bitrate, out); err != nil {
			return fmt.Errorf("%d viewers: %w", n, err)
		}
	}
	return nil
}

// row runs one pipeline, measures the baseline, then n viewers.
func row(n int, settle, measure time.Duration, bitrate int, out io.Writer) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	desc := fmt.Sprintf("videotestsrc is-live=true pattern=ball ! video/x-raw,format=I420,width=1280,height=720,framerate=30/1 ! "+
		"x264enc tune=zerolatency speed-preset=ultrafast bitrate=%d key-int-max=300 aud=false ! "+
		"video/x-h264,profile=constrained-baseline ! h264parse name=stamp ! "+
		"video/x-h264,stream-format=byte-stream,alignment=au ! nedwhepsink address=127.0.0.1:%d", bitrate, port)
	el, err := gst.ParseLaunch(desc)
	if err != nil {
		return err
	}
	p := el.(gst.Pipeline)
	defer p.SetState(gst.StateNull)
	parser := p.(gst.Bin).GetByName("stamp")
	if C.ned_bench_stamp_install((*C.GstElement)(unsafe.Pointer(gobject.UnsafeObjectToGlibNone(parser)))) == 0 {
		return fmt.Errorf("cannot install the stamp probe")
	}
	if p.SetState(gst.StatePlaying) == gst.StateChangeFailure {
		return fmt.Errorf("the pipeline refused to play")
	}
	errs := make(chan error, 1)
	go func() { // report pipeline errors
		for {
			msg := p.GetBus().TimedPopFiltered(gst.ClockTime(time.Hour), gst.MessageError)
			if msg == nil {
				return
			}
			debug, err := msg.ParseError()
			errs <- fmt.Errorf("pipeline: %v (%s)", err, debug)
			return
		}
	}()

	time.Sleep(2 * time.Second) // encoder warm-up
	latency := time.Duration(C.ned_bench_latency((*C.GstElement)(unsafe.Pointer(gobject.UnsafeObjectToGlibNone(p)))))
	if latency < 0 || latency > time.Minute {
		return fmt.Errorf("the pipeline reports no latency")
	}
	c0, w0 := cpuTime(), time.Now()
	time.Sleep(measure)
	base := float64(cpuTime()-c0) / float64(time.Since(w0))

	self, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.Command(self, "-child", fmt.Sprintf("http://127.0.0.1:%d/whep", port), "-n", strconv.Itoa(n),
		"-settle", settle.String(), "-measure", measure.String(), "-latency", latency.String())
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	defer cmd.Process.Kill()
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 1<<20), 256<<20) // the report holds every frame's latencies
	var c1 time.Duration
	var w1 time.Time
	var loaded float64
	var rep childReport
	got := false
	for sc.Scan() {
		switch line := sc.Text(); {
		case line == "measuring":
			c1, w1 = cpuTime(), time.Now()
		case line == "done":
			loaded = float64(cpuTime()-c1) / float64(time.Since(w1))
		case strings.HasPrefix(line, "{"):
			if err := json.Unmarshal([]byte(line), &rep); err != nil {
				return fmt.Errorf("viewer report: %w", err)
			}
			got = true
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("reading the viewer process: %w", err)
	}
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("viewer process: %w", err)
	}
	if !got {
		return fmt.Errorf("the viewer process printed no report")
	}
	select {
	case err := <-errs:
		return err
	default:
	}
	perViewer := (loaded - base) / float64(n) * 100
	g50, g95 := quantiles(rep.G2G)
	s50, s95 := quantiles(rep.Sink)
	first := fmt.Sprintf("%.0f ms", rep.JoinFirst)
	if rep.JoinErr != "" {
		first = rep.JoinErr
	}
	expected := int(rep.Window*30) * n
	fmt.Fprintf(out, "| %d (%d connected) | %.0f %% | %.0f %% | %.2f %% | %s | %.1f / %.1f ms | %.0f ms | %.1f / %.1f ms | %d / %d |\n",
		n, rep.Connected, base*100, loaded*100, perViewer, first, g50, g95, ms(latency), s50, s95, rep.Frames, expected)
	return nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
