package nedwhipsink

import (
	"fmt"
	"math"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/go-gst/go-glib/pkg/gobject/v2"

	"github.com/nedstream/nedstream/pipeline/webrtc/peer"
	"github.com/nedstream/nedstream/pipeline/webrtc/whip"
)

// Settings are the element's properties.
type Settings struct {
	// Location is the WHIP endpoint URL (properties endpoint and its
	// alias location).
	Location string
	// Token, when set, is sent as a bearer token.
	Token string
	// ICEServers are comma-separated STUN/TURN URLs.
	ICEServers string
	// MaxBackoffMs bounds the wait between reconnect attempts.
	MaxBackoffMs int
	// StatsIntervalMs, when not 0, posts a stats message for the
	// connected session every so many milliseconds.
	StatsIntervalMs int
}

// DefaultSettings returns the property defaults.
func DefaultSettings() Settings {
	return Settings{MaxBackoffMs: 30000}
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// clientOptions maps the settings onto whip.Options (without Broadcaster
// and OnEvent). Its errors name the property at fault.
func (s Settings) clientOptions() (whip.Options, error) {
	u, err := url.Parse(s.Location)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return whip.Options{}, fmt.Errorf("property endpoint %q: want an http:// or https:// WHIP endpoint", s.Location)
	}
	if strings.ContainsAny(s.Token, " \t\r\n\"") {
		return whip.Options{}, fmt.Errorf("property token: must not contain spaces, quotes or line breaks")
	}
	host := u.Hostname()
	ip := net.ParseIP(host)
	ice := peer.Options{IncludeLoopback: host == "localhost" || (ip != nil && ip.IsLoopback())}
	if urls := splitList(s.ICEServers); len(urls) > 0 {
		ice.ICEServers = []peer.ICEServer{{URLs: urls}}
	}
	if err := ice.Validate(); err != nil {
		return whip.Options{}, fmt.Errorf("property ice-servers: %v", err)
	}
	maxBackoff := time.Duration(s.MaxBackoffMs) * time.Millisecond
	return whip.Options{
		URL:        s.Location,
		Token:      s.Token,
		ICE:        ice,
		MinBackoff: min(500*time.Millisecond, maxBackoff),
		MaxBackoff: maxBackoff,
	}, nil
}

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

// properties lists the element's properties (GObject ids: position plus
// one). They apply at the next start.
var properties = []property{
	stringProp("endpoint", "Endpoint", "WHIP endpoint URL (http:// or https://, required)",
		"", func(s *Settings) *string { return &s.Location }),
	stringProp("token", "Token", "Bearer token sent to the WHIP server (empty: none)",
		"", func(s *Settings) *string { return &s.Token }),
	stringProp("ice-servers", "ICE servers",
		"Comma-separated STUN/TURN URLs (stun:host:port, turn:host:port); empty: host candidates only",
		"", func(s *Settings) *string { return &s.ICEServers }),
	{
		spec: func() *gobject.ParamSpec {
			return gobject.ParamSpecInt32("max-backoff", "Max backoff",
				"Longest wait between reconnect attempts, in milliseconds (the wait starts at 500 ms and doubles)",
				1, 600000, int32(DefaultSettings().MaxBackoffMs), rw)
		},
		get: func(s *Settings) any { return int32(s.MaxBackoffMs) },
		set: func(s *Settings, v any) { s.MaxBackoffMs = int(asInt32(v)) },
	},
	{
		spec: func() *gobject.ParamSpec {
			return gobject.ParamSpecInt32("stats-interval", "Stats interval",
				"Milliseconds between nedstream-whip-stats messages (bitrate, loss, RTT of the connected session; 0: none)",
				0, 3600000, 0, rw)
		},
		get: func(s *Settings) any { return int32(s.StatsIntervalMs) },
		set: func(s *Settings, v any) { s.StatsIntervalMs = int(asInt32(v)) },
	},
	// location is kept as an alias of endpoint (the name playbin-style URI
	// sinks use); both read and write the same setting.
	stringProp("location", "Location", "Alias of endpoint: the WHIP endpoint URL",
		"", func(s *Settings) *string { return &s.Location }),
}

// PropertyNames returns the names of the element's own properties, in order.
func PropertyNames() []string {
	names := make([]string, len(properties))
	for i, p := range properties {
		names[i] = p.spec().Name()
	}
	return names
}
