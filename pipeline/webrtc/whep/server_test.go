package whep

import (
	"context"
	"errors"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nedstream/nedstream/pipeline/webrtc/fanout"
	"github.com/nedstream/nedstream/pipeline/webrtc/internal/rtpcheck"
	"github.com/nedstream/nedstream/pipeline/webrtc/internal/testpeer"
	"github.com/nedstream/nedstream/pipeline/webrtc/peer"
)

// firstSlice returns the first H.264 slice NAL type (1 or 5) in units.
func firstSlice(units []int) int {
	for _, u := range units {
		if u == 1 || u == 5 {
			return u
		}
	}
	return -1
}

// TestFanout: several pion viewers joining a running stream at different
// times each start on a keyframe (IDR after SPS/PPS for H.264, the key bit
// for VP8), then receive delta frames, within about a second of joining,
// although the stream's own keyframe period is 20 s: the join request did it.
func TestFanout(t *testing.T) {
	cases := []struct {
		name   string
		codec  fanout.Codec
		single bool // single UDP port mode
		check  func(t *testing.T, units []int)
	}{
		{"h264", fanout.H264, false, func(t *testing.T, u []int) {
			if f := firstSlice(u); f != 5 {
				t.Fatalf("first slice NAL type %d, want IDR (5); units %v", f, u[:min(len(u), 10)])
			}
			if i, j := slices.Index(u, 7), slices.Index(u, 5); i < 0 || i > j || !slices.Contains(u[:j], 8) {
				t.Fatalf("SPS/PPS do not precede the first IDR: %v", u[:min(len(u), 10)])
			}
			if !slices.Contains(u, 1) {
				t.Fatal("no non-IDR slices after the IDR")
			}
		}},
		{"vp8", fanout.VP8, false, func(t *testing.T, u []int) {
			if u[0] != rtpcheck.VP8Key {
				t.Fatalf("first VP8 frame is not a key frame: %v", u[:min(len(u), 10)])
			}
			if !slices.Contains(u, rtpcheck.VP8Delta) {
				t.Fatal("no delta frames after the key frame")
			}
		}},
		{"vp9", fanout.VP9, false, func(t *testing.T, u []int) {
			if u[0] != rtpcheck.VP8Key {
				t.Fatalf("first VP9 frame is not a key frame: %v", u[:min(len(u), 10)])
			}
		}},
		{"h264-single-udp-port", fanout.H264, true, func(t *testing.T, u []int) {
			if f := firstSlice(u); f != 5 {
				t.Fatalf("first slice NAL type %d, want 5", f)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			r := newRig(t, rigOptions{codec: tc.codec, feed: true, audio: true, tweak: func(o *Options) {
				if tc.single {
					o.ICE.UDPMuxAddr = "127.0.0.1:0"
				}
			}})
			const n = 3
			var viewers []*testpeer.Viewer
			for i := range n {
				time.Sleep(time.Duration(i) * 150 * time.Millisecond) // join mid-GOP
				viewers = append(viewers, dial(t, ctx, r.endpoint, "", true))
			}
			for i, v := range viewers {
				err := v.WaitFor(ctx, func(u []int, video, audio int) bool {
					return video > 20 && audio > 5 && slices.Contains(u, map[fanout.Codec]int{fanout.H264: 1, fanout.VP8: rtpcheck.VP8Delta, fanout.VP9: rtpcheck.VP8Delta}[tc.codec])
				})
				if err != nil {
					t.Fatalf("viewer %d: %v", i, err)
				}
				u, _, _ := v.Snapshot()
				tc.check(t, u)
				if d := v.TimeToFirstPacket(); d > 1500*time.Millisecond {
					t.Errorf("viewer %d: first video packet after %v, want < 1.5 s", i, d)
				}
			}
			if tc.single {
				port := r.srv.UDPMuxAddr().(*net.UDPAddr).Port
				for _, v := range viewers {
					if !strings.Contains(v.PC.RemoteDescription().SDP, " "+strconv.Itoa(port)+" typ host") {
						t.Fatalf("answer does not use the mux port %d", port)
					}
				}
			}
			waitUntil(t, 3*time.Second, "join events", func() bool { return len(r.eventsOf(EventJoin)) == n })
			for _, si := range r.srv.Sessions() {
				st := si.Stats
				if !si.Connected || st.PacketsSent == 0 || st.BytesSent == 0 || st.WaitingForKeyframe {
					t.Errorf("session %s stats: %+v", si.ID, st)
				}
			}
			if kf := r.keyframeRequests(); len(kf) == 0 || kf[0].Reason != fanout.ReasonJoin {
				t.Errorf("keyframe requests %+v, want a join request first", kf)
			}
		})
	}
}

// TestReceiverReportStats: after a few seconds the viewer's RTCP receiver
// reports give the server RTT and loss figures and a bitrate, for the
// video and, separately, the audio stream.
func TestReceiverReportStats(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	r := newRig(t, rigOptions{feed: true, audio: true})
	v := dial(t, ctx, r.endpoint, "", true)
	if err := v.WaitFor(ctx, func(_ []int, video, audio int) bool { return video > 0 && audio > 0 }); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 10*time.Second, "receiver reports with RTT, for video and audio", func() bool {
		s := r.srv.Sessions()
		return len(s) == 1 && s[0].Stats.ReceiverReports > 0 && s[0].Stats.RTT > 0 && s[0].Stats.Bitrate > 0 &&
			s[0].Stats.Audio.ReceiverReports > 0
	})
	st := r.srv.Sessions()[0].Stats
	if st.RTT > 500*time.Millisecond || st.FractionLost != 0 || st.Audio.FractionLost != 0 {
		t.Errorf("loopback stats look wrong: rtt %v, loss %v, audio loss %v", st.RTT, st.FractionLost, st.Audio.FractionLost)
	}
	if a := st.Audio; a.PacketsSent == 0 || a.PacketsSent >= st.PacketsSent || a.BytesSent == 0 || a.BytesSent >= st.BytesSent {
		t.Errorf("audio sent %d packets / %d bytes of %d / %d in all", a.PacketsSent, a.BytesSent, st.PacketsSent, st.BytesSent)
	}
	t.Logf("rtt %v, bitrate %.0f bit/s, lost %d, reports %d; audio: %d packets, jitter %v, reports %d",
		st.RTT, st.Bitrate, st.PacketsLost, st.ReceiverReports, st.Audio.PacketsSent, st.Audio.Jitter, st.Audio.ReceiverReports)
}

