// Package runner runs nedcast's pipeline: it builds it from the
// description pipeline/cast writes, plays it, reads the bus (nedfilter's
// faces and statistics, WHEP viewers, WHIP status, warnings, errors), feeds
// the WHIP ingest's packets into it, serves the control API and the
// metrics, and stops it cleanly (EOS first, so recordings are finalised).
package runner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-gst/go-gst/pkg/gst"

	"github.com/nedstream/nedstream/pipeline/cast"
	"github.com/nedstream/nedstream/pipeline/cast/whipin"
	"github.com/nedstream/nedstream/pipeline/internal/mediaprobe"
	"github.com/nedstream/nedstream/pipeline/webrtc/peer"
	"github.com/nedstream/nedstream/plugin/elements"
	"github.com/nedstream/nedstream/plugin/nedfilter"
	"github.com/nedstream/nedstream/plugin/nedwhepsink"
	"github.com/nedstream/nedstream/plugin/nedwhipsink"
)

var (
	initOnce sync.Once
	initErr  error
)

// Init initialises GStreamer and registers the nedstream elements in this
// process. Safe to call often.
func Init() error {
	initOnce.Do(func() {
		gst.Init()
		initErr = elements.RegisterStatic()
	})
	return initErr
}

// EOSTimeout bounds how long a stop waits for the outputs to finalise.
const EOSTimeout = 15 * time.Second

// EOSEscalate is how long a stop waits for the EOS sent at the input to
// reach every output before it sends EOS into every branch's queue (the
// outputs then finalise with what they have; frames still in flight
// upstream are lost).
const EOSEscalate = 5 * time.Second

// ErrInput marks errors about the input (exit status and retry decisions).
var ErrInput = errors.New("input")

// Options tune a Runner beyond the configuration (tests).
type Options struct {
	// ICE configures the WHIP ingest's candidates.
	ICE peer.Options
	// OnListening is called with the control server's address once it listens.
	OnListening func(addr string)
}

// Runner is one nedcast run. It implements cast.Backend.
type Runner struct {
	cfg     cast.Config
	opts    Options
	log     *slog.Logger
	metrics *cast.Metrics
	start   time.Time
	ingest  *whipin.Server
	probe   cast.Probe

	// Pipeline of the current attempt (nil between attempts).
	mu          sync.Mutex
	pipeline    gst.Pipeline
	filter      gst.Element
	whipVideo   gst.Element
	whipAudio   gst.Element
	queues      map[string]gst.Element
	settings    cast.Settings
	unavailable []string
	state       string
	faces       int
	trackIDs    []uint64
	latency     map[string]float64
	viewers     map[string]bool
	whipState   string
	warnings    []string
	fps         float64
	bitrate     float64
	attempt     int

	frames    atomic.Uint64
	encBytes  atomic.Uint64
	qin, qout map[string]*atomic.Uint64
	dropBase  map[string]uint64 // drops of earlier attempts
}

// New checks what the elements of this build offer, probes the input and
// prepares a run.
func New(cfg cast.Config, logger *slog.Logger, opts Options) (*Runner, error) {
	if err := Init(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.Default()
	}
	r := &Runner{cfg: cfg, opts: opts, log: logger, start: time.Now(), state: "starting",
		latency: map[string]float64{}, viewers: map[string]bool{}, dropBase: map[string]uint64{},
		qin: map[string]*atomic.Uint64{}, qout: map[string]*atomic.Uint64{}}
	for _, q := range append([]string{"input"}, cast.Outputs...) {
		r.qin[q], r.qout[q] = new(atomic.Uint64), new(atomic.Uint64)
	}
	r.settings = cast.Settings{Emotion: cfg.Emotion, Intensity: cfg.Intensity, TransitionMS: cfg.TransitionMS, Reference: cfg.Reference}
	if err := r.probeElements(); err != nil {
		return nil, err
	}
	if err := r.probeInput(); err != nil {
		return nil, err
	}
	r.metrics = cast.NewMetrics(r.dropped)
	return r, nil
}

