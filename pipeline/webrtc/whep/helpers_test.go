package whep

import (
	"context"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/nedstream/nedstream/pipeline/webrtc/fanout"
	"github.com/nedstream/nedstream/pipeline/webrtc/internal/testpeer"
)

// rig is a WHEP server on loopback fed by a synthetic stream.
type rig struct {
	srv      *Server
	http     *httptest.Server
	endpoint string
	feeder   *testpeer.Feeder
	bc       *fanout.Broadcaster

	mu     sync.Mutex
	events []Event
	kf     []fanout.KeyframeRequest
}

func (r *rig) keyframeRequests() []fanout.KeyframeRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]fanout.KeyframeRequest(nil), r.kf...)
}

func (r *rig) eventsOf(t EventType) []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Event
	for _, e := range r.events {
		if e.Type == t {
			out = append(out, e)
		}
	}
	return out
}

type rigOptions struct {
	codec fanout.Codec
	gop   int // frames between periodic keyframes
	feed  bool
	audio bool
	tweak func(*Options)
}

func newRig(t *testing.T, ro rigOptions) *rig {
	t.Helper()
	if ro.codec == "" {
		ro.codec = fanout.H264
	}
	if ro.gop == 0 {
		ro.gop = 600 // 20 s: joiners depend on keyframe requests
	}
	r := &rig{}
	r.feeder = &testpeer.Feeder{Codec: ro.codec, FPS: 30, GOP: ro.gop, Size: 3000, Audio: ro.audio}
	bc, err := fanout.New(fanout.Options{
		Video: ro.codec, Audio: ro.audio, KeyframeInterval: 300 * time.Millisecond,
		OnKeyframeRequest: func(k fanout.KeyframeRequest) {
			r.mu.Lock()
			r.kf = append(r.kf, k)
			r.mu.Unlock()
			r.feeder.RequestKeyframe()
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	r.bc = bc
	r.feeder.B = bc
	o := Options{
		Broadcaster: bc, ICE: testpeer.Loopback(), GatherTimeout: 2 * time.Second, ConnectTimeout: 5 * time.Second,
		OnEvent: func(e Event) {
			r.mu.Lock()
			r.events = append(r.events, e)
			r.mu.Unlock()
		},
	}
	if ro.tweak != nil {
		ro.tweak(&o)
	}
	srv, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	r.srv = srv
	r.http = httptest.NewServer(srv)
	r.endpoint = r.http.URL + srv.opts.Path
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	if ro.feed {
		go func() { defer close(done); r.feeder.Run(ctx) }()
	} else {
		close(done)
	}
	t.Cleanup(func() {
		cancel()
		<-done
		_ = srv.Close()
		r.http.Close()
		_ = bc.Close()
	})
	return r
}

func dial(t *testing.T, ctx context.Context, endpoint, token string, audio bool) *testpeer.Viewer {
	t.Helper()
	v, err := testpeer.Dial(ctx, endpoint, token, audio)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { _ = v.Close() })
	return v
}

// waitUntil polls cond every 20 ms until it holds or d passes.
func waitUntil(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