// TestAuth: POST needs the bearer token; failures say nothing more than 401.
func TestAuth(t *testing.T) {
	r := newRig(t, rigOptions{feed: true, tweak: func(o *Options) { o.Token = "s3cret-Token" }})
	cases := []struct {
		name, token string
		want        int
	}{
		{"none", "", http.StatusUnauthorized},
		{"wrong", "s3cret-Tokem", http.StatusUnauthorized},
		{"prefix", "s3cret", http.StatusUnauthorized},
		{"right", "s3cret-Token", http.StatusCreated},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			v, err := testpeer.Dial(ctx, r.endpoint, tc.token, false)
			if tc.want == http.StatusCreated {
				if err != nil {
					t.Fatal(err)
				}
				defer v.Close()
				if code, err := v.Delete(ctx); err != nil || code != http.StatusOK {
					t.Fatalf("DELETE: %d %v", code, err)
				}
				return
			}
			var res *testpeer.Response
			if !errors.As(err, &res) || res.Status != tc.want {
				t.Fatalf("got %v, want status %d", err, tc.want)
			}
			if res.Header.Get("WWW-Authenticate") != `Bearer realm="nedstream"` || res.Body != "unauthorized" {
				t.Fatalf("401 reply leaks or lacks the challenge: %q %q", res.Header.Get("WWW-Authenticate"), res.Body)
			}
		})
	}
}

// TestViewerLimit: the viewer beyond MaxViewers gets 503 with Retry-After;
// after a DELETE the slot is free again.
func TestViewerLimit(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	r := newRig(t, rigOptions{feed: true, tweak: func(o *Options) { o.MaxViewers = 1; o.RetryAfter = 3 * time.Second }})
	v1 := dial(t, ctx, r.endpoint, "", false)
	_, err := testpeer.Dial(ctx, r.endpoint, "", false)
	var res *testpeer.Response
	if !errors.As(err, &res) || res.Status != http.StatusServiceUnavailable || res.Header.Get("Retry-After") != "3" {
		t.Fatalf("second viewer: %v, want 503 with Retry-After: 3", err)
	}
	if code, err := v1.Delete(ctx); err != nil || code != http.StatusOK {
		t.Fatalf("DELETE: %d %v", code, err)
	}
	dial(t, ctx, r.endpoint, "", false)
}

