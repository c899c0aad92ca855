package nedfilter

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/nedstream/nedstream/models/manipulator"
)

// FaceOverride is one face's own target: an emotion and an intensity
// (negative: the element's intensity property).
type FaceOverride struct {
	Emotion   manipulator.Emotion
	Intensity float64
}

// Overrides maps track ids to their targets.
type Overrides map[uint64]FaceOverride

// maxOverrides bounds the face-overrides property.
const maxOverrides = 256

// ParseOverrides reads the face-overrides syntax: an optional structure
// name "overrides," followed by comma-separated ID=EMOTION[:INTENSITY]
// entries (':' or '/' before the intensity; an optional "t" before the id
// and a "(string)" type tag before the value are accepted, so the GstStructure
// form "overrides, 1=(string)sad:0.5, t3=(string)happy" parses too). An
// entry without an intensity follows the element's intensity. "" clears.
func ParseOverrides(text string) (Overrides, error) {
	out := Overrides{}
	text = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(text), ";"))
	if text == "" {
		return out, nil
	}
	parts := strings.Split(text, ",")
	if first := strings.TrimSpace(parts[0]); !strings.Contains(first, "=") {
		if first != "overrides" {
			return nil, fmt.Errorf("face-overrides: %q: want ID=EMOTION[:INTENSITY] entries, optionally after \"overrides,\"", first)
		}
		parts = parts[1:]
	}
	for _, part := range parts {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		key, val, ok := strings.Cut(part, "=")
		if !ok {
			return nil, fmt.Errorf("face-overrides: %q: want ID=EMOTION[:INTENSITY]", part)
		}
		key = strings.TrimPrefix(strings.TrimSpace(key), "t")
		id, err := strconv.ParseUint(key, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("face-overrides: %q: the track id must be a number (as in nedstream-faces track-id)", part)
		}
		val = strings.Trim(strings.TrimPrefix(strings.TrimSpace(val), "(string)"), `"`)
		o, err := parseOverride(val)
		if err != nil {
			return nil, fmt.Errorf("face-overrides: track %d: %w", id, err)
		}
		out[id] = o
		if len(out) > maxOverrides {
			return nil, fmt.Errorf("face-overrides: more than %d entries", maxOverrides)
		}
	}
	return out, nil
}

// parseOverride reads EMOTION[:INTENSITY] (or EMOTION/INTENSITY).
func parseOverride(val string) (FaceOverride, error) {
	name, level, hasLevel := strings.Cut(val, ":")
	if !hasLevel {
		name, level, hasLevel = strings.Cut(val, "/")
	}
	e, err := manipulator.ParseEmotion(name)
	if err != nil {
		return FaceOverride{}, err
	}
	o := FaceOverride{Emotion: e, Intensity: -1}
	if hasLevel {
		v, err := strconv.ParseFloat(strings.TrimSpace(level), 64)
		if err != nil || math.IsNaN(v) || v < 0 || v > 1 {
			return FaceOverride{}, fmt.Errorf("intensity %q: want a number in [0,1]", level)
		}
		o.Intensity = v
	}
	return o, nil
}

// String writes the overrides in the canonical face-overrides syntax,
// sorted by track id ("" when empty).
func (o Overrides) String() string {
	if len(o) == 0 {
		return ""
	}
	ids := make([]uint64, 0, len(o))
	for id := range o {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var b strings.Builder
	b.WriteString("overrides")
	for _, id := range ids {
		fmt.Fprintf(&b, ", %d=%s", id, o[id].Emotion)
		if o[id].Intensity >= 0 {
			fmt.Fprintf(&b, ":%s", strconv.FormatFloat(o[id].Intensity, 'g', 4, 64))
		}
	}
	return b.String()
}

// with returns a copy with id set to v (or removed when remove is true).
func (o Overrides) with(id uint64, v FaceOverride, remove bool) Overrides {
	n := make(Overrides, len(o)+1)
	for k, x := range o {
		n[k] = x
	}
	if remove {
		delete(n, id)
	} else {
		n[id] = v
	}
	return n
}
