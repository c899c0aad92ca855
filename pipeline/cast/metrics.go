package cast

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Stages are the per-stage latency labels (nedfilter's timings).
var Stages = []string{"detect", "landmarks", "iris", "blendshapes", "pose", "total", "element"}

// Metrics are nedcast's Prometheus metrics, on their own registry.
type Metrics struct {
	reg *prometheus.Registry

	// Frames counts frames out of nedfilter.
	Frames prometheus.Counter
	// FPS is the last second's frame rate.
	FPS prometheus.Gauge
	// Faces is the number of faces on the latest frame.
	Faces prometheus.Gauge
	// Stage observes nedfilter's per-frame stage times (seconds) by stage.
	Stage *prometheus.HistogramVec
	// Viewers is the number of WHEP viewers.
	Viewers prometheus.Gauge
	// ViewerJoins counts WHEP viewer sessions that connected.
	ViewerJoins prometheus.Counter
	// WebRTCBytes counts encoded bytes sent to the WebRTC sinks.
	WebRTCBytes prometheus.Counter
	// Bitrate is the WebRTC encoder's output over the last second.
	Bitrate prometheus.Gauge
	// WHIPConnected is 1 while the WHIP output is connected.
	WHIPConnected prometheus.Gauge
	// WHIPErrors counts WHIP output connection errors.
	WHIPErrors prometheus.Counter
	// Publishers is the number of WHIP publishers (input whip).
	Publishers prometheus.Gauge
	// InputRestarts counts pipeline rebuilds after a lost input.
	InputRestarts prometheus.Counter
	// Warnings counts pipeline warnings.
	Warnings prometheus.Counter
}

// NewMetrics creates the metrics on a new registry. dropped, when not nil,
// reports the frames an output's queue dropped so far (called at scrape
// time for each name of Outputs).
func NewMetrics(dropped func(output string) uint64) *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		reg: reg,
		Frames: prometheus.NewCounter(prometheus.CounterOpts{Name: "nedcast_frames_total",
			Help: "Frames that went through nedfilter."}),
		FPS: prometheus.NewGauge(prometheus.GaugeOpts{Name: "nedcast_frames_per_second",
			Help: "Frames per second out of nedfilter over the last second."}),
		Faces: prometheus.NewGauge(prometheus.GaugeOpts{Name: "nedcast_faces",
			Help: "Faces tracked on the latest frame."}),
		Stage: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "nedcast_stage_latency_seconds",
			Help:    "Time nedfilter spent per frame in each stage (frames with faces).",
			Buckets: []float64{.0005, .001, .002, .005, .01, .02, .033, .05, .1, .2, .5}}, []string{"stage"}),
		Viewers: prometheus.NewGauge(prometheus.GaugeOpts{Name: "nedcast_whep_viewers",
			Help: "WHEP viewers connected now."}),
		ViewerJoins: prometheus.NewCounter(prometheus.CounterOpts{Name: "nedcast_whep_viewer_joins_total",
			Help: "WHEP viewer sessions that connected."}),
		WebRTCBytes: prometheus.NewCounter(prometheus.CounterOpts{Name: "nedcast_webrtc_encoded_bytes_total",
			Help: "Encoded video bytes produced for the WebRTC outputs (rate() gives the bitrate)."}),
		Bitrate: prometheus.NewGauge(prometheus.GaugeOpts{Name: "nedcast_webrtc_bitrate_bits_per_second",
			Help: "Encoded WebRTC video bitrate over the last second."}),
		WHIPConnected: prometheus.NewGauge(prometheus.GaugeOpts{Name: "nedcast_whip_connected",
			Help: "1 while the WHIP output is connected to its ingest server."}),
		WHIPErrors: prometheus.NewCounter(prometheus.CounterOpts{Name: "nedcast_whip_errors_total",
			Help: "WHIP output connection errors (each is retried with backoff)."}),
		Publishers: prometheus.NewGauge(prometheus.GaugeOpts{Name: "nedcast_whip_ingest_publishers",
			Help: "Publishers connected to the WHIP ingest (input whip)."}),
		InputRestarts: prometheus.NewCounter(prometheus.CounterOpts{Name: "nedcast_input_restarts_total",
			Help: "Pipeline restarts after the input was lost (on-input-lost=retry)."}),
		Warnings: prometheus.NewCounter(prometheus.CounterOpts{Name: "nedcast_pipeline_warnings_total",
			Help: "Warning messages from the pipeline."}),
	}
	reg.MustRegister(m.Frames, m.FPS, m.Faces, m.Stage, m.Viewers, m.ViewerJoins, m.WebRTCBytes, m.Bitrate,
		m.WHIPConnected, m.WHIPErrors, m.Publishers, m.InputRestarts, m.Warnings,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if dropped != nil {
		for _, out := range append([]string{"input"}, Outputs...) {
			out := out
			reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "nedcast_dropped_frames_total",
				Help:        "Frames dropped by a branch's leaky queue (input: before nedfilter) so that a slow stage does not stall the others.",
				ConstLabels: prometheus.Labels{"output": out}},
				func() float64 { return float64(dropped(out)) }))
		}
	}
	return m
}

// ObserveStages records one frame's stage times.
func (m *Metrics) ObserveStages(t map[string]time.Duration) {
	for name, d := range t {
		if d > 0 {
			m.Stage.WithLabelValues(name).Observe(d.Seconds())
		}
	}
}

// Registry returns the registry (for tests and extra collectors).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}
