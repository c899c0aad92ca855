package nedfilter

// #include <stdlib.h>
// #include "nedfilter.h"
import "C"

import (
	"sync"
	"time"
	"unsafe"

	"github.com/go-gst/go-gst/pkg/gst"

	"github.com/nedstream/nedstream/models/blendshape"
	"github.com/nedstream/nedstream/models/face"
)

// Names of the element messages nedfilter posts.
const (
	// FacesMessageName is posted for every frame with at least one face.
	FacesMessageName = "nedstream-faces"
	// StatsMessageName is posted every stats-interval milliseconds.
	StatsMessageName = "nedstream-stats"
)

// ClockTimeNone marks a missing timestamp in FacesMessage.
const ClockTimeNone = ^uint64(0)

// FacesMessage is the content of a nedstream-faces element message:
//
//	nedstream-faces, frame=(guint64), pts=(guint64), running-time=(guint64),
//	  width=(int), height=(int), detected=(boolean), num-faces=(int),
//	  faces=(GstValueArray)< face, track-id=(guint64), x=(float), y=(float),
//	    w=(float), h=(float), score=(float), yaw=(double), pitch=(double),
//	    roll=(double), age=(int), landmarks=(int), occluded=(boolean),
//	    blendshapes=(structure)[ blendshapes, _neutral=(float), browDownLeft=(float), ... ],
//	    emotion=(string), intensity=(float) ... >,
//	  timings=(structure)[ timings, detect=(guint64), landmarks=(guint64), iris=(guint64),
//	    blendshapes=(guint64), pose=(guint64), total=(guint64), element=(guint64) ]
//
// Times are nanoseconds; pts and running-time are GST_CLOCK_TIME_NONE
// (ClockTimeNone) when unknown; the box is in pixels of the frame; angles
// are degrees; blendshapes are named as blendshape.Names. emotion and
// intensity (the face's edit target and its current, ramped intensity) are
// present only while the element edits.
type FacesMessage struct {
	// Frame counts the frames the element has seen since it started (from 0).
	Frame            uint64
	PTS, RunningTime uint64
	Width, Height    int
	// Detected reports whether the detector ran on this frame.
	Detected bool
	Faces    []FaceInfo
	Timings  face.Timings
	// Element is the element's whole time on the frame (engine, overlay,
	// metadata), up to posting the message.
	Element time.Duration
}

// FaceInfo is one face of a FacesMessage.
type FaceInfo struct {
	TrackID          uint64
	Box              face.Rect
	Score            float32
	Yaw, Pitch, Roll float64
	// Age counts the frames the track has lived.
	Age int
	// Landmarks is the number of landmarks the engine produced (468 or 478).
	Landmarks int
	// Occluded is true while the face is held through an occlusion (see
	// face.Face.Occluded): its values are the last good ones.
	Occluded    bool
	Blendshapes [blendshape.Count]float32
	// Emotion is the face's edit target ("happy", ..., "reference" for a
	// reference style; "" when the element does not edit) and Intensity
	// its current, ramped, intensity (fields emotion and intensity).
	Emotion   string
	Intensity float32
}

// Blendshape returns the named coefficient (see blendshape.Names), or 0.
func (f FaceInfo) Blendshape(name string) float32 {
	if i := blendshape.Index(name); i >= 0 {
		return f.Blendshapes[i]
	}
	return 0
}

var cInit sync.Once

// initC prepares the C side (debug category, field quarks, blendshape names).
func initC() {
	cInit.Do(func() {
		C.ned_init_once()
		for i, n := range blendshape.Names {
			cs := C.CString(n)
			C.ned_set_blendshape_name(C.int(i), cs)
			C.free(unsafe.Pointer(cs))
		}
	})
}

