package fanout

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/webrtc/v4"
)

// ErrClosed is returned by a closed Broadcaster.
var ErrClosed = errors.New("fanout: broadcaster closed")

// Options configures a Broadcaster.
type Options struct {
	// Video is the video codec (required).
	Video Codec
	// Audio adds an Opus track.
	Audio bool
	// MTU is the RTP packet size in bytes (default 1200, 576..1500).
	MTU int
	// KeyframeInterval is the minimum time between two keyframe requests
	// (default 500 ms). Requests in between are merged into one that fires
	// when the interval ends.
	KeyframeInterval time.Duration
	// OnKeyframeRequest is called, on a goroutine of its own, when a viewer
	// joins or asks for a keyframe (PLI/FIR), at most once per interval.
	OnKeyframeRequest func(KeyframeRequest)
	// StreamID is the media stream id of the tracks (default "nedstream").
	StreamID string
	// QueueLength is each viewer's send queue in samples (default 64).
	// Every viewer has a writer goroutine, so the streaming thread never
	// waits on SRTP or sockets; a viewer whose queue fills up drops its
	// backlog and restarts at the next keyframe.
	QueueLength int
}

func (o *Options) validate() error {
	if !o.Video.IsVideo() {
		return fmt.Errorf("video codec %q: want h264, vp8, vp9 or av1", o.Video)
	}
	if o.MTU == 0 {
		o.MTU = 1200
	}
	if o.MTU < 576 || o.MTU > 1500 {
		return fmt.Errorf("mtu %d out of range 576..1500", o.MTU)
	}
	if o.KeyframeInterval < 0 {
		return fmt.Errorf("keyframe interval %v must not be negative", o.KeyframeInterval)
	}
	if o.KeyframeInterval == 0 {
		o.KeyframeInterval = 500 * time.Millisecond
	}
	if o.QueueLength < 0 {
		return fmt.Errorf("queue length %d must not be negative", o.QueueLength)
	}
	if o.QueueLength == 0 {
		o.QueueLength = 64
	}
	if o.StreamID == "" {
		o.StreamID = "nedstream"
	}
	return nil
}

// Broadcaster packetizes one encoded stream once and writes the packets to
// every attached viewer. Write methods may be called from one streaming
// thread per kind; viewers come and go concurrently.
type Broadcaster struct {
	opts    Options
	limiter *limiter

	wmu   sync.Mutex // write path: packetizer state
	video *stream
	audio *stream

	mu      sync.Mutex
	viewers atomic.Pointer[[]*Viewer] // copy-on-write list read by the write path
	closed  bool
	nextID  uint64
}

// New validates o and returns a Broadcaster.
func New(o Options) (*Broadcaster, error) {
	if err := o.validate(); err != nil {
		return nil, fmt.Errorf("fanout options: %w", err)
	}
	b := &Broadcaster{opts: o, video: newStream(o.Video, o.MTU)}
	if o.Audio {
		b.audio = newStream(Opus, o.MTU)
	}
	b.limiter = newLimiter(o.KeyframeInterval, o.OnKeyframeRequest)
	b.viewers.Store(&[]*Viewer{})
	return b, nil
}

// Options returns the validated options (defaults filled in).
func (b *Broadcaster) Options() Options { return b.opts }

// WriteVideo packetizes one video sample and queues it for every viewer; it
// does not wait for the network. Viewers that have not yet received a
// keyframe skip delta frames.
func (b *Broadcaster) WriteVideo(s Sample) error {
	if len(s.Data) == 0 {
		return errors.New("fanout: empty video sample")
	}
	key := IsKeyframe(b.opts.Video, s.Data)
	b.wmu.Lock()
	defer b.wmu.Unlock()
	if b.isClosed() {
		return ErrClosed
	}
	it := item{pkts: b.video.packetize(s), video: true, key: key, now: time.Now()}
	if len(it.pkts) == 0 {
		return fmt.Errorf("fanout: the %s payloader made no packets of a %d-byte sample (not a valid frame?)", b.opts.Video, len(s.Data))
	}
	for _, v := range *b.viewers.Load() {
		v.enqueue(it)
	}
	return nil
}

// WriteAudio packetizes one Opus packet and queues it for every viewer.
func (b *Broadcaster) WriteAudio(s Sample) error {
	if b.audio == nil {
		return errors.New("fanout: no audio track configured")
	}
	if len(s.Data) == 0 {
		return errors.New("fanout: empty audio sample")
	}
	b.wmu.Lock()
	defer b.wmu.Unlock()
	if b.isClosed() {
		return ErrClosed
	}
	it := item{pkts: b.audio.packetize(s), now: time.Now()}
	for _, v := range *b.viewers.Load() {
		v.enqueue(it)
	}
	return nil
}

// RequestKeyframe asks for a keyframe through the rate limiter.
func (b *Broadcaster) RequestKeyframe() {
	b.limiter.request(KeyframeRequest{Reason: ReasonManual})
}