// probeElements checks that the elements the configuration needs exist and
// which optional nedfilter properties this build has.
func (r *Runner) probeElements() error {
	need := []string{"nedfilter", "tee", "queue", "videoconvert", "videoflip"}
	c := r.cfg
	switch c.Kind() {
	case cast.InputDevice:
		need = append(need, "v4l2src", "decodebin3")
	case cast.InputFile:
		need = append(need, "filesrc", "decodebin3")
	case cast.InputURI:
		need = append(need, "uridecodebin3")
	case cast.InputTest:
		need = append(need, "videotestsrc", "imagefreeze")
	case cast.InputWHIP:
		need = append(need, "appsrc", "rtpjitterbuffer", "rtph264depay", "h264parse", "decodebin3")
		if c.Record != "" || c.WebRTC() {
			need = append(need, "rtpopusdepay", "opusdec", "audioconvert", "audioresample", "audiotestsrc", "audiomixer", "opusenc")
		}
	}
	if k := c.Kind(); c.InputTimeout > 0 && (k == cast.InputDevice || k == cast.InputURI) {
		need = append(need, "watchdog") // cameras and live URIs
	}
	if c.WebRTC() {
		need = append(need, "x264enc", "h264parse")
	}
	if c.WHEP != "" {
		need = append(need, nedwhepsink.ElementName)
	}
	if c.WHIP != "" {
		need = append(need, nedwhipsink.ElementName)
	}
	if c.Record != "" {
		need = append(need, "x264enc", "h264parse", "opusenc", "filesink")
		if strings.EqualFold(filepath.Ext(c.Record), ".mkv") {
			need = append(need, "matroskamux")
		} else {
			need = append(need, "mp4mux")
		}
	}
	if c.VCam != "" {
		need = append(need, "v4l2sink")
	}
	if c.Display {
		need = append(need, "autovideosink")
	}
	var missing []string
	for _, n := range need {
		if !factoryExists(n) {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("GStreamer elements missing: %s (run `nedcast doctor` for how to install them)", strings.Join(missing, ", "))
	}
	ned := gst.ElementFactoryMake("nedfilter", "")
	if ned == nil {
		return errors.New("cannot create nedfilter (elements.RegisterStatic failed?)")
	}
	r.probe.FilterProps = map[string]bool{}
	for _, p := range []string{"reference", "face-overrides", "emotion", "intensity", "transition"} {
		r.probe.FilterProps[p] = hasProperty(ned, p)
	}
	for k := range c.Filter {
		if !hasProperty(ned, k) {
			return fmt.Errorf("filter property %q: nedfilter has no such property (gst-inspect-1.0 nedfilter lists them)", k)
		}
	}
	if c.Reference != "" && !r.probe.FilterProps["reference"] {
		r.unavailable = append(r.unavailable, "reference")
		r.log.Warn("this nedfilter has no reference property: --reference ignored")
	}
	r.probe.WebRTCAudio = factoryHasAudioSink(nedwhepsink.ElementName) && factoryHasAudioSink(nedwhipsink.ElementName)
	return nil
}

// probeInput learns whether a file or URI input has audio (and that it
// can be read at all: a clear error now beats a pipeline error later).
func (r *Runner) probeInput() error {
	c := r.cfg
	uri := c.Input
	switch c.Kind() {
	case cast.InputFile:
		abs, err := filepath.Abs(c.Input)
		if err != nil {
			return fmt.Errorf("%w %s: %v", ErrInput, c.Input, err)
		}
		uri = (&url.URL{Scheme: "file", Path: abs}).String()
	case cast.InputURI:
	case cast.InputWHIP:
		// The ingest accepts Opus: the audio branch is built up front (the
		// pipeline exists before anyone publishes) and stays silent when
		// the publisher sends video only.
		r.probe.HasAudio = true
		if c.WebRTC() && !r.probe.WebRTCAudio {
			r.log.Info("the WebRTC sinks of this build take no audio: the publisher's audio goes to the recording only")
		}
		return nil
	default:
		return nil
	}
	info, err := mediaprobe.Probe(uri, 10*time.Second)
	if err != nil {
		return fmt.Errorf("%w %s: GStreamer cannot read it as video: %v", ErrInput, c.Input, err)
	}
	if info.Count("video") == 0 {
		return fmt.Errorf("%w %s: has no video stream", ErrInput, c.Input)
	}
	r.probe.HasAudio = info.Count("audio") > 0
	r.probe.LiveInput = info.Live
	r.log.Info("input probed", "input", c.Input, "duration", info.Duration.Round(time.Millisecond),
		"audio", r.probe.HasAudio, "live", info.Live)
	if r.probe.HasAudio && c.WebRTC() && !r.probe.WebRTCAudio {
		r.log.Info("the WebRTC sinks of this build take no audio: audio goes to the recording only")
	}
	return nil
}

// Metrics returns the run's metrics.
func (r *Runner) Metrics() *cast.Metrics { return r.metrics }

// Probe returns what New learnt about the input and elements.
func (r *Runner) Probe() cast.Probe { return r.probe }

// dropped is the metrics' view of a branch queue's drops.
func (r *Runner) dropped(name string) uint64 {
	r.mu.Lock()
	q := r.queues[name]
	base := r.dropBase[name]
	r.mu.Unlock()
	in, out := r.qin[name].Load(), r.qout[name].Load()
	var level uint64
	if q != nil {
		level = getUint(q, "current-level-buffers")
	}
	if in < out+level {
		return base
	}
	return base + in - out - level
}

// Run plays the pipeline until the input ends (and does not loop), ctx is
// cancelled (SIGINT/SIGTERM: the outputs are finalised first), or a fatal
// error. With on-input-lost=retry a lost input rebuilds the pipeline.
func (r *Runner) Run(ctx context.Context) error {
	srv, err := r.serve()
	if err != nil {
		return err
	}
	if srv != nil {
		defer func() {
			sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			_ = srv.Shutdown(sctx)
		}()
	}
	if r.ingest != nil {
		defer r.ingest.Close()
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	stopTicker := make(chan struct{})
	defer close(stopTicker)
	go r.everySecond(tick.C, stopTicker)

	for {
		err := r.attemptOnce(ctx)
		if err == nil || ctx.Err() != nil {
			r.setState("stopped")
			return err
		}
		if !errors.Is(err, ErrInput) || r.cfg.OnInputLost != "retry" {
			r.setState("stopped")
			return err
		}
		r.setState("retrying")
		r.metrics.InputRestarts.Inc()
		r.log.Warn("input lost, retrying", "error", err, "in", time.Duration(r.cfg.RetryDelay))
		select {
		case <-ctx.Done():
			r.setState("stopped")
			return nil
		case <-time.After(time.Duration(r.cfg.RetryDelay)):
		}
	}
}

func (r *Runner) setState(s string) {
	r.mu.Lock()
	changed := r.state != s
	r.state = s
	r.mu.Unlock()
	if changed {
		r.log.Info("state", "state", s)
	}
}

// serve starts the control server (and the WHIP ingest mounted on it).
func (r *Runner) serve() (*http.Server, error) {
	c := r.cfg
	if c.Kind() == cast.InputWHIP {
		in, err := whipin.New(whipin.Options{Token: c.Token, ICE: r.opts.ICE,
			OnVideo: func(p []byte) { r.pushRTP(p, false) },
			OnAudio: func(p []byte) { r.pushRTP(p, true) },
			OnEvent: func(e whipin.Event) {
				r.log.Info("whip publisher", "event", e.Type, "id", e.ID, "remote", e.RemoteAddr, "reason", e.Reason)
				r.metrics.Publishers.Set(float64(r.ingest.Publishers()))
			}})
		if err != nil {
			return nil, err
		}
		r.ingest = in
	}
	if !c.ControlEnabled() {
		return nil, nil
	}
	if !cast.IsLoopback(c.Listen) && c.Token == "" {
		r.log.Warn("the control API listens beyond loopback without a token: anyone who reaches it can change the settings (set --token)", "listen", c.Listen)
	}
	var ingest http.Handler
	if r.ingest != nil {
		ingest = r.ingest
	}
	h, err := cast.NewServer(cast.ServerOptions{Token: c.Token, Backend: r, Metrics: r.metrics.Handler(),
		WHEPAddr: c.WHEP, Ingest: ingest, Logger: r.log})
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", c.Listen)
	if err != nil {
		return nil, fmt.Errorf("control server: %w (is another nedcast running? choose another --listen)", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: cast.ReadHeaderTimeout}
	go func() { _ = srv.Serve(ln) }()
	addr := ln.Addr().String()
	page := "http://" + addr + "/"
	if c.Token != "" {
		page += "#token=" + url.QueryEscape(c.Token)
	}
	r.log.Info("control page", "url", page)
	if c.Kind() == cast.InputWHIP {
		r.log.Info("WHIP ingest", "url", "http://"+addr+"/whip", "token", c.Token != "")
	}
	if r.opts.OnListening != nil {
		r.opts.OnListening(addr)
	}
	return srv, nil
}

// pushRTP hands an ingest packet to the current pipeline's video or
// audio appsrc (audio is dropped when the pipeline has no audio branch).
func (r *Runner) pushRTP(p []byte, audio bool) {
	r.mu.Lock()
	src := r.whipVideo
	if audio {
		src = r.whipAudio
	}
	r.mu.Unlock()
	if src == nil || !isPlaying(src) {
		// do-timestamp needs the running clock: a packet stamped before
		// the appsrc plays gets a time far off, which stalls the
		// synchronising sinks (the publisher sends a keyframe again on
		// the ingest's next request).
		return
	}
	if audio && len(p) >= 12 && p[1]&0x7f != cast.WHIPAudioPayloadType {
		// rtpopusdepay's caps need a fixed payload type; the publisher's
		// offer chose its own (111 in OBS and browsers).
		q := make([]byte, len(p))
		copy(q, p)
		q[1] = q[1]&0x80 | cast.WHIPAudioPayloadType
		p = q
	}
	appsrcPush(src, p)
}

// everySecond updates the rates.
func (r *Runner) everySecond(tick <-chan time.Time, stop <-chan struct{}) {
	lastFrames, lastBytes, last := r.frames.Load(), r.encBytes.Load(), time.Now()
	for {
		select {
		case <-stop:
			return
		case now := <-tick:
			f, b := r.frames.Load(), r.encBytes.Load()
			dt := now.Sub(last).Seconds()
			fps := float64(f-lastFrames) / dt
			bps := float64(b-lastBytes) * 8 / dt
			lastFrames, lastBytes, last = f, b, now
			r.mu.Lock()
			r.fps, r.bitrate = fps, bps
			r.mu.Unlock()
			r.metrics.FPS.Set(fps)
			r.metrics.Bitrate.Set(bps)
		}
	}
}

// recordPath is the recording of attempt n (n > 0 after a retry).
func recordPath(path string, n int) string {
	if n == 0 || path == "" {
		return path
	}
	ext := filepath.Ext(path)
	return fmt.Sprintf("%s-%d%s", strings.TrimSuffix(path, ext), n, ext)
}

// attemptOnce builds and plays one pipeline to its end.
func (r *Runner) attemptOnce(ctx context.Context) error {
	c := r.cfg
	c.Record = recordPath(c.Record, r.attempt)
	r.mu.Lock()
	s := r.settings
	r.mu.Unlock()
	c.Emotion, c.Intensity, c.TransitionMS = s.Emotion, s.Intensity, s.TransitionMS
	if r.probe.FilterProps["reference"] {
		c.Reference = s.Reference
	}
	r.attempt++
	desc, err := cast.Describe(c, r.probe)
	if err != nil {
		return err
	}
	r.log.Debug("pipeline", "description", desc)
	el, err := gst.ParseLaunch(desc)
	if err != nil {
		return fmt.Errorf("build pipeline: %w", err)
	}
	pipeline, ok := el.(gst.Pipeline)
	if !ok {
		return errors.New("the launch description did not make a pipeline")
	}
	bin := pipeline.(gst.Bin)
	filter := bin.GetByName(cast.ElemFilter)
	if filter == nil {
		return errors.New("nedfilter missing from the pipeline")
	}
	queues := map[string]gst.Element{}
	for _, q := range append([]string{"input"}, cast.Outputs...) {
		if e := bin.GetByName(cast.QueueName(q)); e != nil {
			queues[q] = e
			in, out := r.qin[q], r.qout[q]
			e.GetStaticPad("sink").AddProbe(gst.PadProbeTypeBuffer, func(gst.Pad, *gst.PadProbeInfo) gst.PadProbeReturn {
				in.Add(1)
				return gst.PadProbeOK
			})
			e.GetStaticPad("src").AddProbe(gst.PadProbeTypeBuffer, func(gst.Pad, *gst.PadProbeInfo) gst.PadProbeReturn {
				out.Add(1)
				return gst.PadProbeOK
			})
		}
	}
	var recGates []*atomic.Bool
	if c.Loop && c.Record != "" {
		recGates = gateRecording(bin)
	}
	filter.GetStaticPad("src").AddProbe(gst.PadProbeTypeBuffer, func(gst.Pad, *gst.PadProbeInfo) gst.PadProbeReturn {
		r.frames.Add(1)
		r.metrics.Frames.Inc()
		return gst.PadProbeOK
	})
	if enc := bin.GetByName(cast.ElemEncoded); enc != nil {
		enc.GetStaticPad("src").AddProbe(gst.PadProbeTypeBuffer, func(_ gst.Pad, info *gst.PadProbeInfo) gst.PadProbeReturn {
			if b := info.GetBuffer(); b != nil {
				n := uint64(b.GetSize())
				r.encBytes.Add(n)
				r.metrics.WebRTCBytes.Add(float64(n))
			}
			return gst.PadProbeOK
		})
	}
	r.mu.Lock()
	r.pipeline, r.filter, r.queues = pipeline, filter, queues
	r.whipVideo = bin.GetByName(cast.ElemWHIPVideo)
	r.whipAudio = bin.GetByName(cast.ElemWHIPAudio)
	r.viewers = map[string]bool{}
	r.faces, r.trackIDs = 0, nil
	r.mu.Unlock()
	// Settings that are not in the description (face overrides).
	r.applyLocked(cast.SettingsUpdate{FaceOverrides: &s.FaceOverrides})
	defer func() {
		r.mu.Lock()
		recorded := r.qout["record"].Load()
		for name, q := range r.queues {
			in, out := r.qin[name].Swap(0), r.qout[name].Swap(0)
			level := getUint(q, "current-level-buffers")
			if in > out+level {
				r.dropBase[name] += in - out - level
			}
		}
		for name := range r.queues {
			if _, ok := r.dropBase[name]; !ok {
				r.dropBase[name] = 0
			}
		}
		r.pipeline, r.filter, r.whipVideo, r.whipAudio, r.queues = nil, nil, nil, nil, nil
		r.mu.Unlock()
		pipeline.SetState(gst.StateNull)
		r.metrics.Viewers.Set(0)
		if c.Record != "" && recorded == 0 {
			// A live input lost before its first frame (or a retry while
			// it is still gone) leaves a muxer header without a track:
			// no file rather than one that does not play.
			if err := os.Remove(c.Record); err == nil {
				r.log.Info("no frame reached the recording: removed the empty file", "file", c.Record)
			}
		}
	}()

	if c.Record != "" {
		r.log.Info("recording", "file", c.Record)
	}
	if pipeline.SetState(gst.StatePlaying) == gst.StateChangeFailure {
		return r.startFailure(pipeline)
	}
	return r.loop(ctx, pipeline, recGates)
}

// gateRecording keeps the loop's first seek out of the recording: the
// input is played once up to preroll, then seeked back to 0 with a
// flushing segment seek (which arms SEGMENT_DONE for the gapless loop).
// The muxers cannot take that flush after their first buffers, so the
// recording branches drop their flush events and every buffer until the
// flush has passed; the loop's later seeks do not flush (their segments
// continue the running time), so the recording is one continuous stream.
// The returned gates open at the flush (or when the runner opens them: the
// input could not seek).
func gateRecording(bin gst.Bin) []*atomic.Bool {
	var gates []*atomic.Bool
	for _, name := range []string{cast.QueueName("record"), cast.QueueRecordAudio} {
		q := bin.GetByName(name)
		if q == nil {
			continue
		}
		open := new(atomic.Bool)
		gates = append(gates, open)
		pad := q.GetStaticPad("sink")
		pad.AddProbe(gst.PadProbeTypeEventDownstream|gst.PadProbeTypeEventFlush,
			func(_ gst.Pad, info *gst.PadProbeInfo) gst.PadProbeReturn {
				ev := info.GetEvent()
				if ev == nil {
					return gst.PadProbeOK
				}
				switch ev.GetType() {
				case gst.EventFlushStart:
					return gst.PadProbeDrop
				case gst.EventFlushStop:
					open.Store(true)
					return gst.PadProbeDrop
				}
				return gst.PadProbeOK
			})
		pad.AddProbe(gst.PadProbeTypeBuffer, func(gst.Pad, *gst.PadProbeInfo) gst.PadProbeReturn {
			if !open.Load() {
				return gst.PadProbeDrop
			}
			return gst.PadProbeOK
		})
	}
	return gates
}

// startFailure explains a pipeline that refused to start.
func (r *Runner) startFailure(p gst.Pipeline) error {
	bus := p.GetBus()
	var msgs []string
	input := false
	for {
		msg := bus.TimedPopFiltered(0, gst.MessageError)
		if msg == nil {
			break
		}
		_, err := msg.ParseError()
		src := sourceName(msg)
		msgs = append(msgs, fmt.Sprintf("%s: %v", src, err))
		input = input || src == cast.ElemSource
	}
	if len(msgs) == 0 {
		msgs = append(msgs, "no error message")
	}
	err := fmt.Errorf("the pipeline refused to start: %s", strings.Join(msgs, "; "))
	if input {
		return fmt.Errorf("%w %s: %w", ErrInput, r.cfg.Input, err)
	}
	return err
}

func sourceName(msg *gst.Message) string {
	if src := msg.Source(); src != nil {
		return src.GetName()
	}
	return ""
}

// isInputElement reports whether an element name belongs to the input part.
func isInputElement(name string) bool {
	return name == cast.ElemSource || name == "dec" || name == cast.ElemWatchdog || name == cast.ElemWHIPVideo || name == cast.ElemWHIPAudio ||
		strings.HasPrefix(name, "decodebin") || strings.HasPrefix(name, "qtdemux") || strings.HasPrefix(name, "matroskademux") ||
		strings.HasPrefix(name, "avdec") || strings.HasPrefix(name, "v4l2")
}

// loop reads the bus until the pipeline ends.
func (r *Runner) loop(ctx context.Context, pipeline gst.Pipeline, recGates []*atomic.Bool) error {
	openGates := func() {
		for _, g := range recGates {
			g.Store(true)
		}
	}
	bus := pipeline.GetBus()
	c := r.cfg
	loop := c.Loop
	seeked := false
	// The loop's seeks go to the input only: sent to the whole pipeline
	// they reach the sinks too, and a filesink behind a muxer (a BYTES
	// segment) cannot take a TIME seek.
	inputQueue := pipeline.(gst.Bin).GetByName(cast.QueueName("input"))
	if loop && inputQueue == nil {
		loop = false
		openGates()
	}
	stopping, escalated := false, false
	var stopStart time.Time
	var inputErr error
	for {
		if !stopping && ctx.Err() != nil {
			stopping = true
			stopStart = time.Now()
			r.setState("stopping")
			r.log.Info("stopping: finalising the outputs")
			r.sendEOS(pipeline)
		}
		if stopping && !escalated && time.Since(stopStart) > EOSEscalate {
			// Seen once in ~100 test runs (loop + WHEP, a loaded machine):
			// the EOS sent at the input never arrived.
			escalated = true
			n := eosAllQueues(pipeline)
			r.log.Warn("the end of the stream did not reach every output; ending each branch where it stands",
				"waited", EOSEscalate, "queues", n)
		}
		if stopping && time.Since(stopStart) > EOSTimeout {
			r.log.Error("the outputs did not finalise in time; the recording may be incomplete", "waited", EOSTimeout)
			if inputErr != nil {
				return inputErr
			}
			return errors.New("stop: no end-of-stream within " + EOSTimeout.String())
		}
		msg := bus.TimedPopFiltered(gst.ClockTime(100*time.Millisecond),
			gst.MessageEOS|gst.MessageError|gst.MessageWarning|gst.MessageElement|gst.MessageStateChanged|gst.MessageSegmentDone|gst.MessageAsyncDone)
		if msg == nil {
			continue
		}
		switch msg.Type() {
		case gst.MessageEOS:
			if inputErr != nil {
				return inputErr
			}
			if !stopping {
				r.log.Info("input ended")
			}
			return nil
		case gst.MessageAsyncDone:
			if loop && !seeked {
				seeked = true
				if !segmentSeek(inputQueue, true) {
					r.log.Warn("the input cannot seek: --loop is off")
					loop = false
					openGates()
				}
			}
		case gst.MessageSegmentDone:
			if loop && !stopping {
				r.log.Info("input ended, looping")
				if !segmentSeek(inputQueue, false) {
					r.log.Warn("loop seek failed: stopping at the end of the input")
					r.sendEOS(pipeline)
				}
			} else {
				r.sendEOS(pipeline)
			}
		case gst.MessageStateChanged:
			if msg.Source() != nil && sourceName(msg) == pipeline.GetName() {
				_, next, _ := msg.ParseStateChanged()
				if next == gst.StatePlaying {
					r.setState("playing")
				}
			}
		case gst.MessageWarning:
			_, err := msg.ParseWarning()
			r.warn(sourceName(msg), err)
		case gst.MessageError:
			debug, err := msg.ParseError()
			src := sourceName(msg)
			switch {
			case src == cast.ElemWHIP:
				// An output failing must not stop the others.
				r.metrics.WHIPErrors.Inc()
				r.setWHIP("error")
				r.log.Error("WHIP output failed; the other outputs go on", "error", err)
			case stopping:
				r.log.Warn("error while stopping", "element", src, "error", err)
			case isInputElement(src):
				r.log.Error("input failed", "element", src, "error", err, "debug", debug)
				inputErr = fmt.Errorf("%w %s: %v", ErrInput, c.Input, err)
				// Finalise the outputs with what arrived (then Run stops
				// or, with on-input-lost retry, builds the next pipeline).
				stopping = true
				stopStart = time.Now()
				r.setState("stopping")
				r.pushEOSAfterInput(pipeline)
			default:
				r.log.Error("pipeline error", "element", src, "error", err, "debug", debug)
				return fmt.Errorf("%s: %v", src, err)
			}
		case gst.MessageElement:
			r.element(msg)
		}
	}
}

// sendEOS asks every source to end, so that the muxers finalise.
func (r *Runner) sendEOS(pipeline gst.Pipeline) {
	r.mu.Lock()
	video, audio := r.whipVideo, r.whipAudio
	r.mu.Unlock()
	for _, src := range []gst.Element{video, audio} {
		if src != nil {
			appsrcEOS(src)
		}
	}
	if k := r.cfg.Kind(); k == cast.InputFile || k == cast.InputURI || k == cast.InputTest && r.cfg.TestImage != "" {
		// A demuxer pulling from filesrc ignores an EOS sent to the
		// source, and imagefreeze one behind its finished filesrc: end
		// the stream behind the input instead.
		r.pushEOSAfterInput(pipeline)
		return
	}
	if !pipeline.SendEvent(gst.NewEventEOS()) {
		// Sources that cannot take it (an errored one): end after them.
		r.pushEOSAfterInput(pipeline)
	}
}

// pushEOSAfterInput ends the stream behind a failed input.
func (r *Runner) pushEOSAfterInput(pipeline gst.Pipeline) {
	bin := pipeline.(gst.Bin)
	if q := bin.GetByName(cast.QueueName("input")); q != nil {
		sendEOSToPad(q, "sink")
	}
	if q := bin.GetByName("q_audio"); q != nil {
		sendEOSToPad(q, "sink")
	}
}

func (r *Runner) warn(src string, err error) {
	text := fmt.Sprintf("%s: %v", src, err)
	r.metrics.Warnings.Inc()
	r.mu.Lock()
	repeat := len(r.warnings) > 0 && r.warnings[len(r.warnings)-1] == text
	if !repeat {
		r.warnings = append(r.warnings, text)
		if len(r.warnings) > 10 {
			r.warnings = r.warnings[len(r.warnings)-10:]
		}
	}
	r.mu.Unlock()
	if !repeat {
		r.log.Warn("pipeline warning", "element", src, "warning", err)
	}
}

func (r *Runner) setWHIP(state string) {
	r.mu.Lock()
	changed := r.whipState != state
	r.whipState = state
	r.mu.Unlock()
	if state == "connected" {
		r.metrics.WHIPConnected.Set(1)
	} else {
		r.metrics.WHIPConnected.Set(0)
	}
	_ = changed
}

// element handles an element message.
func (r *Runner) element(msg *gst.Message) {
	s := msg.GetStructure()
	if s == nil {
		return
	}
	switch s.GetName() {
	case nedfilter.FacesMessageName:
		fm, ok := nedfilter.ParseFacesMessage(s)
		if !ok {
			return
		}
		ids := make([]uint64, 0, len(fm.Faces))
		for _, f := range fm.Faces {
			ids = append(ids, f.TrackID)
		}
		r.mu.Lock()
		changed := len(fm.Faces) != r.faces
		r.faces, r.trackIDs = len(fm.Faces), ids
		r.mu.Unlock()
		if changed {
			r.log.Info("faces", "count", len(fm.Faces), "track_ids", ids)
		}
		r.metrics.Faces.Set(float64(len(fm.Faces)))
		t := fm.Timings
		r.metrics.ObserveStages(map[string]time.Duration{"detect": t.Detect, "landmarks": t.Landmarks, "iris": t.Iris,
			"blendshapes": t.Blendshapes, "pose": t.Pose, "total": t.Total, "element": fm.Element})
	case nedfilter.StatsMessageName:
		st, ok := nedfilter.ParseStatsMessage(s)
		if !ok {
			return
		}
		ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
		lat := map[string]float64{"detect": ms(st.Stages.Detect), "landmarks": ms(st.Stages.Landmarks), "iris": ms(st.Stages.Iris),
			"blendshapes": ms(st.Stages.Blendshapes), "pose": ms(st.Stages.Pose), "total": ms(st.Stages.Total), "element": ms(st.Element)}
		r.mu.Lock()
		r.latency = lat
		if st.FramesWithFaces == 0 && st.IntervalFrames > 0 && r.faces != 0 {
			r.faces, r.trackIDs = 0, nil
			r.log.Info("faces", "count", 0)
			r.metrics.Faces.Set(0)
		}
		r.mu.Unlock()
	case nedwhepsink.MessageName:
		event, id := s.GetString("event"), s.GetString("id")
		r.mu.Lock()
		if event == "joined" {
			r.viewers[id] = true
		} else {
			delete(r.viewers, id)
		}
		n := len(r.viewers)
		r.mu.Unlock()
		if event == "joined" {
			r.metrics.ViewerJoins.Inc()
		}
		r.metrics.Viewers.Set(float64(n))
		r.log.Info("whep viewer", "event", event, "id", id, "remote", s.GetString("remote-addr"), "reason", s.GetString("reason"), "viewers", n)
	case nedwhipsink.MessageName:
		event := s.GetString("event")
		attempt, _ := s.GetInt("attempt")
		r.mu.Lock()
		changed := r.whipState != event
		r.mu.Unlock()
		r.setWHIP(event)
		if event == "error" {
			r.metrics.WHIPErrors.Inc()
		}
		if changed || event == "error" && attempt <= 1 {
			retry, _ := s.GetUint64("retry-ms")
			r.log.Info("whip output", "event", event, "attempt", attempt, "error", s.GetString("error"), "retry_ms", retry)
		}
	}
}

// Settings implements cast.Backend.
func (r *Runner) Settings() cast.Settings {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.settings
	s.FaceOverrides = append([]cast.FaceOverride{}, s.FaceOverrides...)
	return s
}

// Apply implements cast.Backend: the properties are set on the running
// nedfilter at once (the next frame uses them; the element ramps over its
// transition); between pipelines they are kept for the next one.
func (r *Runner) Apply(u cast.SettingsUpdate) (cast.Settings, []string, error) {
	if err := u.Validate(); err != nil {
		return cast.Settings{}, nil, err
	}
	unavailable := r.applyLocked(u)
	return r.Settings(), unavailable, nil
}

// applyLocked stores u and sets it on the current nedfilter.
func (r *Runner) applyLocked(u cast.SettingsUpdate) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var unavailable []string
	set := func(name, value string) bool {
		if !r.probe.FilterProps[name] {
			unavailable = append(unavailable, name)
			return false
		}
		if r.filter != nil {
			setArg(r.filter, name, value)
		}
		return true
	}
	// Transition first, so that a change in the same request ramps with it.
	if u.TransitionMS != nil && set("transition", strconv.Itoa(*u.TransitionMS)) {
		r.settings.TransitionMS = *u.TransitionMS
	}
	if u.Emotion != nil && set("emotion", *u.Emotion) {
		r.settings.Emotion = *u.Emotion
	}
	if u.Intensity != nil && set("intensity", strconv.FormatFloat(*u.Intensity, 'g', -1, 64)) {
		r.settings.Intensity = *u.Intensity
	}
	if u.Reference != nil && set("reference", *u.Reference) {
		r.settings.Reference = *u.Reference
	}
	if u.FaceOverrides != nil {
		if len(*u.FaceOverrides) == 0 && !r.probe.FilterProps["face-overrides"] {
			// Nothing to clear.
		} else if set("face-overrides", FormatOverrides(*u.FaceOverrides)) {
			r.settings.FaceOverrides = append([]cast.FaceOverride{}, *u.FaceOverrides...)
		}
	}
	return unavailable
}

// FormatOverrides writes per-face overrides in nedfilter's face-overrides
// syntax: "ID=EMOTION:INTENSITY, ...".
func FormatOverrides(o []cast.FaceOverride) string {
	parts := make([]string, len(o))
	for i, f := range o {
		parts[i] = fmt.Sprintf("%d=%s:%s", f.TrackID, f.Emotion, strconv.FormatFloat(f.Intensity, 'g', -1, 64))
	}
	return strings.Join(parts, ", ")
}

// Status implements cast.Backend.
func (r *Runner) Status() cast.Status {
	dropped := map[string]uint64{}
	r.mu.Lock()
	var names []string
	for _, n := range append([]string{"input"}, cast.Outputs...) {
		_, live := r.queues[n]
		if _, seen := r.dropBase[n]; live || seen {
			names = append(names, n)
		}
	}
	r.mu.Unlock()
	for _, n := range names {
		dropped[n] = r.dropped(n)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	st := cast.Status{
		State: r.state, Input: r.cfg.Input, Uptime: time.Since(r.start).Seconds(),
		Frames: r.frames.Load(), FPS: r.fps, Faces: r.faces, TrackIDs: append([]uint64{}, r.trackIDs...),
		Dropped: dropped, LatencyMS: map[string]float64{}, Viewers: len(r.viewers), WHIP: r.whipState,
		BitrateKbps: r.bitrate / 1000, Settings: r.settings, Unavailable: append([]string(nil), r.unavailable...),
		Warnings: append([]string{}, r.warnings...),
	}
	st.Settings.FaceOverrides = append([]cast.FaceOverride{}, r.settings.FaceOverrides...)
	for k, v := range r.latency {
		st.LatencyMS[k] = v
	}
	if r.ingest != nil {
		st.Publishers = r.ingest.Publishers()
	}
	if r.cfg.WHEP != "" {
		st.WHEPURL = "http://" + r.cfg.WHEP + "/"
	}
	return st
}

// Exists reports whether path exists (doctor and tests).
func Exists(path string) bool { _, err := os.Stat(path); return err == nil }
