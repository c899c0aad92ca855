// Package testpeer holds test helpers: synthetic encoded streams and a
// pion WHEP viewer that records what it receives. Loopback only.
package testpeer

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/nedstream/nedstream/pipeline/webrtc/fanout"
	"github.com/nedstream/nedstream/pipeline/webrtc/peer"
)

// Loopback are ICE options for fast loopback tests: loopback candidates
// only and short consent timeouts, so a vanished peer is noticed in ~1 s.
func Loopback() peer.Options {
	return peer.Options{
		IncludeLoopback:     true,
		DisconnectedTimeout: 500 * time.Millisecond,
		FailedTimeout:       time.Second,
		KeepaliveInterval:   100 * time.Millisecond,
	}
}

// H264AU builds a valid-looking Annex-B access unit of about size bytes:
// SPS+PPS+IDR (types 7, 8, 5) when idr, else one non-IDR slice (type 1).
func H264AU(idr bool, size int, seed byte) []byte {
	sc := []byte{0, 0, 0, 1}
	var au []byte
	if idr {
		au = append(au, sc...)
		au = append(au, 0x67, 0x42, 0xc0, 0x1f, 0xda, 0x01, 0x40, 0x16, 0xe8) // SPS, baseline 3.1
		au = append(au, sc...)
		au = append(au, 0x68, 0xce, 0x3c, 0x80) // PPS
		au = append(au, sc...)
		au = append(au, 0x65, 0x88) // IDR slice
	} else {
		au = append(au, sc...)
		au = append(au, 0x41, 0x9a) // non-IDR slice
	}
	for len(au) < size {
		// no 0x000001 inside a NAL: keep bytes non-zero
		au = append(au, 0x80|byte(len(au))^seed|1)
	}
	return au
}

// VP8Frame builds a VP8 frame of about size bytes with the key frame bit
// set as asked (RFC 6386 frame tag + key frame start code).
func VP8Frame(key bool, size int) []byte {
	f := make([]byte, size)
	if key {
		f[0] = 0x10 // key frame, version 0, show_frame
		copy(f[3:], []byte{0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01})
	} else {
		f[0] = 0x11
	}
	for i := 10; i < size; i++ {
		f[i] = byte(i)
	}
	return f
}

// VP9Frame builds a profile 0 VP9 frame of about size bytes: a key frame
// with a parseable uncompressed header (sync code, colour config, 1280x720)
// or an inter frame.
func VP9Frame(key bool, size int) []byte {
	f := make([]byte, size)
	if key {
		// frame_marker=2, profile 0, show_existing=0, frame_type=0, show_frame=1, error_res=0
		// sync code, then 4 colour bits (0), width-1 = 1279 and height-1 = 719
		// as 16-bit fields shifted by those 4 bits, render_and_frame_size_different = 0
		copy(f, []byte{0x82, 0x49, 0x83, 0x42, 0x00, 0x4f, 0xf0, 0x2c, 0xf0})
		for i := 12; i < size; i++ {
			f[i] = byte(i)
		}
		return f
	}
	f[0] = 0x86 // inter frame, show_frame
	for i := 1; i < size; i++ {
		f[i] = byte(i)
	}
	return f
}

// Feeder writes a synthetic stream into a Broadcaster at a fixed rate,
// with a keyframe every GOP frames or right after a keyframe request (the
// force-key-unit an encoder would honour).
type Feeder struct {
	B     *fanout.Broadcaster
	Codec fanout.Codec
	FPS   int
	GOP   int
	Size  int // bytes per frame (keyframes twice that)
	// Audio also writes 20 ms Opus packets when the broadcaster has audio.
	Audio bool

	forceKey atomic.Bool
	Frames   atomic.Int64
}

// RequestKeyframe makes the next frame a keyframe; use it as (part of)
// fanout.Options.OnKeyframeRequest.
func (f *Feeder) RequestKeyframe() { f.forceKey.Store(true) }

// Run feeds until ctx ends. The first frame is a keyframe.
func (f *Feeder) Run(ctx context.Context) {
	period := time.Second / time.Duration(f.FPS)
	t := time.NewTicker(period)
	defer t.Stop()
	for i := 0; ; i++ {
		key := i%f.GOP == 0 || f.forceKey.Swap(false)
		var data []byte
		switch f.Codec {
		case fanout.VP8:
			data = VP8Frame(key, f.sizeFor(key))
		case fanout.VP9:
			data = VP9Frame(key, f.sizeFor(key))
		default:
			data = H264AU(key, f.sizeFor(key), byte(i))
		}
		_ = f.B.WriteVideo(fanout.Sample{Data: data, Duration: period})
		if f.Audio {
			_ = f.B.WriteAudio(fanout.Sample{Data: []byte{0xfc, 0xff, 0xfe}, Duration: 20 * time.Millisecond})
		}
		f.Frames.Add(1)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (f *Feeder) sizeFor(key bool) int {
	if key {
		return 2 * f.Size
	}
	return f.Size
}
