package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/nedstream/nedstream/pipeline/cast"
	"github.com/nedstream/nedstream/pipeline/webrtc/peer"
	"github.com/nedstream/nedstream/pipeline/webrtc/whepclient"
)

// SoakOptions configure Soak, a long-run growth measurement of nedcast:
// a live test input recorded to a file and sent to WHEP viewers that keep
// joining and leaving, while the process's goroutines, Go heap, RSS, open
// files and threads are sampled.
type SoakOptions struct {
	// ModelPack is the model pack (required).
	ModelPack string
	// TestImage is the still the test input shows (a face exercises the
	// whole editing path); empty: the test pattern.
	TestImage string
	// Size and FPS of the test input (default 320x240 at 15).
	Size string
	FPS  int
	// Duration is how long viewers churn (default 10 min).
	Duration time.Duration
	// Interval is the sampling period (default Duration/10, at least 5 s).
	Interval time.Duration
	// ViewerEvery is how often a viewer joins (default 4 s); each stays
	// ViewerStay (default 10 s), so about ViewerStay/ViewerEvery watch at once.
	ViewerEvery, ViewerStay time.Duration
	// Record is the recording (default: a temporary file, removed).
	Record string
	// Settle bounds the wait for goroutines to wind down after the
	// viewers left and after the stop (default 10 s).
	Settle time.Duration
	// Logger receives nedcast's log (default: warnings and errors to stderr).
	Logger *slog.Logger
	// OnSample, when set, is called with each sample as it is taken.
	OnSample func(SoakSample)
}

// SoakSample is one measurement of the process.
type SoakSample struct {
	// Phase: "before" (GStreamer initialised, nothing running), "playing"
	// (pipeline up, no viewer yet), "run", "viewers left", "stopped".
	Phase string
	// At is the time since the start of the run.
	At time.Duration
	// Frames through nedfilter so far; Joins are WHEP viewer sessions that
	// connected so far; Viewers are connected now.
	Frames, Joins uint64
	Viewers       int
	// Goroutines started by Go code (runtime.NumGoroutine less CThreads
	// and the finalizer/cleanup runners; the least of 10 counts over half
	// a second),
	// CThreads the goroutines of C threads (GStreamer's) that call into Go:
	// running a callback now, or idle (only goexit on their stack; they end
	// with their thread, which GStreamer's thread pool keeps), Go heap in use
	// (after a GC), resident set, open file descriptors and OS threads.
	Goroutines int
	CThreads   int
	HeapBytes  uint64
	RSSBytes   uint64
	FDs        int
	Threads    int
}

// SoakResult is a soak run's samples and verdicts.
type SoakResult struct {
	Samples []SoakSample
	// Before, Playing, ViewersLeft and Stopped are the phase samples.
	Before, Playing, ViewersLeft, Stopped SoakSample
	// ViewerErrors counts viewers that could not connect.
	ViewerErrors int
	// RecordingBytes is the size of the finished recording.
	RecordingBytes int64
	// Goroutines is a goroutine profile (pprof debug=1) taken when more
	// goroutines were left after the viewers left or after the stop than
	// before; empty otherwise.
	Goroutines string
}

// goroutineDump returns the goroutine profile in pprof's debug=1 text.
func goroutineDump() string {
	var b strings.Builder
	_ = pprof.Lookup("goroutine").WriteTo(&b, 1)
	return b.String()
}

