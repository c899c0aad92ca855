package nedfilter_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/go-gst/go-gst/pkg/gst"

	"github.com/nedstream/nedstream/plugin/internal/gsttest"
)

// checkFrames: n frames at 25 fps, in order, timestamps untouched.
func checkFrames(t *testing.T, pts []time.Duration, n int) {
	t.Helper()
	if len(pts) != n {
		t.Fatalf("%d frames came out, %d went in", len(pts), n)
	}
	for i, p := range pts {
		if want := time.Duration(i) * 40 * time.Millisecond; p != want {
			t.Fatalf("frame %d has pts %v, want %v (order or timestamps changed): %v", i, p, want, pts)
		}
	}
}

// TestLookaheadHoldsAndDrains: with lookahead=4 every frame still comes out,
// in order with its timestamp (the last four at EOS), the LATENCY query
// reports 4 frame durations, and changing lookahead posts a latency message.
func TestLookaheadHoldsAndDrains(t *testing.T) {
	const n = 25
	var out *gsttest.Frames
	type lat struct {
		live     bool
		min, max time.Duration
	}
	lats := make(chan lat, 2)
	desc := fmt.Sprintf("videotestsrc num-buffers=%d ! video/x-raw,format=BGRx,width=64,height=48,framerate=25/1 ! "+
		"identity name=up ! nedfilter name=ned lookahead=4 ! fakesink name=sink sync=true", n)
	res := gsttest.Run(t, desc, gsttest.Options{
		Timeout: time.Minute,
		Setup:   func(p gst.Bin) { out = gsttest.Record(t, p, "sink", "sink") },
		OnPlaying: func(p gst.Bin) {
			// What nedfilter adds to its upstream's latency.
			_, up, _ := gsttest.QueryLatency(t, p, "up", "src")
			live, mn, mx := gsttest.QueryLatency(t, p, "ned", "src")
			lats <- lat{live, mn - up, mx}
			p.GetByName("ned").SetObjectProperty("lookahead", uint32(2))
			live, mn, mx = gsttest.QueryLatency(t, p, "ned", "src")
			lats <- lat{live, mn - up, mx}
		},
	})
	if !res.EOS || len(res.Errors) > 0 {
		t.Fatalf("eos=%v errors=%v", res.EOS, res.Errors)
	}
	checkFrames(t, out.PTS(), n)
	l4, l2 := <-lats, <-lats
	t.Logf("latency added with lookahead 4: %+v, with 2: %+v", l4, l2)
	if l4.min != 160*time.Millisecond || (l4.max >= 0 && l4.max < l4.min) {
		t.Errorf("lookahead 4 at 25 fps: latency %+v, want min 160ms", l4)
	}
	if l2.min != 80*time.Millisecond {
		t.Errorf("lookahead 2 at 25 fps: latency %+v, want min 80ms", l2)
	}
	// One when the caps gave the frame rate, one when lookahead changed.
	if res.Latency < 2 {
		t.Errorf("%d latency messages, want one for the frame rate and one for the new lookahead", res.Latency)
	}
}

// TestLookaheadZeroAddsNothing: the default adds no latency and holds nothing.
func TestLookaheadZeroAddsNothing(t *testing.T) {
	const n = 10
	var out *gsttest.Frames
	lats := make(chan time.Duration, 1)
	desc := fmt.Sprintf("videotestsrc num-buffers=%d ! video/x-raw,format=BGRx,width=64,height=48,framerate=25/1 ! "+
		"identity name=up ! nedfilter name=ned ! fakesink name=sink sync=true", n)
	res := gsttest.Run(t, desc, gsttest.Options{
		Timeout: time.Minute,
		Setup:   func(p gst.Bin) { out = gsttest.Record(t, p, "sink", "sink") },
		OnPlaying: func(p gst.Bin) {
			_, up, _ := gsttest.QueryLatency(t, p, "up", "src")
			_, mn, _ := gsttest.QueryLatency(t, p, "ned", "src")
			lats <- mn - up
		},
	})
	if !res.EOS || len(res.Errors) > 0 {
		t.Fatalf("eos=%v errors=%v", res.EOS, res.Errors)
	}
	checkFrames(t, out.PTS(), n)
	if l := <-lats; l != 0 {
		t.Errorf("lookahead 0 reports %v of latency", l)
	}
	if res.Latency != 0 {
		t.Errorf("lookahead 0 posted %d latency messages", res.Latency)
	}
}

