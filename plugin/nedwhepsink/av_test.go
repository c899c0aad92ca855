package nedwhepsink_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"

	"github.com/nedstream/nedstream/pipeline/webrtc/peer"
	"github.com/nedstream/nedstream/pipeline/webrtc/whepclient"
	"github.com/nedstream/nedstream/plugin/nedwhepsink"
)

// arrival is one received RTP packet: when, and its RTP timestamp.
type arrival struct {
	at time.Time
	ts uint32
}

// senderReport is the latest RTCP SR of one track.
type senderReport struct {
	ntp time.Time
	rtp uint32
	ok  bool
}

// avViewer is a pion WHEP viewer receiving video and audio, recording
// packet arrivals and the sender reports of both tracks.
type avViewer struct {
	pc       *webrtc.PeerConnection
	api      *peer.API
	resource string

	mu      sync.Mutex
	packets map[string][]arrival // by kind
	srs     map[string]senderReport
	clock   map[string]uint32
}

func (v *avViewer) close() { _ = v.pc.Close(); _ = v.api.Close() }

func dialAV(ctx context.Context, endpoint string) (*avViewer, error) {
	api, err := peer.NewAPI(peer.Options{IncludeLoopback: true})
	if err != nil {
		return nil, err
	}
	pc, err := api.NewPeerConnection()
	if err != nil {
		_ = api.Close()
		return nil, err
	}
	v := &avViewer{pc: pc, api: api, packets: map[string][]arrival{}, srs: map[string]senderReport{}, clock: map[string]uint32{}}
	fail := func(err error) (*avViewer, error) { v.close(); return nil, err }
	for _, k := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecTypeAudio} {
		if _, err := pc.AddTransceiverFromKind(k, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
			return fail(err)
		}
	}
	pc.OnTrack(func(tr *webrtc.TrackRemote, r *webrtc.RTPReceiver) {
		kind := tr.Kind().String()
		v.mu.Lock()
		v.clock[kind] = tr.Codec().ClockRate
		v.mu.Unlock()
		go func() { // sender reports (and, through the interceptors, RTT for the sender)
			for {
				pkts, _, err := r.ReadRTCP()
				if err != nil {
					return
				}
				for _, p := range pkts {
					if sr, ok := p.(*rtcp.SenderReport); ok {
						v.mu.Lock()
						v.srs[kind] = senderReport{ntp: ntpTime(sr.NTPTime), rtp: sr.RTPTime, ok: true}
						v.mu.Unlock()
					}
				}
			}
		}()
		for {
			p, _, err := tr.ReadRTP()
			if err != nil {
				return
			}
			v.mu.Lock()
			v.packets[kind] = append(v.packets[kind], arrival{at: time.Now(), ts: p.Timestamp})
			v.mu.Unlock()
		}
	})
	sub, err := whepclient.Subscribe(ctx, http.DefaultClient, endpoint, "", pc, 50*time.Millisecond)
	if err != nil {
		return fail(err)
	}
	v.resource = sub.Resource
	return v, nil
}

func (v *avViewer) count(kind string) int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return len(v.packets[kind])
}

// ntpTime converts a 64-bit NTP timestamp to time.Time.
func ntpTime(ntp uint64) time.Time {
	const ntpEpochOffset = 2208988800
	sec := int64(ntp>>32) - ntpEpochOffset
	frac := float64(ntp&0xffffffff) / (1 << 32)
	return time.Unix(sec, int64(frac*1e9))
}

// offsets returns, per packet of kind, arrival minus the sender's wall-clock
// time for its RTP timestamp (through the track's latest sender report):
// the transit time as a receiver doing lip sync sees it.
func (v *avViewer) offsets(kind string) ([]time.Duration, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	sr, clock := v.srs[kind], v.clock[kind]
	if !sr.ok || clock == 0 {
		return nil, fmt.Errorf("no %s sender report", kind)
	}
	var out []time.Duration
	for _, p := range v.packets[kind] {
		d := time.Duration(float64(int32(p.ts-sr.rtp)) / float64(clock) * float64(time.Second))
		out = append(out, p.at.Sub(sr.ntp.Add(d)))
	}
	return out, nil
}

func quantile(d []time.Duration, q float64) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[int(q*float64(len(s)-1))]
}

