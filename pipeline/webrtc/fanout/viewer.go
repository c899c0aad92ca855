package fanout

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// Viewer is one receiver of the shared stream (a WHEP session or a WHIP
// publication).
type Viewer struct {
	id     string
	b      *Broadcaster
	joined time.Time

	video, audio             *gatedTrack
	videoSender, audioSender *webrtc.RTPSender

	waiting   atomic.Bool // no keyframe sent yet (written by the writer goroutine)
	connected atomic.Bool // the owner saw the PeerConnection connect
	closed    atomic.Bool

	queue     chan item     // samples for the writer goroutine
	done      chan struct{} // closed by Close: the writer exits
	epoch     atomic.Uint64 // bumped when the queue overflowed: re-gate
	lastEpoch uint64        // writer-owned

	mu    sync.Mutex
	stats ViewerStats
	win   struct {
		start time.Time
		bytes uint64
	}
}

// item is one sample's packets queued for a viewer.
type item struct {
	pkts  []*rtp.Packet
	video bool
	key   bool
	epoch uint64
	now   time.Time
}

func newViewer(b *Broadcaster, id string, queue int) *Viewer {
	v := &Viewer{id: id, b: b, joined: time.Now(), queue: make(chan item, queue), done: make(chan struct{})}
	v.waiting.Store(true)
	v.stats.ID = id
	v.stats.Joined = v.joined
	return v
}

// ID returns the viewer's id.
func (v *Viewer) ID() string { return v.id }

// Close detaches the viewer from the Broadcaster; it does not close the
// PeerConnection.
func (v *Viewer) Close() error {
	if v.closed.Swap(true) {
		return nil
	}
	close(v.done)
	v.b.remove(v)
	return nil
}

// FirstFrame reports whether the viewer has been sent a keyframe.
func (v *Viewer) FirstFrame() bool { return !v.waiting.Load() }

// SetConnected tells the viewer whether its PeerConnection is connected
// (call it from OnConnectionStateChange). pion binds tracks before DTLS
// completes and silently drops what is written until SRTP is up, so the
// keyframe gate opens, and the join keyframe is requested, only when the
// track is bound and the connection is up.
func (v *Viewer) SetConnected(c bool) {
	if v.connected.Swap(c) == c || !c {
		return
	}
	if v.video.bound.Load() {
		v.requestJoinKeyframe()
	}
}

func (v *Viewer) onVideoBound() {
	if v.connected.Load() {
		v.requestJoinKeyframe()
	}
}

func (v *Viewer) requestJoinKeyframe() {
	v.b.limiter.request(KeyframeRequest{Reason: ReasonJoin, ViewerID: v.id})
}

// ready reports whether t can take packets; a viewer without that kind of
// track (NoAudio: its offer had no audio) takes none of it.
func (v *Viewer) ready(t *gatedTrack) bool { return t != nil && t.bound.Load() && v.connected.Load() }

// enqueue hands a sample to the viewer's writer without blocking the
// streaming thread. A viewer whose queue is full (its writer cannot keep
// up) loses what is queued, waits for the next keyframe and asks for one.
func (v *Viewer) enqueue(it item) {
	if !v.ready(v.trackFor(it.video)) {
		return
	}
	it.epoch = v.epoch.Load()
	select {
	case v.queue <- it:
		return
	default:
	}
	for drained := false; !drained; { // drop the backlog
		select {
		case <-v.queue:
		default:
			drained = true
		}
	}
	it.epoch = v.epoch.Add(1)
	v.count(func(st *ViewerStats) { st.Overflows++ })
	v.b.limiter.request(KeyframeRequest{Reason: ReasonOverflow, ViewerID: v.id})
	select {
	case v.queue <- it:
	default:
	}
}

func (v *Viewer) trackFor(video bool) *gatedTrack {
	if video {
		return v.video
	}
	return v.audio
}

// run is the viewer's writer goroutine: it applies the keyframe gate and
// writes packets (SRTP + UDP send happen here, one goroutine per viewer).
func (v *Viewer) run() {
	for {
		select {
		case <-v.done:
			return
		case it := <-v.queue:
			if it.epoch != v.lastEpoch {
				v.lastEpoch = it.epoch
				v.waiting.Store(true) // frames were dropped: restart at a keyframe
			}
			if it.video && v.waiting.Load() {
				if !it.key {
					continue
				}
				v.waiting.Store(false)
				v.mu.Lock()
				if v.stats.TimeToFirstFrame == 0 {
					v.stats.TimeToFirstFrame = it.now.Sub(v.joined)
				}
				v.mu.Unlock()
			}
			v.write(it.video, it.pkts, it.now)
		}
	}
}

