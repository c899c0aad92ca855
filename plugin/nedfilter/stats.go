package nedfilter

// #include "nedfilter.h"
import "C"

import (
	"time"

	"github.com/nedstream/nedstream/models/face"
)

// statsAccum sums what the nedstream-stats message reports over one interval.
type statsAccum struct {
	since                                   time.Time
	frames, analysed, withFaces, faces, det uint64
	stages                                  face.Timings
	element                                 time.Duration
}

func (a *statsAccum) begin(now time.Time) { *a = statsAccum{since: now} }

func (a *statsAccum) add(analysed bool, res face.Result, element time.Duration) {
	if a.since.IsZero() {
		a.since = time.Now()
	}
	a.frames++
	a.element += element
	if !analysed {
		return
	}
	a.analysed++
	a.faces += uint64(len(res.Faces))
	if len(res.Faces) > 0 {
		a.withFaces++
	}
	if res.Detected {
		a.det++
	}
	t := res.Timings
	a.stages.Detect += t.Detect
	a.stages.Landmarks += t.Landmarks
	a.stages.Iris += t.Iris
	a.stages.Blendshapes += t.Blendshapes
	a.stages.Pose += t.Pose
	a.stages.Total += t.Total
}

// take returns the interval's statistics and starts a new interval at now.
func (a *statsAccum) take(now time.Time, totalFrames uint64) C.NedStats {
	secs := now.Sub(a.since).Seconds()
	ms := func(d time.Duration, n uint64) C.gdouble {
		if n == 0 {
			return 0
		}
		return C.gdouble(float64(d) / float64(n) / 1e6)
	}
	per := func(v, n uint64) C.gdouble {
		if n == 0 {
			return 0
		}
		return C.gdouble(float64(v) / float64(n))
	}
	s := C.NedStats{
		frames:               C.guint64(totalFrames),
		interval_frames:      C.guint64(a.frames),
		analysed_frames:      C.guint64(a.analysed),
		frames_with_faces:    C.guint64(a.withFaces),
		interval_s:           C.gdouble(secs),
		mean_faces:           per(a.faces, a.analysed),
		detections_per_frame: per(a.det, a.analysed),
		detect_ms:            ms(a.stages.Detect, a.analysed),
		landmarks_ms:         ms(a.stages.Landmarks, a.analysed),
		iris_ms:              ms(a.stages.Iris, a.analysed),
		blendshapes_ms:       ms(a.stages.Blendshapes, a.analysed),
		pose_ms:              ms(a.stages.Pose, a.analysed),
		total_ms:             ms(a.stages.Total, a.analysed),
		element_ms:           ms(a.element, a.frames),
	}
	if secs > 0 {
		s.fps = C.gdouble(float64(a.frames) / secs)
	}
	a.begin(now)
	return s
}