// TestLookaheadLoweredWhilePlaying: going from 6 to 0 mid-stream releases the
// held frames at once, still in order and none lost.
func TestLookaheadLoweredWhilePlaying(t *testing.T) {
	const n = 30
	var out *gsttest.Frames
	desc := fmt.Sprintf("videotestsrc num-buffers=%d ! video/x-raw,format=BGRx,width=64,height=48,framerate=25/1 ! "+
		"nedfilter name=ned lookahead=6 ! fakesink name=sink sync=true", n)
	res := gsttest.Run(t, desc, gsttest.Options{
		Timeout: time.Minute,
		Setup:   func(p gst.Bin) { out = gsttest.Record(t, p, "sink", "sink") },
		OnPlaying: func(p gst.Bin) {
			time.Sleep(300 * time.Millisecond)
			p.GetByName("ned").SetObjectProperty("lookahead", uint32(0))
		},
	})
	if !res.EOS || len(res.Errors) > 0 {
		t.Fatalf("eos=%v errors=%v", res.EOS, res.Errors)
	}
	checkFrames(t, out.PTS(), n)
}

// TestLookaheadFlushDropsHeldFrames: a flushing seek back to the start drops
// the frames held at that moment; none of them turns up after the new
// segment's frames, which come out complete and in order.
func TestLookaheadFlushDropsHeldFrames(t *testing.T) {
	var out *gsttest.Frames
	seeked := make(chan bool, 1)
	desc := "videotestsrc num-buffers=40 ! video/x-raw,format=BGRx,width=64,height=48,framerate=25/1 ! " +
		"nedfilter name=ned lookahead=5 ! fakesink name=sink sync=true"
	res := gsttest.Run(t, desc, gsttest.Options{
		Timeout: time.Minute,
		Setup:   func(p gst.Bin) { out = gsttest.Record(t, p, "sink", "sink") },
		OnPlaying: func(p gst.Bin) {
			time.Sleep(400 * time.Millisecond)
			seeked <- p.SeekSimple(gst.FormatTime, gst.SeekFlagFlush, 0)
		},
	})
	if !res.EOS || len(res.Errors) > 0 {
		t.Fatalf("eos=%v errors=%v", res.EOS, res.Errors)
	}
	if !<-seeked {
		t.Fatal("the seek failed")
	}
	pts := out.PTS()
	drops := 0
	restart := 0
	for i := 1; i < len(pts); i++ {
		if pts[i] <= pts[i-1] {
			drops++
			restart = i
		}
	}
	if drops != 1 {
		t.Fatalf("want one restart at the seek, got %d: %v", drops, pts)
	}
	for i, p := range pts[restart:] {
		if want := time.Duration(i) * 40 * time.Millisecond; p != want {
			t.Fatalf("after the seek frame %d has pts %v, want %v: %v", i, p, want, pts)
		}
	}
	t.Logf("%d frames before the seek, %d after", restart, len(pts)-restart)
}

// TestLookaheadAsksForBuffers: the ALLOCATION query asks upstream for
// lookahead+1 more buffers, so a fixed-size pool cannot run dry.
func TestLookaheadAsksForBuffers(t *testing.T) {
	mins := make(chan uint, 2)
	desc := "videotestsrc num-buffers=30 ! video/x-raw,format=BGRx,width=64,height=48,framerate=25/1 ! " +
		"nedfilter name=ned lookahead=4 ! fakesink name=sink sync=true"
	query := func(p gst.Bin) {
		q := gst.NewQueryAllocation(gst.CapsFromString("video/x-raw,format=BGRx,width=64,height=48,framerate=25/1"), true)
		// Without a lookahead the query may fail (fakesink proposes no pool).
		p.GetByName("ned").GetStaticPad("sink").Query(q)
		var most uint
		for i := range q.GetNAllocationPools() {
			_, _, mn, _ := q.ParseNthAllocationPool(i)
			most = max(most, mn)
		}
		mins <- most
	}
	res := gsttest.Run(t, desc, gsttest.Options{
		Timeout: time.Minute,
		OnPlaying: func(p gst.Bin) {
			query(p)
			p.GetByName("ned").SetObjectProperty("lookahead", uint32(0))
			query(p)
		},
	})
	if !res.EOS || len(res.Errors) > 0 {
		t.Fatalf("eos=%v errors=%v", res.EOS, res.Errors)
	}
	with, without := <-mins, <-mins
	t.Logf("pool minimum asked for: %d with lookahead 4, %d without", with, without)
	if with < 5 || without >= with {
		t.Errorf("lookahead 4 asks for a pool minimum of %d (want >= 5, more than the %d without)", with, without)
	}
}
