package main

// #include "stamp.h"
import "C"

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"

	"github.com/nedstream/nedstream/pipeline/webrtc/peer"
	"github.com/nedstream/nedstream/pipeline/webrtc/whepclient"
)

// childReport is what the viewer process prints as JSON.
type childReport struct {
	Viewers   int       `json:"viewers"`
	Connected int       `json:"connected"`
	Frames    int       `json:"frames"`   // access units with a stamp, all viewers
	G2G       []float64 `json:"g2g_ms"`   // capture -> AU received, ms
	Sink      []float64 `json:"sink_ms"`  // render time at the sink -> AU received, ms
	Window    float64   `json:"window_s"` // how long the viewers recorded
	JoinFirst float64   `json:"join_first_frame_ms"`
	JoinErr   string    `json:"join_error,omitempty"`
}

// benchViewer is one pion WHEP viewer reassembling H.264 access units and
// reading the bench's SEI stamps.
type benchViewer struct {
	pc  *webrtc.PeerConnection
	api *peer.API

	mu        sync.Mutex
	connected bool
	frames    int
	first     int64 // monotonic ns of the first complete AU
	g2g, sink []float64
	record    bool
	latency   int64 // the pipeline latency: the sink renders at capture + latency
}

func (v *benchViewer) close() { _ = v.pc.Close(); _ = v.api.Close() }

func dialViewer(ctx context.Context, endpoint string) (*benchViewer, error) {
	api, pc, err := whepclient.NewReceiver(peer.Options{IncludeLoopback: true}, webrtc.RTPCodecTypeVideo)
	if err != nil {
		return nil, err
	}
	v := &benchViewer{pc: pc, api: api}
	fail := func(err error) (*benchViewer, error) { v.close(); return nil, err }
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		v.mu.Lock()
		v.connected = s == webrtc.PeerConnectionStateConnected
		v.mu.Unlock()
	})
	pc.OnTrack(func(tr *webrtc.TrackRemote, r *webrtc.RTPReceiver) {
		go func() {
			for {
				if _, _, err := r.ReadRTCP(); err != nil {
					return
				}
			}
		}()
		var depack codecs.H264Packet
		var au []byte
		for {
			p, _, err := tr.ReadRTP()
			if err != nil {
				return
			}
			nals, err := depack.Unmarshal(p.Payload)
			if err != nil {
				au = au[:0]
				continue
			}
			au = append(au, nals...)
			if p.Marker {
				v.onAU(au, monotonic())
				au = au[:0]
			}
		}
	})
	if _, err := whepclient.Subscribe(ctx, http.DefaultClient, endpoint, "", pc, 0); err != nil {
		return fail(err)
	}
	return v, nil
}

// monotonic returns CLOCK_MONOTONIC in nanoseconds (the clock of
// GStreamer's system clock and of the SEI stamps).
func monotonic() int64 { return int64(C.ned_bench_monotonic()) }

var benchUUID = []byte("nedstream-bench1")

// stamps finds the bench SEI in an Annex-B access unit: capture and
// sink-input times (monotonic ns).
func stamps(au []byte) (capture, sinkIn int64, ok bool) {
	i := bytes.Index(au, []byte{0, 0, 1, 6, 5})
	if i < 0 {
		return 0, 0, false
	}
	// Undo emulation prevention for the payload (32 bytes + header).
	var raw []byte
	zeros := 0
	for _, b := range au[i+5:] {
		if zeros >= 2 && b == 3 {
			zeros = 0
			continue
		}
		raw = append(raw, b)
		if b == 0 {
			zeros++
		} else {
			zeros = 0
		}
		if len(raw) == 33 {
			break
		}
	}
	if len(raw) < 33 || raw[0] != 32 || !bytes.Equal(raw[1:17], benchUUID) {
		return 0, 0, false
	}
	return int64(binary.BigEndian.Uint64(raw[17:25])), int64(binary.BigEndian.Uint64(raw[25:33])), true
}

func (v *benchViewer) onAU(au []byte, now int64) {
	capture, sinkIn, ok := stamps(au)
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.first == 0 {
		v.first = now
	}
	if !ok {
		return
	}
	v.frames++
	if v.record {
		if capture > 0 {
			v.g2g = append(v.g2g, float64(now-capture)/1e6)
		}
		// The base sink renders a buffer at its capture time plus the
		// pipeline latency (or on arrival, if later): what the sink adds
		// starts there.
		render := max(sinkIn, capture+v.latency)
		v.sink = append(v.sink, float64(now-render)/1e6)
	}
}

// runViewers is the child process: n viewers join, then record for
// measure; then one more viewer joins and its time to first frame is
// measured. It prints a childReport as JSON on stdout.
func runViewers(endpoint string, n int, settle, measure, latency time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), settle+measure+time.Minute)
	defer cancel()
	var vs []*benchViewer
	defer func() {
		for _, v := range vs {
			v.close()
		}
	}()
	for i := 0; i < n; i++ {
		v, err := dialViewer(ctx, endpoint)
		if err != nil {
			return fmt.Errorf("viewer %d: %w", i, err)
		}
		v.latency = int64(latency)
		vs = append(vs, v)
	}
	time.Sleep(settle)
	on := time.Now()
	for _, v := range vs {
		v.mu.Lock()
		v.record = true
		v.mu.Unlock()
	}
	fmt.Println("measuring") // the parent starts its CPU window
	time.Sleep(measure)
	rep := childReport{Viewers: n}
	for _, v := range vs {
		v.mu.Lock()
		v.record = false
		rep.Window = time.Since(on).Seconds()
		if v.connected {
			rep.Connected++
		}
		rep.Frames += len(v.sink)
		rep.G2G = append(rep.G2G, v.g2g...)
		rep.Sink = append(rep.Sink, v.sink...)
		v.mu.Unlock()
	}
	fmt.Println("done") // the parent ends its CPU window

	start := monotonic()
	j, err := dialViewer(ctx, endpoint)
	if err != nil {
		rep.JoinErr = err.Error()
	} else {
		defer j.close()
		for ctx.Err() == nil && time.Duration(monotonic()-start) < 5*time.Second {
			j.mu.Lock()
			first := j.first
			j.mu.Unlock()
			if first != 0 {
				rep.JoinFirst = float64(first-start) / 1e6
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		if rep.JoinFirst == 0 {
			rep.JoinErr = "no frame within 5 s"
		}
	}
	return json.NewEncoder(os.Stdout).Encode(rep)
}

// quantiles returns the median and the 95th percentile.
func quantiles(x []float64) (p50, p95 float64) {
	if len(x) == 0 {
		return 0, 0
	}
	s := append([]float64(nil), x...)
	sort.Float64s(s)
	return s[len(s)/2], s[min(len(s)-1, len(s)*95/100)]
}
