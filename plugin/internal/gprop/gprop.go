// Package gprop is the property table every nedstream element uses: each
// GObject property is a ParamSpec plus how it reads and writes the
// element's Go settings struct S. go-gst has no such table (its subclassing
// hands set_property/get_property a bare id and value), so the elements
// share this one instead of each switching over ids.
package gprop

import (
	"fmt"
	"math"
	"strings"

	"github.com/go-gst/go-glib/pkg/gobject/v2"
)

// Property is one element property: its spec, and how it reads and writes
// the settings S. Set returns a non-empty note when it had to clamp or
// reject the value (the element logs it).
type Property[S any] struct {
	Spec func() *gobject.ParamSpec
	Get  func(s *S) any
	Set  func(s *S, v any) string
}

// Table is an element's properties; a property's id is its index.
type Table[S any] []Property[S]

// Install installs the properties on an object class (from class_init).
func (t Table[S]) Install(class *gobject.ObjectClass) {
	specs := make([]*gobject.ParamSpec, len(t))
	for i, p := range t {
		specs[i] = p.Spec()
	}
	class.InstallProperties(specs)
	for _, s := range specs {
		// The class now owns the (sunk) floating reference: drop the Go
		// finalizer, which would otherwise unref it a second time.
		gobject.UnsafeParamSpecToGlibFull(s)
	}
}

// Set writes property id into s. It returns the property's note, and an
// error for an id the table does not have.
func (t Table[S]) Set(s *S, id uint, v any) (string, error) {
	if int(id) >= len(t) {
		return "", fmt.Errorf("unknown property id %d", id)
	}
	return t[id].Set(s, v), nil
}

// Get reads property id from s (nil for an unknown id).
func (t Table[S]) Get(s *S, id uint) any {
	if int(id) >= len(t) {
		return nil
	}
	return t[id].Get(s)
}

// Names returns the property names in installation order.
func (t Table[S]) Names() []string {
	names := make([]string, len(t))
	for i, p := range t {
		names[i] = p.Spec().Name()
	}
	return names
}

// String is a string property stored in field.
func String[S any](name, nick, blurb, def string, flags gobject.ParamFlags, field func(*S) *string) Property[S] {
	return Property[S]{
		Spec: func() *gobject.ParamSpec { return gobject.ParamSpecString(name, nick, blurb, def, flags) },
		Get:  func(s *S) any { return *field(s) },
		Set:  func(s *S, v any) string { *field(s), _ = v.(string); return "" },
	}
}

// Int is an int32 property in [lo, hi] stored in an int field; values
// outside the range are clamped, with a note.
func Int[S any](name, nick, blurb string, lo, hi, def int32, flags gobject.ParamFlags, field func(*S) *int) Property[S] {
	return Property[S]{
		Spec: func() *gobject.ParamSpec { return gobject.ParamSpecInt32(name, nick, blurb, lo, hi, def, flags) },
		Get:  func(s *S) any { return int32(*field(s)) },
		Set: func(s *S, v any) string {
			x := AsInt32(v)
			c := min(max(x, lo), hi)
			*field(s) = int(c)
			return ClampNote(c != x, name, c)
		},
	}
}

// Double is a float64 property in [lo, hi]; values outside it (and NaN)
// are clamped, with a note.
func Double[S any](name, nick, blurb string, lo, hi, def float64, flags gobject.ParamFlags, field func(*S) *float64) Property[S] {
	return Property[S]{
		Spec: func() *gobject.ParamSpec { return gobject.ParamSpecDouble(name, nick, blurb, lo, hi, def, flags) },
		Get:  func(s *S) any { return *field(s) },
		Set: func(s *S, v any) string {
			var clamped bool
			*field(s), clamped = ClampFloat(AsFloat(v), lo, hi)
			return ClampNote(clamped, name, *field(s))
		},
	}
}

// AsInt32 converts a GValue's Go form (int32, int64 or int) to int32,
// saturating.
func AsInt32(v any) int32 {
	switch x := v.(type) {
	case int32:
		return x
	case int64:
		return int32(max(min(x, math.MaxInt32), math.MinInt32))
	case int:
		return int32(max(min(x, math.MaxInt32), math.MinInt32))
	}
	return 0
}

// AsFloat converts a GValue's Go form (float64 or float32) to float64; any
// other value is NaN.
func AsFloat(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case float32:
		return float64(x)
	}
	return math.NaN()
}

// ClampFloat limits v to [lo, hi] (NaN becomes lo) and reports whether it had to.
func ClampFloat(v, lo, hi float64) (float64, bool) {
	switch {
	case v != v || v < lo: // NaN or below
		return lo, true
	case v > hi:
		return hi, true
	}
	return v, false
}

// ClampNote is the note a property's Set returns when it clamped the value.
func ClampNote(clamped bool, name string, now any) string {
	if !clamped {
		return ""
	}
	return fmt.Sprintf("%s out of range; clamped to %v", name, now)
}

// SplitList splits a comma-separated property value, dropping empty items.
func SplitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
