package nedfilter

// #include "nedfilter.h"
import "C"

import (
	"time"
	"unsafe"

	"github.com/nedstream/nedstream/models/edit"
	"github.com/nedstream/nedstream/models/face"
	"github.com/nedstream/nedstream/models/overlay"
)

// The lookahead holds frames inside the element. nedfilter is a
// GstVideoFilter whose in-place transform cannot keep a buffer, so the C side
// also overrides GstBaseTransform's generate_output (ned_generate_output):
// the parent class still runs the in-place transform on each input buffer
// (analysis, and the causal edit when the lookahead is 0), then
// nedfilterGenerate either returns the buffer at once or appends it to
// state.queue and returns the oldest held frame once more than lookahead
// frames are held, after rendering its edit (editor.Render, smoothed over the
// centred window). The base class calls generate_output until it gets no
// buffer, so lowering the lookahead releases the surplus at once. EOS, caps,
// segment, gap and stream-start events push the held frames first
// (ned_drain); a flush drops them.

// pending is a frame the lookahead holds.
type pending struct {
	buf *C.GstBuffer
	// seq numbers the frame for editor.Render; edit says whether it was
	// pushed to the editor.
	seq  uint64
	edit bool
	// editor is the editor the frame was pushed to; a reload in between
	// (new model pack) leaves the frame unedited.
	editor *edit.Editor
	// faces are the frame's faces (deep copies) for the edit and overlay.
	faces   []face.Face
	overlay overlay.Mode
}

// cloneFaces deep-copies faces (the engine may reuse the landmark slices).
func cloneFaces(fs []face.Face) []face.Face {
	out := make([]face.Face, len(fs))
	for i, f := range fs {
		out[i] = f
		out[i].Landmarks = append([]face.Point3(nil), f.Landmarks...)
	}
	return out
}

//export nedfilterGenerate
func nedfilterGenerate(vf *C.GstVideoFilter, buf *C.GstBuffer, out **C.GstBuffer) C.GstFlowReturn {
	f := lookup(unsafe.Pointer(vf))
	s := f.snapshot()
	f.stateMu.Lock()
	defer f.stateMu.Unlock()
	st := &f.state
	next, hasNext := st.next, st.hasNext
	st.next, st.hasNext = pending{}, false
	if buf != nil {
		if !hasNext && s.Lookahead == 0 && len(st.queue) == 0 {
			*out = buf // causal: already edited in place
			return C.GST_FLOW_OK
		}
		if !hasNext {
			next = pending{}
		}
		next.buf = buf
		st.queue = append(st.queue, next)
	}
	if len(st.queue) > s.Lookahead {
		*out = f.release(s)
	}
	return C.GST_FLOW_OK
}

//export nedfilterDrainOne
func nedfilterDrainOne(vf *C.GstVideoFilter) *C.GstBuffer {
	f := lookup(unsafe.Pointer(vf))
	s := f.snapshot()
	f.stateMu.Lock()
	defer f.stateMu.Unlock()
	if len(f.state.queue) == 0 {
		return nil
	}
	return f.release(s)
}

//export nedfilterFlush
func nedfilterFlush(vf *C.GstVideoFilter) {
	f := lookup(unsafe.Pointer(vf))
	f.stateMu.Lock()
	defer f.stateMu.Unlock()
	if n := len(f.state.queue); n > 0 {
		f.debugf("flush drops %d held frames", n)
	}
	f.state.dropQueue()
}

//export nedfilterLatency
func nedfilterLatency(vf *C.GstVideoFilter) C.GstClockTime {
	f := lookup(unsafe.Pointer(vf))
	var d C.gint
	n := C.ned_fps(vf, &d)
	return C.GstClockTime(lookaheadLatency(f.snapshot().Lookahead, int(n), int(d)))
}

//export nedfilterHeldBuffers
func nedfilterHeldBuffers(vf *C.GstVideoFilter) C.guint {
	f := lookup(unsafe.Pointer(vf))
	if n := f.snapshot().Lookahead; n > 0 {
		return C.guint(n + 1)
	}
	return 0
}

// lookaheadLatency is the latency n held frames add at fpsN/fpsD frames a
// second; an unknown or variable rate (0/1) counts as 30 frames a second.
func lookaheadLatency(n, fpsN, fpsD int) time.Duration {
	if n <= 0 {
		return 0
	}
	if fpsN <= 0 || fpsD <= 0 {
		fpsN, fpsD = 30, 1
	}
	return time.Duration(int64(n) * int64(time.Second) * int64(fpsD) / int64(fpsN))
}

// release pops the oldest held frame, renders its edit and overlay, and
// returns it; the caller holds stateMu.
func (f *Filter) release(s Settings) *C.GstBuffer {
	st := &f.state
	p := st.queue[0]
	st.queue[0] = pending{}
	st.queue = st.queue[1:]
	if len(st.queue) == 0 {
		st.queue = st.queue[:0:0]
	}
	needEdit := p.edit && st.editor != nil && p.editor == st.editor
	needOverlay := p.overlay != overlay.None && len(p.faces) > 0
	if !needEdit && !needOverlay {
		return p.buf
	}
	buf := C.ned_make_writable(p.buf)
	var frame C.GstVideoFrame
	if C.ned_map_frame((*C.GstVideoFilter)(unsafe.Pointer(f.element())), buf, &frame, C.TRUE) == C.FALSE {
		f.warnf("could not map a held frame for writing; passing it unchanged")
		return buf
	}
	defer C.ned_unmap_frame(&frame)
	img := frameImage(&frame, st.format)
	if img.Pix == nil {
		return buf
	}
	if needEdit {
		if _, err := st.editor.Render(img, p.faces, p.seq, min(s.Lookahead, edit.MaxLookahead)); err != nil {
			f.processError(err)
		}
	}
	if needOverlay {
		overlay.Draw(img, p.faces, p.overlay, st.triangles)
	}
	return buf
}

// dropQueue releases the held frames without pushing them.
func (st *state) dropQueue() {
	for i := range st.queue {
		C.ned_buffer_unref(st.queue[i].buf)
	}
	st.queue = nil
	st.next, st.hasNext = pending{}, false
}
