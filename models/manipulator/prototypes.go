package manipulator

import (
	"fmt"

	"github.com/nedstream/nedstream/models/blendshape"
)

// Channel says how the analytic manipulator treats one coefficient.
type Channel int

// The channel kinds.
const (
	// Blend channels carry the emotion (brows, cheeks, lids, smile, frown,
	// dimple, sneer, and _neutral): out = (1-a)·e + a·p, the source value
	// replaced by the prototype as the intensity a goes to 1.
	Blend Channel = iota
	// Speech channels carry lip-sync (jaw opening, lip closure, rounding,
	// rolls, presses, lip raise/lower, chin raise, lip spread): the source
	// motion is kept and the prototype adds a bounded offset,
	// out = clamp(e + a·p, 0, 1) (e.g. surprise's jaw drop on top of speech).
	Speech
	// Motion channels are neither emotion nor speech (blinks, gaze, lateral
	// jaw and mouth shifts, cheek puff): always kept; no prototype sets them.
	Motion
)

// String names the channel kind.
func (c Channel) String() string {
	switch c {
	case Blend:
		return "blend"
	case Speech:
		return "speech"
	case Motion:
		return "motion"
	}
	return fmt.Sprintf("channel(%d)", int(c))
}

// MaxSpeechOffset bounds what a style may add to a speech channel, so that
// an emotion never holds the mouth shut or wide open against the speech.
const MaxSpeechOffset = 0.5

// speechNames are the lip-sync channels, each with the visemes it carries:
//
//	jawOpen                       vowel openness (AU26/27), the main lip-sync track
//	mouthClose                    lips sealed against an open jaw: p, b, m
//	mouthFunnel, mouthPucker      lip rounding (AU22, AU18): o, u, w, sh, ch
//	mouthRollLower/Upper          lips sucked in (AU28): m, b, p, f, v
//	mouthPressLeft/Right          lip pressing (AU24): bilabial closures
//	mouthLowerDownLeft/Right      lower lip lowered (AU16): open vowels, th
//	mouthUpperUpLeft/Right        upper lip raised (AU10): f, v, open vowels
//	mouthShrugLower/Upper         chin raise / lip push (AU17): f, v, m
//	mouthStretchLeft/Right        lip spread (AU20): ee, s, i
//
// Replacing them by a static prototype would freeze the mouth; keeping them
// with an additive offset keeps the lip-sync and still lets an emotion open
// the jaw (surprise, fear), press the lips (anger) or raise the upper lip
// (disgust).
var speechNames = []string{
	"jawOpen", "mouthClose", "mouthFunnel", "mouthPucker", "mouthRollLower", "mouthRollUpper",
	"mouthPressLeft", "mouthPressRight", "mouthLowerDownLeft", "mouthLowerDownRight",
	"mouthUpperUpLeft", "mouthUpperUpRight", "mouthShrugLower", "mouthShrugUpper",
	"mouthStretchLeft", "mouthStretchRight",
}

// motionNames are kept untouched: blinks and gaze (an emotion must not stop
// the eyes), lateral jaw and mouth shifts (articulation and idiosyncrasy, not
// emotion) and cheek puff (a deliberate action).
var motionNames = []string{
	"eyeBlinkLeft", "eyeBlinkRight",
	"eyeLookDownLeft", "eyeLookDownRight", "eyeLookInLeft", "eyeLookInRight",
	"eyeLookOutLeft", "eyeLookOutRight", "eyeLookUpLeft", "eyeLookUpRight",
	"jawForward", "jawLeft", "jawRight", "mouthLeft", "mouthRight", "cheekPuff",
}

// Channels gives the kind of each of the 52 coefficients, in blendshape
// order; everything not listed as speech or motion is Blend.
var Channels = func() [blendshape.Count]Channel {
	var c [blendshape.Count]Channel
	for _, n := range speechNames {
		c[mustIndex(n)] = Speech
	}
	for _, n := range motionNames {
		c[mustIndex(n)] = Motion
	}
	return c
}()

func mustIndex(name string) int {
	i := blendshape.Index(name)
	if i < 0 {
		panic("manipulator: unknown blendshape " + name)
	}
	return i
}

