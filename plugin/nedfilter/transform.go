package nedfilter

// #include "nedfilter.h"
import "C"

import (
	"time"
	"unsafe"

	"github.com/nedstream/nedstream/models/edit"
	"github.com/nedstream/nedstream/models/face"
	"github.com/nedstream/nedstream/models/manipulator"
	"github.com/nedstream/nedstream/models/overlay"
	"github.com/nedstream/nedstream/models/raster"
)

//export nedfilterTransformFrameIp
func nedfilterTransformFrameIp(vf *C.GstVideoFilter, frame *C.GstVideoFrame) C.GstFlowReturn {
	return lookup(unsafe.Pointer(vf)).transformFrame(frame)
}

//export nedfilterSetInfo
func nedfilterSetInfo(vf *C.GstVideoFilter, format *C.char, width, height, fpsN, fpsD C.int) C.gboolean {
	f := lookup(unsafe.Pointer(vf))
	name := C.GoString(format)
	fm, err := raster.ParseFormat(name)
	if err != nil {
		f.warnf("refusing caps: %v", err)
		return C.FALSE
	}
	f.stateMu.Lock()
	defer f.stateMu.Unlock()
	st := &f.state
	if (int(fpsN) != st.fpsN || int(fpsD) != st.fpsD) && f.snapshot().Lookahead > 0 {
		// The added latency is counted in frames: a new rate changes it.
		C.ned_post_latency(f.element())
	}
	st.fpsN, st.fpsD = int(fpsN), int(fpsD)
	if st.format != fm || st.width != int(width) || st.height != int(height) {
		f.infof("caps: %s %dx%d", name, int(width), int(height))
		st.forgetTracks()
	}
	st.format, st.width, st.height = fm, int(width), int(height)
	return C.TRUE
}

//export nedfilterReset
func nedfilterReset(vf *C.GstVideoFilter) {
	f := lookup(unsafe.Pointer(vf))
	f.stateMu.Lock()
	f.state.forgetTracks()
	f.stateMu.Unlock()
}

// frameImage views the first plane of a mapped packed-RGB frame.
func frameImage(frame *C.GstVideoFrame, fm raster.Format) raster.Image {
	w, h := int(frame.info.width), int(frame.info.height)
	stride := int(frame.info.stride[0])
	n := stride*(h-1) + w*4
	if frame.data[0] == nil || w <= 0 || h <= 0 || stride < w*4 {
		return raster.Image{}
	}
	return raster.Image{
		Pix:    unsafe.Slice((*byte)(frame.data[0]), n),
		Width:  w,
		Height: h,
		Stride: stride,
		Format: fm,
	}
}

func (f *Filter) transformFrame(frame *C.GstVideoFrame) C.GstFlowReturn {
	t0 := time.Now()
	s := f.snapshot()
	f.stateMu.Lock()
	defer f.stateMu.Unlock()
	st := &f.state
	frameNo := st.frames
	st.frames++

	if !st.loadTried || s.loadKey() != st.loaded {
		if !f.load(s) {
			return C.GST_FLOW_ERROR
		}
	}

	var res face.Result
	analysed := false
	var img raster.Image
	if st.engine != nil {
		if cfg := s.engineConfig(); cfg != st.applied {
			st.engine.SetConfig(cfg)
			st.applied = cfg
			f.debugf("engine config now %+v", cfg)
		}
		img = frameImage(frame, st.format)
		if img.Pix != nil {
			var err error
			res, err = st.engine.Process(img)
			if err != nil {
				f.processError(err)
			} else {
				analysed = true
			}
		}
	}

	writable := frame._map[0].flags&C.GST_MAP_WRITE != 0
	// With a lookahead (or while held frames drain after it was lowered)
	// the edit and overlay happen when the frame leaves (release).
	deferred := s.Lookahead > 0 || len(st.queue) > 0
	st.next, st.hasNext = pending{}, deferred
	var states []edit.FaceState
	if analysed && st.editor != nil && !s.AnalysisOnly && (writable || deferred) {
		// Stream time since the previous frame advances the transitions.
		pts := frame.buffer.pts
		dt := time.Second / 30
		if pts != C.GST_CLOCK_TIME_NONE && st.lastPTS != C.GST_CLOCK_TIME_NONE && pts > st.lastPTS {
			dt = time.Duration(pts - st.lastPTS)
		}
		st.lastPTS = pts
		seq, _, fs, err := st.editor.Push(res.Faces, s.editSettings(f.ref.current(f, st.editor)), dt)
		states = fs
		switch {
		case err != nil:
			f.processError(err)
		case deferred:
			st.next.seq, st.next.edit, st.next.editor = seq, true, st.editor
		default:
			if _, err := st.editor.Render(img, res.Faces, seq, 0); err != nil {
				f.processError(err)
			}
		}
	}

	if analysed && len(res.Faces) > 0 {
		if deferred {
			st.next.faces, st.next.overlay = cloneFaces(res.Faces), s.Overlay
		} else if s.Overlay != overlay.None && writable {
			overlay.Draw(img, res.Faces, s.Overlay, st.triangles)
		}
		f.publish(frame, frameNo, res, states, t0)
	}

	st.stats.add(analysed, res, time.Since(t0))
	if s.StatsInterval > 0 {
		if now := time.Now(); now.Sub(st.stats.since) >= s.StatsInterval {
			cs := st.stats.take(now, st.frames)
			C.ned_post_stats(f.element(), &cs)
		}
	}
	return C.GST_FLOW_OK
}

