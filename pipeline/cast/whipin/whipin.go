// Package whipin is nedcast's WHIP ingest endpoint (plain Go on pion): OBS
// (30+) or a browser publishes H.264 video and Opus audio to it, and the
// RTP packets are handed, unchanged, to the caller (nedcast pushes them into
// its pipeline's appsrcs, where rtpjitterbuffer, the depayloaders and the
// decoders take over). One publisher at a time: a new publication replaces
// the previous one (a publisher that reconnects must not be locked out by
// its own stale session).
package whipin

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

	"github.com/nedstream/nedstream/pipeline/webrtc/peer"
	"github.com/nedstream/nedstream/pipeline/webrtc/wish"
	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
)

// EventType names a publisher event.
type EventType string

// Event types.
const (
	// EventPublish: a publisher's offer was answered.
	EventPublish EventType = "publish"
	// EventConnected: its PeerConnection connected (media flows).
	EventConnected EventType = "connected"
	// EventEnded: it ended (DELETE, ICE failure, replaced, Close).
	EventEnded EventType = "ended"
)

// Event reports a change of a publication.
type Event struct {
	Type       EventType
	ID         string
	RemoteAddr string
	Reason     string
}

// Options configure a Server.
type Options struct {
	// Path is the endpoint (default "/whip").
	Path string
	// Token, when set, is required as a bearer token.
	Token string
	// ICE configures the server's candidates.
	ICE peer.Options
	// GatherTimeout bounds ICE gathering before answering (default 5 s).
	GatherTimeout time.Duration
	// KeyframeInterval is how often a keyframe (RTCP PLI) is requested from
	// the publisher, so that a decoder never waits long (default 5 s; the
	// first request goes out as soon as the video track starts).
	KeyframeInterval time.Duration
	// OnVideo and OnAudio receive every RTP packet (the slice is only valid
	// during the call). They run on pion's read goroutines.
	OnVideo, OnAudio func(packet []byte)
	// OnEvent, when set, is told about publications.
	OnEvent func(Event)
}

// Server is the WHIP ingest http.Handler.
type Server struct {
	opts Options
	api  *peer.API

	mu      sync.Mutex
	id      string
	pc      *webrtc.PeerConnection
	closed  bool
	publish int
}

// H264 are the H.264 variants the ingest answers with (packetization mode
// 1, the profiles OBS and browsers offer). Their payload types are the
// defaults of pion's media engine; the answer keeps the offer's numbers.
var H264 = []webrtc.RTPCodecParameters{
	h264(102, "42001f"), h264(106, "42e01f"), h264(127, "4d001f"), h264(112, "64001f"),
}

func h264(pt webrtc.PayloadType, profile string) webrtc.RTPCodecParameters {
	return webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000,
			SDPFmtpLine:  "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=" + profile,
			RTCPFeedback: []webrtc.RTCPFeedback{{Type: "goog-remb"}, {Type: "ccm", Parameter: "fir"}, {Type: "nack"}, {Type: "nack", Parameter: "pli"}}},
		PayloadType: pt,
	}
}

// New creates a Server; Close releases it.
func New(o Options) (*Server, error) {
	if o.Path == "" {
		o.Path = "/whip"
	}
	if o.GatherTimeout <= 0 {
		o.GatherTimeout = 5 * time.Second
	}
	if o.KeyframeInterval <= 0 {
		o.KeyframeInterval = 5 * time.Second
	}
	api, err := peer.NewAPI(o.ICE)
	if err != nil {
		return nil, fmt.Errorf("whip ingest: %w", err)
	}
	return &Server{opts: o, api: api}, nil
}

// Publishers returns the number of live publications (0 or 1).
func (s *Server) Publishers() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pc != nil {
		return 1
	}
	return 0
}

// Close ends the publication and refuses new ones.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	pc, id := s.pc, s.id
	s.pc, s.id = nil, ""
	s.mu.Unlock()
	var errs []error
	if pc != nil {
		errs = append(errs, pc.Close())
		s.event(Event{Type: EventEnded, ID: id, Reason: "server closed"})
	}
	errs = append(errs, s.api.Close())
	return errors.Join(errs...)
}

func (s *Server) event(e Event) {
	if s.opts.OnEvent != nil {
		s.opts.OnEvent(e)
	}
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == s.opts.Path && r.Method == http.MethodPost:
		if !s.authorized(w, r) {
			return
		}
		s.post(w, r)
	case strings.HasPrefix(r.URL.Path, s.opts.Path+"/") && r.Method == http.MethodDelete:
		if !s.authorized(w, r) {
			return
		}
		id := strings.TrimPrefix(r.URL.Path, s.opts.Path+"/")
		if !s.end(id, "deleted by the publisher") {
			http.Error(w, "no such session", http.StatusNotFound)
			return
		}
		w.WriteHeader(http.StatusOK)
	case strings.HasPrefix(r.URL.Path, s.opts.Path+"/") && r.Method == http.MethodPatch:
		// Trickle ICE is not supported: the answer carries every candidate.
		w.Header().Set("Allow", "POST, DELETE, OPTIONS")
		http.Error(w, "trickle ICE is not supported; send a complete offer", http.StatusMethodNotAllowed)
	case r.Method == http.MethodOptions:
		w.Header().Set("Allow", "POST, DELETE, OPTIONS")
		w.Header().Set("Accept-Post", "application/sdp")
		w.WriteHeader(http.StatusNoContent)
	default:
		w.Header().Set("Allow", "POST, DELETE, OPTIONS")
		http.Error(w, "WHIP endpoint: POST an SDP offer to "+s.opts.Path, http.StatusMethodNotAllowed)
	}
}