// Prototype table: each class's apex expression as ARKit coefficients, from
// the Facial Action Coding System (FACS) prototypes of EMFACS (Ekman &
// Friesen, "Facial Action Coding System", 1978; Friesen & Ekman, "EMFACS-7",
// 1983; the prototype table of Ekman, Friesen & Hager, "FACS Investigator's
// Guide", 2002, ch. 12), with each action unit (AU) mapped to the ARKit
// shapes that Apple's ARFaceAnchor.BlendShapeLocation documentation
// describes for the same movement:
//
//	AU1 inner brow raiser  -> browInnerUp          AU12 lip corner puller   -> mouthSmile
//	AU2 outer brow raiser  -> browOuterUp          AU14 dimpler             -> mouthDimple
//	AU4 brow lowerer       -> browDown             AU15 lip corner depressor-> mouthFrown
//	AU5 upper lid raiser   -> eyeWide              AU16 lower lip depressor -> mouthLowerDown
//	AU6 cheek raiser       -> cheekSquint (+eyeSquint) AU17 chin raiser     -> mouthShrugLower
//	AU7 lid tightener      -> eyeSquint            AU20 lip stretcher       -> mouthStretch
//	AU9 nose wrinkler      -> noseSneer            AU23/24 lip tightener/pressor -> mouthPress
//	AU10 upper lip raiser  -> mouthUpperUp         AU26 jaw drop            -> jawOpen
//
// Prototypes (EMFACS):
//
//	happy      6+12
//	sad        1+4+15 (+17)
//	surprised  1+2+5B+26
//	fear       1+2+4+5+7+20+26
//	angry      4+5+7+23 (24)
//	disgusted  9+15+16 (+4; the sneer shape includes the upper-lip raise of AU10)
//	contempt   R12A+R14A (unilateral: the subject's left side here)
//	neutral    no action; _neutral = 1
//
// The values are apex intensities on MediaPipe's [0,1] scale, set below the
// maxima MediaPipe reports for posed expressions (a strong smile reads about
// 0.8-0.9) so that intensity 1 is a clear but not caricatured expression.
// Blend channels not listed are 0 (relaxed); speech entries are offsets
// (at most MaxSpeechOffset); motion channels are never set.
var prototypeTable = [NumClasses]map[string]float32{
	Neutral: {"_neutral": 1},
	Angry: {
		"browDownLeft": 0.8, "browDownRight": 0.8, // AU4
		"eyeWideLeft": 0.15, "eyeWideRight": 0.15, // AU5
		"eyeSquintLeft": 0.4, "eyeSquintRight": 0.4, // AU7
		"mouthPressLeft": 0.4, "mouthPressRight": 0.4, // AU23/24 (offset)
	},
	Contempt: {
		"mouthSmileLeft":  0.4, // R12A
		"mouthDimpleLeft": 0.5, // R14A
	},
	Disgusted: {
		"noseSneerLeft": 0.7, "noseSneerRight": 0.7, // AU9
		"browDownLeft": 0.3, "browDownRight": 0.3, // AU4 (with AU9)
		"cheekSquintLeft": 0.2, "cheekSquintRight": 0.2, // AU9 lifts the cheeks
		"mouthFrownLeft": 0.3, "mouthFrownRight": 0.3, // AU15
		// No separate AU10 (mouthUpperUp) offset: ICT's noseSneer shape
		// already raises the upper lip (0.33-0.38 cm per unit at the lip's
		// centre, as much as mouthUpperUp's 0.36-0.40), so AU9 at 0.7
		// carries the upper-lip raise of disgust. The extra +0.4 of AU10
		// raised it by 1.1 units together and cost the speech correlation
		// (talking_face.mp4: jawOpen r 0.874 with it, 0.935 without;
		// docs/QUALITY.md).
		"mouthLowerDownLeft": 0.2, "mouthLowerDownRight": 0.2, // AU16 (offset)
	},
	Fear: {
		"browInnerUp":     0.8,                          // AU1
		"browOuterUpLeft": 0.4, "browOuterUpRight": 0.4, // AU2
		"browDownLeft": 0.3, "browDownRight": 0.3, // AU4
		"eyeWideLeft": 0.7, "eyeWideRight": 0.7, // AU5
		"eyeSquintLeft": 0.2, "eyeSquintRight": 0.2, // AU7
		"mouthStretchLeft": 0.5, "mouthStretchRight": 0.5, // AU20 (offset)
		"jawOpen": 0.15, // AU26 (offset)
	},
	Happy: {
		"cheekSquintLeft": 0.6, "cheekSquintRight": 0.6, // AU6
		"eyeSquintLeft": 0.5, "eyeSquintRight": 0.5, // AU6 narrows the eye from below
		"mouthSmileLeft": 1, "mouthSmileRight": 1, // AU12
	},
	Sad: {
		"browInnerUp":  0.7,                       // AU1
		"browDownLeft": 0.1, "browDownRight": 0.1, // AU4
		"mouthFrownLeft": 0.6, "mouthFrownRight": 0.6, // AU15
		"mouthShrugLower": 0.3, // AU17 (offset)
	},
	Surprised: {
		"browInnerUp":     0.8,                          // AU1
		"browOuterUpLeft": 0.8, "browOuterUpRight": 0.8, // AU2
		"eyeWideLeft": 0.6, "eyeWideRight": 0.6, // AU5B
		"jawOpen": 0.25, // AU26 (offset)
	},
}

// Prototype returns class e's prototype: target values for blend channels,
// offsets for speech channels, 0 for motion channels.
func Prototype(e Emotion) ([blendshape.Count]float32, error) {
	var p [blendshape.Count]float32
	if e < 0 || int(e) >= NumClasses {
		return p, fmt.Errorf("prototype: %v is not a class", e)
	}
	for name, v := range prototypeTable[e] {
		i := blendshape.Index(name)
		switch {
		case i < 0:
			return p, fmt.Errorf("prototype %v: unknown coefficient %q", e, name)
		case Channels[i] == Motion:
			return p, fmt.Errorf("prototype %v: %s is a motion channel and must stay 0", e, name)
		case v < 0 || v > 1 || (Channels[i] == Speech && v > MaxSpeechOffset):
			return p, fmt.Errorf("prototype %v: %s = %g out of range", e, name, v)
		}
		p[i] = v
	}
	return p, nil
}

// Prototypes returns the whole table as an 8x52 matrix, rows in class order.
func Prototypes() ([NumClasses][blendshape.Count]float32, error) {
	var t [NumClasses][blendshape.Count]float32
	for e := range Emotion(NumClasses) {
		p, err := Prototype(e)
		if err != nil {
			return t, err
		}
		t[e] = p
	}
	return t, nil
}
