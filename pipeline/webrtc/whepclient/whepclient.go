// Package whepclient is the viewer side of WHEP (draft-ietf-wish-whep):
// make a complete recvonly offer, POST it, read the answer and the session
// URL. The tests, nedcast soak and nedwebrtcbench use it; package whep is
// the server.
package whepclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/nedstream/nedstream/pipeline/webrtc/peer"
)

// StatusError is a WHEP POST that was not answered 201 Created.
type StatusError struct {
	Status int
	Header http.Header
	Body   string
}

func (e *StatusError) Error() string { return fmt.Sprintf("whep: status %d: %s", e.Status, e.Body) }

// Subscription is the session a WHEP POST created.
type Subscription struct {
	// Resource is the absolute session URL (from Location), for DELETE
	// and trickle PATCH.
	Resource string
	// ETag is the session's entity tag, if the server sent one.
	ETag string
}

// LocalOffer creates pc's offer (its recvonly transceivers must be added
// first), sets it and waits for ICE gathering, returning the complete SDP
// a WHEP POST carries.
func LocalOffer(ctx context.Context, pc *webrtc.PeerConnection) (string, error) {
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		return "", fmt.Errorf("whep offer: %w", err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		return "", fmt.Errorf("whep offer: %w", err)
	}
	select {
	case <-gathered:
	case <-ctx.Done():
		return "", fmt.Errorf("whep offer: ICE gathering: %w", ctx.Err())
	}
	return pc.LocalDescription().SDP, nil
}

// Post sends an offer to a WHEP endpoint (with a bearer token unless
// token is empty) and returns the answer SDP and the session. A reply
// other than 201 comes back as *StatusError.
func Post(ctx context.Context, client *http.Client, endpoint, token, offer string) (string, Subscription, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(offer))
	if err != nil {
		return "", Subscription{}, fmt.Errorf("whep post: %w", err)
	}
	req.Header.Set("Content-Type", "application/sdp")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := client.Do(req)
	if err != nil {
		return "", Subscription{}, fmt.Errorf("whep post: %w", err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusCreated {
		return "", Subscription{}, &StatusError{Status: res.StatusCode, Header: res.Header, Body: strings.TrimSpace(string(body))}
	}
	base, err := url.Parse(endpoint)
	if err != nil {
		return "", Subscription{}, fmt.Errorf("whep post: %w", err)
	}
	ref, err := base.Parse(res.Header.Get("Location"))
	if err != nil {
		return "", Subscription{}, fmt.Errorf("whep post: bad Location: %w", err)
	}
	return string(body), Subscription{Resource: ref.String(), ETag: res.Header.Get("ETag")}, nil
}

// NewReceiver makes a peer API with o and a PeerConnection with one
// recvonly transceiver per kind (video, audio), ready for LocalOffer. The
// caller closes both (pc first).
func NewReceiver(o peer.Options, kinds ...webrtc.RTPCodecType) (*peer.API, *webrtc.PeerConnection, error) {
	api, err := peer.NewAPI(o)
	if err != nil {
		return nil, nil, fmt.Errorf("whep receiver: %w", err)
	}
	pc, err := api.NewPeerConnection()
	if err != nil {
		_ = api.Close()
		return nil, nil, fmt.Errorf("whep receiver: %w", err)
	}
	for _, k := range kinds {
		if _, err := pc.AddTransceiverFromKind(k, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
			_ = pc.Close()
			_ = api.Close()
			return nil, nil, fmt.Errorf("whep receiver: add %s transceiver: %w", k, err)
		}
	}
	return api, pc, nil
}

// Subscribe makes pc's offer (LocalOffer), POSTs it (Post) and sets the
// answer as pc's remote description. With retry > 0, a server that cannot
// be reached yet (not listening: a sink starts its server at its first
// caps) or answers 503 (viewer limit, shutting down) is tried again every
// retry until ctx ends; any other refusal (*StatusError) returns at once.
func Subscribe(ctx context.Context, client *http.Client, endpoint, token string, pc *webrtc.PeerConnection, retry time.Duration) (Subscription, error) {
	offer, err := LocalOffer(ctx, pc)
	if err != nil {
		return Subscription{}, err
	}
	for {
		answer, sub, err := Post(ctx, client, endpoint, token, offer)
		if err == nil {
			if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
				return sub, fmt.Errorf("whep answer: %w", err)
			}
			return sub, nil
		}
		var se *StatusError
		if retry <= 0 || (errors.As(err, &se) && se.Status != http.StatusServiceUnavailable) {
			return Subscription{}, err
		}
		select {
		case <-ctx.Done():
			return Subscription{}, fmt.Errorf("whep: the server never accepted the offer: %w", err)
		case <-time.After(retry):
		}
	}
}
