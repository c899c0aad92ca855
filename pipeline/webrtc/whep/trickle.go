package whep

import (
	"net/http"
	"strings"

	"github.com/pion/webrtc/v4"
)

// patch applies a trickle-ice-sdpfrag (RFC 8840) from the viewer: its late
// candidates are added. The server's own candidates are all in the answer,
// so the response is 204 without a body. ICE restarts (a new ufrag) are
// refused with 501: the viewer starts a new session instead.
func (s *Server) patch(w http.ResponseWriter, r *http.Request, id string) {
	if !s.authorized(w, r) {
		return
	}
	ss := s.lookup(id)
	if ss == nil || !ss.registered.Load() {
		httpError(w, http.StatusNotFound, "no such session")
		return
	}
	if m := r.Header.Get("If-Match"); m != "" && m != "*" && m != ss.etag {
		httpError(w, http.StatusPreconditionFailed, "ETag does not match the session")
		return
	}
	body, ok := s.readBody(w, r, "application/trickle-ice-sdpfrag")
	if !ok {
		return
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ufrag := remoteUfrag(ss.pc)
	mid := ""
	var cands []webrtc.ICECandidateInit
	for _, line := range strings.Split(string(body), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "a=ice-ufrag:"):
			if u := strings.TrimPrefix(line, "a=ice-ufrag:"); ufrag != "" && u != ufrag {
				httpError(w, http.StatusNotImplemented, "ICE restart is not supported: start a new session")
				return
			}
		case strings.HasPrefix(line, "a=mid:"):
			mid = strings.TrimPrefix(line, "a=mid:")
		case strings.HasPrefix(line, "a=candidate:"):
			c := webrtc.ICECandidateInit{Candidate: strings.TrimPrefix(line, "a=")}
			if mid != "" {
				m := mid
				c.SDPMid = &m
			}
			cands = append(cands, c)
		}
	}
	for _, c := range cands {
		if err := ss.pc.AddICECandidate(c); err != nil {
			httpError(w, http.StatusBadRequest, "bad candidate: "+err.Error())
			return
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

func remoteUfrag(pc *webrtc.PeerConnection) string {
	rd := pc.RemoteDescription()
	if rd == nil {
		return ""
	}
	for _, line := range strings.Split(rd.SDP, "\n") {
		if u, ok := strings.CutPrefix(strings.TrimSpace(line), "a=ice-ufrag:"); ok {
			return u
		}
	}
	return ""
}
