// Package encsink holds what the encoded-video sinks (nedwhepsink,
// nedwhipsink) share: the caps they accept, the codec those caps name,
// handing a buffer to a fan-out broadcaster, and asking upstream for a
// keyframe.
package encsink

// #cgo pkg-config: gstreamer-1.0 gstreamer-base-1.0 gstreamer-video-1.0
// #include "encsink.h"
import "C"

import (
	"errors"
	"fmt"
	"time"
	"unsafe"

	"github.com/go-gst/go-glib/pkg/gobject/v2"
	"github.com/go-gst/go-gst/pkg/gst"

	"github.com/nedstream/nedstream/pipeline/webrtc/fanout"
)

// Caps are the caps of the sinks' video pad.
const Caps = "video/x-h264, stream-format=(string)byte-stream, alignment=(string)au; video/x-vp8; video/x-vp9; " +
	"video/x-av1, stream-format=(string)obu-stream, alignment=(string)tu"

// Codec returns the fan-out codec the negotiated caps name.
func Codec(caps *gst.Caps) (fanout.Codec, error) {
	media := C.ned_enc_caps_media((*C.GstCaps)(gst.UnsafeCapsToGlibNone(caps)))
	if media == nil {
		return "", errors.New("empty caps")
	}
	return CodecFromMedia(C.GoString(media))
}

// CodecFromMedia maps a caps structure name to the fan-out codec.
func CodecFromMedia(media string) (fanout.Codec, error) {
	switch media {
	case "video/x-h264":
		return fanout.H264, nil
	case "video/x-vp8":
		return fanout.VP8, nil
	case "video/x-vp9":
		return fanout.VP9, nil
	case "video/x-av1":
		return fanout.AV1, nil
	}
	return "", fmt.Errorf("unsupported caps %q", media)
}

// ErrMap is returned by Write when the buffer cannot be mapped.
var ErrMap = errors.New("cannot map the buffer")

// Write hands one encoded buffer (with its PTS and duration) to the
// broadcaster. It returns gst.FlowFlushing once the broadcaster is closed,
// gst.FlowError with ErrMap when the buffer cannot be read, and otherwise
// gst.FlowOK with the broadcaster's error for a sample it dropped.
func Write(bc *fanout.Broadcaster, buf *gst.Buffer) (gst.FlowReturn, error) {
	cbuf := (*C.GstBuffer)(gst.UnsafeBufferToGlibNone(buf))
	var info C.GstMapInfo
	if C.ned_enc_buffer_map(cbuf, &info) == 0 {
		return gst.FlowError, ErrMap
	}
	sample := fanout.Sample{Data: unsafe.Slice((*byte)(unsafe.Pointer(info.data)), int(info.size))}
	if pts := C.ned_enc_buffer_pts(cbuf); pts != C.GST_CLOCK_TIME_NONE {
		sample.PTS, sample.HasPTS = time.Duration(pts), true
	}
	if d := C.ned_enc_buffer_duration(cbuf); d != C.GST_CLOCK_TIME_NONE {
		sample.Duration = time.Duration(d)
	}
	err := bc.WriteVideo(sample)
	C.ned_enc_buffer_unmap(cbuf, &info)
	if errors.Is(err, fanout.ErrClosed) {
		return gst.FlowFlushing, nil
	}
	return gst.FlowOK, err
}

// ForceKeyUnit pushes an upstream force-key-unit event from a base sink's
// pad; it reports whether upstream handled it.
func ForceKeyUnit(sink gobject.Object) bool {
	return C.ned_enc_force_key_unit((*C.GstBaseSink)(gobject.UnsafeObjectToGlibNone(sink))) != 0
}

// Render is a sink's render step: it writes buf to bc (nil before the
// caps made one: a not-negotiated error) and turns what went wrong into
// an element error (unreadable buffer) or a warning in cat (a dropped
// sample). name is the element name for the messages.
func Render(sink gobject.Object, cat Category, name string, bc *fanout.Broadcaster, buf *gst.Buffer) gst.FlowReturn {
	if bc == nil {
		PostError(sink, ErrFormat, name+": data before caps", "no caps were negotiated")
		return gst.FlowNotNegotiated
	}
	flow, err := Write(bc, buf)
	switch {
	case errors.Is(err, ErrMap):
		PostError(sink, ErrFailed, name+": cannot map a buffer", "gst_buffer_map failed")
	case err != nil:
		cat.Log(sink, LevelWarning, "dropping a sample: %v", err)
	}
	return flow
}

// RequestKeyframe answers a broadcaster's keyframe request (a viewer
// joined, or sent PLI/FIR) with a force-key-unit event upstream, logged in
// cat at debug level. Call it only while the sink runs.
func RequestKeyframe(sink gobject.Object, cat Category, r fanout.KeyframeRequest) {
	cat.Log(sink, LevelDebug, "requesting a keyframe upstream (%v, viewer %s)", r.Reason, r.ViewerID)
	if !ForceKeyUnit(sink) {
		cat.Log(sink, LevelDebug, "force-key-unit event was not handled upstream")
	}
}
