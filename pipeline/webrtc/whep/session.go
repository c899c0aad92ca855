package whep

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"

	"github.com/nedstream/nedstream/pipeline/webrtc/fanout"
)

// session is one viewer: a PeerConnection and its fanout.Viewer.
type session struct {
	id, etag string
	remote   string
	created  time.Time

	pc     *webrtc.PeerConnection
	viewer *fanout.Viewer
	timer  *time.Timer

	registered atomic.Bool // answered with 201
	connected  atomic.Bool
	ended      atomic.Bool
	mu         sync.Mutex // pc, viewer, timer; serializes trickle
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func (ss *session) end() bool { return !ss.ended.Swap(true) }

func (ss *session) teardown() {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.timer != nil {
		ss.timer.Stop()
	}
	if ss.viewer != nil {
		_ = ss.viewer.Close()
	}
	if ss.pc != nil {
		_ = ss.pc.Close()
	}
}

func (ss *session) stats() fanout.ViewerStats {
	ss.mu.Lock()
	v := ss.viewer
	ss.mu.Unlock()
	if v == nil {
		return fanout.ViewerStats{ID: ss.id}
	}
	return v.Stats()
}

func (ss *session) info() SessionInfo {
	return SessionInfo{ID: ss.id, RemoteAddr: ss.remote, Created: ss.created, Connected: ss.connected.Load(), Stats: ss.stats()}
}

// reserve adds a pending session, enforcing the viewer limit.
func (s *Server) reserve(w http.ResponseWriter, r *http.Request) *session {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		httpError(w, http.StatusServiceUnavailable, "server is shutting down")
		return nil
	}
	if s.opts.MaxViewers > 0 && len(s.sessions) >= s.opts.MaxViewers {
		w.Header().Set("Retry-After", strconv.Itoa(int((s.opts.RetryAfter+time.Second-1)/time.Second)))
		httpError(w, http.StatusServiceUnavailable, fmt.Sprintf("viewer limit of %d reached", s.opts.MaxViewers))
		return nil
	}
	ss := &session{id: newID(), etag: `"` + newID() + `"`, remote: r.RemoteAddr, created: time.Now()}
	s.sessions[ss.id] = ss
	return ss
}

// offerMedia checks the offer parses and says whether it receives audio.
func offerMedia(offer []byte) (audio bool, err error) {
	var d sdp.SessionDescription
	if err := d.UnmarshalString(string(offer)); err != nil {
		return false, fmt.Errorf("malformed SDP offer: %w", err)
	}
	video := false
	for _, m := range d.MediaDescriptions {
		switch m.MediaName.Media {
		case "video":
			video = true
		case "audio":
			audio = true
		}
	}
	if !video {
		return false, fmt.Errorf("SDP offer has no video media section")
	}
	return audio, nil
}

func (s *Server) create(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(w, r) {
		return
	}
	offer, ok := s.readBody(w, r, "application/sdp")
	if !ok {
		return
	}
	audio, err := offerMedia(offer)
	if err != nil {
		httpError(w, http.StatusBadRequest, err.Error())
		return
	}
	ss := s.reserve(w, r)
	if ss == nil {
		return
	}
	answer, code, err := s.negotiate(r, ss, string(offer), audio)
	if err != nil {
		s.remove(ss, "negotiation failed")
		httpError(w, code, err.Error())
		return
	}
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		s.remove(ss, "server closed")
		httpError(w, http.StatusServiceUnavailable, "server is shutting down")
		return
	}
	ss.registered.Store(true)
	h := w.Header()
	h.Set("Content-Type", "application/sdp")
	h.Set("Location", s.opts.Path+"/"+ss.id)
	h.Set("ETag", ss.etag)
	h.Set("Accept-Patch", "application/trickle-ice-sdpfrag")
	s.linkHeaders(w)
	w.WriteHeader(http.StatusCreated)
	_, _ = w.Write([]byte(answer))
}

// negotiate answers the offer with every local candidate gathered.
func (s *Server) negotiate(r *http.Request, ss *session, offer string, audio bool) (string, int, error) {
	pc, err := s.api.NewPeerConnection()
	if err != nil {
		return "", http.StatusInternalServerError, fmt.Errorf("creating the peer connection failed")
	}
	ss.mu.Lock()
	ss.pc = pc
	ss.mu.Unlock()
	if ss.ended.Load() { // Close raced with this request
		_ = pc.Close()
		return "", http.StatusServiceUnavailable, fmt.Errorf("server is shutting down")
	}
	pc.OnConnectionStateChange(func(st webrtc.PeerConnectionState) {
		switch st {
		case webrtc.PeerConnectionStateConnected:
			ss.mu.Lock()
			if ss.viewer != nil {
				ss.viewer.SetConnected(true)
			}
			ss.mu.Unlock()
			if !ss.connected.Swap(true) && s.opts.OnEvent != nil && !ss.ended.Load() {
				s.opts.OnEvent(Event{Type: EventJoin, SessionID: ss.id, RemoteAddr: ss.remote, Stats: ss.stats()})
			}
		case webrtc.PeerConnectionStateDisconnected:
			ss.mu.Lock()
			if ss.viewer != nil {
				ss.viewer.SetConnected(false)
			}
			ss.mu.Unlock()
		case webrtc.PeerConnectionStateFailed:
			s.removeAsync(ss, "ice failed")
		case webrtc.PeerConnectionStateClosed:
			s.removeAsync(ss, "connection closed")
		}
	})
	timer := time.AfterFunc(s.opts.ConnectTimeout, func() {
		if !ss.connected.Load() {
			s.removeAsync(ss, "connect timeout")
		}
	})
	ss.mu.Lock()
	ss.timer = timer
	ss.mu.Unlock()
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return "", http.StatusBadRequest, fmt.Errorf("offer not accepted: %w", err)
	}
	v, err := s.opts.Broadcaster.AddViewer(pc, fanout.ViewerOptions{ID: ss.id, NoAudio: !audio})
	if err != nil {
		return "", http.StatusServiceUnavailable, fmt.Errorf("stream unavailable: %w", err)
	}
	ss.mu.Lock()
	ss.viewer = v
	ss.mu.Unlock()
	if ss.ended.Load() {
		_ = v.Close()
		return "", http.StatusServiceUnavailable, fmt.Errorf("server is shutting down")
	}
	ans, err := pc.CreateAnswer(nil)
	if err != nil {
		return "", http.StatusBadRequest, fmt.Errorf("no answer to this offer (codecs or directions do not match): %w", err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(ans); err != nil {
		return "", http.StatusInternalServerError, fmt.Errorf("setting the answer failed: %w", err)
	}
	t := time.NewTimer(s.opts.GatherTimeout)
	defer t.Stop()
	select {
	case <-gathered:
	case <-t.C: // answer with what has been gathered
	case <-r.Context().Done():
		return "", http.StatusServiceUnavailable, fmt.Errorf("client went away")
	}
	ld := pc.LocalDescription()
	if ld == nil {
		return "", http.StatusInternalServerError, fmt.Errorf("no local description")
	}
	return ld.SDP, 0, nil
}
