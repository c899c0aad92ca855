package gprop

import (
	"math"
	"reflect"
	"strings"
	"testing"
)

type settings struct {
	Name  string
	N     int
	Level float64
}

func table() Table[settings] {
	return Table[settings]{
		String("name", "Name", "a name", "x", 0, func(s *settings) *string { return &s.Name }),
		Int("n", "N", "a count", 0, 10, 1, 0, func(s *settings) *int { return &s.N }),
		Double("level", "Level", "a level", 0, 1, 0.5, 0, func(s *settings) *float64 { return &s.Level }),
	}
}

func TestTableSetGet(t *testing.T) {
	tb := table()
	var s settings
	cases := []struct {
		id      uint
		v       any
		want    any
		clamped bool
	}{
		{0, "abc", "abc", false},
		{1, int32(7), int32(7), false},
		{1, int64(99), int32(10), true},
		{1, -3, int32(0), true},
		{2, 0.25, 0.25, false},
		{2, float32(2), 1.0, true},
		{2, math.NaN(), 0.0, true},
	}
	for _, c := range cases {
		note, err := tb.Set(&s, c.id, c.v)
		if err != nil {
			t.Fatal(err)
		}
		if (note != "") != c.clamped {
			t.Errorf("set %d=%v: note %q, clamped want %v", c.id, c.v, note, c.clamped)
		}
		if c.clamped && !strings.Contains(note, "clamped") {
			t.Errorf("note %q does not say it clamped", note)
		}
		if got := tb.Get(&s, c.id); got != c.want {
			t.Errorf("set %d=%v: get %v (%T), want %v (%T)", c.id, c.v, got, got, c.want, c.want)
		}
	}
	if _, err := tb.Set(&s, 3, "x"); err == nil {
		t.Error("an unknown id was accepted")
	}
	if tb.Get(&s, 9) != nil {
		t.Error("an unknown id read a value")
	}
}

func TestSplitList(t *testing.T) {
	for in, want := range map[string][]string{
		"":               nil,
		" , ,":           nil,
		"a":              {"a"},
		" stun:a:1 ,b, ": {"stun:a:1", "b"},
	} {
		if got := SplitList(in); !reflect.DeepEqual(got, want) {
			t.Errorf("SplitList(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAsInt32Saturates(t *testing.T) {
	if AsInt32(int64(math.MaxInt64)) != math.MaxInt32 || AsInt32(int64(math.MinInt64)) != math.MinInt32 || AsInt32("7") != 0 {
		t.Error("AsInt32 does not saturate or accepts a string")
	}
}