// KeyframeRequests returns how many requests reached OnKeyframeRequest and
// how many were merged away by the rate limit.
func (b *Broadcaster) KeyframeRequests() (fired, coalesced uint64) { return b.limiter.counts() }

// Viewers returns the attached viewers.
func (b *Broadcaster) Viewers() []*Viewer {
	return append([]*Viewer(nil), *b.viewers.Load()...)
}

// Stats returns a snapshot of every viewer's statistics.
func (b *Broadcaster) Stats() []ViewerStats {
	vs := *b.viewers.Load()
	out := make([]ViewerStats, 0, len(vs))
	for _, v := range vs {
		out = append(out, v.Stats())
	}
	return out
}

// Close detaches every viewer and stops keyframe requests. It does not
// close the viewers' PeerConnections: their owners do.
func (b *Broadcaster) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	viewers := *b.viewers.Load()
	b.viewers.Store(&[]*Viewer{})
	b.mu.Unlock()
	for _, v := range viewers {
		_ = v.Close()
	}
	b.limiter.close()
	return nil
}

func (b *Broadcaster) isClosed() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.closed
}

// ViewerOptions configures AddViewer.
type ViewerOptions struct {
	// ID names the viewer in stats and keyframe requests (default "viewer-N").
	ID string
	// SendOnly adds send-only transceivers (a WHIP publisher creating the
	// offer); otherwise tracks are added with AddTrack, which reuses the
	// transceivers of a remote offer already set (a WHEP answerer).
	SendOnly bool
	// NoAudio leaves the Opus track out for this viewer.
	NoAudio bool
}

// AddViewer creates the viewer's tracks on pc. Call it before creating the
// offer (publisher) or after setting the remote offer (answerer). The viewer
// receives packets once pion has bound its tracks and the owner has called
// SetConnected(true), starting at a keyframe; a keyframe is requested at
// that moment. The caller owns pc and must close
// it; Viewer.Close detaches the viewer.
func (b *Broadcaster) AddViewer(pc *webrtc.PeerConnection, o ViewerOptions) (*Viewer, error) {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil, ErrClosed
	}
	b.nextID++
	if o.ID == "" {
		o.ID = fmt.Sprintf("viewer-%d", b.nextID)
	}
	b.mu.Unlock()

	v := newViewer(b, o.ID, b.opts.QueueLength)
	vt, err := newGatedTrack(b.opts.Video, "video", b.opts.StreamID, v.onVideoBound)
	if err != nil {
		return nil, err
	}
	v.video = vt
	if v.videoSender, err = addTrack(pc, vt, o.SendOnly); err != nil {
		return nil, fmt.Errorf("add video track for %s: %w", o.ID, err)
	}
	if b.audio != nil && !o.NoAudio {
		at, err := newGatedTrack(Opus, "audio", b.opts.StreamID, nil)
		if err != nil {
			return nil, err
		}
		v.audio = at
		if v.audioSender, err = addTrack(pc, at, o.SendOnly); err != nil {
			return nil, fmt.Errorf("add audio track for %s: %w", o.ID, err)
		}
	}

	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil, ErrClosed
	}
	list := append(append([]*Viewer(nil), *b.viewers.Load()...), v)
	b.viewers.Store(&list)
	b.mu.Unlock()

	go v.run()
	go v.readRTCP(v.videoSender)
	if v.audioSender != nil {
		go v.readRTCP(v.audioSender)
	}
	return v, nil
}

func addTrack(pc *webrtc.PeerConnection, t *gatedTrack, sendOnly bool) (*webrtc.RTPSender, error) {
	if !sendOnly {
		return pc.AddTrack(t)
	}
	tr, err := pc.AddTransceiverFromTrack(t, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
	if err != nil {
		return nil, err
	}
	// The offer names only the track's codec. Otherwise it lists every
	// registered codec of the kind (VP8 first), an answerer that picks
	// one (GStreamer's webrtcbin does) may pick another, and the track
	// cannot start ("codec is not supported by remote").
	var exact, sameMime []webrtc.RTPCodecParameters
	want := t.Codec()
	for _, c := range tr.Sender().GetParameters().Codecs {
		if strings.EqualFold(c.MimeType, want.MimeType) {
			sameMime = append(sameMime, c)
			if c.SDPFmtpLine == want.SDPFmtpLine {
				exact = append(exact, c)
			}
		}
	}
	prefs := exact
	if len(prefs) == 0 {
		prefs = sameMime
	}
	if len(prefs) > 0 {
		if err := tr.SetCodecPreferences(prefs); err != nil {
			return nil, fmt.Errorf("codec preferences: %w", err)
		}
	}
	return tr.Sender(), nil
}

func (b *Broadcaster) remove(v *Viewer) {
	b.mu.Lock()
	defer b.mu.Unlock()
	old := *b.viewers.Load()
	list := make([]*Viewer, 0, len(old))
	for _, x := range old {
		if x != v {
			list = append(list, x)
		}
	}
	b.viewers.Store(&list)
}
