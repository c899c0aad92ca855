package nedwhepsink_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/websocket"
)

// NoBrowserEnv, when set to 1, skips the browser test (for machines without
// Debian's chromium; scripts/setup installs it, so CI runs the test).
const NoBrowserEnv = "NEDSTREAM_NO_BROWSER"

// cdp is a minimal Chrome DevTools Protocol client for one page target.
type cdp struct {
	ws   *websocket.Conn
	next int
}

func (c *cdp) call(method string, params any, result any) error {
	c.next++
	id := c.next
	if err := websocket.JSON.Send(c.ws, map[string]any{"id": id, "method": method, "params": params}); err != nil {
		return fmt.Errorf("cdp %s: %w", method, err)
	}
	for {
		var msg struct {
			ID     int             `json:"id"`
			Result json.RawMessage `json:"result"`
			Error  *struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := websocket.JSON.Receive(c.ws, &msg); err != nil {
			return fmt.Errorf("cdp %s: %w", method, err)
		}
		if msg.ID != id {
			continue // an event
		}
		if msg.Error != nil {
			return fmt.Errorf("cdp %s: %s", method, msg.Error.Message)
		}
		if result == nil {
			return nil
		}
		return json.Unmarshal(msg.Result, result)
	}
}

// eval runs an expression (awaiting a promise) in the page and decodes
// its JSON value into out.
func (c *cdp) eval(expr string, out any) error {
	var r struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text      string `json:"text"`
			Exception struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	if err := c.call("Runtime.evaluate", map[string]any{"expression": expr, "awaitPromise": true, "returnByValue": true}, &r); err != nil {
		return err
	}
	if r.ExceptionDetails != nil {
		return fmt.Errorf("page script: %s %s", r.ExceptionDetails.Text, r.ExceptionDetails.Exception.Description)
	}
	return json.Unmarshal(r.Result.Value, out)
}

// startChromium runs Debian's headless chromium on url and connects to the
// page over CDP.
func startChromium(t *testing.T, url string) *cdp {
	t.Helper()
	bin := ""
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			bin = p
			break
		}
	}
	if bin == "" {
		if os.Getenv(NoBrowserEnv) == "1" {
			t.Skipf("SKIPPED: no chromium and %s=1: the browser test did not run", NoBrowserEnv)
		}
		t.Fatalf("chromium not found: run scripts/setup (it installs Debian's chromium into the GStreamer root), "+
			"or set %s=1 to skip this test", NoBrowserEnv)
	}
	profile := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
		"--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--autoplay-policy=no-user-gesture-required", "--remote-debugging-port=0", "--remote-allow-origins=*",
		"--user-data-dir="+profile, url)
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start %s: %v", bin, err)
	}
	t.Cleanup(func() { cancel(); _ = cmd.Wait() })

	// chromium writes its debugging port to DevToolsActivePort.
	var port string
	deadline := time.Now().Add(20 * time.Second)
	for port == "" {
		if b, err := os.ReadFile(filepath.Join(profile, "DevToolsActivePort")); err == nil {
			port = strings.SplitN(string(b), "\n", 2)[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("chromium did not open its debugging port within 20 s:\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	var wsURL string
	for wsURL == "" {
		var targets []struct{ Type, URL, WebSocketDebuggerURL string }
		if res, err := http.Get("http://127.0.0.1:" + port + "/json/list"); err == nil {
			_ = json.NewDecoder(res.Body).Decode(&targets)
			res.Body.Close()
		}
		for _, tg := range targets {
			if tg.Type == "page" && strings.HasPrefix(tg.URL, url) {
				wsURL = tg.WebSocketDebuggerURL
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no page target for %s:\n%s", url, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	ws, err := websocket.Dial(wsURL, "", "http://127.0.0.1/")
	if err != nil {
		t.Fatalf("connect to chromium's page: %v", err)
	}
	t.Cleanup(func() { ws.Close() })
	return &cdp{ws: ws}
}

// pageReport is what the probe script reads from the viewer page.
type pageReport struct {
	Timeout        bool    `json:"timeout"`
	State          string  `json:"state"`
	VideoWidth     int     `json:"videoWidth"`
	VideoHeight    int     `json:"videoHeight"`
	Callbacks      int     `json:"callbacks"`      // requestVideoFrameCallback calls
	FramesBefore   int     `json:"framesBefore"`   // getVideoPlaybackQuality().totalVideoFrames at start
	FramesAfter    int     `json:"framesAfter"`    // ... and at the end
	MediaTimeStart float64 `json:"mediaTimeStart"` // currentTime
	MediaTimeEnd   float64 `json:"mediaTimeEnd"`
	Res            string  `json:"res"` // the page's own fields
	FPS            string  `json:"fps"`
	Latency        string  `json:"lat"`
	Codec          string  `json:"codec"`   // from getStats
	Decoder        string  `json:"decoder"` // decoderImplementation
	AnswerH264     bool    `json:"answerH264"`
	Offer          string  `json:"offer"`
}

// probe waits until the page's video element has played frames for ~2 s
// and the page shows its stats, or 20 s passed.
const probe = `new Promise((resolve) => {
  const v = document.getElementById("video");
  const t0 = performance.now();
  let callbacks = 0, started = 0, before = 0, mt0 = 0;
  const text = (id) => document.getElementById(id).textContent;
  if (v.requestVideoFrameCallback) {
    const cb = () => { callbacks++; v.requestVideoFrameCallback(cb); };
    v.requestVideoFrameCallback(cb);
  }
  const frames = () => v.getVideoPlaybackQuality ? v.getVideoPlaybackQuality().totalVideoFrames : 0;
  const finish = async (timeout) => {
    let codec = "", decoder = "";
    try {
      const stats = await pc.getStats();
      const ids = {};
      stats.forEach((s) => { if (s.type === "codec") ids[s.id] = s.mimeType; });
      stats.forEach((s) => { if (s.type === "inbound-rtp" && s.kind === "video") { codec = ids[s.codecId] || ""; decoder = s.decoderImplementation || ""; } });
    } catch (e) {}
    const sdp = (pc && pc.remoteDescription) ? pc.remoteDescription.sdp : "";
    resolve({ timeout, state: text("state"), videoWidth: v.videoWidth, videoHeight: v.videoHeight, callbacks,
      framesBefore: before, framesAfter: frames(), mediaTimeStart: mt0, mediaTimeEnd: v.currentTime,
      res: text("res"), fps: text("fps"), lat: text("lat"), codec, decoder,
      answerH264: /a=rtpmap:\d+ H264\//i.test(sdp), offer: (pc && pc.localDescription) ? pc.localDescription.sdp : "" });
  };
  const check = () => {
    const now = performance.now();
    if (!started && v.videoWidth > 0) { started = now; before = frames(); mt0 = v.currentTime; }
    const shown = text("res") !== "-" && text("fps") !== "-" && text("lat") !== "-";
    if (started && now - started > 2500 && shown) return finish(false);
    if (now - t0 > 20000) return finish(true);
    setTimeout(check, 100);
  };
  check();
})`

// TestBrowserViewer: Debian's headless Chromium opens the viewer page that
// nedwhepsink serves at / while gst-launch streams into it, for H.264 and
// VP8; the page's video element reports the stream's size and advancing
// frames, and the page shows resolution, fps and a latency estimate.
func TestBrowserViewer(t *testing.T) {
	for _, c := range []struct{ name, enc, mime string }{
		{"h264", "x264enc tune=zerolatency key-int-max=30 ! video/x-h264,profile=constrained-baseline ! h264parse ! " +
			"video/x-h264,stream-format=byte-stream,alignment=au", "video/H264"},
		{"vp8", "vp8enc deadline=1 keyframe-max-dist=30", "video/VP8"},
	} {
		t.Run(c.name, func(t *testing.T) {
			port := freePort(t)
			// 12 s of live video: long enough for chromium to start and play.
			done := launch(t, 60*time.Second, fmt.Sprintf("videotestsrc is-live=true num-buffers=360 ! "+
				"video/x-raw,format=I420,width=320,height=240,framerate=30/1 ! %s ! nedwhepsink address=127.0.0.1:%d", c.enc, port))
			url := fmt.Sprintf("http://127.0.0.1:%d/", port)
			deadline := time.Now().Add(30 * time.Second)
			for { // the server starts with the stream's caps
				res, err := http.Get(url)
				if err == nil {
					res.Body.Close()
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the viewer page never answered: %v\n%s", err, (<-done).Combined())
				}
				time.Sleep(50 * time.Millisecond)
			}
			page := startChromium(t, url)
			for ready := false; !ready; { // the page loads after the target appears
				if err := page.eval(`document.readyState === "complete" && document.getElementById("video") !== null`, &ready); err != nil || !ready {
					if time.Now().After(deadline) {
						t.Fatalf("the viewer page did not load in chromium: %v", err)
					}
					time.Sleep(100 * time.Millisecond)
				}
			}
			var r pageReport
			if err := page.eval(probe, &r); err != nil {
				t.Fatalf("%v\n%s", err, (<-done).Combined())
			}
			out := <-done
			if out.Err != nil && !errors.Is(out.Err, context.DeadlineExceeded) {
				t.Errorf("gst-launch: %v\n%s", out.Err, out.Combined())
			}
			offer := r.Offer
			r.Offer = ""
			t.Logf("page: %+v", r)
			if c.name == "h264" && !r.AnswerH264 {
				t.Fatalf("the answer to chromium has no H264: chromium offered no H.264 it can receive; its offer:\n%s", offer)
			}
			if r.Timeout {
				t.Fatalf("no playing video with page stats within 20 s: %+v\n%s", r, out.Combined())
			}
			if r.VideoWidth != 320 || r.VideoHeight != 240 {
				t.Errorf("video element size %dx%d, want 320x240", r.VideoWidth, r.VideoHeight)
			}
			if r.Res != "320x240" {
				t.Errorf("the page shows resolution %q, want 320x240", r.Res)
			}
			// ~2.5 s at 30 fps: expect well over 20 new frames by either measure.
			if r.Callbacks < 20 && r.FramesAfter-r.FramesBefore < 20 {
				t.Errorf("frames did not advance: %d frame callbacks, totalVideoFrames %d -> %d",
					r.Callbacks, r.FramesBefore, r.FramesAfter)
			}
			if r.MediaTimeEnd <= r.MediaTimeStart {
				t.Errorf("currentTime did not advance: %v -> %v", r.MediaTimeStart, r.MediaTimeEnd)
			}
			if !strings.HasSuffix(r.Latency, " ms") || r.FPS == "0" {
				t.Errorf("the page shows fps %q, latency %q", r.FPS, r.Latency)
			}
			if !strings.EqualFold(r.Codec, c.mime) {
				t.Errorf("chromium decoded %q, want %s", r.Codec, c.mime)
			}
		})
	}
}
