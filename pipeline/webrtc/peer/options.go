// Package peer builds pion PeerConnections with the ICE settings nedstream
// exposes: STUN/TURN servers, a single UDP port shared by every peer, NAT 1:1
// addresses and ICE timeouts. It is shared by the WHEP server and the WHIP
// client.
package peer

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"time"
)

// ICEServer is one STUN or TURN server handed to pion (and, for WHEP, to the
// browser through Link headers).
type ICEServer struct {
	// URLs are stun:, stuns:, turn: or turns: URLs.
	URLs []string
	// Username and Credential authenticate against a TURN server.
	Username   string
	Credential string
}

// Options configures ICE for every PeerConnection an API creates.
// The zero value gathers host candidates on ephemeral UDP ports.
type Options struct {
	// ICEServers are STUN/TURN servers; none by default (host candidates only).
	ICEServers []ICEServer
	// UDPMuxAddr, when set ("host:port" or ":port"), makes every
	// PeerConnection share one UDP socket (single-port mode).
	UDPMuxAddr string
	// NAT1To1IPs replace the host candidates' addresses with these public
	// IPs (a server behind 1:1 NAT).
	NAT1To1IPs []string
	// IncludeLoopback gathers loopback candidates and restricts gathering to
	// the loopback interface (tests, local use).
	IncludeLoopback bool
	// DisconnectedTimeout, FailedTimeout and KeepaliveInterval tune ICE
	// consent (pion defaults 5 s, 25 s and 2 s when zero).
	DisconnectedTimeout time.Duration
	FailedTimeout       time.Duration
	KeepaliveInterval   time.Duration
}

// Validate reports the first invalid setting with a message naming it.
func (o Options) Validate() error {
	for i, s := range o.ICEServers {
		if len(s.URLs) == 0 {
			return fmt.Errorf("ice server %d: no URLs", i)
		}
		turn := false
		for _, u := range s.URLs {
			scheme, rest, ok := strings.Cut(u, ":")
			if !ok || rest == "" {
				return fmt.Errorf("ice server %d: URL %q: want stun:, stuns:, turn: or turns: followed by a host", i, u)
			}
			switch scheme {
			case "stun", "stuns":
			case "turn", "turns":
				turn = true
			default:
				return fmt.Errorf("ice server %d: URL %q: unknown scheme %q", i, u, scheme)
			}
		}
		if turn && (s.Username == "" || s.Credential == "") {
			return fmt.Errorf("ice server %d: TURN needs a username and a credential", i)
		}
	}
	if o.UDPMuxAddr != "" {
		if _, err := resolveUDP(o.UDPMuxAddr); err != nil {
			return fmt.Errorf("udp mux address %q: %w", o.UDPMuxAddr, err)
		}
	}
	for _, ip := range o.NAT1To1IPs {
		if net.ParseIP(ip) == nil {
			return fmt.Errorf("nat 1:1 ip %q: not an IP address", ip)
		}
	}
	if o.DisconnectedTimeout < 0 || o.FailedTimeout < 0 || o.KeepaliveInterval < 0 {
		return errors.New("ice timeouts must not be negative")
	}
	if o.FailedTimeout > 0 && o.DisconnectedTimeout > 0 && o.FailedTimeout < o.DisconnectedTimeout {
		return fmt.Errorf("ice failed timeout %v is shorter than the disconnected timeout %v", o.FailedTimeout, o.DisconnectedTimeout)
	}
	return nil
}

func resolveUDP(addr string) (*net.UDPAddr, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if host != "" && net.ParseIP(host) == nil {
		return nil, fmt.Errorf("host %q is not an IP address", host)
	}
	ua, err := net.ResolveUDPAddr("udp", net.JoinHostPort(host, port))
	if err != nil {
		return nil, err
	}
	if ua.Port < 0 || ua.Port > 65535 {
		return nil, fmt.Errorf("port %d out of range", ua.Port)
	}
	return ua, nil
}
