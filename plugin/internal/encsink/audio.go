package encsink

// #include "encsink.h"
import "C"

import (
	"errors"
	"sync"
	"time"
	"unsafe"

	"github.com/go-gst/go-glib/pkg/gobject/v2"
	"github.com/go-gst/go-gst/pkg/gst"

	"github.com/nedstream/nedstream/pipeline/webrtc/fanout"
)

// AudioCaps are the caps of the optional "audio" request pad.
const AudioCaps = C.NED_ENC_AUDIO_CAPS

// InstallAudioPad gives the sink class (a GstBaseSink subclass registered
// but not yet handed to gst.ElementRegister) an "audio" request pad for
// Opus. The pad's buffers wait for their running time on the pipeline
// clock, as the base sink's video pad does, and then go to the broadcaster
// attached with Attach (WriteAudio); without one they are dropped. Call it
// once per type, before registering the element.
func InstallAudioPad(t gobject.Type) {
	C.ned_enc_audio_install(C.GType(t))
}

// HasAudioPad reports whether the element's audio pad was requested.
func HasAudioPad(sink gobject.Object) bool {
	return C.ned_enc_has_audio_pad((*C.GstElement)(gobject.UnsafeObjectToGlibNone(sink))) != 0
}

// audioTarget is where an element's audio buffers go.
type audioTarget struct {
	bc      *fanout.Broadcaster
	onError func(error)
}

// targets maps an element (its C pointer) to its broadcaster. The audio
// pad's chain function is C code calling back into Go with only the
// element pointer, so this process-wide table is what the cgo callback
// forces.
var targets sync.Map // uintptr -> audioTarget

// Attach sends the element's audio buffers to bc from now on; onError (may
// be nil) hears about samples the broadcaster refused.
func Attach(sink gobject.Object, bc *fanout.Broadcaster, onError func(error)) {
	targets.Store(uintptr(gobject.UnsafeObjectToGlibNone(sink)), audioTarget{bc: bc, onError: onError})
}

// Detach stops sending the element's audio buffers anywhere.
func Detach(sink gobject.Object) {
	targets.Delete(uintptr(gobject.UnsafeObjectToGlibNone(sink)))
}

//export nedEncAudioWrite
func nedEncAudioWrite(e *C.GstElement, data *C.guint8, size C.gsize, rt, dur C.GstClockTime) C.GstFlowReturn {
	v, ok := targets.Load(uintptr(unsafe.Pointer(e)))
	if !ok || size == 0 {
		return C.GstFlowReturn(gst.FlowOK) // no broadcaster yet (video caps not seen): dropped
	}
	t := v.(audioTarget)
	if !t.bc.Options().Audio {
		return C.GstFlowReturn(gst.FlowOK)
	}
	s := fanout.Sample{Data: unsafe.Slice((*byte)(unsafe.Pointer(data)), int(size))}
	if rt != C.GST_CLOCK_TIME_NONE {
		s.PTS, s.HasPTS = time.Duration(rt), true
	}
	if dur != C.GST_CLOCK_TIME_NONE {
		s.Duration = time.Duration(dur)
	}
	err := t.bc.WriteAudio(s)
	switch {
	case errors.Is(err, fanout.ErrClosed):
		return C.GstFlowReturn(gst.FlowFlushing)
	case err != nil && t.onError != nil:
		t.onError(err)
	}
	return C.GstFlowReturn(gst.FlowOK)
}
