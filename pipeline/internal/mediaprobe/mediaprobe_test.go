package mediaprobe

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-gst/go-gst/pkg/gst"
)

func TestMain(m *testing.M) {
	gst.Init()
	os.Exit(m.Run())
}

// write runs a gst-launch pipeline that writes a test file.
func write(t *testing.T, desc string) {
	t.Helper()
	tool, err := exec.LookPath("gst-launch-1.0")
	if err != nil {
		t.Fatalf("gst-launch-1.0 not found (run through scripts/gst-env): %v", err)
	}
	out, err := exec.Command(tool, append([]string{"-q"}, strings.Fields(desc)...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", desc, err, out)
	}
}

func TestProbeVideoAndAudio(t *testing.T) {
	dir := t.TempDir()
	av := filepath.Join(dir, "av.mkv")
	write(t, fmt.Sprintf("videotestsrc num-buffers=50 ! video/x-raw,width=320,height=240,framerate=25/1 ! vp8enc deadline=1 ! "+
		"matroskamux name=m ! filesink location=%s audiotestsrc num-buffers=100 samplesperbuffer=960 ! audio/x-raw,rate=48000 ! opusenc ! m.", av))
	uri, err := FileURI(av)
	if err != nil {
		t.Fatal(err)
	}
	info, err := Probe(uri, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if info.Count("video") != 1 || info.Count("audio") != 1 {
		t.Fatalf("streams %+v, want one video and one audio", info.Streams)
	}
	if d := info.Duration; d < 1900*time.Millisecond || d > 2100*time.Millisecond {
		t.Errorf("duration %v, want about 2 s", d)
	}
	for _, s := range info.Streams {
		if s.Kind == "video" && (s.Width != 320 || s.Height != 240) {
			t.Errorf("video %dx%d (%s), want 320x240", s.Width, s.Height, s.Caps)
		}
	}

	still := filepath.Join(dir, "still.png")
	write(t, fmt.Sprintf("videotestsrc num-buffers=1 ! video/x-raw,width=64,height=48 ! pngenc ! filesink location=%s", still))
	uri, _ = FileURI(still)
	info, err = Probe(uri, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if info.Count("video") != 1 || info.Count("audio") != 0 {
		t.Errorf("png: streams %+v, want one video", info.Streams)
	}
}

func TestProbeBadInput(t *testing.T) {
	dir := t.TempDir()
	text := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(text, []byte("not a video\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{filepath.Join(dir, "missing.mp4"), text} {
		uri, _ := FileURI(path)
		start := time.Now()
		_, err := Probe(uri, 10*time.Second)
		if err == nil {
			t.Errorf("%s: no error", path)
			continue
		}
		if time.Since(start) > 9*time.Second {
			t.Errorf("%s: the error took the whole timeout: %v", path, err)
		}
		t.Logf("%s: %v", filepath.Base(path), err)
	}
	if _, err := Probe("file:///x", 0); err == nil {
		t.Error("a zero timeout was accepted")
	}
}

// TestProbeLiveUDP: a live source (MPEG-TS over UDP, as an encoder or an
// IP camera sends it) never prerolls; Probe plays it and reports its
// streams once they have caps.
func TestProbeLiveUDP(t *testing.T) {
	tool, err := exec.LookPath("gst-launch-1.0")
	if err != nil {
		t.Fatalf("gst-launch-1.0 not found (run through scripts/gst-env): %v", err)
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := pc.LocalAddr().(*net.UDPAddr).Port
	pc.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sender := exec.CommandContext(ctx, tool, strings.Fields(fmt.Sprintf("-q videotestsrc is-live=true ! "+
		"video/x-raw,width=160,height=120,framerate=15/1 ! x264enc tune=zerolatency key-int-max=5 ! mpegtsmux ! "+
		"udpsink host=127.0.0.1 port=%d", port))...)
	if err := sender.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cancel(); _ = sender.Wait() }()

	info, err := Probe(fmt.Sprintf("udp://127.0.0.1:%d", port), 15*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", info)
	if !info.Live || info.Duration != 0 {
		t.Errorf("live %v, duration %v; want a live source of unknown duration", info.Live, info.Duration)
	}
	if info.Count("video") != 1 || info.Streams[0].Width != 160 || info.Streams[0].Height != 120 {
		t.Errorf("streams %+v, want one 160x120 video", info.Streams)
	}
}
