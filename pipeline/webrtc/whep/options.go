// Package whep serves a fanout stream to WebRTC viewers over WHEP
// (draft-ietf-wish-whep, the resource model of WHIP, RFC 9725) and hosts a
// small browser viewer page at "/".
//
// Protocol surface: POST application/sdp to the endpoint creates a session
// (201 Created, Location, ETag, answer SDP with every candidate: the server
// gathers completely before answering); DELETE on the Location ends it;
// PATCH application/trickle-ice-sdpfrag adds the viewer's late candidates
// (ICE restarts are refused with 501); OPTIONS answers CORS preflights.
package whep

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/nedstream/nedstream/pipeline/webrtc/fanout"
	"github.com/nedstream/nedstream/pipeline/webrtc/peer"
)

// Options configures a Server. Zero values take the defaults noted.
type Options struct {
	// Broadcaster is the stream every viewer receives (required).
	Broadcaster *fanout.Broadcaster
	// Path is the WHEP endpoint (default "/whep"); sessions live below it.
	Path string
	// Addr is the listen address used by Listen (default ":8889").
	Addr string
	// Token, when set, is required as "Authorization: Bearer <token>" on
	// POST, PATCH and DELETE. RFC 6750 token68 characters only.
	Token string
	// MaxViewers limits concurrent sessions (0: no limit); beyond it POST
	// gets 503 with Retry-After.
	MaxViewers int
	// RetryAfter is the Retry-After sent with 503 (default 5 s).
	RetryAfter time.Duration
	// MaxBodyBytes limits request bodies (default 64 KiB); larger get 413.
	MaxBodyBytes int64
	// AllowedOrigins lists the origins allowed by CORS ("*" for any,
	// otherwise scheme://host[:port]). Empty: no CORS headers (the built-in
	// viewer page is same-origin).
	AllowedOrigins []string
	// GatherTimeout bounds ICE gathering before the answer (default 5 s);
	// the answer then carries the candidates gathered so far.
	GatherTimeout time.Duration
	// ConnectTimeout removes a session whose peer never connects (default 30 s).
	ConnectTimeout time.Duration
	// ICE configures candidates, single-port mode, NAT 1:1 and ICE servers.
	ICE peer.Options
	// AdvertiseICEServers sends ICE.ICEServers as Link headers on 201
	// (credentials included, to authorized clients only).
	AdvertiseICEServers bool
	// DisableViewerPage stops serving the viewer page at "/".
	DisableViewerPage bool
	// OnEvent is called when a viewer joins (ICE+DTLS connected) or leaves.
	// It must not block for long.
	OnEvent func(Event)
}

func (o *Options) validate() error {
	if o.Broadcaster == nil {
		return errors.New("broadcaster is required")
	}
	if o.Path == "" {
		o.Path = "/whep"
	}
	if !strings.HasPrefix(o.Path, "/") || o.Path == "/" || strings.HasSuffix(o.Path, "/") ||
		strings.ContainsAny(o.Path, "?#% ") {
		return fmt.Errorf("path %q: want an absolute path like /whep, not / and without a trailing slash", o.Path)
	}
	if o.Addr == "" {
		o.Addr = ":8889"
	}
	host, port, err := net.SplitHostPort(o.Addr)
	if err != nil {
		return fmt.Errorf("address %q: %w", o.Addr, err)
	}
	if host != "" && net.ParseIP(host) == nil && host != "localhost" {
		return fmt.Errorf("address %q: host must be an IP address, localhost or empty", o.Addr)
	}
	if p, err := net.LookupPort("tcp", port); err != nil || p < 0 || p > 65535 {
		return fmt.Errorf("address %q: bad port %q", o.Addr, port)
	}
	if o.Token != "" && !isToken68(o.Token) {
		return errors.New("token: only letters, digits and -._~+/ (trailing =) are allowed (RFC 6750)")
	}
	if o.MaxViewers < 0 {
		return fmt.Errorf("max viewers %d must not be negative", o.MaxViewers)
	}
	if o.RetryAfter < 0 || o.MaxBodyBytes < 0 || o.GatherTimeout < 0 || o.ConnectTimeout < 0 {
		return errors.New("retry-after, max body bytes, gather timeout and connect timeout must not be negative")
	}
	if o.RetryAfter == 0 {
		o.RetryAfter = 5 * time.Second
	}
	if o.MaxBodyBytes == 0 {
		o.MaxBodyBytes = 64 << 10
	}
	if o.GatherTimeout == 0 {
		o.GatherTimeout = 5 * time.Second
	}
	if o.ConnectTimeout == 0 {
		o.ConnectTimeout = 30 * time.Second
	}
	for _, origin := range o.AllowedOrigins {
		if origin == "*" {
			continue
		}
		u, err := url.Parse(origin)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
			return fmt.Errorf("allowed origin %q: want * or scheme://host[:port]", origin)
		}
	}
	if err := o.ICE.Validate(); err != nil {
		return fmt.Errorf("ice: %w", err)
	}
	return nil
}

func isToken68(s string) bool {
	i := 0
	for ; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-._~+/", c) >= 0) {
			break
		}
	}
	if i == 0 {
		return false
	}
	for ; i < len(s); i++ {
		if s[i] != '=' {
			return false
		}
	}
	return true
}
