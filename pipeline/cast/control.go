package cast

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"time"

	"github.com/nedstream/nedstream/pipeline/webrtc/wish"
)

// Settings are the live editing settings of the control API.
type Settings struct {
	Emotion      string  `json:"emotion"`
	Intensity    float64 `json:"intensity"`
	TransitionMS int     `json:"transition_ms"`
	// Reference is nedfilter's reference clip or style ("" when unset).
	Reference string `json:"reference"`
	// FaceOverrides give single faces (by track id) their own emotion and
	// intensity.
	FaceOverrides []FaceOverride `json:"face_overrides"`
}

// FaceOverride is one per-face setting.
type FaceOverride struct {
	TrackID   uint64  `json:"track_id"`
	Emotion   string  `json:"emotion"`
	Intensity float64 `json:"intensity"`
}

// SettingsUpdate is the body of PUT /api/settings: fields left out keep
// their value.
type SettingsUpdate struct {
	Emotion       *string         `json:"emotion"`
	Intensity     *float64        `json:"intensity"`
	TransitionMS  *int            `json:"transition_ms"`
	Reference     *string         `json:"reference"`
	FaceOverrides *[]FaceOverride `json:"face_overrides"`
}

// Validate checks the update's values.
func (u SettingsUpdate) Validate() error {
	var errs []error
	if u.Emotion != nil && !validEmotion(*u.Emotion) {
		errs = append(errs, fmt.Errorf("emotion %q: want one of %s", *u.Emotion, strings.Join(Emotions, ", ")))
	}
	if u.Intensity != nil && (*u.Intensity < 0 || *u.Intensity > 1) {
		errs = append(errs, fmt.Errorf("intensity %g: want 0..1", *u.Intensity))
	}
	if u.TransitionMS != nil && (*u.TransitionMS < 0 || *u.TransitionMS > 60000) {
		errs = append(errs, fmt.Errorf("transition_ms %d: want 0..60000", *u.TransitionMS))
	}
	if u.Reference != nil && strings.ContainsAny(*u.Reference, "\n\"") {
		errs = append(errs, errors.New("reference: must not contain quotes or line breaks"))
	}
	if u.FaceOverrides != nil {
		seen := map[uint64]bool{}
		for i, f := range *u.FaceOverrides {
			if !validEmotion(f.Emotion) {
				errs = append(errs, fmt.Errorf("face_overrides[%d]: emotion %q: want one of %s", i, f.Emotion, strings.Join(Emotions, ", ")))
			}
			if f.Intensity < 0 || f.Intensity > 1 {
				errs = append(errs, fmt.Errorf("face_overrides[%d]: intensity %g: want 0..1", i, f.Intensity))
			}
			if f.TrackID == 0 {
				errs = append(errs, fmt.Errorf("face_overrides[%d]: track_id must be a face's track id (> 0, see /api/status)", i))
			}
			if seen[f.TrackID] {
				errs = append(errs, fmt.Errorf("face_overrides[%d]: track %d given twice", i, f.TrackID))
			}
			seen[f.TrackID] = true
		}
	}
	return errors.Join(errs...)
}

// Status is the body of GET /api/status.
type Status struct {
	// State is starting, playing, retrying, stopping or stopped.
	State  string  `json:"state"`
	Input  string  `json:"input"`
	Uptime float64 `json:"uptime_seconds"`
	// Frames counts frames out of nedfilter; FPS is the last second's rate.
	Frames uint64  `json:"frames"`
	FPS    float64 `json:"fps"`
	// Faces is the number of faces on the latest frame; TrackIDs their ids.
	Faces    int      `json:"faces"`
	TrackIDs []uint64 `json:"track_ids"`
	// Dropped counts frames each output's queue dropped.
	Dropped map[string]uint64 `json:"dropped"`
	// LatencyMS holds nedfilter's mean per-stage times of the last
	// statistics interval (detect, landmarks, iris, blendshapes, pose, total,
	// element), in milliseconds.
	LatencyMS map[string]float64 `json:"latency_ms"`
	// Viewers is the number of WHEP viewers now.
	Viewers int `json:"viewers"`
	// WHIP is the WHIP output's state (connected, disconnected, error, "").
	WHIP string `json:"whip,omitempty"`
	// Publishers is the number of WHIP publishers (input whip).
	Publishers int `json:"publishers"`
	// BitrateKbps is the WebRTC encoder's output of the last second.
	BitrateKbps float64  `json:"bitrate_kbps"`
	Settings    Settings `json:"settings"`
	// Unavailable lists settings this nedfilter build does not have.
	Unavailable []string `json:"unavailable,omitempty"`
	// Warnings are the most recent warnings (at most 10).
	Warnings []string `json:"warnings"`
	// WHEPURL is the viewer page when WHEP is on.
	WHEPURL string `json:"whep_url,omitempty"`
}

