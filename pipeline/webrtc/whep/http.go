package whep

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/nedstream/nedstream/pipeline/webrtc/wish"
)

// httpError answers with a plain-text message.
func httpError(w http.ResponseWriter, code int, msg string) { wish.Error(w, code, msg) }

// authorized checks the bearer token (wish.Authorize: constant time, 401
// without saying what was wrong).
func (s *Server) authorized(w http.ResponseWriter, r *http.Request) bool {
	return wish.Authorize(w, r, s.opts.Token, "nedstream")
}

// readBody checks the content type and reads at most MaxBodyBytes,
// answering 415 or 413 itself.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request, want string) ([]byte, bool) {
	return wish.ReadBody(w, r, want, s.opts.MaxBodyBytes)
}

// cors adds CORS headers for an allowed Origin.
func (s *Server) cors(w http.ResponseWriter, r *http.Request) {
	origin := r.Header.Get("Origin")
	if origin == "" || len(s.opts.AllowedOrigins) == 0 {
		return
	}
	allowed := ""
	for _, o := range s.opts.AllowedOrigins {
		if o == "*" {
			allowed = "*"
			break
		}
		if strings.EqualFold(strings.TrimSuffix(o, "/"), origin) {
			allowed = origin
			break
		}
	}
	if allowed == "" {
		return
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", allowed)
	if allowed != "*" {
		h.Add("Vary", "Origin")
	}
	h.Set("Access-Control-Allow-Methods", "OPTIONS, POST, PATCH, DELETE")
	h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, If-Match")
	h.Set("Access-Control-Expose-Headers", "Location, ETag, Link, Accept-Patch")
	h.Set("Access-Control-Max-Age", "600")
}

// linkHeaders formats the ICE servers as RFC 9725 section 4.6 Link headers.
func (s *Server) linkHeaders(w http.ResponseWriter) {
	if !s.opts.AdvertiseICEServers {
		return
	}
	for _, is := range s.opts.ICE.ICEServers {
		for _, u := range is.URLs {
			v := fmt.Sprintf(`<%s>; rel="ice-server"`, u)
			if is.Username != "" {
				v += fmt.Sprintf(`; username=%q; credential=%q; credential-type="password"`, is.Username, is.Credential)
			}
			w.Header().Add("Link", v)
		}
	}
}
