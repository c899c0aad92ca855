// Package webrtcbinpeer is a WHIP endpoint backed by GStreamer's webrtcbin
// (with libnice): an independent WebRTC implementation that receives what
// nedwhipsink publishes and decodes it, for tests. It is plain GStreamer C
// driven from Go; it never loads the nedstream plugin.
package webrtcbinpeer

// #cgo pkg-config: gstreamer-1.0 gstreamer-sdp-1.0 gstreamer-webrtc-1.0
// #include <stdlib.h>
// #include "peer.h"
import "C"

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"unsafe"
)

// Init initialises GStreamer in this process.
func Init() error {
	var cerr *C.char
	if C.ned_wb_init(&cerr) == 0 {
		defer C.free(unsafe.Pointer(cerr))
		return fmt.Errorf("gstreamer init: %s", C.GoString(cerr))
	}
	return nil
}

// peer is one webrtcbin session.
type peer struct{ p *C.NedWbPeer }

func newPeer() (*peer, error) {
	var cerr *C.char
	p := C.ned_wb_new(&cerr)
	if p == nil {
		defer C.free(unsafe.Pointer(cerr))
		return nil, errors.New(C.GoString(cerr))
	}
	return &peer{p: p}, nil
}

func (p *peer) answer(offer string) (string, error) {
	co := C.CString(offer)
	defer C.free(unsafe.Pointer(co))
	var cerr *C.char
	ans := C.ned_wb_answer(p.p, co, 10000, &cerr)
	if ans == nil {
		defer C.free(unsafe.Pointer(cerr))
		return "", errors.New(C.GoString(cerr))
	}
	defer C.g_free(C.gpointer(ans))
	return C.GoString(ans), nil
}

func (p *peer) frames() uint64 { return uint64(C.ned_wb_frames(p.p)) }

func (p *peer) caps() string {
	c := C.ned_wb_caps(p.p)
	if c == nil {
		return ""
	}
	defer C.g_free(C.gpointer(c))
	return C.GoString(c)
}

// Server is a WHIP endpoint: POST an offer at any path -> 201 with the
// webrtcbin answer and Location {path}/{n}; DELETE {path}/{n} ends it.
type Server struct {
	mu      sync.Mutex
	peers   map[string]*peer
	next    int
	posts   int
	deletes int
	errs    []string
	offer   string
	answer  string
}

// NewServer returns an empty Server.
func NewServer() *Server { return &Server{peers: map[string]*peer{}} }

// ServeHTTP implements the WHIP resource model.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodPost:
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<16))
		if err != nil || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/sdp") {
			http.Error(w, "want an application/sdp offer", http.StatusBadRequest)
			return
		}
		p, err := newPeer()
		if err != nil {
			s.fail(err)
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		ans, err := p.answer(string(body))
		if err != nil {
			C.ned_wb_free(p.p)
			s.fail(err)
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		s.next++
		s.posts++
		id := strconv.Itoa(s.next)
		s.peers[id] = p
		s.offer, s.answer = string(body), ans
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/sdp")
		w.Header().Set("Location", strings.TrimSuffix(r.URL.Path, "/")+"/"+id)
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, ans)
	case http.MethodDelete:
		id := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
		s.mu.Lock()
		_, ok := s.peers[id]
		if ok {
			s.deletes++
		}
		s.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(http.StatusOK) // the peer stays for Frames; Close frees it
	default:
		w.Header().Set("Allow", "POST, DELETE")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

func (s *Server) fail(err error) {
	s.mu.Lock()
	s.errs = append(s.errs, err.Error())
	s.mu.Unlock()
}

// Stats are what the server saw.
type Stats struct {
	Posts, Deletes int
	// Frames counts decoded video frames over every session.
	Frames uint64
	// Caps are the decoded video caps of the first session with video.
	Caps   string
	Errors []string
	// Offer and Answer are the last session's SDP.
	Offer, Answer string
}

// Stats returns a snapshot.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Stats{Posts: s.posts, Deletes: s.deletes, Errors: append([]string(nil), s.errs...), Offer: s.offer, Answer: s.answer}
	for _, p := range s.peers {
		st.Frames += p.frames()
		if st.Caps == "" {
			st.Caps = p.caps()
		}
	}
	return st
}

// Close stops every webrtcbin session.
func (s *Server) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, p := range s.peers {
		C.ned_wb_free(p.p)
		delete(s.peers, id)
	}
}
