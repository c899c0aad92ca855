package nedwhipsink

import (
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/go-gst/go-glib/pkg/gobject/v2"

	"github.com/nedstream/nedstream/pipeline/webrtc/peer"
	"github.com/nedstream/nedstream/pipeline/webrtc/whip"
	"github.com/nedstream/nedstream/plugin/internal/gprop"
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
	if urls := gprop.SplitList(s.ICEServers); len(urls) > 0 {
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

const rw = gobject.ParamReadwrite

// properties lists the element's properties (GObject ids: position plus
// one). They apply at the next start.
var properties = gprop.Table[Settings]{
	gprop.String("endpoint", "Endpoint", "WHIP endpoint URL (http:// or https://, required)",
		"", rw, func(s *Settings) *string { return &s.Location }),
	gprop.String("token", "Token", "Bearer token sent to the WHIP server (empty: none)",
		"", rw, func(s *Settings) *string { return &s.Token }),
	gprop.String("ice-servers", "ICE servers",
		"Comma-separated STUN/TURN URLs (stun:host:port, turn:host:port); empty: host candidates only",
		"", rw, func(s *Settings) *string { return &s.ICEServers }),
	gprop.Int("max-backoff", "Max backoff",
		"Longest wait between reconnect attempts, in milliseconds (the wait starts at 500 ms and doubles)",
		1, 600000, int32(DefaultSettings().MaxBackoffMs), rw, func(s *Settings) *int { return &s.MaxBackoffMs }),
	gprop.Int("stats-interval", "Stats interval",
		"Milliseconds between nedstream-whip-stats messages (bitrate, loss, RTT of the connected session; 0: none)",
		0, 3600000, 0, rw, func(s *Settings) *int { return &s.StatsIntervalMs }),
	// location is kept as an alias of endpoint (the name playbin-style URI
	// sinks use); both read and write the same setting.
	gprop.String("location", "Location", "Alias of endpoint: the WHIP endpoint URL",
		"", rw, func(s *Settings) *string { return &s.Location }),
}

// PropertyNames returns the names of the element's own properties, in order.
func PropertyNames() []string { return properties.Names() }
