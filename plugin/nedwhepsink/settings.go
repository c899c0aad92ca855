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

// splitList splits a comma-separated property value, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

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
	if urls := splitList(s.ICEServers); len(urls) > 0 {
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
		AllowedOrigins: splitList(s.CORSOrigins),
		ICE:            ice,
	}, nil
}

// property is one element property: its spec, and how it reads and writes
// Settings.
type property struct {
	spec func() *gobject.ParamSpec
	get  func(s *Settings) any
	set  func(s *Settings, v any)
}

const rw = gobject.ParamReadwrite

func asInt32(v any) int32 {
	switch x := v.(type) {
	case int32:
		return x
	case int64:
		return int32(max(min(x, math.MaxInt32), math.MinInt32))
	case int:
		return int32(max(min(x, math.MaxInt32), math.MinInt32))
	}
	return 0
}

func stringProp(name, nick, blurb string, def string, field func(*Settings) *string) property {
	return property{
		spec: func() *gobject.ParamSpec { return gobject.ParamSpecString(name, nick, blurb, def, rw) },
		get:  func(s *Settings) any { return *field(s) },
		set:  func(s *Settings, v any) { *field(s), _ = v.(string) },
	}
}

// properties lists the element's properties; their GObject ids are the
// positions in this list (plus one). They apply at the next start.
var properties = []property{
	stringProp("address", "Address",
		"HTTP listen address of the WHEP server, host:port (a loopback host also restricts ICE to loopback)",
		DefaultSettings().Address, func(s *Settings) *string { return &s.Address }),
	stringProp("path", "Path", "WHEP endpoint path (sessions live below it)",
		DefaultSettings().Path, func(s *Settings) *string { return &s.Path }),
	stringProp("token", "Token", "Bearer token viewers must send (empty: no authentication)",
		"", func(s *Settings) *string { return &s.Token }),
	{
		spec: func() *gobject.ParamSpec {
			return gobject.ParamSpecInt32("max-viewers", "Max viewers",
				"Maximum concurrent viewers (0: no limit); beyond it viewers get 503",
				0, maxViewersLimit, 0, rw)
		},
		get: func(s *Settings) any { return int32(s.MaxViewers) },
		set: func(s *Settings, v any) { s.MaxViewers = int(asInt32(v)) },
	},
	stringProp("ice-servers", "ICE servers",
		"Comma-separated STUN/TURN URLs (stun:host:port, turn:host:port); empty: host candidates only",
		"", func(s *Settings) *string { return &s.ICEServers }),
	{
		spec: func() *gobject.ParamSpec {
			return gobject.ParamSpecInt32("udp-port", "UDP port",
				"One UDP port shared by all viewers (0: ephemeral ports per session)",
				0, math.MaxUint16, 0, rw)
		},
		get: func(s *Settings) any { return int32(s.UDPPort) },
		set: func(s *Settings, v any) { s.UDPPort = int(asInt32(v)) },
	},
	stringProp("nat-ip", "NAT IP", "Public IP announced in place of host addresses (1:1 NAT); empty: none",
		"", func(s *Settings) *string { return &s.NATIP }),
	stringProp("cors-origins", "CORS origins",
		"Comma-separated origins allowed by CORS (* for any); empty: no CORS headers",
		"", func(s *Settings) *string { return &s.CORSOrigins }),
	{
		spec: func() *gobject.ParamSpec {
			return gobject.ParamSpecInt32("stats-interval", "Stats interval",
				"Milliseconds between nedstream-whep-stats messages (one per connected viewer: bitrate, loss, RTT; 0: none)",
				0, 3600000, 0, rw)
		},
		get: func(s *Settings) any { return int32(s.StatsIntervalMs) },
		set: func(s *Settings, v any) { s.StatsIntervalMs = int(asInt32(v)) },
	},
}

// PropertyNames returns the names of the element's own properties, in order.
func PropertyNames() []string {
	names := make([]string, len(properties))
	for i, p := range properties {
		names[i] = p.spec().Name()
	}
	return names
}
