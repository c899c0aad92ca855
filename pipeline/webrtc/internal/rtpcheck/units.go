// Package rtpcheck inspects received RTP payloads: which H.264 NAL unit
// types and which VP8 key/delta frames arrive, in order. Tests and the
// WHIP ingest server use it to check what a peer really received.
package rtpcheck

import "github.com/pion/rtp/codecs"

// VP8/VP9 frame kinds reported by Units.
const (
	VP8Delta = 0
	VP8Key   = 1
)

// Units returns what starts in one RTP payload: the NAL unit types for
// H.264 (aggregated and first fragments included), or VP8Key/VP8Delta for
// the first packet of a VP8 or VP9 frame. Other codecs and continuation packets
// give nothing.
func Units(mime string, payload []byte) []int {
	switch mime {
	case "video/H264":
		return h264Units(payload)
	case "video/VP8":
		var p codecs.VP8Packet
		if _, err := p.Unmarshal(payload); err != nil || p.S != 1 || p.PID != 0 || len(p.Payload) == 0 {
			return nil
		}
		if p.Payload[0]&0x01 == 0 {
			return []int{VP8Key}
		}
		return []int{VP8Delta}
	case "video/VP9":
		var p codecs.VP9Packet
		if _, err := p.Unmarshal(payload); err != nil || !p.B {
			return nil
		}
		if p.P {
			return []int{VP8Delta}
		}
		return []int{VP8Key}
	}
	return nil
}

func h264Units(p []byte) []int {
	if len(p) < 1 {
		return nil
	}
	switch t := int(p[0] & 0x1f); t {
	case 24: // STAP-A
		var out []int
		for i := 1; i+2 < len(p); {
			n := int(p[i])<<8 | int(p[i+1])
			i += 2
			if n == 0 || i+n > len(p) {
				break
			}
			out = append(out, int(p[i]&0x1f))
			i += n
		}
		return out
	case 28: // FU-A
		if len(p) > 1 && p[1]&0x80 != 0 {
			return []int{int(p[1] & 0x1f)}
		}
		return nil
	default:
		return []int{t}
	}
}
