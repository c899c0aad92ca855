package encsink

// #include <stdlib.h>
// #include "encsink.h"
import "C"

import (
	"time"
	"unsafe"

	"github.com/go-gst/go-glib/pkg/gobject/v2"

	"github.com/nedstream/nedstream/pipeline/webrtc/fanout"
)

// Field is one string field of an element message.
type Field struct{ Key, Value string }

// PostMessage posts an element message called name from the sink with the
// string fields and, when stats is not nil, the statistics fields:
// bitrate (bit/s sent), fraction-lost (0..1) and packets-lost, jitter-ms
// and rtt-ms (from the peer's RTCP receiver reports on the video stream),
// receiver-reports, packets-sent, bytes-sent (all media), plis, firs,
// overflows, time-to-first-frame-ms, and the audio stream's
// audio-packets-sent, audio-bytes-sent, audio-fraction-lost,
// audio-packets-lost, audio-jitter-ms and audio-receiver-reports.
func PostMessage(sink gobject.Object, name string, fields []Field, stats *fanout.ViewerStats) {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	n := len(fields)
	// The key and value arrays live in C memory: cgo forbids passing Go
	// memory that holds Go pointers.
	keys := (**C.char)(C.malloc(C.size_t(max(n, 1)) * C.size_t(unsafe.Sizeof(uintptr(0)))))
	values := (**C.char)(C.malloc(C.size_t(max(n, 1)) * C.size_t(unsafe.Sizeof(uintptr(0)))))
	defer C.free(unsafe.Pointer(keys))
	defer C.free(unsafe.Pointer(values))
	ks, vs := unsafe.Slice(keys, max(n, 1)), unsafe.Slice(values, max(n, 1))
	for i, f := range fields {
		ks[i], vs[i] = C.CString(f.Key), C.CString(f.Value)
	}
	defer func() {
		for i := range fields {
			C.free(unsafe.Pointer(ks[i]))
			C.free(unsafe.Pointer(vs[i]))
		}
	}()
	var st *C.NedEncStats
	if stats != nil {
		cs := cStats(*stats)
		st = &cs
	}
	C.ned_enc_post_message((*C.GstElement)(gobject.UnsafeObjectToGlibNone(sink)), cname, keys, values, C.int(n), st)
}

func ms(d time.Duration) C.double { return C.double(float64(d) / float64(time.Millisecond)) }

func cStats(v fanout.ViewerStats) C.NedEncStats {
	return C.NedEncStats{
		bitrate:                C.double(v.Bitrate),
		fraction_lost:          C.double(v.FractionLost),
		jitter_ms:              ms(v.Jitter),
		rtt_ms:                 ms(v.RTT),
		time_to_first_frame_ms: ms(v.TimeToFirstFrame),
		packets_sent:           C.guint64(v.PacketsSent),
		bytes_sent:             C.guint64(v.BytesSent),
		packets_lost:           C.gint64(v.PacketsLost),
		receiver_reports:       C.guint64(v.ReceiverReports),
		plis:                   C.guint64(v.PLIs),
		firs:                   C.guint64(v.FIRs),
		overflows:              C.guint64(v.Overflows),
		audio_fraction_lost:    C.double(v.Audio.FractionLost),
		audio_jitter_ms:        ms(v.Audio.Jitter),
		audio_packets_sent:     C.guint64(v.Audio.PacketsSent),
		audio_bytes_sent:       C.guint64(v.Audio.BytesSent),
		audio_packets_lost:     C.gint64(v.Audio.PacketsLost),
		audio_receiver_reports: C.guint64(v.Audio.ReceiverReports),
	}
}
