package testpeer

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"

	"github.com/nedstream/nedstream/pipeline/webrtc/internal/rtpcheck"
	"github.com/nedstream/nedstream/pipeline/webrtc/peer"
	"github.com/nedstream/nedstream/pipeline/webrtc/whepclient"
)

// Viewer is a pion WHEP client that records the media it receives.
type Viewer struct {
	PC       *webrtc.PeerConnection
	api      *peer.API
	Resource string // absolute session URL from Location
	ETag     string
	token    string

	mu           sync.Mutex
	units        []int // H.264 NAL types or VP8 key flags, in arrival order
	videoPackets int
	audioPackets int
	firstPacket  time.Time
	videoSSRC    webrtc.SSRC
	started      time.Time
	changed      chan struct{}
}

// Response is a failed WHEP POST.
type Response = whepclient.StatusError

// Dial POSTs an offer (video, and audio when withAudio) to endpoint and
// applies the answer. A non-201 reply comes back as *Response.
func Dial(ctx context.Context, endpoint, token string, withAudio bool) (*Viewer, error) {
	o := Loopback()
	o.UDPMuxAddr = "127.0.0.1:0" // one socket, so Vanish can silence the viewer
	kinds := []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo}
	if withAudio {
		kinds = append(kinds, webrtc.RTPCodecTypeAudio)
	}
	api, pc, err := whepclient.NewReceiver(o, kinds...)
	if err != nil {
		return nil, err
	}
	v := &Viewer{PC: pc, api: api, token: token, started: time.Now(), changed: make(chan struct{}, 1)}
	fail := func(err error) (*Viewer, error) { _ = pc.Close(); _ = api.Close(); return nil, err }
	pc.OnTrack(v.onTrack)
	sub, err := whepclient.Subscribe(ctx, http.DefaultClient, endpoint, token, pc, 0)
	if err != nil {
		return fail(err)
	}
	v.Resource, v.ETag = sub.Resource, sub.ETag
	return v, nil
}

func (v *Viewer) onTrack(t *webrtc.TrackRemote, r *webrtc.RTPReceiver) {
	go func() { // reading RTCP lets the interceptors see sender reports (LSR for RTT)
		for {
			if _, _, err := r.ReadRTCP(); err != nil {
				return
			}
		}
	}()
	mime := t.Codec().MimeType
	video := t.Kind() == webrtc.RTPCodecTypeVideo
	if video {
		v.mu.Lock()
		v.videoSSRC = t.SSRC()
		v.mu.Unlock()
	}
	for {
		p, _, err := t.ReadRTP()
		if err != nil {
			return
		}
		v.mu.Lock()
		if v.firstPacket.IsZero() && video {
			v.firstPacket = time.Now()
		}
		if video {
			v.videoPackets++
			v.units = append(v.units, rtpcheck.Units(mime, p.Payload)...)
		} else {
			v.audioPackets++
		}
		v.mu.Unlock()
		select {
		case v.changed <- struct{}{}:
		default:
		}
	}
}

// Snapshot returns the units seen so far and the packet counts.
func (v *Viewer) Snapshot() (units []int, videoPackets, audioPackets int) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]int(nil), v.units...), v.videoPackets, v.audioPackets
}

// TimeToFirstPacket is the time from Dial to the first video packet (0 if none yet).
func (v *Viewer) TimeToFirstPacket() time.Duration {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.firstPacket.IsZero() {
		return 0
	}
	return v.firstPacket.Sub(v.started)
}

// WaitFor polls cond on each received packet until it holds or ctx ends.
func (v *Viewer) WaitFor(ctx context.Context, cond func(units []int, video, audio int) bool) error {
	for {
		if cond(v.Snapshot()) {
			return nil
		}
		select {
		case <-ctx.Done():
			u, vp, ap := v.Snapshot()
			return fmt.Errorf("waiting for media: %w (video %d, audio %d packets, %d units)", ctx.Err(), vp, ap, len(u))
		case <-v.changed:
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// SendPLI sends a picture loss indication for the video track.
func (v *Viewer) SendPLI() error {
	v.mu.Lock()
	ssrc := v.videoSSRC
	v.mu.Unlock()
	return v.PC.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: uint32(ssrc)}})
}

// SendFIR sends a full intra request for the video track.
func (v *Viewer) SendFIR(seq uint8) error {
	v.mu.Lock()
	ssrc := v.videoSSRC
	v.mu.Unlock()
	return v.PC.WriteRTCP([]rtcp.Packet{&rtcp.FullIntraRequest{MediaSSRC: uint32(ssrc),
		FIR: []rtcp.FIREntry{{SSRC: uint32(ssrc), SequenceNumber: seq}}}})
}

// Delete ends the session with DELETE and returns the status code.
func (v *Viewer) Delete(ctx context.Context) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, v.Resource, nil)
	if err != nil {
		return 0, err
	}
	if v.token != "" {
		req.Header.Set("Authorization", "Bearer "+v.token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	res.Body.Close()
	return res.StatusCode, nil
}

// Vanish silences the viewer without DTLS close or DELETE, as a crashed
// browser would: its UDP socket closes, the server only sees ICE consent
// expire. Close still has to be called.
func (v *Viewer) Vanish() error { return v.api.Close() }

// Close closes the PeerConnection without telling the server.
func (v *Viewer) Close() error {
	err := v.PC.Close()
	_ = v.api.Close()
	return err
}
