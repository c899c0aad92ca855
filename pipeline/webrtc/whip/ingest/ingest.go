// Package ingest is a minimal WHIP ingest server on pion: it accepts a
// publication (POST offer, 201 + Location + answer), receives the media and
// records what arrived, and ends it on DELETE. The WHIP client tests
// publish to it; it is small enough to read as a reference server.
package ingest

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/nedstream/nedstream/pipeline/webrtc/internal/rtpcheck"
	"github.com/nedstream/nedstream/pipeline/webrtc/peer"
	"github.com/nedstream/nedstream/pipeline/webrtc/wish"
	"github.com/pion/webrtc/v4"
)

// Options configures a Server.
type Options struct {
	// Path is the WHIP endpoint (default "/whip").
	Path string
	// Token, when set, is required as a bearer token.
	Token string
	// ICE configures the server's candidates.
	ICE peer.Options
	// GatherTimeout bounds ICE gathering before answering (default 5 s).
	GatherTimeout time.Duration
}

// Stats counts what the server saw.
type Stats struct {
	Posts        int // POST requests, authorized or not
	Unauthorized int
	Publishes    int // sessions answered with 201
	Deletes      int
	Sessions     int // live now
	VideoPackets int
	AudioPackets int
	// Units are the H.264 NAL types / VP8 key flags of the latest session's
	// video, in arrival order (rtpcheck.Units).
	Units []int
}

// Server is the WHIP ingest http.Handler.
type Server struct {
	opts Options
	api  *peer.API

	mu       sync.Mutex
	sessions map[string]*webrtc.PeerConnection
	stats    Stats
	changed  chan struct{}
	closed   bool
}

// New creates a Server; Close releases it.
func New(o Options) (*Server, error) {
	if o.Path == "" {
		o.Path = "/whip"
	}
	if o.GatherTimeout <= 0 {
		o.GatherTimeout = 5 * time.Second
	}
	api, err := peer.NewAPI(o.ICE)
	if err != nil {
		return nil, fmt.Errorf("ingest: %w", err)
	}
	return &Server{opts: o, api: api, sessions: map[string]*webrtc.PeerConnection{}, changed: make(chan struct{}, 1)}, nil
}

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.Sessions = len(s.sessions)
	st.Units = append([]int(nil), s.stats.Units...)
	return st
}

// Changed is signalled (without blocking) whenever the stats change.
func (s *Server) Changed() <-chan struct{} { return s.changed }

func (s *Server) update(fn func(*Stats)) {
	s.mu.Lock()
	fn(&s.stats)
	s.mu.Unlock()
	select {
	case s.changed <- struct{}{}:
	default:
	}
}

// Close ends every publication and refuses new ones.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	pcs := s.sessions
	s.sessions = map[string]*webrtc.PeerConnection{}
	s.mu.Unlock()
	var errs []error
	for _, pc := range pcs {
		if err := pc.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	errs = append(errs, s.api.Close())
	return errors.Join(errs...)
}

// Vanish drops off the network without closing anything: with
// ICE.UDPMuxAddr set, the shared UDP socket closes, so publishers see only
// ICE consent fail (a crashed server). Close still has to be called.
func (s *Server) Vanish() error { return s.api.Close() }

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == s.opts.Path && r.Method == http.MethodPost:
		s.update(func(st *Stats) { st.Posts++ })
		if !s.authorized(w, r) {
			return
		}
		s.publish(w, r)
	case strings.HasPrefix(r.URL.Path, s.opts.Path+"/") && r.Method == http.MethodDelete:
		if !s.authorized(w, r) {
			return
		}
		id := strings.TrimPrefix(r.URL.Path, s.opts.Path+"/")
		s.mu.Lock()
		pc := s.sessions[id]
		delete(s.sessions, id)
		s.mu.Unlock()
		if pc == nil {
			http.Error(w, "no such session", http.StatusNotFound)
			return
		}
		_ = pc.Close()
		s.update(func(st *Stats) { st.Deletes++ })
		w.WriteHeader(http.StatusOK)
	default:
		http.Error(w, "not found", http.StatusNotFound)
	}
}

func (s *Server) authorized(w http.ResponseWriter, r *http.Request) bool {
	if wish.Authorize(w, r, s.opts.Token, "ingest") {
		return true
	}
	s.update(func(st *Stats) { st.Unauthorized++ })
	return false
}

func (s *Server) publish(w http.ResponseWriter, r *http.Request) {
	offer, ok := wish.ReadBody(w, r, wish.ContentTypeSDP, 64<<10)
	if !ok {
		return
	}
	pc, err := s.api.NewPeerConnection()
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	pc.OnTrack(func(t *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		mimeType, video := t.Codec().MimeType, t.Kind() == webrtc.RTPCodecTypeVideo
		for {
			p, _, err := t.ReadRTP()
			if err != nil {
				return
			}
			s.update(func(st *Stats) {
				if video {
					st.VideoPackets++
					st.Units = append(st.Units, rtpcheck.Units(mimeType, p.Payload)...)
				} else {
					st.AudioPackets++
				}
			})
		}
	})
	answer, err := answer(pc, string(offer), s.opts.GatherTimeout)
	if err != nil {
		_ = pc.Close()
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var idb [8]byte
	_, _ = rand.Read(idb[:])
	id := hex.EncodeToString(idb[:])
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		_ = pc.Close()
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	s.sessions[id] = pc
	s.mu.Unlock()
	s.update(func(st *Stats) { st.Publishes++; st.Units = nil })
	w.Header().Set("Content-Type", "application/sdp")
	w.Header().Set("Location", s.opts.Path+"/"+id)
	w.Header().Set("ETag", `"`+id+`"`)
	w.WriteHeader(http.StatusCreated)
	_, _ = io.WriteString(w, answer)
}

func answer(pc *webrtc.PeerConnection, offer string, gather time.Duration) (string, error) {
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return "", fmt.Errorf("bad offer: %w", err)
	}
	ans, err := pc.CreateAnswer(nil)
	if err != nil {
		return "", fmt.Errorf("create answer: %w", err)
	}
	done := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(ans); err != nil {
		return "", fmt.Errorf("set answer: %w", err)
	}
	select {
	case <-done:
	case <-time.After(gather):
	}
	return pc.LocalDescription().SDP, nil
}
