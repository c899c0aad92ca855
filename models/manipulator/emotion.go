// Package manipulator edits expression coefficients toward an emotion: the
// model roles style_mapping (emotion label + intensity -> style vector),
// style_encoder (reference clip -> style vector) and manipulator (window of
// coefficients + style -> edited coefficients), the analytic FACS-prototype
// models the project writes as ONNX itself (BuildAnalytic), the runtime that
// runs any conforming models through onnxruntime (Manipulator), and Ramp for
// smooth changes of style. docs/MODELS.md describes the contract.
package manipulator

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Emotion is one of the eight classes, in the contract's order.
type Emotion int

// The classes, in the order of the style_mapping input "emotion".
const (
	Neutral Emotion = iota
	Angry
	Contempt
	Disgusted
	Fear
	Happy
	Sad
	Surprised
)

// NumClasses is the number of emotion classes (the width of "emotion").
const NumClasses = 8

// Classes are the class names in the contract's order; a pack's manifest
// records them and the runtime checks it against this list.
var Classes = [NumClasses]string{"neutral", "angry", "contempt", "disgusted", "fear", "happy", "sad", "surprised"}

// String returns the class name ("happy"), or "emotion(N)" out of range.
func (e Emotion) String() string {
	if e < 0 || int(e) >= NumClasses {
		return fmt.Sprintf("emotion(%d)", int(e))
	}
	return Classes[e]
}

// aliases maps accepted spellings (lower case) to classes.
var aliases = map[string]Emotion{
	"neutral": Neutral, "none": Neutral, "calm": Neutral,
	"angry": Angry, "anger": Angry,
	"contempt": Contempt, "contemptuous": Contempt,
	"disgusted": Disgusted, "disgust": Disgusted,
	"fear": Fear, "fearful": Fear, "afraid": Fear, "scared": Fear,
	"happy": Happy, "happiness": Happy, "joy": Happy,
	"sad": Sad, "sadness": Sad,
	"surprised": Surprised, "surprise": Surprised,
}

// ParseEmotion reads a class name case-insensitively, accepting common
// aliases ("surprise", "disgust", "anger", "happiness", ...).
func ParseEmotion(s string) (Emotion, error) {
	if e, ok := aliases[strings.ToLower(strings.TrimSpace(s))]; ok {
		return e, nil
	}
	return 0, fmt.Errorf("unknown emotion %q (want one of %s)", s, strings.Join(Classes[:], ", "))
}

// OneHot returns the mixture that selects e alone.
func OneHot(e Emotion) [NumClasses]float32 {
	var m [NumClasses]float32
	if e >= 0 && int(e) < NumClasses {
		m[e] = 1
	}
	return m
}

// ParseMixture reads an emotion or a mixture such as "happy:0.7,surprised:0.3"
// (weights default to 1; they are normalised by the style_mapping model when
// they sum to more than 1 and filled up with neutral when less).
func ParseMixture(s string) ([NumClasses]float32, error) {
	var m [NumClasses]float32
	if strings.TrimSpace(s) == "" {
		return m, fmt.Errorf("empty emotion")
	}
	for _, part := range strings.Split(s, ",") {
		name, weight, hasWeight := strings.Cut(part, ":")
		e, err := ParseEmotion(name)
		if err != nil {
			return m, err
		}
		w := float32(1)
		if hasWeight {
			f, err := strconv.ParseFloat(strings.TrimSpace(weight), 32)
			if err != nil || f < 0 || math.IsNaN(f) || math.IsInf(f, 0) {
				return m, fmt.Errorf("emotion %q: bad weight %q (want a number >= 0)", strings.TrimSpace(name), weight)
			}
			w = float32(f)
		}
		m[e] += w
	}
	return m, nil
}
