package nedwhipsink_test

import (
	"fmt"
	"net/http/httptest"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nedstream/nedstream/pipeline/webrtc/peer"
	"github.com/nedstream/nedstream/pipeline/webrtc/whip/ingest"
	"github.com/nedstream/nedstream/plugin/internal/gsttest"
	"github.com/nedstream/nedstream/plugin/nedwhipsink"
)

func TestMain(m *testing.M) { os.Exit(gsttest.Main(m)) }

var wantProperties = []string{"endpoint", "token", "ice-servers", "max-backoff", "stats-interval", "location"}

func TestInspectListsEveryProperty(t *testing.T) {
	gsttest.CheckInspect(t, nedwhipsink.ElementName, nedwhipsink.PropertyNames(), wantProperties,
		"Sink/Network/Video", "video/x-h264", "video/x-vp8")
}

const h264Source = "videotestsrc is-live=true num-buffers=%d ! video/x-raw,width=320,height=240,framerate=30/1 ! " +
	"x264enc tune=zerolatency key-int-max=300 ! h264parse ! " +
	"video/x-h264,stream-format=byte-stream,alignment=au ! nedwhipsink %s"

func launch(t *testing.T, timeout time.Duration, buffers int, props string) gsttest.Output {
	t.Helper()
	return gsttest.Command(t, timeout, "gst-launch-1.0",
		append([]string{"-m"}, strings.Fields(fmt.Sprintf(h264Source, buffers, props))...)...)
}

// ingestServer is a loopback pion WHIP ingest server.
func ingestServer(t *testing.T, token string) (*ingest.Server, string) {
	t.Helper()
	srv, err := ingest.New(ingest.Options{Token: token, ICE: peer.Options{IncludeLoopback: true}})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(func() { hs.Close(); _ = srv.Close() })
	return srv, hs.URL + "/whip"
}

// TestPublishes: the element publishes H.264 to a WHIP server, the server
// sees an IDR first, and the session is DELETEd at the end of the stream.
func TestPublishes(t *testing.T) {
	srv, url := ingestServer(t, "secret")
	out := launch(t, 60*time.Second, 120, "endpoint="+url+" token=secret stats-interval=250")
	if out.Err != nil {
		t.Fatalf("gst-launch: %v\n%s", out.Err, out.Combined())
	}
	st := srv.Stats()
	if st.Publishes < 1 || st.VideoPackets == 0 {
		t.Fatalf("ingest stats %+v: want a publication with video\n%s", st, out.Combined())
	}
	first := -1
	for _, u := range st.Units {
		if u == 1 || u == 5 {
			first = u
			break
		}
	}
	if first != 5 {
		t.Errorf("first slice NAL type %d, want 5 (IDR); units %v", first, st.Units[:min(20, len(st.Units))])
	}
	deadline := time.Now().Add(5 * time.Second)
	for srv.Stats().Deletes < 1 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if srv.Stats().Deletes < 1 {
		t.Errorf("the session was not DELETEd at stop")
	}
	text := out.Combined()
	if !strings.Contains(text, nedwhipsink.MessageName) || !strings.Contains(text, "event=(string)connected") {
		t.Errorf("no %s connected message in output:\n%s", nedwhipsink.MessageName, text)
	}
	// The ingest server's receiver reports reach the publisher's stats.
	stats := regexp.MustCompile(nedwhipsink.StatsMessageName + `, id=.*?bitrate=\(double\)([0-9.e+-]+).*?receiver-reports=\(guint64\)([0-9]+)`)
	withReports := 0
	for _, m := range stats.FindAllStringSubmatch(text, -1) {
		if b, _ := strconv.ParseFloat(m[1], 64); b > 0 && m[2] != "0" {
			withReports++
		}
	}
	if withReports == 0 {
		t.Errorf("no %s message with a bitrate and receiver reports:\n%s", nedwhipsink.StatsMessageName, text)
	}
}

// TestWrongTokenIsAnError: a 401 from the server is an element error after
// one attempt (no retries).
func TestWrongTokenIsAnError(t *testing.T) {
	srv, url := ingestServer(t, "secret")
	start := time.Now()
	// location is the alias of endpoint.
	out := launch(t, 60*time.Second, 600, "location="+url+" token=wrong")
	if out.Err == nil {
		t.Fatalf("gst-launch succeeded with a wrong token\n%s", out.Combined())
	}
	if !strings.Contains(out.Combined(), "refused the token") {
		t.Errorf("output lacks the unauthorized error:\n%s", out.Combined())
	}
	if el := time.Since(start); el > 15*time.Second {
		t.Errorf("the pipeline took %v to fail, want it to stop at the 401", el)
	}
	if st := srv.Stats(); st.Unauthorized != 1 || st.Publishes != 0 {
		t.Errorf("ingest stats %+v: want exactly one unauthorized attempt", st)
	}
}

// TestBadEndpoint: an invalid endpoint (or location) is a clear element error.
func TestBadEndpoint(t *testing.T) {
	for _, props := range []string{"", "endpoint=ftp://x/whip", "location=nonsense"} {
		out := launch(t, 30*time.Second, 30, props)
		if out.Err == nil || !strings.Contains(out.Combined(), "Invalid nedwhipsink settings: property endpoint") {
			t.Errorf("%q: want a settings error, got %v\n%s", props, out.Err, out.Combined())
		}
	}
}

// TestPublishesAudio: with the audio request pad linked, Opus goes out on
// its own track beside the video.
func TestPublishesAudio(t *testing.T) {
	srv, url := ingestServer(t, "")
	desc := "videotestsrc is-live=true num-buffers=90 ! video/x-raw,width=320,height=240,framerate=30/1 ! " +
		"vp8enc deadline=1 ! nedwhipsink name=s endpoint=" + url + " " +
		"audiotestsrc is-live=true num-buffers=150 samplesperbuffer=960 ! audio/x-raw,rate=48000 ! opusenc ! s.audio"
	out := gsttest.Command(t, 60*time.Second, "gst-launch-1.0", append([]string{"-m"}, strings.Fields(desc)...)...)
	if out.Err != nil {
		t.Fatalf("gst-launch: %v\n%s", out.Err, out.Combined())
	}
	st := srv.Stats()
	t.Logf("ingest: %d video, %d audio packets", st.VideoPackets, st.AudioPackets)
	if st.VideoPackets == 0 || st.AudioPackets < 25 {
		t.Errorf("ingest stats %+v: want video and >= 25 audio packets\n%s", st, out.Combined())
	}
}
