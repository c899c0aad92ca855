package fanout

import (
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestIsKeyframe(t *testing.T) {
	cases := []struct {
		name  string
		codec Codec
		data  []byte
		want  bool
	}{
		{"h264 sps pps idr", H264, []byte{0, 0, 0, 1, 0x67, 1, 2, 0, 0, 0, 1, 0x68, 3, 0, 0, 1, 0x65, 0x88, 9}, true},
		{"h264 idr 3-byte start code", H264, []byte{0, 0, 1, 0x65, 0x88}, true},
		{"h264 aud then idr", H264, []byte{0, 0, 0, 1, 0x09, 0xf0, 0, 0, 0, 1, 0x65, 0x88}, true},
		{"h264 non-idr", H264, []byte{0, 0, 0, 1, 0x41, 0x9a, 1, 2}, false},
		{"h264 sps only", H264, []byte{0, 0, 0, 1, 0x67, 1, 2}, false},
		{"h264 garbage", H264, []byte{1, 2, 3}, false},
		{"vp8 key", VP8, []byte{0x10, 0, 0, 0x9d, 0x01, 0x2a}, true},
		{"vp8 delta", VP8, []byte{0x11, 0, 0}, false},
		{"vp8 empty", VP8, nil, false},
		{"vp9 key", VP9, []byte{0x80, 0x49, 0x83}, true},
		{"vp9 inter", VP9, []byte{0x84, 0}, false},
		{"vp9 show existing", VP9, []byte{0x88}, false},
		{"vp9 bad marker", VP9, []byte{0x40}, false},
		{"av1 sequence header", AV1, []byte{0x12, 0x00, 0x0a, 0x01, 0x00}, true},
		{"av1 frame only", AV1, []byte{0x12, 0x00, 0x32, 0x01, 0x00}, false},
		{"av1 truncated", AV1, []byte{0x32, 0x05, 0x00}, false},
		{"opus", Opus, []byte{0xfc}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := IsKeyframe(tc.codec, tc.data); got != tc.want {
				t.Fatalf("IsKeyframe = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestNALTypes(t *testing.T) {
	au := []byte{0, 0, 0, 1, 0x67, 1, 0, 0, 1, 0x68, 2, 0, 0, 0, 1, 0x65, 3}
	if got := NALTypes(au); !slices.Equal(got, []uint8{7, 8, 5}) {
		t.Fatalf("NALTypes = %v", got)
	}
}

func TestParseCodec(t *testing.T) {
	for in, want := range map[string]Codec{"H264": H264, " vp8": VP8, "Vp9": VP9, "av1": AV1, "OPUS": Opus} {
		if got, err := ParseCodec(in); err != nil || got != want {
			t.Errorf("ParseCodec(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseCodec("h265"); err == nil {
		t.Error("h265 accepted")
	}
}

func TestOptionsValidation(t *testing.T) {
	cases := []struct {
		name string
		o    Options
		want string
	}{
		{"no video", Options{}, "video codec"},
		{"audio as video", Options{Video: Opus}, "video codec"},
		{"small mtu", Options{Video: H264, MTU: 100}, "mtu"},
		{"big mtu", Options{Video: H264, MTU: 9000}, "mtu"},
		{"negative interval", Options{Video: VP8, KeyframeInterval: -time.Second}, "keyframe interval"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b, err := New(tc.o)
			if err == nil {
				_ = b.Close()
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not mention %q", err, tc.want)
			}
		})
	}
	b, err := New(Options{Video: AV1, Audio: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if o := b.Options(); o.MTU != 1200 || o.KeyframeInterval != 500*time.Millisecond || o.StreamID != "nedstream" {
		t.Fatalf("defaults not filled in: %+v", o)
	}
}

// TestLimiter: a burst gives one request at once and one trailing request
// standing for the rest; nothing more.
func TestLimiter(t *testing.T) {
	var mu sync.Mutex
	var got []KeyframeRequest
	l := newLimiter(100*time.Millisecond, func(r KeyframeRequest) {
		mu.Lock()
		got = append(got, r)
		mu.Unlock()
	})
	for i := range 10 {
		l.request(KeyframeRequest{Reason: ReasonPLI, ViewerID: string(rune('a' + i))})
	}
	time.Sleep(250 * time.Millisecond)
	l.close()
	l.request(KeyframeRequest{Reason: ReasonPLI}) // after close: ignored
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 || got[0].ViewerID != "a" || got[1].Coalesced != 9 {
		t.Fatalf("requests %+v, want the first and one trailing standing for 9", got)
	}
	if fired, coalesced := l.counts(); fired != 2 || coalesced != 9 {
		t.Fatalf("counts %d %d", fired, coalesced)
	}
}

// TestParameterSetsPrepended: an IDR without SPS/PPS gets the last ones, so
// a viewer starting on it can decode.
func TestParameterSetsPrepended(t *testing.T) {
	s := newStream(H264, 1200)
	s.packetize(Sample{Data: []byte{0, 0, 0, 1, 0x67, 0x42, 0, 0, 0, 1, 0x68, 0xce, 0, 0, 0, 1, 0x65, 0x88}})
	pkts := s.packetize(Sample{Data: []byte{0, 0, 0, 1, 0x65, 0x88, 0x99}})
	p := pkts[0].Payload
	if p[0]&0x1f != 24 || p[3]&0x1f != 7 {
		t.Fatalf("first packet is not a STAP-A with the SPS: % x", p)
	}
	if !pkts[len(pkts)-1].Marker {
		t.Fatal("marker bit not set on the last packet of the access unit")
	}
	pkts = s.packetize(Sample{Data: []byte{0, 0, 0, 1, 0x41, 0x9a}})
	if len(pkts) != 1 || pkts[0].Payload[0]&0x1f != 1 {
		t.Fatalf("non-IDR changed: % x", pkts[0].Payload)
	}
}

// TestDataNotRetained: the caller may reuse the sample buffer (an unmapped
// GstBuffer) once the write returns.
func TestDataNotRetained(t *testing.T) {
	for _, c := range []Codec{H264, VP8, VP9, AV1, Opus} {
		s := newStream(c, 1200)
		data := []byte{0, 0, 0, 1, 0x65, 0x88, 1, 2, 3, 4}
		switch c {
		case AV1:
			data = []byte{0x0a, 0x03, 1, 2, 3}
		case VP9:
			data = []byte{0x84, 0x80, 1, 2, 3} // inter frame: pion parses VP9 headers
		}
		pkts := s.packetize(Sample{Data: data})
		before := string(pkts[0].Payload)
		for i := range data {
			data[i] = 0xee
		}
		if string(pkts[0].Payload) != before {
			t.Errorf("%s: packet payload aliases the sample buffer", c)
		}
	}
}

func TestTimestampsAndSequence(t *testing.T) {
	cases := []struct {
		name    string
		samples []Sample
		want    []uint32 // offsets from the first timestamp
	}{
		{"durations", []Sample{{Duration: 33333333}, {Duration: 33333333}, {Duration: 33333333}}, []uint32{0, 2999, 5999}},
		{"pts", []Sample{{PTS: time.Second, HasPTS: true}, {PTS: time.Second + 40*time.Millisecond, HasPTS: true}, {PTS: time.Second + 100*time.Millisecond, HasPTS: true}}, []uint32{0, 3600, 9000}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newStream(VP8, 1200)
			var first uint32
			var seq uint16
			for i, smp := range tc.samples {
				smp.Data = make([]byte, 3000)
				pkts := s.packetize(smp)
				if i == 0 {
					first, seq = pkts[0].Timestamp, pkts[0].SequenceNumber
				}
				if got := pkts[0].Timestamp - first; got != tc.want[i] {
					t.Fatalf("sample %d: timestamp offset %d, want %d", i, got, tc.want[i])
				}
				for _, p := range pkts {
					if p.SequenceNumber != seq {
						t.Fatalf("sequence gap: %d, want %d", p.SequenceNumber, seq)
					}
					seq++
				}
			}
		})
	}
}

func TestWriteErrors(t *testing.T) {
	b, err := New(Options{Video: H264})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.WriteAudio(Sample{Data: []byte{1}}); err == nil {
		t.Error("audio accepted without an audio track")
	}
	if err := b.WriteVideo(Sample{}); err == nil {
		t.Error("empty sample accepted")
	}
	_ = b.Close()
	if err := b.WriteVideo(Sample{Data: []byte{0, 0, 1, 0x65}}); err != ErrClosed {
		t.Errorf("write after Close: %v", err)
	}
	if _, err := b.AddViewer(nil, ViewerOptions{}); err != ErrClosed {
		t.Errorf("AddViewer after Close: %v", err)
	}
}

// TestAudioToVideoOnlyViewer: audio written to a broadcaster with an
// audio track skips a viewer that has none (NoAudio: a WHEP offer without
// audio) instead of crashing.
func TestAudioToVideoOnlyViewer(t *testing.T) {
	b, err := New(Options{Video: H264, Audio: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	v := newViewer(b, "video-only", 2)
	if v.video, err = newGatedTrack(H264, "video", "s", nil); err != nil {
		t.Fatal(err)
	}
	v.video.bound.Store(true)
	v.connected.Store(true)
	b.viewers.Store(&[]*Viewer{v})
	if err := b.WriteAudio(Sample{Data: []byte{0xfc, 0xff, 0xfe}, Duration: 20 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	if len(v.queue) != 0 {
		t.Errorf("%d items queued for a viewer without an audio track", len(v.queue))
	}
}

// TestQueueOverflow: a viewer whose writer falls behind drops its backlog,
// asks for a keyframe and sends nothing until one arrives.
func TestQueueOverflow(t *testing.T) {
	reqs := make(chan KeyframeRequest, 4)
	b, err := New(Options{Video: H264, KeyframeInterval: time.Millisecond, OnKeyframeRequest: func(r KeyframeRequest) { reqs <- r }})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	v := newViewer(b, "slow", 2)
	if v.video, err = newGatedTrack(H264, "video", "s", nil); err != nil {
		t.Fatal(err)
	}
	v.video.bound.Store(true) // no PeerConnection: writes go nowhere but are counted
	v.connected.Store(true)
	s := newStream(H264, 1200)
	frame := func(key bool) item {
		data := []byte{0, 0, 0, 1, 0x41, 0x9a, 1}
		if key {
			data = []byte{0, 0, 0, 1, 0x67, 1, 0, 0, 0, 1, 0x68, 2, 0, 0, 0, 1, 0x65, 3}
		}
		return item{pkts: s.packetize(Sample{Data: data}), video: true, key: key, now: time.Now()}
	}
	v.enqueue(frame(true))
	v.enqueue(frame(false))
	v.enqueue(frame(false)) // queue of 2 is full: overflow
	select {
	case r := <-reqs:
		if r.Reason != ReasonOverflow || r.ViewerID != "slow" {
			t.Fatalf("keyframe request %+v", r)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("no keyframe request after the overflow")
	}
	go v.run()
	defer v.Close()
	drain := func() {
		for deadline := time.Now().Add(2 * time.Second); len(v.queue) > 0 && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
		time.Sleep(10 * time.Millisecond) // the writer finishes the item it took
	}
	for _, key := range []bool{false, true, false} {
		drain()
		v.enqueue(frame(key))
	}
	drain()
	st := v.Stats()
	// Sent: the keyframe (1 STAP-A + 1 IDR packet) and the delta after it.
	if st.Overflows != 1 || st.PacketsSent != 3 || st.WaitingForKeyframe {
		t.Fatalf("stats %+v, want 1 overflow and 3 packets (keyframe + following delta)", st)
	}
}
