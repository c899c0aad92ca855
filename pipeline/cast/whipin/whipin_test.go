package whipin

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/nedstream/nedstream/pipeline/webrtc/fanout"
	"github.com/nedstream/nedstream/pipeline/webrtc/peer"
	"github.com/nedstream/nedstream/pipeline/webrtc/whip"
)

// au is a synthetic H.264 access unit (SPS, PPS, slice); idr makes it a keyframe.
func au(idr bool) []byte {
	slice := byte(0x41)
	if idr {
		slice = 0x65
	}
	b := []byte{0, 0, 0, 1, 0x67, 0x42, 0xc0, 0x1f, 0xda, 0x01, 0x40, 0x16, 0xe8, 0x06, 0xd0, 0xa1, 0x35,
		0, 0, 0, 1, 0x68, 0xce, 0x06, 0xe2, 0, 0, 0, 1, slice}
	return append(b, make([]byte, 600)...)
}

// publish runs a WHIP client (pipeline/webrtc/whip) with a codec's synthetic stream.
func publish(t *testing.T, url, token string, codec fanout.Codec, events chan<- whip.Event) (stop func()) {
	t.Helper()
	bc, err := fanout.New(fanout.Options{Video: codec})
	if err != nil {
		t.Fatal(err)
	}
	c, err := whip.New(whip.Options{URL: url, Token: token, Broadcaster: bc, ICE: peer.Options{IncludeLoopback: true},
		MinBackoff: 200 * time.Millisecond, MaxBackoff: time.Second,
		OnEvent: func(e whip.Event) {
			select {
			case events <- e:
			default:
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = c.Run(ctx) }()
	go func() {
		for i := 0; ctx.Err() == nil; i++ {
			data := au(i%30 == 0)
			if codec == fanout.VP8 {
				data = []byte{0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01}
				data = append(data, make([]byte, 200)...)
			}
			_ = bc.WriteVideo(fanout.Sample{Data: data, Duration: 33 * time.Millisecond})
			time.Sleep(33 * time.Millisecond)
		}
	}()
	return func() { cancel(); <-done; _ = bc.Close() }
}

func TestIngestForwardsH264AndRefusesOthers(t *testing.T) {
	var packets atomic.Int64
	var events atomic.Int64
	var pt atomic.Uint32
	s, err := New(Options{Token: "tok", ICE: peer.Options{IncludeLoopback: true}, KeyframeInterval: 300 * time.Millisecond,
		OnVideo: func(p []byte) {
			var pkt rtp.Packet
			if pkt.Unmarshal(p) == nil {
				pt.Store(uint32(pkt.PayloadType))
				packets.Add(1)
			}
		},
		OnEvent: func(e Event) { events.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	defer srv.Close()
	defer s.Close()

	// Wrong token: 401.
	req, _ := http.NewRequest("POST", srv.URL+"/whip", strings.NewReader("v=0"))
	req.Header.Set("Content-Type", "application/sdp")
	req.Header.Set("Authorization", "Bearer nope")
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != 401 {
		t.Fatalf("wrong token: %v %v", res, err)
	}

	ev := make(chan whip.Event, 16)
	stop := publish(t, srv.URL+"/whip", "tok", fanout.H264, ev)
	deadline := time.After(10 * time.Second)
	for packets.Load() < 20 {
		select {
		case <-deadline:
			t.Fatalf("only %d RTP packets forwarded", packets.Load())
		case <-time.After(50 * time.Millisecond):
		}
	}
	if s.Publishers() != 1 {
		t.Errorf("%d publishers, want 1", s.Publishers())
	}
	stop()
	// The client DELETEs its session when it stops.
	for i := 0; i < 40 && s.Publishers() != 0; i++ {
		time.Sleep(50 * time.Millisecond)
	}
	if s.Publishers() != 0 {
		t.Errorf("publication still live after the client stopped")
	}

	// VP8 only: refused with a message naming what is accepted.
	ev2 := make(chan whip.Event, 16)
	stop2 := publish(t, srv.URL+"/whip", "tok", fanout.VP8, ev2)
	defer stop2()
	select {
	case e := <-ev2:
		if e.Type != whip.EventError || e.Err == nil || !strings.Contains(e.Err.Error(), "H.264") {
			t.Errorf("VP8 publisher got %v %v, want an error naming H.264", e.Type, e.Err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no event for the VP8 publisher")
	}
}