func (o *SoakOptions) defaults() {
	if o.Size == "" {
		o.Size = "320x240"
	}
	if o.FPS <= 0 {
		o.FPS = 15
	}
	if o.Duration <= 0 {
		o.Duration = 10 * time.Minute
	}
	if o.Interval <= 0 {
		o.Interval = max(o.Duration/10, 5*time.Second)
	}
	if o.ViewerEvery <= 0 {
		o.ViewerEvery = 4 * time.Second
	}
	if o.ViewerStay <= 0 {
		o.ViewerStay = 10 * time.Second
	}
	if o.Settle <= 0 {
		o.Settle = 10 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
}

// Soak runs nedcast (test input, WHEP, recording, control API) for
// o.Duration with viewers joining and leaving and an emotion change every
// 10 s, sampling the process every o.Interval; then it lets the viewers
// leave and stops the run, sampling after each. ctx cancels it early (the
// phases after the run are still measured).
func Soak(ctx context.Context, o SoakOptions) (*SoakResult, error) {
	o.defaults()
	if err := Init(); err != nil {
		return nil, err
	}
	res := &SoakResult{}
	start := time.Now()
	var joins atomic.Uint64
	var r *Runner
	sample := func(phase string) SoakSample {
		s := processSample()
		s.Phase, s.At = phase, time.Since(start).Round(time.Second)
		if r != nil {
			st := r.Status()
			s.Frames, s.Viewers = st.Frames, st.Viewers
		}
		s.Joins = joins.Load()
		res.Samples = append(res.Samples, s)
		if o.OnSample != nil {
			o.OnSample(s)
		}
		return s
	}
	res.Before = sample("before")

	record := o.Record
	if record == "" {
		dir, err := os.MkdirTemp("", "nedcast-soak-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		record = filepath.Join(dir, "soak.mp4")
	}
	whepAddr, err := freeLoopbackAddr()
	if err != nil {
		return nil, err
	}
	cfg := cast.Defaults()
	cfg.Input, cfg.TestImage, cfg.Size, cfg.FPS = "test", o.TestImage, o.Size, o.FPS
	cfg.ModelPack = o.ModelPack
	cfg.WHEP = whepAddr
	cfg.Listen = "127.0.0.1:0"
	cfg.Record = record
	cfg.Emotion = "happy"
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	ctl := make(chan string, 1)
	r, err = New(cfg, o.Logger.With("part", "nedcast"), Options{ICE: peer.Options{IncludeLoopback: true},
		OnListening: func(addr string) { ctl <- addr }})
	if err != nil {
		return nil, err
	}
	runCtx, stopRun := context.WithCancel(context.Background())
	defer stopRun()
	done := make(chan error, 1)
	go func() { done <- r.Run(runCtx) }()

	// Wait for frames (the pipeline plays, nedfilter loaded its models).
	deadline := time.Now().Add(60 * time.Second)
	for r.frames.Load() < uint64(2*o.FPS) {
		if time.Now().After(deadline) {
			stopRun()
			<-done
			return nil, errors.New("soak: no frames within 60 s")
		}
		select {
		case err := <-done:
			return nil, fmt.Errorf("soak: nedcast stopped before playing: %v", err)
		case <-time.After(100 * time.Millisecond):
		}
	}
	control := "http://" + <-ctl
	res.Playing = sample("playing")

	// Viewers join every ViewerEvery and leave after ViewerStay.
	endpoint := "http://" + whepAddr + "/whep"
	churnCtx, stopChurn := context.WithTimeout(ctx, o.Duration)
	defer stopChurn()
	var wg sync.WaitGroup
	var mu sync.Mutex
	viewerErrs := 0
	joinTick := time.NewTicker(o.ViewerEvery)
	defer joinTick.Stop()
	sampleTick := time.NewTicker(o.Interval)
	defer sampleTick.Stop()
	settingsTick := time.NewTicker(10 * time.Second)
	defer settingsTick.Stop()
	emotions := []string{"surprised", "sad", "happy", "neutral"}
	changes := 0
	join := func() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			vctx, cancel := context.WithTimeout(churnCtx, 20*time.Second)
			v, err := dialViewer(vctx, endpoint)
			cancel()
			if err != nil {
				if churnCtx.Err() == nil {
					mu.Lock()
					viewerErrs++
					mu.Unlock()
					o.Logger.Warn("soak viewer did not connect", "error", err)
				}
				return
			}
			joins.Add(1)
			select {
			case <-churnCtx.Done():
			case <-time.After(o.ViewerStay):
			}
			v.leave()
		}()
	}
	join()
churn:
	for {
		select {
		case <-churnCtx.Done():
			break churn
		case err := <-done:
			return res, fmt.Errorf("soak: nedcast stopped during the run: %v", err)
		case <-joinTick.C:
			join()
		case <-settingsTick.C:
			e := emotions[changes%len(emotions)]
			changes++
			// Through the control API, as the page does, and a scrape.
			body := fmt.Sprintf(`{"emotion":%q}`, e)
			for _, req := range []struct{ method, path, body string }{
				{http.MethodPut, "/api/settings", body}, {http.MethodGet, "/api/status", ""}, {http.MethodGet, "/metrics", ""},
			} {
				if err := soakRequest(req.method, control+req.path, req.body); err != nil {
					o.Logger.Warn("soak control request", "error", err)
				}
			}
		case <-sampleTick.C:
			sample("run")
		}
	}
	wg.Wait()
	res.ViewerErrors = viewerErrs
	// Viewers gone: the goroutines their sessions used must be too.
	settle(o.Settle, func() bool { return goCount() <= res.Playing.Goroutines && r.Status().Viewers == 0 })
	res.ViewersLeft = sample("viewers left")
	if res.ViewersLeft.Goroutines > res.Playing.Goroutines {
		res.Goroutines = "after the viewers left:\n" + goroutineDump()
	}

	stopRun()
	if err := <-done; err != nil {
		return res, fmt.Errorf("soak: stop: %w", err)
	}
	if fi, err := os.Stat(record); err == nil {
		res.RecordingBytes = fi.Size()
	}
	settle(o.Settle, func() bool { return goCount() <= res.Before.Goroutines })
	res.Stopped = sample("stopped")
	if res.Stopped.Goroutines > res.Before.Goroutines {
		res.Goroutines += "after the stop:\n" + goroutineDump()
	}
	return res, nil
}

