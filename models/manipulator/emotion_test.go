package manipulator_test

import (
	"strings"
	"testing"

	"github.com/nedstream/nedstream/models/blendshape"
	"github.com/nedstream/nedstream/models/manipulator"
)

func TestParseEmotion(t *testing.T) {
	cases := []struct {
		in   string
		want manipulator.Emotion
	}{
		{"neutral", manipulator.Neutral},
		{"Angry", manipulator.Angry},
		{"anger", manipulator.Angry},
		{"CONTEMPT", manipulator.Contempt},
		{"disgust", manipulator.Disgusted},
		{"Disgusted", manipulator.Disgusted},
		{"fear", manipulator.Fear},
		{"fearful", manipulator.Fear},
		{" happy ", manipulator.Happy},
		{"sadness", manipulator.Sad},
		{"surprise", manipulator.Surprised},
		{"Surprised", manipulator.Surprised},
	}
	for _, c := range cases {
		got, err := manipulator.ParseEmotion(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseEmotion(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "joyful-ish", "happy,sad"} {
		if _, err := manipulator.ParseEmotion(bad); err == nil || !strings.Contains(err.Error(), "neutral, angry") {
			t.Errorf("ParseEmotion(%q): want an error listing the classes, got %v", bad, err)
		}
	}
	for i, name := range manipulator.Classes {
		if manipulator.Emotion(i).String() != name {
			t.Errorf("class %d: %s != %s", i, manipulator.Emotion(i), name)
		}
	}
}

func TestParseMixture(t *testing.T) {
	cases := []struct {
		in   string
		want map[manipulator.Emotion]float32
		err  bool
	}{
		{"happy", map[manipulator.Emotion]float32{manipulator.Happy: 1}, false},
		{"happy:0.7,surprise:0.3", map[manipulator.Emotion]float32{manipulator.Happy: 0.7, manipulator.Surprised: 0.3}, false},
		{"sad:0.5", map[manipulator.Emotion]float32{manipulator.Sad: 0.5}, false},
		{"happy:-1", nil, true},
		{"happy:x", nil, true},
		{"happy:0.5x", nil, true},
		{"happy:inf", nil, true},
		{"grumpy:1", nil, true},
		{"", nil, true},
	}
	for _, c := range cases {
		got, err := manipulator.ParseMixture(c.in)
		if c.err {
			if err == nil {
				t.Errorf("ParseMixture(%q): no error", c.in)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseMixture(%q): %v", c.in, err)
			continue
		}
		for e := range manipulator.Emotion(manipulator.NumClasses) {
			if got[e] != c.want[e] {
				t.Errorf("ParseMixture(%q)[%v] = %g, want %g", c.in, e, got[e], c.want[e])
			}
		}
	}
}

// TestPrototypeTable: the table keeps its own rules (motion channels never
// set, speech offsets bounded) and the FACS prototypes' key actions.
func TestPrototypeTable(t *testing.T) {
	protos, err := manipulator.Prototypes()
	if err != nil {
		t.Fatal(err)
	}
	counts := map[manipulator.Channel]int{}
	for _, c := range manipulator.Channels {
		counts[c]++
	}
	if counts[manipulator.Blend] != 20 || counts[manipulator.Speech] != 16 || counts[manipulator.Motion] != 16 {
		t.Errorf("channel counts %v", counts)
	}
	for e, p := range protos {
		for i, v := range p {
			switch manipulator.Channels[i] {
			case manipulator.Motion:
				if v != 0 {
					t.Errorf("%v sets motion channel %s", manipulator.Emotion(e), blendshape.Names[i])
				}
			case manipulator.Speech:
				if v > manipulator.MaxSpeechOffset {
					t.Errorf("%v: %s offset %g", manipulator.Emotion(e), blendshape.Names[i], v)
				}
			}
		}
	}
	key := []struct {
		e     manipulator.Emotion
		names []string
	}{
		{manipulator.Happy, []string{"cheekSquintLeft", "mouthSmileLeft", "mouthSmileRight"}},
		{manipulator.Sad, []string{"browInnerUp", "mouthFrownLeft", "mouthFrownRight"}},
		{manipulator.Surprised, []string{"browInnerUp", "browOuterUpLeft", "eyeWideLeft", "jawOpen"}},
		{manipulator.Fear, []string{"browInnerUp", "eyeWideRight", "mouthStretchLeft"}},
		{manipulator.Angry, []string{"browDownLeft", "browDownRight", "eyeSquintLeft"}},
		{manipulator.Disgusted, []string{"noseSneerLeft", "noseSneerRight", "mouthFrownLeft", "mouthLowerDownLeft"}},
		{manipulator.Contempt, []string{"mouthSmileLeft", "mouthDimpleLeft"}},
		{manipulator.Neutral, []string{"_neutral"}},
	}
	for _, k := range key {
		for _, n := range k.names {
			if protos[k.e][blendshape.Index(n)] <= 0 {
				t.Errorf("%v lacks %s", k.e, n)
			}
		}
	}
	if _, err := manipulator.Prototype(manipulator.Emotion(8)); err == nil {
		t.Error("class 8 accepted")
	}
}