// TestDelete: DELETE ends the session (leave event "deleted"); the resource
// is gone afterwards (404 on DELETE and PATCH), and the viewer's connection
// closes.
func TestDelete(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	r := newRig(t, rigOptions{feed: true})
	v := dial(t, ctx, r.endpoint, "", false)
	if err := v.WaitFor(ctx, func(_ []int, video, _ int) bool { return video > 0 }); err != nil {
		t.Fatal(err)
	}
	if code, err := v.Delete(ctx); err != nil || code != http.StatusOK {
		t.Fatalf("DELETE: %d %v", code, err)
	}
	if len(r.srv.Sessions()) != 0 {
		t.Fatal("session still listed after DELETE")
	}
	if code, _ := v.Delete(ctx); code != http.StatusNotFound {
		t.Fatalf("second DELETE: %d, want 404", code)
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPatch, v.Resource, strings.NewReader("a=end-of-candidates\r\n"))
	req.Header.Set("Content-Type", "application/trickle-ice-sdpfrag")
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != http.StatusNotFound {
		t.Fatalf("PATCH on a deleted session: %v %v", res, err)
	}
	leaves := r.eventsOf(EventLeave)
	if len(leaves) != 1 || leaves[0].Reason != "deleted" {
		t.Fatalf("leave events %+v", leaves)
	}
	waitUntil(t, 5*time.Second, "viewer connection to end", func() bool {
		s := v.PC.ConnectionState().String()
		return s == "closed" || s == "failed" || s == "disconnected"
	})
}

// TestVanishedViewer: a viewer that disappears without DELETE or DTLS
// close (its socket just stops) is removed when ICE consent fails.
func TestVanishedViewer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	r := newRig(t, rigOptions{feed: true})
	v := dial(t, ctx, r.endpoint, "", false)
	if err := v.WaitFor(ctx, func(_ []int, video, _ int) bool { return video > 0 }); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := v.Vanish(); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 8*time.Second, "the vanished viewer to be removed", func() bool {
		return len(r.srv.Sessions()) == 0 && len(r.eventsOf(EventLeave)) > 0
	})
	leaves := r.eventsOf(EventLeave)
	if len(leaves) != 1 || leaves[0].Reason != "ice failed" {
		t.Fatalf("leave events %+v, want one with reason ice failed", leaves)
	}
	t.Logf("removed %v after the viewer vanished", time.Since(start).Round(10*time.Millisecond))
}

