package whip

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/nedstream/nedstream/pipeline/webrtc/fanout"
	"github.com/nedstream/nedstream/pipeline/webrtc/peer"
)

// ErrUnauthorized is wrapped by the error Run returns when the server
// answers 401 or 403: retrying with the same token cannot help.
var ErrUnauthorized = errors.New("whip: unauthorized")

// StatusError is a non-201 answer to the offer.
type StatusError struct {
	Code int
	Body string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("whip: server answered %d %s: %s", e.Code, http.StatusText(e.Code), e.Body)
}

// Unwrap makes errors.Is(err, ErrUnauthorized) hold for 401 and 403.
func (e *StatusError) Unwrap() error {
	if e.Code == http.StatusUnauthorized || e.Code == http.StatusForbidden {
		return ErrUnauthorized
	}
	return nil
}

// Client publishes one stream to a WHIP endpoint.
type Client struct {
	opts Options
	http *http.Client

	mu     sync.Mutex
	viewer *fanout.Viewer
}

// New validates o and returns a Client; Run starts publishing.
func New(o Options) (*Client, error) {
	if err := o.validate(); err != nil {
		return nil, fmt.Errorf("whip options: %w", err)
	}
	return &Client{opts: o, http: &http.Client{Timeout: o.RequestTimeout}}, nil
}

// Stats returns the current session's statistics (zero when none).
func (c *Client) Stats() fanout.ViewerStats {
	c.mu.Lock()
	v := c.viewer
	c.mu.Unlock()
	if v == nil {
		return fanout.ViewerStats{}
	}
	return v.Stats()
}

func (c *Client) emit(e Event) {
	if c.opts.OnEvent != nil {
		c.opts.OnEvent(e)
	}
}

// Run publishes until ctx ends, reconnecting with exponential backoff. On
// ctx end it DELETEs the session and returns nil. It returns an error
// wrapping ErrUnauthorized on 401/403, and any setup error of the ICE
// configuration.
func (c *Client) Run(ctx context.Context) error {
	api, err := peer.NewAPI(c.opts.ICE)
	if err != nil {
		return fmt.Errorf("whip: %w", err)
	}
	defer api.Close()
	backoff := c.opts.MinBackoff
	for attempt := 1; ; attempt++ {
		s, err := c.publish(ctx, api)
		if err == nil {
			connected, why := s.wait(ctx, c.opts.ConnectTimeout, func() {
				c.emit(Event{Type: EventConnected, Attempt: attempt})
			})
			c.end(s)
			if ctx.Err() != nil {
				return nil
			}
			if connected {
				backoff = c.opts.MinBackoff
			}
			err = why
			c.emit(Event{Type: EventDisconnected, Attempt: attempt, Err: why, Retry: backoff})
		} else {
			if ctx.Err() != nil {
				return nil
			}
			if errors.Is(err, ErrUnauthorized) {
				c.emit(Event{Type: EventError, Attempt: attempt, Err: err})
				return err
			}
			c.emit(Event{Type: EventError, Attempt: attempt, Err: err, Retry: backoff})
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		backoff = min(2*backoff, c.opts.MaxBackoff)
	}
}

// session is one publication attempt.
type session struct {
	pc       *webrtc.PeerConnection
	viewer   *fanout.Viewer
	resource string
	state    chan webrtc.PeerConnectionState
}

func (c *Client) publish(ctx context.Context, api *peer.API) (s *session, err error) {
	pc, err := api.NewPeerConnection()
	if err != nil {
		return nil, err
	}
	s = &session{pc: pc, state: make(chan webrtc.PeerConnectionState, 8)}
	defer func() {
		if err != nil {
			c.end(s)
		}
	}()
	v, err := c.opts.Broadcaster.AddViewer(pc, fanout.ViewerOptions{ID: "whip", SendOnly: true})
	if err != nil {
		return s, fmt.Errorf("whip: add tracks: %w", err)
	}
	s.viewer = v
	pc.OnConnectionStateChange(func(st webrtc.PeerConnectionState) {
		v.SetConnected(st == webrtc.PeerConnectionStateConnected)
		select {
		case s.state <- st:
		default:
		}
	})
	c.mu.Lock()
	c.viewer = v
	c.mu.Unlock()
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		return s, fmt.Errorf("whip: create offer: %w", err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		return s, fmt.Errorf("whip: set offer: %w", err)
	}
	gt := time.NewTimer(c.opts.GatherTimeout)
	defer gt.Stop()
	select {
	case <-gathered:
	case <-gt.C:
	case <-ctx.Done():
		return s, ctx.Err()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.opts.URL, strings.NewReader(pc.LocalDescription().SDP))
	if err != nil {
		return s, fmt.Errorf("whip: %w", err)
	}
	req.Header.Set("Content-Type", "application/sdp")
	c.auth(req)
	res, err := c.http.Do(req)
	if err != nil {
		return s, fmt.Errorf("whip: post offer: %w", err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	if err != nil {
		return s, fmt.Errorf("whip: read answer: %w", err)
	}
	if res.StatusCode != http.StatusCreated {
		msg := strings.TrimSpace(string(body))
		if len(msg) > 200 {
			msg = msg[:200]
		}
		return s, &StatusError{Code: res.StatusCode, Body: msg}
	}
	base, _ := url.Parse(c.opts.URL)
	loc, err := base.Parse(res.Header.Get("Location"))
	if err != nil || res.Header.Get("Location") == "" {
		return s, errors.New("whip: 201 without a usable Location header")
	}
	s.resource = loc.String()
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: string(body)}); err != nil {
		return s, fmt.Errorf("whip: set answer: %w", err)
	}
	return s, nil
}

func (c *Client) auth(req *http.Request) {
	if c.opts.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.opts.Token)
	}
}

// wait follows the connection until it fails or closes, it never connects
// in time, or ctx ends. It reports whether it had connected and why it ended.
func (s *session) wait(ctx context.Context, connectTimeout time.Duration, onConnected func()) (bool, error) {
	connected := false
	t := time.NewTimer(connectTimeout)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return connected, ctx.Err()
		case <-t.C:
			if !connected {
				return false, fmt.Errorf("whip: not connected within %v", connectTimeout)
			}
		case st := <-s.state:
			switch st {
			case webrtc.PeerConnectionStateConnected:
				if !connected {
					connected = true
					onConnected()
				}
			case webrtc.PeerConnectionStateFailed:
				return connected, errors.New("whip: ICE failed")
			case webrtc.PeerConnectionStateClosed:
				return connected, errors.New("whip: connection closed by the server")
			}
		}
	}
}

// end DELETEs the resource (best effort, bounded) and closes the session.
func (c *Client) end(s *session) {
	if s.viewer != nil {
		_ = s.viewer.Close()
		c.mu.Lock()
		if c.viewer == s.viewer {
			c.viewer = nil
		}
		c.mu.Unlock()
	}
	_ = s.pc.Close()
	if s.resource == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), min(c.opts.RequestTimeout, 2*time.Second))
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, s.resource, nil)
	if err != nil {
		return
	}
	c.auth(req)
	if res, err := c.http.Do(req); err == nil {
		res.Body.Close()
	}
}
