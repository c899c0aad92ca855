package fanout

import (
	"math/rand/v2"
	"time"

	"github.com/pion/rtp"
)

// stream packetizes one codec's samples once for all viewers.
type stream struct {
	codec     Codec
	payloader rtp.Payloader
	mtu       uint16
	seq       uint16
	next      time.Duration // media time of the next sample without PTS
	base      uint32
	firstPTS  time.Duration
	started   bool
	sps, pps  []byte // last H.264 parameter sets, prepended to IDRs lacking them
}

func newStream(c Codec, mtu int) *stream {
	return &stream{codec: c, payloader: c.payloader(), mtu: uint16(mtu), seq: uint16(rand.Uint32()), base: rand.Uint32()}
}

// timestamp maps the sample to the RTP clock. Media time is kept as a
// duration so rounding does not accumulate.
func (s *stream) timestamp(smp Sample) uint32 {
	at := s.next
	if smp.HasPTS {
		if !s.started {
			s.firstPTS = smp.PTS
		}
		at = smp.PTS - s.firstPTS
	}
	s.started = true
	s.next = at + smp.Duration
	ticks := at.Nanoseconds() / 1000 * int64(s.codec.ClockRate()) / 1_000_000 // µs precision avoids overflow
	return s.base + uint32(ticks)
}

// packetize returns the RTP packets of one sample. They are shared, read
// only, by every viewer's writer (pion copies the header per binding).
func (s *stream) packetize(smp Sample) []*rtp.Packet {
	data := smp.Data
	if s.codec == H264 {
		data = s.withParameterSets(data)
	}
	ts := s.timestamp(smp)
	payloads := s.payloader.Payload(s.mtu-12, data)
	pkts := make([]*rtp.Packet, 0, len(payloads))
	for i, p := range payloads {
		pkt := &rtp.Packet{Header: rtp.Header{
			Version:        2,
			Marker:         s.codec.IsVideo() && i == len(payloads)-1,
			SequenceNumber: s.seq,
			Timestamp:      ts,
		}, Payload: p}
		s.seq++
		pkts = append(pkts, pkt)
	}
	return pkts
}

// withParameterSets remembers SPS/PPS and prepends them to an IDR access
// unit that lacks them, so a viewer starting on any IDR can decode.
func (s *stream) withParameterSets(au []byte) []byte {
	hasSPS, hasIDR := false, false
	forEachNAL(au, func(nal []byte) {
		switch nal[0] & 0x1f {
		case 7:
			hasSPS = true
			s.sps = append(s.sps[:0], nal...)
		case 8:
			s.pps = append(s.pps[:0], nal...)
		case 5:
			hasIDR = true
		}
	})
	if !hasIDR || hasSPS || s.sps == nil || s.pps == nil {
		return au
	}
	out := make([]byte, 0, len(au)+len(s.sps)+len(s.pps)+8)
	out = append(out, 0, 0, 0, 1)
	out = append(out, s.sps...)
	out = append(out, 0, 0, 0, 1)
	out = append(out, s.pps...)
	return append(out, au...)
}
