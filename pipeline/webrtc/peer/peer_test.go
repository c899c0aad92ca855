package peer

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

func TestValidate(t *testing.T) {
	cases := []struct {
		name string
		o    Options
		want string // "" for valid
	}{
		{"zero", Options{}, ""},
		{"stun", Options{ICEServers: []ICEServer{{URLs: []string{"stun:192.0.2.1:3478"}}}}, ""},
		{"turn", Options{ICEServers: []ICEServer{{URLs: []string{"turns:192.0.2.1:5349"}, Username: "u", Credential: "c"}}}, ""},
		{"turn without credential", Options{ICEServers: []ICEServer{{URLs: []string{"turn:192.0.2.1"}, Username: "u"}}}, "TURN needs"},
		{"no urls", Options{ICEServers: []ICEServer{{}}}, "no URLs"},
		{"bad scheme", Options{ICEServers: []ICEServer{{URLs: []string{"udp:1.2.3.4"}}}}, "unknown scheme"},
		{"bare host", Options{ICEServers: []ICEServer{{URLs: []string{"stun"}}}}, "want stun:"},
		{"mux port only", Options{UDPMuxAddr: ":8189"}, ""},
		{"mux no port", Options{UDPMuxAddr: "127.0.0.1"}, "udp mux address"},
		{"mux hostname", Options{UDPMuxAddr: "somehost:8189"}, "not an IP"},
		{"mux bad port", Options{UDPMuxAddr: ":70000"}, "udp mux address"},
		{"nat ip", Options{NAT1To1IPs: []string{"203.0.113.7", "2001:db8::1"}}, ""},
		{"bad nat ip", Options{NAT1To1IPs: []string{"203.0.113"}}, "nat 1:1 ip"},
		{"negative timeout", Options{DisconnectedTimeout: -time.Second}, "negative"},
		{"failed before disconnected", Options{DisconnectedTimeout: 5 * time.Second, FailedTimeout: time.Second}, "shorter"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.o.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatalf("valid options refused: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

// offerCandidates gathers an offer and returns its candidate lines.
func offerCandidates(t *testing.T, a *API) []string {
	t.Helper()
	pc, err := a.NewPeerConnection()
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo); err != nil {
		t.Fatal(err)
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	done := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	select {
	case <-done:
	case <-ctx.Done():
		t.Fatal("gathering did not complete")
	}
	var out []string
	for _, l := range strings.Split(pc.LocalDescription().SDP, "\n") {
		if strings.HasPrefix(l, "a=candidate:") {
			out = append(out, strings.TrimSpace(l))
		}
	}
	return out
}

// TestSingleUDPPortAndNAT: in single-port mode every candidate uses the mux
// port, and NAT 1:1 replaces the host address with the public one.
func TestSingleUDPPortAndNAT(t *testing.T) {
	a, err := NewAPI(Options{IncludeLoopback: true, UDPMuxAddr: "127.0.0.1:0", NAT1To1IPs: []string{"203.0.113.7"}})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	port := a.UDPMuxAddr().(*net.UDPAddr).Port
	cands := offerCandidates(t, a)
	if len(cands) == 0 {
		t.Fatal("no candidates")
	}
	for _, c := range cands {
		if !strings.Contains(c, " 203.0.113.7 "+strconv.Itoa(port)+" typ host") {
			t.Fatalf("candidate %q: want host 203.0.113.7:%d", c, port)
		}
	}
	// Two PeerConnections share the socket.
	if c2 := offerCandidates(t, a); !strings.Contains(c2[0], " "+strconv.Itoa(port)+" ") {
		t.Fatalf("second peer does not share the port: %v", c2)
	}
}

func TestCloseReleasesPort(t *testing.T) {
	a, err := NewAPI(Options{UDPMuxAddr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	addr := a.UDPMuxAddr().String()
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := NewAPI(Options{UDPMuxAddr: addr})
	if err != nil {
		t.Fatalf("port not released: %v", err)
	}
	_ = b.Close()
	if _, err := NewAPI(Options{UDPMuxAddr: "192.0.2.1:9"}); err == nil {
		t.Fatal("listening on a foreign address succeeded")
	}
}
