package wish

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestBearerOK(t *testing.T) {
	for _, c := range []struct {
		header, token string
		want          bool
	}{
		{"", "", true},
		{"Bearer anything", "", true},
		{"Bearer s3cret", "s3cret", true},
		{"bearer s3cret", "s3cret", true},
		{"BEARER  s3cret ", "s3cret", true},
		{"Bearer s3cre", "s3cret", false},
		{"Bearer s3cret2", "s3cret", false},
		{"Basic s3cret", "s3cret", false},
		{"s3cret", "s3cret", false},
		{"Bearer ", "s3cret", false},
		{"", "s3cret", false},
	} {
		r := httptest.NewRequest(http.MethodPost, "/", nil)
		if c.header != "" {
			r.Header.Set("Authorization", c.header)
		}
		if got := BearerOK(r, c.token); got != c.want {
			t.Errorf("header %q token %q: %v, want %v", c.header, c.token, got, c.want)
		}
	}
}

func TestAuthorizeAnswers401(t *testing.T) {
	r := httptest.NewRequest(http.MethodPost, "/", nil)
	r.Header.Set("Authorization", "Bearer wrong")
	w := httptest.NewRecorder()
	if Authorize(w, r, "right", "nedstream") {
		t.Fatal("wrong token accepted")
	}
	if w.Code != http.StatusUnauthorized || w.Header().Get("WWW-Authenticate") != `Bearer realm="nedstream"` {
		t.Errorf("got %d %q", w.Code, w.Header().Get("WWW-Authenticate"))
	}
	if strings.Contains(w.Body.String(), "right") || strings.Contains(w.Body.String(), "wrong") {
		t.Errorf("the answer leaks a token: %q", w.Body.String())
	}
}

func TestReadBody(t *testing.T) {
	post := func(ct, body string, chunked bool) (*httptest.ResponseRecorder, []byte, bool) {
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		if ct != "" {
			r.Header.Set("Content-Type", ct)
		}
		if chunked {
			r.ContentLength = -1 // the size check must not rely on the header
		}
		w := httptest.NewRecorder()
		b, ok := ReadBody(w, r, ContentTypeSDP, 16)
		return w, b, ok
	}
	if w, b, ok := post("application/sdp; charset=utf-8", "v=0\r\n", false); !ok || string(b) != "v=0\r\n" {
		t.Errorf("good body: %v %q (%d %s)", ok, b, w.Code, w.Body)
	}
	for _, c := range []struct {
		name, ct, body string
		chunked        bool
		code           int
	}{
		{"no type", "", "v=0", false, http.StatusUnsupportedMediaType},
		{"wrong type", "text/plain", "v=0", false, http.StatusUnsupportedMediaType},
		{"bad type", "application/", "v=0", false, http.StatusUnsupportedMediaType},
		{"too large", ContentTypeSDP, strings.Repeat("a", 17), false, http.StatusRequestEntityTooLarge},
		{"too large, no length", ContentTypeSDP, strings.Repeat("a", 17), true, http.StatusRequestEntityTooLarge},
	} {
		w, _, ok := post(c.ct, c.body, c.chunked)
		if ok || w.Code != c.code || !strings.HasSuffix(w.Body.String(), "\n") {
			t.Errorf("%s: ok %v, %d %q; want %d", c.name, ok, w.Code, w.Body, c.code)
		}
	}
}