// settle waits until ok or the timeout, sampling every 100 ms.
func settle(timeout time.Duration, ok func() bool) {
	for deadline := time.Now().Add(timeout); !ok() && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
	}
}

// processSample measures this process.
func processSample() SoakSample {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	s := SoakSample{HeapBytes: ms.HeapAlloc}
	// The least over half a second: goroutines that live for part of a
	// frame (nedfilter's iris worker) are not what a leak looks like.
	s.Goroutines, s.CThreads = goroutineCounts()
	for range 10 {
		time.Sleep(50 * time.Millisecond)
		g, c := goroutineCounts()
		s.Goroutines, s.CThreads = min(s.Goroutines, g), min(s.CThreads, c)
	}
	if raw, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, line := range strings.Split(string(raw), "\n") {
			f := strings.Fields(line)
			if len(f) < 2 {
				continue
			}
			switch f[0] {
			case "VmRSS:":
				kb, _ := strconv.ParseUint(f[1], 10, 64)
				s.RSSBytes = kb * 1024
			case "Threads:":
				s.Threads, _ = strconv.Atoi(f[1])
			}
		}
	}
	if fds, err := os.ReadDir("/proc/self/fd"); err == nil {
		s.FDs = len(fds)
	}
	return s
}

// goroutineCounts splits the goroutines into those with Go code on their
// stack and the idle ones of C threads that called into Go.
func goroutineCounts() (goCode, cThreads int) {
	n := runtime.NumGoroutine() + 16
	for {
		recs := make([]runtime.StackRecord, n)
		m, ok := runtime.GoroutineProfile(recs)
		if !ok {
			n = m + 16
			continue
		}
		for _, r := range recs[:m] {
			switch kind := goroutineKind(r.Stack()); kind {
			case "c":
				cThreads++
			case "go":
				goCode++
			}
		}
		return goCode, cThreads
	}
}

// goroutineKind classifies a goroutine by its stack: "c" for a C thread's
// (idle: only goexit on the stack; or running a callback from C:
// GStreamer's streaming threads in nedfilter, the pad probes, the sinks),
// "runtime" for the finalizer and cleanup runners (go-gst releases its
// objects there after a GC), "go" for the rest.
func goroutineKind(stack []uintptr) string {
	if len(stack) <= 1 {
		return "c"
	}
	frames := runtime.CallersFrames(stack)
	for {
		f, more := frames.Next()
		switch f.Function {
		case "runtime.cgocallback", "runtime.cgocallbackg":
			return "c"
		case "runtime.runFinalizers", "runtime.runCleanups":
			return "runtime"
		}
		if !more {
			return "go"
		}
	}
}

// goCount is goroutineCounts' first value.
func goCount() int { g, _ := goroutineCounts(); return g }

