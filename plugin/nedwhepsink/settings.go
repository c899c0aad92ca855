package nedwhepsink

import (
	"fmt"
	"math"
	"net"
	"strconv"
	"strings"

	"github.com/go-gst/go-glib/pkg/gobject/v2"

	"github.com/nedstream/nedstream/pipeline/webrtc/peer"
	"github.com/nedstream/nedstream/pipeline/webrtc/whep"
	"github.com/nedstream/nedstream/plugin/internal/gprop"
)

// Settings are the element's properties.
type Settings struct {
	// Address is the HTTP listen address of the WHEP server (host:port).
	Address string
	// Path is the WHEP endpoint path.
	Path string
	// Token, when set, is the bearer token viewers must send.
	Token string
	// MaxViewers limits concurrent viewers (0: no limit).
	MaxViewers int
	// ICEServers are comma-separated STUN/TURN URLs.
	ICEServers string
	// UDPPort, when not 0, makes every viewer share one UDP port.
	UDPPort int
	// NATIP is the public IP announced instead of the host addresses.
	NATIP string
	// CORSOrigins are comma-separated origins allowed by CORS ("*": any).
	CORSOrigins string
	// StatsIntervalMs, when not 0, posts a stats message per connected
	// viewer every so many milliseconds.
	StatsIntervalMs int
}

// DefaultSettings returns the property defaults.
func DefaultSettings() Settings {
	return Settings{Address: "127.0.0.1:8080", Path: "/whep"}
}

const maxViewersLimit = 10000

// isLoopbackHost reports whether host names the loopback interface.
func isLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// serverOptions maps the settings onto whep.Options (without Broadcaster
// and OnEvent). Its errors name the property at fault.
func (s Settings) serverOptions() (whep.Options, error) {
	host, port, err := net.SplitHostPort(s.Address)
	if err != nil {
		return whep.Options{}, fmt.Errorf("property address %q: want host:port: %v", s.Address, err)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > math.MaxUint16 {
		return whep.Options{}, fmt.Errorf("property address %q: bad port %q", s.Address, port)
	}
	if !strings.HasPrefix(s.Path, "/") {
		return whep.Options{}, fmt.Errorf("property path %q: must start with /", s.Path)
	}
	ice := peer.Options{IncludeLoopback: isLoopbackHost(host)}
	if urls := gprop.SplitList(s.ICEServers); len(urls) > 0 {
		ice.ICEServers = []peer.ICEServer{{URLs: urls}}
	}
	if s.UDPPort != 0 {
		ip := host
		if ip == "localhost" {
			ip = "127.0.0.1"
		}
		ice.UDPMuxAddr = net.JoinHostPort(ip, strconv.Itoa(s.UDPPort))
	}
	if s.NATIP != "" {
		if net.ParseIP(s.NATIP) == nil {
			return whep.Options{}, fmt.Errorf("property nat-ip %q: not an IP address", s.NATIP)
		}
		ice.NAT1To1IPs = []string{s.NATIP}
	}
	if err := ice.Validate(); err != nil {
		return whep.Options{}, fmt.Errorf("properties ice-servers/udp-port/nat-ip: %v", err)
	}
	return whep.Options{
		Addr:           s.Address,
		Path:           s.Path,
		Token:          s.Token,
		MaxViewers:     s.MaxViewers,
		AllowedOrigins: gprop.SplitList(s.CORSOrigins),
		ICE:            ice,
	}, nil
}

const rw = gobject.ParamReadwrite

// properties lists the element's properties; their GObject ids are the
// positions in this list (plus one). They apply at the next start.
var properties = gprop.Table[Settings]{
	gprop.String("address", "Address",
		"HTTP listen address of the WHEP server, host:port (a loopback host also restricts ICE to loopback)",
		DefaultSettings().Address, rw, func(s *Settings) *string { return &s.Address }),
	gprop.String("path", "Path", "WHEP endpoint path (sessions live below it)",
		DefaultSettings().Path, rw, func(s *Settings) *string { return &s.Path }),
	gprop.String("token", "Token", "Bearer token viewers must send (empty: no authentication)",
		"", rw, func(s *Settings) *string { return &s.Token }),
	gprop.Int("max-viewers", "Max viewers",
		"Maximum concurrent viewers (0: no limit); beyond it viewers get 503",
		0, maxViewersLimit, 0, rw, func(s *Settings) *int { return &s.MaxViewers }),
	gprop.String("ice-servers", "ICE servers",
		"Comma-separated STUN/TURN URLs (stun:host:port, turn:host:port); empty: host candidates only",
		"", rw, func(s *Settings) *string { return &s.ICEServers }),
	gprop.Int("udp-port", "UDP port",
		"One UDP port shared by all viewers (0: ephemeral ports per session)",
		0, math.MaxUint16, 0, rw, func(s *Settings) *int { return &s.UDPPort }),
	gprop.String("nat-ip", "NAT IP", "Public IP announced in place of host addresses (1:1 NAT); empty: none",
		"", rw, func(s *Settings) *string { return &s.NATIP }),
	gprop.String("cors-origins", "CORS origins",
		"Comma-separated origins allowed by CORS (* for any); empty: no CORS headers",
		"", rw, func(s *Settings) *string { return &s.CORSOrigins }),
	gprop.Int("stats-interval", "Stats interval",
		"Milliseconds between nedstream-whep-stats messages (one per connected viewer: bitrate, loss, RTT; 0: none)",
		0, 3600000, 0, rw, func(s *Settings) *int { return &s.StatsIntervalMs }),
}

// PropertyNames returns the names of the element's own properties, in order.
func PropertyNames() []string { return properties.Names() }
