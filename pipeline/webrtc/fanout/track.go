package fanout

import (
	"fmt"
	"sync/atomic"

	"github.com/pion/webrtc/v4"
)

// gatedTrack is a TrackLocalStaticRTP that knows when pion has bound it to
// a connected transport, so the keyframe gate opens only for packets the
// viewer can actually receive.
type gatedTrack struct {
	*webrtc.TrackLocalStaticRTP
	bound   atomic.Bool
	onBound func()
}

func newGatedTrack(c Codec, id, streamID string, onBound func()) (*gatedTrack, error) {
	t, err := webrtc.NewTrackLocalStaticRTP(c.Capability(), id, streamID)
	if err != nil {
		return nil, fmt.Errorf("new %s track: %w", c, err)
	}
	return &gatedTrack{TrackLocalStaticRTP: t, onBound: onBound}, nil
}

// Bind implements webrtc.TrackLocal.
func (t *gatedTrack) Bind(ctx webrtc.TrackLocalContext) (webrtc.RTPCodecParameters, error) {
	p, err := t.TrackLocalStaticRTP.Bind(ctx)
	if err != nil {
		return p, err
	}
	if !t.bound.Swap(true) && t.onBound != nil {
		t.onBound()
	}
	return p, nil
}

// Unbind implements webrtc.TrackLocal.
func (t *gatedTrack) Unbind(ctx webrtc.TrackLocalContext) error {
	t.bound.Store(false)
	return t.TrackLocalStaticRTP.Unbind(ctx)
}
