package nedfilter

// #include "nedfilter.h"
import "C"

import (
	"strings"
	"unsafe"

	"github.com/nedstream/nedstream/models/manipulator"
)

// Action signals (registered in C by ned_class_setup):
//
//	set-face-override (guint64 track_id, gchararray emotion, gdouble intensity)
//	    gives one face its own target; intensity < 0 follows the intensity
//	    property; an empty emotion removes the face's override.
//	clear-face-overrides ()
//	    removes every override.
//
// Both edit the face-overrides property (so reading it shows the result),
// and the changes fade in over transition.

// Signal names.
const (
	SignalSetFaceOverride    = "set-face-override"
	SignalClearFaceOverrides = "clear-face-overrides"
)

//export nedfilterSetFaceOverride
func nedfilterSetFaceOverride(vf *C.GstVideoFilter, id C.guint64, emotion *C.char, intensity C.gdouble) {
	f := lookup(unsafe.Pointer(vf))
	name := ""
	if emotion != nil {
		name = strings.TrimSpace(C.GoString(emotion))
	}
	o := FaceOverride{Intensity: float64(intensity)}
	remove := name == ""
	if !remove {
		e, err := manipulator.ParseEmotion(name)
		if err != nil {
			f.warnf("%s: %v; ignored", SignalSetFaceOverride, err)
			return
		}
		o.Emotion = e
		if !(o.Intensity >= 0) {
			o.Intensity = -1
		}
		o.Intensity = min(o.Intensity, 1)
	}
	f.settings.Update(func(s *Settings) {
		if remove || len(s.Overrides) < maxOverrides {
			s.Overrides = s.Overrides.with(uint64(id), o, remove)
		}
	})
	f.debugf("%s %d %q %.2f", SignalSetFaceOverride, uint64(id), name, float64(intensity))
}

//export nedfilterClearFaceOverrides
func nedfilterClearFaceOverrides(vf *C.GstVideoFilter) {
	f := lookup(unsafe.Pointer(vf))
	f.settings.Update(func(s *Settings) { s.Overrides = nil })
}