// Backend is what the control server controls: the running pipeline.
type Backend interface {
	// Settings returns the current settings.
	Settings() Settings
	// Apply sets the element properties (effective from the next frame,
	// ramped over the transition) and returns the new settings and the
	// names of settings this nedfilter does not support (left unapplied).
	Apply(SettingsUpdate) (Settings, []string, error)
	// Status returns a snapshot of the pipeline's state.
	Status() Status
}

//go:embed page/index.html
var controlPage []byte

// ServerOptions configure a control Server.
type ServerOptions struct {
	// Token, when set, is required as "Authorization: Bearer TOKEN" by the
	// API and /metrics (compared in constant time).
	Token   string
	Backend Backend
	// Metrics is served at /metrics (nil: 404).
	Metrics http.Handler
	// WHEPAddr, when set, is the WHEP server the page's preview reaches
	// through /whep (proxied, so the page needs no CORS).
	WHEPAddr string
	// Ingest, when set, serves the WHIP ingest at /whip.
	Ingest http.Handler
	Logger *slog.Logger
}

// NewServer returns the control server's handler.
func NewServer(o ServerOptions) (http.Handler, error) {
	if o.Backend == nil {
		return nil, errors.New("control server: no backend")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write(controlPage)
	})
	auth := func(h http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if !wish.BearerOK(r, o.Token) {
				w.Header().Set("WWW-Authenticate", `Bearer realm="nedcast"`)
				writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "unauthorized: send Authorization: Bearer <token> (nedcast --token)"})
				return
			}
			h(w, r)
		}
	}
	mux.HandleFunc("GET /api/settings", auth(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, o.Backend.Settings())
	}))
	mux.HandleFunc("PUT /api/settings", auth(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
		if err != nil {
			writeJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"error": "body too large (64 KiB at most)"})
			return
		}
		var u SettingsUpdate
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&u); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "bad settings JSON: " + err.Error()})
			return
		}
		if err := u.Validate(); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		s, unavailable, err := o.Backend.Apply(u)
		if err != nil {
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": err.Error()})
			return
		}
		o.Logger.Info("settings changed", "emotion", s.Emotion, "intensity", s.Intensity, "transition_ms", s.TransitionMS,
			"reference", s.Reference, "face_overrides", len(s.FaceOverrides), "remote", r.RemoteAddr)
		writeJSON(w, http.StatusOK, struct {
			Settings
			Unavailable []string `json:"unavailable,omitempty"`
		}{s, unavailable})
	}))
	mux.HandleFunc("GET /api/status", auth(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, o.Backend.Status())
	}))
	if o.Metrics != nil {
		mux.Handle("GET /metrics", auth(o.Metrics.ServeHTTP))
	}
	if o.WHEPAddr != "" {
		target := &url.URL{Scheme: "http", Host: dialable(o.WHEPAddr)}
		proxy := httputil.NewSingleHostReverseProxy(target)
		proxy.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
			// The WHEP server starts with the stream's caps.
			w.Header().Set("Retry-After", "1")
			http.Error(w, "the WHEP server is not up yet: "+err.Error(), http.StatusServiceUnavailable)
		}
		mux.Handle("/whep", proxy)
		mux.Handle("/whep/", proxy)
	}
	if o.Ingest != nil {
		mux.Handle("/whip", o.Ingest)
		mux.Handle("/whip/", o.Ingest)
	}
	return mux, nil
}

// dialable turns a listen address (0.0.0.0:P, :P) into one to connect to.
func dialable(addr string) string {
	switch {
	case strings.HasPrefix(addr, ":"):
		return "127.0.0.1" + addr
	case strings.HasPrefix(addr, "0.0.0.0:"):
		return "127.0.0.1" + strings.TrimPrefix(addr, "0.0.0.0")
	case strings.HasPrefix(addr, "[::]:"):
		return "[::1]" + strings.TrimPrefix(addr, "[::]")
	}
	return addr
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// ReadHeaderTimeout bounds how long the control server waits for headers.
const ReadHeaderTimeout = 10 * time.Second