func (v *Viewer) write(video bool, pkts []*rtp.Packet, now time.Time) {
	t := v.trackFor(video)
	var n, errs uint64
	for _, p := range pkts {
		if err := t.WriteRTP(p); err != nil {
			errs++
			continue
		}
		n += uint64(len(p.Payload) + 12)
	}
	v.mu.Lock()
	v.stats.PacketsSent += uint64(len(pkts)) - errs
	v.stats.BytesSent += n
	v.stats.WriteErrors += errs
	if !video {
		v.stats.Audio.PacketsSent += uint64(len(pkts)) - errs
		v.stats.Audio.BytesSent += n
	}
	if v.win.start.IsZero() {
		v.win.start = now
	}
	v.win.bytes += n
	if d := now.Sub(v.win.start); d >= time.Second {
		v.stats.Bitrate = float64(v.win.bytes*8) / d.Seconds()
		v.win.start, v.win.bytes = now, 0
	}
	v.mu.Unlock()
}

// readRTCP serves PLI/FIR as keyframe requests and receiver reports as
// stats until the sender stops.
func (v *Viewer) readRTCP(s *webrtc.RTPSender) {
	var ssrc uint32
	if enc := s.GetParameters().Encodings; len(enc) > 0 {
		ssrc = uint32(enc[0].SSRC)
	}
	isVideo := s == v.videoSender
	for {
		pkts, _, err := s.ReadRTCP()
		if err != nil {
			return // transport closed: the viewer is gone
		}
		if v.closed.Load() {
			continue
		}
		for _, p := range pkts {
			switch p := p.(type) {
			case *rtcp.PictureLossIndication:
				v.count(func(st *ViewerStats) { st.PLIs++ })
				v.b.limiter.request(KeyframeRequest{Reason: ReasonPLI, ViewerID: v.id})
			case *rtcp.FullIntraRequest:
				v.count(func(st *ViewerStats) { st.FIRs++ })
				v.b.limiter.request(KeyframeRequest{Reason: ReasonFIR, ViewerID: v.id})
			case *rtcp.ReceiverReport:
				for _, r := range p.Reports {
					if r.SSRC == ssrc {
						v.receiverReport(r, isVideo)
					}
				}
			case *rtcp.SenderReport: // a sendrecv peer's reports carry ours too
				for _, r := range p.Reports {
					if r.SSRC == ssrc {
						v.receiverReport(r, isVideo)
					}
				}
			}
		}
	}
}

func (v *Viewer) count(fn func(*ViewerStats)) {
	v.mu.Lock()
	fn(&v.stats)
	v.mu.Unlock()
}

// receiverReport records a report block about our video or audio stream.
func (v *Viewer) receiverReport(r rtcp.ReceptionReport, video bool) {
	if !video {
		v.mu.Lock()
		a := &v.stats.Audio
		a.FractionLost, a.PacketsLost, a.Jitter = reception(r, Opus.ClockRate())
		a.ReceiverReports++
		v.mu.Unlock()
		return
	}
	rtt := time.Duration(0)
	if r.LastSenderReport != 0 {
		// RFC 3550 6.4.1: RTT = A - LSR - DLSR in 1/65536 s.
		d := ntpMiddle(time.Now()) - r.LastSenderReport - r.Delay
		if d < 1<<31 { // guard against clock steps
			rtt = time.Duration(uint64(d) * uint64(time.Second) >> 16)
		}
	}
	v.mu.Lock()
	v.stats.FractionLost, v.stats.PacketsLost, v.stats.Jitter = reception(r, v.b.opts.Video.ClockRate())
	if rtt > 0 || r.LastSenderReport != 0 {
		v.stats.RTT = rtt
	}
	v.stats.ReceiverReports++
	v.mu.Unlock()
}

// reception reads a report block's loss (fraction 0..1, cumulative
// packets) and its jitter, given in RTP clock units at clockRate.
func reception(r rtcp.ReceptionReport, clockRate uint32) (fraction float64, lost int64, jitter time.Duration) {
	return float64(r.FractionLost) / 256, int64(r.TotalLost), time.Duration(float64(r.Jitter) / float64(clockRate) * float64(time.Second))
}

// ntpMiddle returns the middle 32 bits of the NTP timestamp of t.
func ntpMiddle(t time.Time) uint32 {
	const ntpEpochOffset = 2208988800
	secs := uint64(t.Unix() + ntpEpochOffset)
	frac := (uint64(t.Nanosecond()) << 32) / 1e9
	return uint32((secs<<32 | frac) >> 16)
}

// Stats returns a snapshot of the viewer's statistics.
func (v *Viewer) Stats() ViewerStats {
	v.mu.Lock()
	defer v.mu.Unlock()
	s := v.stats
	s.WaitingForKeyframe = v.waiting.Load()
	s.Connected = v.ready(v.video)
	if !v.win.start.IsZero() && time.Since(v.win.start) > 2*time.Second {
		s.Bitrate = 0 // nothing sent recently
	}
	return s
}