// TestAudioVideoSyncAndStats: a non-live pipeline (sources push as fast as
// they can) feeds VP8 video and Opus audio (the audio request pad) into
// nedwhepsink; a pion viewer receives both tracks. Both pads wait for the
// clock, so both tracks are paced in real time and their sender reports
// agree: the transit times the viewer computes from each track's SR are
// steady and equal across tracks (an audio pad that did not wait for the
// clock would send seconds of audio at once). The stats-interval messages
// carry the viewer's RTCP figures (RTT, receiver reports) and the final
// left message its totals.
func TestAudioVideoSyncAndStats(t *testing.T) {
	port := freePort(t)
	done := launch(t, 60*time.Second, fmt.Sprintf(
		"videotestsrc num-buffers=150 ! video/x-raw,width=320,height=240,framerate=30/1 ! "+
			"vp8enc deadline=1 keyframe-max-dist=30 ! nedwhepsink name=s address=127.0.0.1:%d stats-interval=250 "+
			"audiotestsrc num-buffers=250 samplesperbuffer=960 ! audio/x-raw,rate=48000,channels=1 ! opusenc ! s.audio", port))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	v, err := dialAV(ctx, fmt.Sprintf("http://127.0.0.1:%d/whep", port))
	if err != nil {
		t.Fatalf("dial: %v\n%s", err, (<-done).Combined())
	}
	defer v.close()
	// Leave with a DELETE after ~3 s of audio (the stream lasts 5 s), so
	// the left message, with the final statistics, is posted while
	// gst-launch still prints messages.
	for v.count("audio") < 150 && ctx.Err() == nil {
		time.Sleep(20 * time.Millisecond)
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodDelete, v.resource, nil)
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != http.StatusOK {
		t.Errorf("DELETE %s: %v %v", v.resource, res, err)
	} else {
		res.Body.Close()
	}
	out := <-done
	if out.Err != nil {
		t.Fatalf("gst-launch: %v\n%s", out.Err, out.Combined())
	}
	v.mu.Lock()
	nv, na := len(v.packets["video"]), len(v.packets["audio"])
	v.mu.Unlock()
	t.Logf("received %d video and %d audio packets", nv, na)
	if nv < 60 || na < 100 {
		t.Fatalf("want >= 60 video and >= 100 audio packets, got %d and %d\n%s", nv, na, out.Combined())
	}
	ov, err := v.offsets("video")
	if err != nil {
		t.Fatal(err)
	}
	oa, err := v.offsets("audio")
	if err != nil {
		t.Fatal(err)
	}
	mv, ma := quantile(ov, 0.5), quantile(oa, 0.5)
	spreadV, spreadA := quantile(ov, 0.9)-quantile(ov, 0.1), quantile(oa, 0.9)-quantile(oa, 0.1)
	t.Logf("transit by SR: video median %v (p10-p90 %v), audio median %v (p10-p90 %v)", mv, spreadV, ma, spreadA)
	if spreadA > 150*time.Millisecond || spreadV > 150*time.Millisecond {
		t.Errorf("tracks not paced in real time: p10-p90 spread video %v audio %v, want < 150 ms", spreadV, spreadA)
	}
	if d := (mv - ma).Abs(); d > 100*time.Millisecond {
		t.Errorf("audio and video out of sync by %v (video %v, audio %v), want < 100 ms", d, mv, ma)
	}

	text := out.Combined()
	stats := regexp.MustCompile(nedwhepsink.StatsMessageName + `, id=.*?rtt-ms=\(double\)([0-9.e+-]+), receiver-reports=\(guint64\)([0-9]+)`)
	var rtts []float64
	for _, m := range stats.FindAllStringSubmatch(text, -1) {
		rtt, _ := strconv.ParseFloat(m[1], 64)
		if n, _ := strconv.Atoi(m[2]); n > 0 && rtt > 0 {
			rtts = append(rtts, rtt)
		}
	}
	if len(rtts) == 0 {
		t.Errorf("no %s message with receiver reports and an RTT > 0:\n%s", nedwhepsink.StatsMessageName, text)
	} else if rtts[len(rtts)-1] > 500 {
		t.Errorf("loopback RTT %v ms is implausible", rtts[len(rtts)-1])
	}
	if !regexp.MustCompile(`event=\(string\)left.*bitrate=\(double\)[1-9][0-9.e+]*.*packets-sent=\(guint64\)[1-9].*audio-packets-sent=\(guint64\)[1-9]`).MatchString(text) {
		t.Errorf("the left message lacks the viewer's bitrate and packet totals (all media, audio):\n%s", text)
	}
	if !regexp.MustCompile(nedwhepsink.StatsMessageName + `, .*audio-receiver-reports=\(guint64\)[1-9]`).MatchString(text) {
		t.Errorf("no %s message carries the audio stream's receiver reports:\n%s", nedwhepsink.StatsMessageName, text)
	}
	t.Logf("%d stats messages with RTT, last %.2f ms", len(rtts), rtts[max(0, len(rtts)-1)])
}