// WriteSoakTable prints the samples and the growth between the phases.
func WriteSoakTable(w io.Writer, res *SoakResult) {
	mib := func(b uint64) string { return fmt.Sprintf("%.1f", float64(b)/(1<<20)) }
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "phase\tt\tframes\tviewer joins\tviewers\tgoroutines\tC-thread Gs\tGo heap MiB\tRSS MiB\tfds\tthreads\t")
	for _, s := range res.Samples {
		fmt.Fprintf(tw, "%s\t%v\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t%d\t%d\t\n", s.Phase, s.At, s.Frames, s.Joins, s.Viewers,
			s.Goroutines, s.CThreads, mib(s.HeapBytes), mib(s.RSSBytes), s.FDs, s.Threads)
	}
	_ = tw.Flush()
	// Growth over the run: from the first "run" sample after the first
	// minute (the caches and pools fill up before) to the last; from the
	// first "run" sample in a shorter run.
	var first, firstWarm, last *SoakSample
	for i := range res.Samples {
		s := &res.Samples[i]
		if s.Phase != "run" {
			continue
		}
		if first == nil {
			first = s
		}
		if firstWarm == nil && s.At >= time.Minute {
			firstWarm = s
		}
		last = s
	}
	note := " (includes the warm-up: less than a minute sampled after it)"
	if firstWarm != nil && firstWarm != last {
		first, note = firstWarm, ""
	}
	if first != nil && last != first {
		mins := (last.At - first.At).Minutes()
		fmt.Fprintf(w, "growth from %v to %v (%.1f min)%s: RSS %+.1f MiB (%+.2f MiB/min), Go heap %+.1f MiB, goroutines %+d, fds %+d, threads %+d\n",
			first.At, last.At, mins, note, float64(int64(last.RSSBytes)-int64(first.RSSBytes))/(1<<20),
			float64(int64(last.RSSBytes)-int64(first.RSSBytes))/(1<<20)/mins,
			float64(int64(last.HeapBytes)-int64(first.HeapBytes))/(1<<20),
			last.Goroutines-first.Goroutines, last.FDs-first.FDs, last.Threads-first.Threads)
	}
	fmt.Fprintf(w, "goroutines: %d before, %d playing without viewers, %d after the viewers left, %d after the stop; %d viewer sessions, %d failed to connect; recording %.1f MiB\n",
		res.Before.Goroutines, res.Playing.Goroutines, res.ViewersLeft.Goroutines, res.Stopped.Goroutines,
		res.ViewersLeft.Joins, res.ViewerErrors, float64(res.RecordingBytes)/(1<<20))
}

// soakClient makes one connection per request, so that no idle
// keep-alive connection counts as a leaked goroutine.
var soakClient = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 20 * time.Second}

// soakRequest sends one control API request; a status other than 200 is an error.
func soakRequest(method, url, body string) error {
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		return err
	}
	res, err := soakClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, res.Body)
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: %s", method, url, res.Status)
	}
	return nil
}

// freeLoopbackAddr returns a free TCP port on 127.0.0.1.
func freeLoopbackAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// soakViewer is a pion WHEP viewer that reads its tracks and leaves with a
// DELETE, as a browser closing the page does.
type soakViewer struct {
	api      *peer.API
	pc       *webrtc.PeerConnection
	resource string
}

// dialViewer connects a video+audio viewer to a WHEP endpoint.
func dialViewer(ctx context.Context, endpoint string) (*soakViewer, error) {
	api, pc, err := whepclient.NewReceiver(peer.Options{IncludeLoopback: true}, webrtc.RTPCodecTypeVideo, webrtc.RTPCodecTypeAudio)
	if err != nil {
		return nil, err
	}
	v := &soakViewer{api: api, pc: pc}
	fail := func(err error) (*soakViewer, error) { v.close(); return nil, err }
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		buf := make([]byte, 1500)
		for {
			if _, _, err := tr.Read(buf); err != nil {
				return
			}
		}
	})
	sub, err := whepclient.Subscribe(ctx, soakClient, endpoint, "", pc, 200*time.Millisecond)
	if err != nil {
		return fail(err)
	}
	v.resource = sub.Resource
	return v, nil
}

// leave ends the session with a DELETE and closes the connection.
func (v *soakViewer) leave() {
	if v.resource != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		req, _ := http.NewRequestWithContext(ctx, http.MethodDelete, v.resource, nil)
		if res, err := soakClient.Do(req); err == nil {
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
		}
		cancel()
	}
	v.close()
}

func (v *soakViewer) close() { _ = v.pc.Close(); _ = v.api.Close() }
