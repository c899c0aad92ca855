package whep

import (
	"context"
	"fmt"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nedstream/nedstream/pipeline/webrtc/fanout"
	"github.com/nedstream/nedstream/pipeline/webrtc/internal/testpeer"
)

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkFanout streams 30 fps H.264 of 1280x720-like sizes (30 KB
// delta AUs, 60 KB IDR every 2 s) to N loopback pion viewers; one loop
// iteration is one frame, paced in real time (run with -benchtime=150x for
// 5 s). Metrics:
//
//   - write-ms/viewer/s: time the streaming thread spends in WriteVideo
//     (packetize once, queue to each viewer's writer) per viewer per second;
//   - cpu-ms/viewer/s: whole-process CPU (getrusage) per viewer per second;
//     includes the N in-process pion receivers, so it is an upper bound;
//   - ttff-ms: a viewer joining the loaded server: POST to first video
//     packet (ICE + DTLS + keyframe request honoured by the next frame);
//   - recv-ratio: packets the viewers received / packets the server sent;
//   - overflows: viewer queues that overflowed (machine too slow).
func BenchmarkFanout(b *testing.B) {
	for _, n := range []int{10, 50} {
		b.Run(fmt.Sprintf("viewers=%d", n), func(b *testing.B) { benchFanout(b, n) })
	}
}

func benchFanout(b *testing.B, n int) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var forceKey atomic.Bool
	bc, err := fanout.New(fanout.Options{Video: fanout.H264, KeyframeInterval: 200 * time.Millisecond,
		OnKeyframeRequest: func(fanout.KeyframeRequest) { forceKey.Store(true) }})
	if err != nil {
		b.Fatal(err)
	}
	defer bc.Close()
	srv, err := New(Options{Broadcaster: bc, ICE: testpeer.Loopback(), GatherTimeout: 2 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	hs := httptest.NewServer(srv)
	defer hs.Close()
	endpoint := hs.URL + "/whep"

	idr := testpeer.H264AU(true, 60_000, 1)
	delta := testpeer.H264AU(false, 30_000, 2)
	const fps = 30
	period := time.Second / fps
	frame := 0
	var writeTime time.Duration
	write := func() {
		data := delta
		if frame%(2*fps) == 0 || forceKey.Swap(false) {
			data = idr
		}
		frame++
		t0 := time.Now()
		if err := bc.WriteVideo(fanout.Sample{Data: data, Duration: period}); err != nil {
			b.Fatal(err)
		}
		writeTime += time.Since(t0)
	}

	// Join N viewers while the stream runs.
	viewers := make([]*testpeer.Viewer, n)
	var wg sync.WaitGroup
	var dialErr atomic.Value
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := testpeer.Dial(ctx, endpoint, "", false)
			if err != nil {
				dialErr.Store(err)
				return
			}
			viewers[i] = v
		}()
		if i%5 == 4 {
			time.Sleep(50 * time.Millisecond)
		}
	}
	joined := make(chan struct{})
	go func() { wg.Wait(); close(joined) }()
	tick := time.NewTicker(period)
	defer tick.Stop()
	for waiting := true; waiting; {
		write()
		select {
		case <-joined:
			waiting = false
		case <-tick.C:
		case <-ctx.Done():
			b.Fatal("joining viewers timed out")
		}
	}
	if err, _ := dialErr.Load().(error); err != nil {
		b.Fatal(err)
	}
	defer func() {
		for _, v := range viewers {
			_ = v.Close()
		}
	}()
	for deadline := time.Now().Add(30 * time.Second); ; { // generous: a loaded 2-core machine
		all := true
		for _, v := range viewers {
			if v.TimeToFirstPacket() == 0 {
				all = false
			}
		}
		if all {
			break
		}
		if time.Now().After(deadline) {
			b.Fatal("not every viewer received video")
		}
		write()
		<-tick.C
	}

	// Measured run; one extra viewer joins at the start.
	var extra *testpeer.Viewer
	extraDone := make(chan error, 1)
	go func() {
		v, err := testpeer.Dial(ctx, endpoint, "", false)
		extra = v
		extraDone <- err
	}()
	writeTime = 0
	cpu0, wall0 := cpuTime(), time.Now()
	for b.Loop() {
		write()
		<-tick.C
	}
	wall, cpu := time.Since(wall0), cpuTime()-cpu0
	if err := <-extraDone; err != nil {
		b.Fatal(err)
	}
	defer extra.Close()
	secs := wall.Seconds()
	b.ReportMetric(float64(writeTime.Milliseconds())/secs/float64(n), "write-ms/viewer/s")
	b.ReportMetric(float64(cpu.Milliseconds())/secs/float64(n), "cpu-ms/viewer/s")
	if d := extra.TimeToFirstPacket(); d > 0 {
		b.ReportMetric(float64(d.Microseconds())/1000, "ttff-ms")
	} else {
		b.Log("the joining viewer got no video during the run: use a longer -benchtime")
	}
	var sent, recv, overflows int
	for _, s := range srv.Sessions() {
		sent += int(s.Stats.PacketsSent)
		overflows += int(s.Stats.Overflows)
	}
	b.ReportMetric(float64(overflows), "overflows")
	for _, v := range append(viewers, extra) {
		_, vp, _ := v.Snapshot()
		recv += vp
	}
	if sent > 0 {
		b.ReportMetric(float64(recv)/float64(sent), "recv-ratio")
	}
}