// publish attaches the analytics metadata and posts the nedstream-faces message.
func (f *Filter) publish(frame *C.GstVideoFrame, frameNo uint64, res face.Result, states []edit.FaceState, t0 time.Time) {
	st := &f.state
	buf := frame.buffer
	pts := buf.pts
	n := len(res.Faces)
	st.faces = st.faces[:0]
	st.seen = st.seen[:0]
	for i := range res.Faces {
		fc := &res.Faces[i]
		var c C.NedFace
		c.track_id = C.guint64(fc.TrackID)
		c.x, c.y, c.w, c.h = C.gfloat(fc.Box.X), C.gfloat(fc.Box.Y), C.gfloat(fc.Box.W), C.gfloat(fc.Box.H)
		c.score = C.gfloat(fc.Score)
		c.yaw, c.pitch, c.roll = C.gdouble(fc.Pose.Yaw), C.gdouble(fc.Pose.Pitch), C.gdouble(fc.Pose.Roll)
		c.age = C.gint(fc.Age)
		c.n_landmarks = C.gint(len(fc.Landmarks))
		if fc.Occluded {
			c.occluded = C.TRUE
		}
		for k, v := range fc.Blendshapes {
			c.blendshapes[k] = C.gfloat(v)
		}
		for _, fs := range states {
			if fs.TrackID == fc.TrackID {
				setCString(c.emotion[:], targetName(fs.Target))
				c.intensity = C.gfloat(fs.Level)
			}
		}
		st.faces = append(st.faces, c)
		first, ok := st.firstSeen[fc.TrackID]
		if !ok {
			first = C.GstClockTime(pts)
			st.firstSeen[fc.TrackID] = first
		}
		st.seen = append(st.seen, first)
	}
	if len(st.firstSeen) > 4*maxMaxFaces {
		st.pruneFirstSeen(res.Faces)
	}

	if C.ned_add_analytics(buf, &st.faces[0], C.int(n), &st.seen[0]) == C.FALSE {
		f.logf(levelLog, "frame %d: buffer not writable, no analytics metadata attached", frameNo)
	}
	t := res.Timings
	ct := C.NedTimings{
		detect:      C.guint64(t.Detect),
		landmarks:   C.guint64(t.Landmarks),
		iris:        C.guint64(t.Iris),
		blendshapes: C.guint64(t.Blendshapes),
		pose:        C.guint64(t.Pose),
		total:       C.guint64(t.Total),
		element:     C.guint64(time.Since(t0)),
	}
	detected := C.gboolean(C.FALSE)
	if res.Detected {
		detected = C.TRUE
	}
	C.ned_post_faces(f.element(), C.guint64(frameNo), C.GstClockTime(pts),
		C.int(st.width), C.int(st.height), detected, &st.faces[0], C.int(n), &ct)
}

func (st *state) pruneFirstSeen(current []face.Face) {
	live := make(map[uint64]bool, len(current))
	for _, fc := range current {
		live[fc.TrackID] = true
	}
	for id := range st.firstSeen {
		if !live[id] {
			delete(st.firstSeen, id)
		}
	}
}

// processError reports a failed Process: once as an element warning, then
// at most once a second in the debug log.
func (f *Filter) processError(err error) {
	st := &f.state
	st.processErrors++
	if !st.warnedProcess {
		st.warnedProcess = true
		f.postWarning("Face analysis failed; frames it fails on pass unchanged", err.Error())
	}
	if now := time.Now(); now.Sub(st.lastErrorLog) >= time.Second {
		st.lastErrorLog = now
		f.warnf("face analysis failed (%d times so far): %v", st.processErrors, err)
	}
}

// targetName names a target for nedstream-faces: "reference", or the class
// with the largest weight.
func targetName(t edit.Target) string {
	if t.Ref != nil {
		return "reference"
	}
	best := 0
	for i, w := range t.Mix {
		if w > t.Mix[best] {
			best = i
		}
	}
	return manipulator.Emotion(best).String()
}

// setCString copies s into a fixed C char array, NUL-terminated.
func setCString(dst []C.gchar, s string) {
	n := min(len(s), len(dst)-1)
	for i := 0; i < n; i++ {
		dst[i] = C.gchar(s[i])
	}
	dst[n] = 0
}
