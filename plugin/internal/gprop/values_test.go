package gprop

import (
	"sync"
	"testing"
)

func TestValues(t *testing.T) {
	tb := table()
	var g Values[settings]
	g.Reset(settings{Name: "x", N: 2})
	before, after, note, err := g.Set(tb, 1, 5)
	if err != nil || note != "" || before.N != 2 || after.N != 5 {
		t.Fatalf("set n=5: before %+v after %+v note %q err %v", before, after, note, err)
	}
	if _, _, note, _ := g.Set(tb, 1, 50); note == "" {
		t.Error("a clamped value gave no note")
	}
	if got := g.Get(tb, 1); got != int32(10) {
		t.Errorf("get n = %v, want 10", got)
	}
	if _, _, _, err := g.Set(tb, 7, 1); err == nil {
		t.Error("an unknown id was accepted")
	}
	g.Update(func(s *settings) { s.Name = "y" })
	if s := g.Snapshot(); s.Name != "y" || s.N != 10 {
		t.Errorf("snapshot %+v", s)
	}

	// Concurrent writers and readers (run with -race).
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(2)
		go func() { defer wg.Done(); g.Set(tb, 2, float64(i)/4) }()
		go func() { defer wg.Done(); _ = g.Snapshot().Level }()
	}
	wg.Wait()
}