func (s *Server) authorized(w http.ResponseWriter, r *http.Request) bool {
	return wish.Authorize(w, r, s.opts.Token, "nedcast")
}

// end closes the session id ("" matches any); false when it is not current.
func (s *Server) end(id, reason string) bool {
	s.mu.Lock()
	if s.pc == nil || (id != "" && id != s.id) {
		s.mu.Unlock()
		return false
	}
	pc, old := s.pc, s.id
	s.pc, s.id = nil, ""
	s.mu.Unlock()
	_ = pc.Close()
	s.event(Event{Type: EventEnded, ID: old, Reason: reason})
	return true
}

func (s *Server) post(w http.ResponseWriter, r *http.Request) {
	offer, ok := wish.ReadBody(w, r, wish.ContentTypeSDP, 64<<10)
	if !ok {
		return
	}
	pc, err := s.api.NewPeerConnection()
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	var idb [8]byte
	_, _ = rand.Read(idb[:])
	id := hex.EncodeToString(idb[:])
	pc.OnTrack(func(t *webrtc.TrackRemote, _ *webrtc.RTPReceiver) { s.read(pc, t) })
	pc.OnConnectionStateChange(func(st webrtc.PeerConnectionState) {
		switch st {
		case webrtc.PeerConnectionStateConnected:
			s.event(Event{Type: EventConnected, ID: id, RemoteAddr: r.RemoteAddr})
		case webrtc.PeerConnectionStateFailed, webrtc.PeerConnectionStateClosed:
			s.end(id, "connection "+st.String())
		}
	})
	answer, err := s.answer(pc, string(offer))
	if err != nil {
		_ = pc.Close()
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		_ = pc.Close()
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	oldPC, oldID := s.pc, s.id
	s.pc, s.id = pc, id
	s.publish++
	s.mu.Unlock()
	if oldPC != nil {
		_ = oldPC.Close()
		s.event(Event{Type: EventEnded, ID: oldID, Reason: "replaced by a new publication"})
	}
	s.event(Event{Type: EventPublish, ID: id, RemoteAddr: r.RemoteAddr})
	w.Header().Set("Content-Type", "application/sdp")
	w.Header().Set("Location", s.opts.Path+"/"+id)
	w.Header().Set("ETag", `"`+id+`"`)
	w.WriteHeader(http.StatusCreated)
	_, _ = io.WriteString(w, answer)
}

// read forwards a track's packets until it ends; for video it asks for a
// keyframe at once and then every KeyframeInterval.
func (s *Server) read(pc *webrtc.PeerConnection, t *webrtc.TrackRemote) {
	video := t.Kind() == webrtc.RTPCodecTypeVideo
	fn := s.opts.OnAudio
	if video {
		fn = s.opts.OnVideo
		done := make(chan struct{})
		defer close(done)
		go func() {
			tick := time.NewTicker(s.opts.KeyframeInterval)
			defer tick.Stop()
			for {
				if err := pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: uint32(t.SSRC())}}); err != nil {
					return
				}
				select {
				case <-done:
					return
				case <-tick.C:
				}
			}
		}()
	}
	buf := make([]byte, 1600)
	for {
		n, _, err := t.Read(buf)
		if err != nil {
			return
		}
		if fn != nil {
			fn(buf[:n])
		}
	}
}

func (s *Server) answer(pc *webrtc.PeerConnection, offer string) (string, error) {
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return "", fmt.Errorf("bad offer: %w", err)
	}
	hasVideo := false
	for _, tr := range pc.GetTransceivers() {
		if tr.Kind() != webrtc.RTPCodecTypeVideo {
			continue
		}
		if err := tr.SetCodecPreferences(H264); err != nil {
			return "", fmt.Errorf("the offer has no H.264 (packetization-mode=1) video: nedcast's WHIP ingest takes H.264 video and Opus audio: %w", err)
		}
		hasVideo = true
	}
	if !hasVideo {
		return "", errors.New("the offer has no video: nedcast's WHIP ingest takes H.264 video (and Opus audio)")
	}
	ans, err := pc.CreateAnswer(nil)
	if err != nil {
		return "", fmt.Errorf("create answer (nedcast's WHIP ingest takes H.264 video and Opus audio): %w", err)
	}
	done := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(ans); err != nil {
		return "", fmt.Errorf("set answer: %w", err)
	}
	select {
	case <-done:
	case <-time.After(s.opts.GatherTimeout):
	}
	return pc.LocalDescription().SDP, nil
}