// TestPLI: a burst of PLIs from a viewer reaches the keyframe callback
// rate-limited: the first at once, the rest merged into one trailing
// request; a FIR also asks for a keyframe.
func TestPLI(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	r := newRig(t, rigOptions{feed: true})
	v := dial(t, ctx, r.endpoint, "", false)
	if err := v.WaitFor(ctx, func(_ []int, video, _ int) bool { return video > 0 }); err != nil {
		t.Fatal(err)
	}
	time.Sleep(400 * time.Millisecond) // past the join request's cooldown
	before := len(r.keyframeRequests())
	for range 10 {
		if err := v.SendPLI(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(700 * time.Millisecond) // interval is 300 ms: one immediate + one trailing
	kf := r.keyframeRequests()[before:]
	pli := 0
	for _, k := range kf {
		if k.Reason == fanout.ReasonPLI {
			pli++
		}
	}
	if pli < 1 || len(kf) > 2 {
		t.Fatalf("keyframe requests after 10 PLIs: %+v, want 1 or 2 with reason pli", kf)
	}
	if st := r.srv.Sessions()[0].Stats; st.PLIs < 10 {
		t.Errorf("server counted %d PLIs, want 10", st.PLIs)
	}
	// A FIR is a keyframe request too.
	before = len(r.keyframeRequests())
	if err := v.SendFIR(1); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 2*time.Second, "a fir keyframe request", func() bool {
		kf := r.keyframeRequests()[before:]
		return len(kf) > 0 && kf[len(kf)-1].Reason == fanout.ReasonFIR
	})
}

// TestCloseMidStream: closing the server ends every session (leave events
// "server closed", viewers' connections end) and refuses new ones.
func TestCloseMidStream(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	r := newRig(t, rigOptions{feed: true})
	vs := []*testpeer.Viewer{dial(t, ctx, r.endpoint, "", false), dial(t, ctx, r.endpoint, "", false)}
	for _, v := range vs {
		if err := v.WaitFor(ctx, func(_ []int, video, _ int) bool { return video > 0 }); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.srv.Close(); err != nil {
		t.Fatal(err)
	}
	if n := len(r.srv.Sessions()); n != 0 {
		t.Fatalf("%d sessions left after Close", n)
	}
	if l := r.eventsOf(EventLeave); len(l) != 2 || l[0].Reason != "server closed" {
		t.Fatalf("leave events %+v", l)
	}
	for _, v := range vs {
		waitUntil(t, 5*time.Second, "viewer connection to end", func() bool {
			s := v.PC.ConnectionState().String()
			return s == "closed" || s == "failed"
		})
	}
	_, err := testpeer.Dial(ctx, r.endpoint, "", false)
	var res *testpeer.Response
	if !errors.As(err, &res) || res.Status != http.StatusServiceUnavailable {
		t.Fatalf("POST after Close: %v, want 503", err)
	}
}

// TestOptionsValidation: bad settings are refused with a message naming them.
func TestOptionsValidation(t *testing.T) {
	bc, err := fanout.New(fanout.Options{Video: fanout.H264})
	if err != nil {
		t.Fatal(err)
	}
	defer bc.Close()
	cases := []struct {
		name  string
		tweak func(*Options)
		want  string
	}{
		{"no broadcaster", func(o *Options) { o.Broadcaster = nil }, "broadcaster is required"},
		{"bad address", func(o *Options) { o.Addr = "8889" }, "address"},
		{"bad host", func(o *Options) { o.Addr = "not a host:80" }, "address"},
		{"bad port", func(o *Options) { o.Addr = ":99999" }, "bad port"},
		{"bad token", func(o *Options) { o.Token = "has space" }, "token"},
		{"bad token quote", func(o *Options) { o.Token = `a"b` }, "token"},
		{"negative viewers", func(o *Options) { o.MaxViewers = -1 }, "max viewers"},
		{"negative body", func(o *Options) { o.MaxBodyBytes = -5 }, "must not be negative"},
		{"bad path", func(o *Options) { o.Path = "whep" }, "path"},
		{"root path", func(o *Options) { o.Path = "/" }, "path"},
		{"bad origin", func(o *Options) { o.AllowedOrigins = []string{"example"} }, "allowed origin"},
		{"bad nat ip", func(o *Options) { o.ICE.NAT1To1IPs = []string{"1.2.3"} }, "nat 1:1 ip"},
		{"bad mux addr", func(o *Options) { o.ICE.UDPMuxAddr = "127.0.0.1" }, "udp mux address"},
		{"turn without credentials", func(o *Options) {
			o.ICE.ICEServers = []peer.ICEServer{{URLs: []string{"turn:192.0.2.1:3478"}}}
		}, "TURN needs"},
		{"bad ice url", func(o *Options) { o.ICE.ICEServers = []peer.ICEServer{{URLs: []string{"http://x"}}} }, "unknown scheme"},
		{"negative ice timeout", func(o *Options) { o.ICE.FailedTimeout = -1 }, "negative"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := Options{Broadcaster: bc, Addr: "127.0.0.1:0"}
			tc.tweak(&o)
			s, err := New(o)
			if err == nil {
				_ = s.Close()
				t.Fatalf("accepted, want an error mentioning %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not mention %q", err, tc.want)
			}
		})
	}
	s, err := New(Options{Broadcaster: bc, Addr: "127.0.0.1:0", Token: "abc-DEF_123==", ICE: peer.Options{NAT1To1IPs: []string{"203.0.113.7"}}})
	if err != nil {
		t.Fatalf("valid options refused: %v", err)
	}
	_ = s.Close()
}

// TestListen: Listen serves on Options.Addr and Close stops it.
func TestListen(t *testing.T) {
	bc, _ := fanout.New(fanout.Options{Video: fanout.H264})
	defer bc.Close()
	s, err := New(Options{Broadcaster: bc, Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	addr, err := s.Listen()
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Timeout: 5 * time.Second}
	res, err := c.Get("http://" + addr.String() + "/")
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET /: %v %v", res, err)
	}
	res.Body.Close()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Get("http://" + addr.String() + "/"); err == nil {
		t.Fatal("still serving after Close")
	}
}