// ParseFacesMessage reads a nedstream-faces structure (from
// (*gst.Message).GetStructure of an element message); ok is false for any
// other structure.
func ParseFacesMessage(s *gst.Structure) (m FacesMessage, ok bool) {
	if s == nil {
		return m, false
	}
	initC()
	cs := (*C.GstStructure)(gst.UnsafeStructureToGlibNone(s))
	var h C.NedFacesHeader
	if C.ned_parse_faces_header(cs, &h) == C.FALSE {
		return m, false
	}
	m = FacesMessage{
		Frame:       uint64(h.frame),
		PTS:         uint64(h.pts),
		RunningTime: uint64(h.running_time),
		Width:       int(h.width),
		Height:      int(h.height),
		Detected:    h.detected != C.FALSE,
		Timings: face.Timings{
			Detect:      time.Duration(h.timings.detect),
			Landmarks:   time.Duration(h.timings.landmarks),
			Iris:        time.Duration(h.timings.iris),
			Blendshapes: time.Duration(h.timings.blendshapes),
			Pose:        time.Duration(h.timings.pose),
			Total:       time.Duration(h.timings.total),
		},
		Element: time.Duration(h.timings.element),
	}
	for i := 0; i < int(h.num_faces); i++ {
		var f C.NedFace
		if C.ned_parse_face(cs, C.int(i), &f) == C.FALSE {
			continue
		}
		fi := FaceInfo{
			TrackID:   uint64(f.track_id),
			Box:       face.Rect{X: float32(f.x), Y: float32(f.y), W: float32(f.w), H: float32(f.h)},
			Score:     float32(f.score),
			Yaw:       float64(f.yaw),
			Pitch:     float64(f.pitch),
			Roll:      float64(f.roll),
			Age:       int(f.age),
			Landmarks: int(f.n_landmarks),
			Occluded:  f.occluded != C.FALSE,
			Emotion:   C.GoString(&f.emotion[0]),
			Intensity: float32(f.intensity),
		}
		for k := range fi.Blendshapes {
			fi.Blendshapes[k] = float32(f.blendshapes[k])
		}
		m.Faces = append(m.Faces, fi)
	}
	return m, true
}

// StatsMessage is the content of a nedstream-stats element message. Stage
// times are means over the analysed frames of the interval, in milliseconds
// in the message (fields detect-ms ... total-ms, element-ms).
type StatsMessage struct {
	// Frames counts all frames since start; IntervalFrames those of this interval.
	Frames, IntervalFrames, AnalysedFrames, FramesWithFaces uint64
	Interval                                                time.Duration
	FPS, MeanFaces, DetectionsPerFrame                      float64
	// Stages holds the mean per-stage times; Element the mean time the
	// element spent per frame.
	Stages  face.Timings
	Element time.Duration
}

// ParseStatsMessage reads a nedstream-stats structure; ok is false for any other.
func ParseStatsMessage(s *gst.Structure) (m StatsMessage, ok bool) {
	if s == nil || s.GetName() != StatsMessageName {
		return m, false
	}
	u := func(name string) uint64 { v, _ := s.GetUint64(name); return v }
	d := func(name string) float64 { v, _ := s.GetDouble(name); return v }
	ms := func(name string) time.Duration { return time.Duration(d(name) * float64(time.Millisecond)) }
	m = StatsMessage{
		Frames:             u("frames"),
		IntervalFrames:     u("interval-frames"),
		AnalysedFrames:     u("analysed-frames"),
		FramesWithFaces:    u("frames-with-faces"),
		Interval:           time.Duration(d("interval") * float64(time.Second)),
		FPS:                d("fps"),
		MeanFaces:          d("mean-faces"),
		DetectionsPerFrame: d("detections-per-frame"),
		Stages: face.Timings{
			Detect:      ms("detect-ms"),
			Landmarks:   ms("landmarks-ms"),
			Iris:        ms("iris-ms"),
			Blendshapes: ms("blendshapes-ms"),
			Pose:        ms("pose-ms"),
			Total:       ms("total-ms"),
		},
		Element: ms("element-ms"),
	}
	return m, true
}

// MetaFace is a face as nedfilter records it in the buffer's GstAnalytics
// relation metadata: an object-detection entry of type "face" related
// (RELATE_TO) to a tracking entry.
type MetaFace struct {
	// X, Y, W, H is the box in pixels (rounded toward zero).
	X, Y, W, H int
	// Confidence is the face score.
	Confidence float32
	// TrackID is 0 when the tracking entry is missing.
	TrackID uint64
	// FirstSeen is the PTS of the track's first frame (ClockTimeNone if unknown).
	FirstSeen uint64
}

// FacesFromMeta reads the faces nedfilter attached to buf (for a pad probe
// or an appsink downstream); nil when there are none.
func FacesFromMeta(buf *gst.Buffer) []MetaFace {
	if buf == nil {
		return nil
	}
	initC()
	var tmp [4 * maxMaxFaces]C.NedMetaFace
	n := int(C.ned_read_analytics((*C.GstBuffer)(gst.UnsafeBufferToGlibNone(buf)), &tmp[0], C.int(len(tmp))))
	if n == 0 {
		return nil
	}
	out := make([]MetaFace, n)
	for i := range out {
		c := tmp[i]
		out[i] = MetaFace{
			X: int(c.x), Y: int(c.y), W: int(c.w), H: int(c.h),
			Confidence: float32(c.confidence),
			TrackID:    uint64(c.track_id),
			FirstSeen:  uint64(c.first_seen),
		}
	}
	return out
}
