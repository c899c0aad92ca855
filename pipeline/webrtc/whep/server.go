package whep

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/nedstream/nedstream/pipeline/webrtc/peer"
)

// Server is a WHEP endpoint (an http.Handler) plus the viewer page.
type Server struct {
	opts Options
	api  *peer.API
	page []byte

	mu       sync.Mutex
	sessions map[string]*session
	closed   bool
	httpSrv  *http.Server
	wg       sync.WaitGroup // session teardown goroutines
}

// New validates o and creates the server; it opens the single-port UDP
// socket when ICE.UDPMuxAddr is set. Close releases everything.
func New(o Options) (*Server, error) {
	if err := o.validate(); err != nil {
		return nil, fmt.Errorf("whep options: %w", err)
	}
	api, err := peer.NewAPI(o.ICE)
	if err != nil {
		return nil, fmt.Errorf("whep: %w", err)
	}
	s := &Server{opts: o, api: api, sessions: map[string]*session{}}
	if !o.DisableViewerPage {
		if s.page, err = renderPage(o.Path); err != nil {
			_ = api.Close()
			return nil, fmt.Errorf("whep: viewer page: %w", err)
		}
	}
	return s, nil
}

// Listen serves the handler on Options.Addr in the background and returns
// the bound address (useful with port 0).
func (s *Server) Listen() (net.Addr, error) {
	ln, err := net.Listen("tcp", s.opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("whep listen %s: %w", s.opts.Addr, err)
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	s.mu.Lock()
	if s.closed || s.httpSrv != nil {
		s.mu.Unlock()
		_ = ln.Close()
		return nil, errors.New("whep: server closed or already listening")
	}
	s.httpSrv = srv
	s.mu.Unlock()
	go func() { _ = srv.Serve(ln) }()
	return ln.Addr(), nil
}

// UDPMuxAddr is the single-port ICE address, nil without single-port mode.
func (s *Server) UDPMuxAddr() net.Addr { return s.api.UDPMuxAddr() }

// Sessions returns the live sessions sorted by creation time.
func (s *Server) Sessions() []SessionInfo {
	s.mu.Lock()
	list := make([]*session, 0, len(s.sessions))
	for _, ss := range s.sessions {
		list = append(list, ss)
	}
	s.mu.Unlock()
	out := make([]SessionInfo, 0, len(list))
	for _, ss := range list {
		out = append(out, ss.info())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Created.Before(out[j].Created) })
	return out
}

// Close ends every session, stops the listener started by Listen and
// releases the UDP socket. New requests get 503.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	list := make([]*session, 0, len(s.sessions))
	for _, ss := range s.sessions {
		list = append(list, ss)
	}
	srv := s.httpSrv
	s.mu.Unlock()

	var errs []error
	if srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		if err := srv.Shutdown(ctx); err != nil {
			_ = srv.Close()
		}
		cancel()
	}
	for _, ss := range list {
		s.remove(ss, "server closed")
	}
	s.wg.Wait()
	if err := s.api.Close(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.cors(w, r)
	p := r.URL.Path
	switch {
	case p == "/" && s.page != nil:
		s.servePage(w, r)
	case p == s.opts.Path:
		switch r.Method {
		case http.MethodOptions:
			w.Header().Set("Allow", "OPTIONS, POST")
			w.Header().Set("Accept-Post", "application/sdp")
			w.WriteHeader(http.StatusNoContent)
		case http.MethodPost:
			s.create(w, r)
		default:
			w.Header().Set("Allow", "OPTIONS, POST")
			httpError(w, http.StatusMethodNotAllowed, "use POST with an application/sdp offer")
		}
	case strings.HasPrefix(p, s.opts.Path+"/") && !strings.Contains(p[len(s.opts.Path)+1:], "/"):
		id := p[len(s.opts.Path)+1:]
		switch r.Method {
		case http.MethodOptions:
			w.Header().Set("Allow", "OPTIONS, PATCH, DELETE")
			w.Header().Set("Accept-Patch", "application/trickle-ice-sdpfrag")
			w.WriteHeader(http.StatusNoContent)
		case http.MethodDelete:
			s.delete(w, r, id)
		case http.MethodPatch:
			s.patch(w, r, id)
		default:
			w.Header().Set("Allow", "OPTIONS, PATCH, DELETE")
			httpError(w, http.StatusMethodNotAllowed, "a session resource accepts PATCH and DELETE")
		}
	default:
		httpError(w, http.StatusNotFound, "not found")
	}
}

func (s *Server) delete(w http.ResponseWriter, r *http.Request, id string) {
	if !s.authorized(w, r) {
		return
	}
	ss := s.lookup(id)
	if ss == nil {
		httpError(w, http.StatusNotFound, "no such session")
		return
	}
	s.remove(ss, "deleted")
	w.WriteHeader(http.StatusOK)
}

func (s *Server) lookup(id string) *session {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions[id]
}

// remove ends a session once: it leaves the table, the broadcaster and
// its PeerConnection closes.
func (s *Server) remove(ss *session, reason string) {
	if !ss.end() {
		return
	}
	s.mu.Lock()
	if s.sessions[ss.id] == ss {
		delete(s.sessions, ss.id)
	}
	s.mu.Unlock()
	ss.teardown()
	if s.opts.OnEvent != nil && ss.registered.Load() {
		s.opts.OnEvent(Event{Type: EventLeave, SessionID: ss.id, RemoteAddr: ss.remote, Reason: reason, Stats: ss.stats()})
	}
}

// removeAsync is used from pion callbacks, which must not wait on the
// PeerConnection they run on.
func (s *Server) removeAsync(ss *session, reason string) {
	if ss.ended.Load() {
		return // already removed (Close removes every session before waiting)
	}
	s.mu.Lock()
	if s.closed {
		// Close removes every session itself (sessions are registered
		// under s.mu, so its list has them all) and may already be in
		// wg.Wait: an Add now would race it (seen with -race in CI).
		s.mu.Unlock()
		return
	}
	s.wg.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		s.remove(ss, reason)
	}()
}
