// Package wish holds the HTTP side that the project's WHIP and WHEP servers
// (RFC 9725 and draft-ietf-wish-whep, both from the IETF WISH group) share:
// bearer-token checks, reading an SDP (or SDP fragment) body with a type
// and size check, and plain-text error answers. It is a few functions, not
// a framework: each server keeps its own routing and session model.
package wish

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

// Content types of the WISH protocols.
const (
	// ContentTypeSDP is an offer or answer.
	ContentTypeSDP = "application/sdp"
	// ContentTypeTrickle is a trickle-ICE SDP fragment (RFC 8840).
	ContentTypeTrickle = "application/trickle-ice-sdpfrag"
)

// Error answers with a plain-text message and status code.
func Error(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_, _ = io.WriteString(w, msg+"\n")
}

// BearerOK reports whether r carries token as its bearer token
// (Authorization: Bearer <token>, the scheme in any case, RFC 6750). An
// empty token means no authentication: every request passes. The compare
// runs in constant time over SHA-256 hashes, so neither the token nor its
// length leaks through timing.
func BearerOK(r *http.Request, token string) bool {
	if token == "" {
		return true
	}
	h := r.Header.Get("Authorization")
	if len(h) <= len("bearer ") || !strings.EqualFold(h[:len("bearer ")], "bearer ") {
		return false
	}
	got := strings.TrimSpace(h[len("bearer "):])
	a, b := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(token))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1 && got != ""
}

// Authorize is BearerOK that answers 401 (with WWW-Authenticate naming
// realm, and nothing about what was wrong) when the check fails.
func Authorize(w http.ResponseWriter, r *http.Request, token, realm string) bool {
	if BearerOK(r, token) {
		return true
	}
	w.Header().Set("WWW-Authenticate", fmt.Sprintf("Bearer realm=%q", realm))
	Error(w, http.StatusUnauthorized, "unauthorized")
	return false
}

// ReadBody checks that r's body has content type want and at most max
// bytes, and reads it. On failure it has already answered (415, 413 or
// 400 with a message saying what to fix) and returns false.
func ReadBody(w http.ResponseWriter, r *http.Request, want string, max int64) ([]byte, bool) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != want {
		Error(w, http.StatusUnsupportedMediaType, "content type must be "+want)
		return nil, false
	}
	tooLarge := fmt.Sprintf("body larger than %d bytes", max)
	if r.ContentLength > max {
		Error(w, http.StatusRequestEntityTooLarge, tooLarge)
		return nil, false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
	if err != nil {
		if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
			Error(w, http.StatusRequestEntityTooLarge, tooLarge)
		} else {
			Error(w, http.StatusBadRequest, "reading the body failed")
		}
		return nil, false
	}
	return body, true
}
