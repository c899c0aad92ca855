package whip

import (
	"context"
	"errors"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nedstream/nedstream/pipeline/webrtc/fanout"
	"github.com/nedstream/nedstream/pipeline/webrtc/internal/testpeer"
	"github.com/nedstream/nedstream/pipeline/webrtc/whip/ingest"
)

// ingestAt serves a fresh ingest server on addr ("127.0.0.1:0" for any port).
func ingestAt(t *testing.T, addr, token string) (*ingest.Server, string, func()) {
	return ingestWith(t, addr, ingest.Options{Token: token, ICE: testpeer.Loopback()})
}

func ingestWith(t *testing.T, addr string, o ingest.Options) (*ingest.Server, string, func()) {
	t.Helper()
	in, err := ingest.New(o)
	if err != nil {
		t.Fatal(err)
	}
	var ln net.Listener
	for i := 0; ; i++ { // the old socket of a restarted server may linger briefly
		if ln, err = net.Listen("tcp", addr); err == nil || i == 20 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: in, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	stop := sync.OnceFunc(func() {
		_ = srv.Close()
		_ = in.Close()
	})
	t.Cleanup(stop)
	return in, ln.Addr().String(), stop
}

// publisher feeds an H.264 stream into a broadcaster honouring keyframe requests.
func publisher(t *testing.T, ctx context.Context) *fanout.Broadcaster {
	t.Helper()
	f := &testpeer.Feeder{Codec: fanout.H264, FPS: 30, GOP: 600, Size: 3000, Audio: true}
	b, err := fanout.New(fanout.Options{Video: fanout.H264, Audio: true, KeyframeInterval: 200 * time.Millisecond,
		OnKeyframeRequest: func(fanout.KeyframeRequest) { f.RequestKeyframe() }})
	if err != nil {
		t.Fatal(err)
	}
	f.B = b
	fctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); f.Run(fctx) }()
	t.Cleanup(func() { cancel(); <-done; _ = b.Close() })
	return b
}

type events struct {
	mu sync.Mutex
	ev []Event
}

func (e *events) add(ev Event) { e.mu.Lock(); e.ev = append(e.ev, ev); e.mu.Unlock() }
func (e *events) count(t EventType) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, ev := range e.ev {
		if ev.Type == t {
			n++
		}
	}
	return n
}

func waitIngest(t *testing.T, ctx context.Context, in *ingest.Server, what string, cond func(ingest.Stats) bool) {
	t.Helper()
	for !cond(in.Stats()) {
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for %s: %v; stats %+v", what, ctx.Err(), in.Stats())
		case <-in.Changed():
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func firstSlice(units []int) int {
	for _, u := range units {
		if u == 1 || u == 5 {
			return u
		}
	}
	return -1
}

// TestPublish: the client publishes to the ingest server, which receives
// video starting at an IDR (SPS/PPS first) plus audio; stopping DELETEs the
// resource.
func TestPublish(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	in, addr, _ := ingestAt(t, "127.0.0.1:0", "pub-token")
	var ev events
	c, err := New(Options{URL: "http://" + addr + "/whip", Token: "pub-token", Broadcaster: publisher(t, ctx),
		ICE: testpeer.Loopback(), OnEvent: ev.add})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- c.Run(runCtx) }()
	waitIngest(t, ctx, in, "media", func(s ingest.Stats) bool {
		return s.VideoPackets > 60 && s.AudioPackets > 10 && slices.Contains(s.Units, 1)
	})
	st := in.Stats()
	if f := firstSlice(st.Units); f != 5 || st.Units[0] != 7 {
		t.Fatalf("publication does not start with SPS ... IDR: %v", st.Units[:min(10, len(st.Units))])
	}
	if cs := c.Stats(); cs.PacketsSent == 0 || !cs.Connected {
		t.Fatalf("client stats %+v", cs)
	}
	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-ctx.Done():
		t.Fatal("Run did not return after cancel")
	}
	if s := in.Stats(); s.Deletes != 1 || s.Sessions != 0 || s.Publishes != 1 {
		t.Fatalf("after stop: %+v, want one publish, one DELETE, no session", s)
	}
	if ev.count(EventConnected) != 1 {
		t.Fatalf("connected events: %d", ev.count(EventConnected))
	}
}

// TestReconnect: the ingest server goes away mid-stream and comes back on
// the same address; the client notices (DTLS close or ICE failure),
// retries with backoff while nothing listens, and publishes again.
func TestReconnect(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	in, addr, stopIngest := ingestAt(t, "127.0.0.1:0", "")
	var ev events
	c, err := New(Options{URL: "http://" + addr + "/whip", Broadcaster: publisher(t, ctx), ICE: testpeer.Loopback(),
		MinBackoff: 100 * time.Millisecond, MaxBackoff: 400 * time.Millisecond, OnEvent: ev.add})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan error, 1)
	go func() { done <- c.Run(runCtx) }()
	waitIngest(t, ctx, in, "first publication", func(s ingest.Stats) bool { return s.VideoPackets > 30 })
	stopIngest()
	time.Sleep(700 * time.Millisecond) // a few refused attempts
	in2, _, _ := ingestAt(t, addr, "")
	waitIngest(t, ctx, in2, "publication after restart", func(s ingest.Stats) bool {
		return s.VideoPackets > 30 && firstSlice(s.Units) == 5
	})
	if ev.count(EventConnected) < 2 || ev.count(EventDisconnected) < 1 || ev.count(EventError) < 1 {
		t.Fatalf("events %+v", ev.ev)
	}
	stop()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
}

