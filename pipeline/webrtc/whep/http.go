package whep

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
)

func httpError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_, _ = io.WriteString(w, msg+"\n")
}

// authorized checks the bearer token in constant time (hashes of equal
// length are compared, so the token length does not leak either). On
// failure it answers 401 without saying what was wrong.
func (s *Server) authorized(w http.ResponseWriter, r *http.Request) bool {
	if s.opts.Token == "" {
		return true
	}
	got := ""
	if h := r.Header.Get("Authorization"); len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		got = strings.TrimSpace(h[7:])
	}
	a := sha256.Sum256([]byte(got))
	b := sha256.Sum256([]byte(s.opts.Token))
	if subtle.ConstantTimeCompare(a[:], b[:]) == 1 && got != "" {
		return true
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="nedstream"`)
	httpError(w, http.StatusUnauthorized, "unauthorized")
	return false
}

// readBody checks the content type and reads at most MaxBodyBytes,
// answering 415 or 413 itself.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request, want string) ([]byte, bool) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != want {
		httpError(w, http.StatusUnsupportedMediaType, fmt.Sprintf("content type must be %s", want))
		return nil, false
	}
	if r.ContentLength > s.opts.MaxBodyBytes {
		httpError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("body larger than %d bytes", s.opts.MaxBodyBytes))
		return nil, false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			httpError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("body larger than %d bytes", s.opts.MaxBodyBytes))
		} else {
			httpError(w, http.StatusBadRequest, "reading body failed")
		}
		return nil, false
	}
	return body, true
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
