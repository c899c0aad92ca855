package whep

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/nedstream/nedstream/pipeline/webrtc/peer"
)

const validOfferNoVideo = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=rtpmap:111 opus/48000/2\r\n"

func do(t *testing.T, method, url, ctype, body string, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	return res, string(b)
}

// TestBadRequests: malformed or unexpected requests get a 4xx with a clear
// message, never a panic or a session.
func TestBadRequests(t *testing.T) {
	r := newRig(t, rigOptions{tweak: func(o *Options) { o.MaxBodyBytes = 4096 }})
	cases := []struct {
		name, method, path, ctype, body string
		want                            int
		msg                             string
	}{
		{"wrong content type", "POST", "/whep", "text/plain", "v=0", 415, "application/sdp"},
		{"no content type", "POST", "/whep", "", "v=0", 415, "application/sdp"},
		{"malformed sdp", "POST", "/whep", "application/sdp", "hello", 400, "malformed SDP"},
		{"garbage sdp", "POST", "/whep", "application/sdp", "v=0\r\nm=video\r\n\x00\xff", 400, "malformed SDP"},
		{"no video", "POST", "/whep", "application/sdp", validOfferNoVideo, 400, "no video"},
		{"oversized", "POST", "/whep", "application/sdp", strings.Repeat("a", 5000), 413, "larger than 4096"},
		{"GET endpoint", "GET", "/whep", "", "", 405, "POST"},
		{"PUT resource", "PUT", "/whep/abc", "", "", 405, "PATCH and DELETE"},
		{"unknown resource", "DELETE", "/whep/abc", "", "", 404, "no such session"},
		{"unknown path", "GET", "/nope", "", "", 404, "not found"},
		{"POST page", "POST", "/", "", "", 405, "GET"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, body := do(t, tc.method, r.http.URL+tc.path, tc.ctype, tc.body, nil)
			if res.StatusCode != tc.want || !strings.Contains(body, tc.msg) {
				t.Fatalf("got %d %q, want %d mentioning %q", res.StatusCode, body, tc.want, tc.msg)
			}
		})
	}
	if n := len(r.srv.Sessions()); n != 0 {
		t.Fatalf("%d sessions left by bad requests", n)
	}
}

// TestOversizedChunked: a body without Content-Length is still cut at the limit.
func TestOversizedChunked(t *testing.T) {
	r := newRig(t, rigOptions{tweak: func(o *Options) { o.MaxBodyBytes = 1024 }})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pr, pw := io.Pipe()
	go func() {
		_, _ = pw.Write([]byte(strings.Repeat("x", 4096)))
		_ = pw.Close()
	}()
	req, _ := http.NewRequestWithContext(ctx, "POST", r.endpoint, pr)
	req.Header.Set("Content-Type", "application/sdp")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d, want 413", res.StatusCode)
	}
}

// TestCORS: preflights from allowed origins get the CORS headers browsers
// need (Location/ETag/Link exposed); other origins get none.
func TestCORS(t *testing.T) {
	r := newRig(t, rigOptions{tweak: func(o *Options) { o.AllowedOrigins = []string{"https://app.test"} }})
	hdr := map[string]string{"Origin": "https://app.test", "Access-Control-Request-Method": "POST"}
	res, _ := do(t, "OPTIONS", r.endpoint, "", "", hdr)
	h := res.Header
	if res.StatusCode != http.StatusNoContent || h.Get("Access-Control-Allow-Origin") != "https://app.test" ||
		!strings.Contains(h.Get("Access-Control-Expose-Headers"), "Location") ||
		!strings.Contains(h.Get("Access-Control-Expose-Headers"), "ETag") ||
		!strings.Contains(h.Get("Access-Control-Expose-Headers"), "Link") ||
		!strings.Contains(h.Get("Access-Control-Allow-Headers"), "Authorization") ||
		!strings.Contains(h.Get("Access-Control-Allow-Methods"), "DELETE") || h.Get("Accept-Post") != "application/sdp" {
		t.Fatalf("preflight: %d %v", res.StatusCode, h)
	}
	res, _ = do(t, "OPTIONS", r.endpoint, "", "", map[string]string{"Origin": "https://evil.test"})
	if res.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatal("CORS headers for a foreign origin")
	}
}

// TestViewerPage: "/" serves the embedded player pointed at the endpoint.
func TestViewerPage(t *testing.T) {
	r := newRig(t, rigOptions{tweak: func(o *Options) { o.Path = "/live/whep" }})
	res, body := do(t, "GET", r.http.URL+"/", "", "", nil)
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	for _, want := range []string{`"/live/whep"`, "RTCPeerConnection", "jitterBufferDelay", "Bearer", "scheduleReconnect"} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}

// TestTrickle: PATCH takes the viewer's late candidates (204), checks the
// ETag (412) and the content type (415), and refuses ICE restarts (501).
func TestTrickle(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r := newRig(t, rigOptions{})
	v := dial(t, ctx, r.endpoint, "", false)
	frag := "a=mid:0\r\na=candidate:1 1 udp 2130706431 127.0.0.1 40000 typ host\r\na=end-of-candidates\r\n"
	cases := []struct {
		name, ctype, body string
		hdr               map[string]string
		want              int
	}{
		{"candidate", "application/trickle-ice-sdpfrag", frag, map[string]string{"If-Match": v.ETag}, 204},
		{"wildcard etag", "application/trickle-ice-sdpfrag", frag, map[string]string{"If-Match": "*"}, 204},
		{"stale etag", "application/trickle-ice-sdpfrag", frag, map[string]string{"If-Match": `"old"`}, 412},
		{"wrong type", "application/sdp", frag, nil, 415},
		{"ice restart", "application/trickle-ice-sdpfrag", "a=ice-ufrag:new1\r\na=ice-pwd:newpasswordnewpassword12\r\n", nil, 501},
		{"bad candidate", "application/trickle-ice-sdpfrag", "a=mid:0\r\na=candidate:garbage\r\n", nil, 400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, body := do(t, "PATCH", v.Resource, tc.ctype, tc.body, tc.hdr)
			if res.StatusCode != tc.want {
				t.Fatalf("got %d %q, want %d", res.StatusCode, body, tc.want)
			}
		})
	}
}

// TestLinkHeaders: configured ICE servers are advertised as RFC 9725 Link
// headers, TURN credentials included.
func TestLinkHeaders(t *testing.T) {
	s := &Server{opts: Options{AdvertiseICEServers: true, ICE: peer.Options{ICEServers: []peer.ICEServer{
		{URLs: []string{"stun:192.0.2.1:3478"}},
		{URLs: []string{"turn:192.0.2.2:3478?transport=udp"}, Username: "u", Credential: "p"},
	}}}}
	rec := httptest.NewRecorder()
	s.linkHeaders(rec)
	got := rec.Header().Values("Link")
	want := []string{
		`<stun:192.0.2.1:3478>; rel="ice-server"`,
		`<turn:192.0.2.2:3478?transport=udp>; rel="ice-server"; username="u"; credential="p"; credential-type="password"`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("Link headers\n%q\nwant\n%q", got, want)
	}
}