// TestReconnectAfterICEFailure: the ingest server vanishes without a DTLS
// close (its UDP socket just stops); the client sees ICE fail after the
// consent timeout and publishes to the server that replaces it.
func TestReconnectAfterICEFailure(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ice := testpeer.Loopback()
	ice.UDPMuxAddr = "127.0.0.1:0"
	in, addr, stopIngest := ingestWith(t, "127.0.0.1:0", ingest.Options{ICE: ice})
	var ev events
	c, err := New(Options{URL: "http://" + addr + "/whip", Broadcaster: publisher(t, ctx), ICE: testpeer.Loopback(),
		MinBackoff: 100 * time.Millisecond, MaxBackoff: 400 * time.Millisecond, OnEvent: ev.add,
		ConnectTimeout: 3 * time.Second}) // a retry may reach the vanished server before it is replaced
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan error, 1)
	go func() { done <- c.Run(runCtx) }()
	waitIngest(t, ctx, in, "first publication", func(s ingest.Stats) bool { return s.VideoPackets > 30 })
	start := time.Now()
	if err := in.Vanish(); err != nil {
		t.Fatal(err)
	}
	for ev.count(EventDisconnected) == 0 {
		if time.Since(start) > 10*time.Second {
			t.Fatal("the client did not notice the vanished server")
		}
		time.Sleep(20 * time.Millisecond)
	}
	ev.mu.Lock()
	var why error
	for _, e := range ev.ev {
		if e.Type == EventDisconnected {
			why = e.Err
		}
	}
	ev.mu.Unlock()
	if why == nil || !strings.Contains(why.Error(), "ICE failed") {
		t.Fatalf("disconnect reason %v, want ICE failed", why)
	}
	t.Logf("ICE failure noticed after %v", time.Since(start).Round(10*time.Millisecond))
	stopIngest()
	in2, _, _ := ingestAt(t, addr, "")
	waitIngest(t, ctx, in2, "publication to the replacement", func(s ingest.Stats) bool {
		return s.VideoPackets > 30 && firstSlice(s.Units) == 5
	})
	stop()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
}

// TestUnauthorized: a 401 ends Run with ErrUnauthorized after one attempt.
func TestUnauthorized(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	in, addr, _ := ingestAt(t, "127.0.0.1:0", "right")
	c, err := New(Options{URL: "http://" + addr + "/whip", Token: "wrong", Broadcaster: publisher(t, ctx),
		ICE: testpeer.Loopback(), MinBackoff: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	err = c.Run(ctx)
	var se *StatusError
	if !errors.Is(err, ErrUnauthorized) || !errors.As(err, &se) || se.Code != http.StatusUnauthorized {
		t.Fatalf("Run: %v, want a 401 StatusError wrapping ErrUnauthorized", err)
	}
	time.Sleep(100 * time.Millisecond)
	if s := in.Stats(); s.Posts != 1 || s.Unauthorized != 1 {
		t.Fatalf("ingest saw %d POSTs (%d unauthorized), want exactly 1", s.Posts, s.Unauthorized)
	}
}

// TestBackoff: failures space attempts out exponentially up to the maximum.
func TestBackoff(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens: every POST is refused
	var ev events
	c, err := New(Options{URL: "http://" + addr + "/whip", Broadcaster: publisher(t, ctx), ICE: testpeer.Loopback(),
		MinBackoff: 50 * time.Millisecond, MaxBackoff: 200 * time.Millisecond, OnEvent: ev.add})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithTimeout(ctx, 1200*time.Millisecond)
	defer stop()
	if err := c.Run(runCtx); err != nil {
		t.Fatalf("Run: %v", err)
	}
	ev.mu.Lock()
	defer ev.mu.Unlock()
	var retries []time.Duration
	for _, e := range ev.ev {
		retries = append(retries, e.Retry)
	}
	if len(retries) < 4 || retries[0] != 50*time.Millisecond || retries[1] != 100*time.Millisecond ||
		retries[2] != 200*time.Millisecond || retries[3] != 200*time.Millisecond {
		t.Fatalf("retry waits %v, want 50ms 100ms 200ms 200ms ...", retries)
	}
	if len(retries) > 12 {
		t.Fatalf("%d attempts in 1.2 s: retry storm", len(retries))
	}
}

func TestOptionsValidation(t *testing.T) {
	b, _ := fanout.New(fanout.Options{Video: fanout.VP8})
	defer b.Close()
	cases := []struct {
		name  string
		tweak func(*Options)
		want  string
	}{
		{"no broadcaster", func(o *Options) { o.Broadcaster = nil }, "broadcaster"},
		{"no url", func(o *Options) { o.URL = "" }, "url"},
		{"bad scheme", func(o *Options) { o.URL = "ftp://127.0.0.1/whip" }, "url"},
		{"bad token", func(o *Options) { o.Token = "a b" }, "token"},
		{"negative backoff", func(o *Options) { o.MinBackoff = -1 }, "negative"},
		{"min over max", func(o *Options) { o.MinBackoff = time.Minute; o.MaxBackoff = time.Second }, "exceeds"},
		{"bad nat ip", func(o *Options) { o.ICE.NAT1To1IPs = []string{"nope"} }, "nat 1:1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := Options{URL: "http://127.0.0.1:1/whip", Broadcaster: b}
			tc.tweak(&o)
			if _, err := New(o); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}
