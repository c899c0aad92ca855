// Package fanout shares one encoded stream with every viewer: samples are
// packetized once into RTP and the same packets are written to each
// viewer's own track (no per-viewer encoding). A viewer gets no delta frames
// before its first keyframe, and joining viewers or their PLI/FIR feedback
// trigger a rate-limited keyframe request callback.
package fanout

import (
	"fmt"
	"strings"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"
)

// Codec names an encoded format the Broadcaster can carry.
type Codec string

// Supported codecs.
const (
	H264 Codec = "h264"
	VP8  Codec = "vp8"
	VP9  Codec = "vp9"
	AV1  Codec = "av1"
	Opus Codec = "opus"
)

// ParseCodec accepts a codec name case-insensitively ("H264", "vp8" ...).
func ParseCodec(s string) (Codec, error) {
	c := Codec(strings.ToLower(strings.TrimSpace(s)))
	switch c {
	case H264, VP8, VP9, AV1, Opus:
		return c, nil
	}
	return "", fmt.Errorf("unknown codec %q (want h264, vp8, vp9, av1 or opus)", s)
}

// IsVideo reports whether c is a video codec.
func (c Codec) IsVideo() bool { return c == H264 || c == VP8 || c == VP9 || c == AV1 }

// ClockRate is the RTP clock rate of c.
func (c Codec) ClockRate() uint32 {
	if c == Opus {
		return 48000
	}
	return 90000
}

// Capability is the pion codec capability a track of c announces.
func (c Codec) Capability() webrtc.RTPCodecCapability {
	fb := []webrtc.RTCPFeedback{{Type: "goog-remb"}, {Type: "ccm", Parameter: "fir"}, {Type: "nack"}, {Type: "nack", Parameter: "pli"}}
	switch c {
	case H264:
		return webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000,
			SDPFmtpLine: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f", RTCPFeedback: fb}
	case VP8:
		return webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000, RTCPFeedback: fb}
	case VP9:
		return webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP9, ClockRate: 90000, SDPFmtpLine: "profile-id=0", RTCPFeedback: fb}
	case AV1:
		return webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeAV1, ClockRate: 90000, RTCPFeedback: fb}
	case Opus:
		return webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2, SDPFmtpLine: "minptime=10;useinbandfec=1"}
	}
	return webrtc.RTPCodecCapability{}
}

func (c Codec) payloader() rtp.Payloader {
	switch c {
	case H264:
		return &codecs.H264Payloader{}
	case VP8:
		return &codecs.VP8Payloader{EnablePictureID: true}
	case VP9:
		return &codecs.VP9Payloader{}
	case AV1:
		return &codecs.AV1Payloader{}
	case Opus:
		return &codecs.OpusPayloader{}
	}
	return nil
}
