// Package whip publishes a fanout stream to a WHIP ingest server
// (RFC 9725): POST the offer with a bearer token, keep the Location for the
// DELETE on stop, and reconnect with exponential backoff when the server
// goes away or ICE fails. 401/403 are final: they are reported, not retried.
package whip

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/nedstream/nedstream/pipeline/webrtc/fanout"
	"github.com/nedstream/nedstream/pipeline/webrtc/peer"
)

// Options configures a Client. Zero durations take the defaults noted.
type Options struct {
	// URL is the WHIP endpoint (http or https, required).
	URL string
	// Token is sent as "Authorization: Bearer <token>" when set.
	Token string
	// Broadcaster supplies the tracks (required). The client is one viewer
	// of it, so the same encoded stream can also feed WHEP viewers.
	Broadcaster *fanout.Broadcaster
	// ICE configures candidates and STUN/TURN servers.
	ICE peer.Options
	// MinBackoff and MaxBackoff bound the wait between attempts; it doubles
	// after each failure and resets once a session has connected
	// (defaults 500 ms and 30 s).
	MinBackoff time.Duration
	MaxBackoff time.Duration
	// RequestTimeout bounds each HTTP request (default 10 s).
	RequestTimeout time.Duration
	// GatherTimeout bounds ICE gathering before the offer is sent (default 5 s).
	GatherTimeout time.Duration
	// ConnectTimeout gives up on a session that does not connect (default 15 s).
	ConnectTimeout time.Duration
	// OnEvent reports connects, disconnects and errors. It must not block.
	OnEvent func(Event)
}

func (o *Options) validate() error {
	if o.Broadcaster == nil {
		return errors.New("broadcaster is required")
	}
	u, err := url.Parse(o.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("url %q: want an http:// or https:// WHIP endpoint", o.URL)
	}
	if o.Token != "" && strings.ContainsAny(o.Token, " \t\r\n\"") {
		return errors.New("token: must not contain spaces, quotes or line breaks")
	}
	if o.MinBackoff < 0 || o.MaxBackoff < 0 || o.RequestTimeout < 0 || o.GatherTimeout < 0 || o.ConnectTimeout < 0 {
		return errors.New("backoffs and timeouts must not be negative")
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&o.MinBackoff, 500*time.Millisecond)
	def(&o.MaxBackoff, 30*time.Second)
	def(&o.RequestTimeout, 10*time.Second)
	def(&o.GatherTimeout, 5*time.Second)
	def(&o.ConnectTimeout, 15*time.Second)
	if o.MinBackoff > o.MaxBackoff {
		return fmt.Errorf("min backoff %v exceeds max backoff %v", o.MinBackoff, o.MaxBackoff)
	}
	if err := o.ICE.Validate(); err != nil {
		return fmt.Errorf("ice: %w", err)
	}
	return nil
}

// EventType classifies client events.
type EventType string

// Event types.
const (
	EventConnected    EventType = "connected"    // ICE+DTLS up, media flowing
	EventDisconnected EventType = "disconnected" // a session ended; a retry follows unless stopping
	EventError        EventType = "error"        // an attempt failed
)

// Event reports the client's progress.
type Event struct {
	Type EventType
	// Attempt counts publish attempts, from 1.
	Attempt int
	// Err is the failure (EventError) or why the session ended.
	Err error
	// Retry is the wait before the next attempt (0 when none follows).
	Retry time.Duration
}
