package main

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
)

// TestEvaluateAndSideBySideArguments: bad arguments are usage errors that
// say what is wrong, before anything runs.
func TestEvaluateAndSideBySideArguments(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"evaluate"}, "--input"},
		{[]string{"evaluate", "--input", "a.mp4", "--pack", "p"}, "--classifier"},
		{[]string{"evaluate", "--input", "a.mp4", "--pack", "p", "--classifier", "c", "--emotions", "happy,glad"}, "glad"},
		{[]string{"evaluate", "--input", "a.mp4", "--pack", "p", "--classifier", "c", "--emotions", "contempt"}, "no class"},
		{[]string{"evaluate", "--input", "a.mp4", "--pack", "p", "--classifier", "c", "--intensity", "2"}, "intensity"},
		{[]string{"evaluate", "--input", "a.mp4", "--pack", "p", "--classifier", "c", "--set", "x ! fakesink"}, "name=value"},
		{[]string{"sidebyside", "--input", "a.mp4", "--pack", "p"}, "--out"},
		{[]string{"sidebyside", "--input", "a.mp4", "--pack", "p", "--out", "b.avi"}, "--out"},
		{[]string{"sidebyside", "--input", "a.mp4", "--pack", "p", "--out", "b.mp4", "--emotion", "glad"}, "glad"},
		{[]string{"sidebyside", "--input", "a.mp4", "--pack", "p", "--out", "b.mp4", "--intensity", "-1"}, "intensity"},
	} {
		err := run(context.Background(), c.args, io.Discard, io.Discard)
		var ue usageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want a usage error mentioning %q", c.args, err, c.want)
		}
	}
	// A missing input file is an error naming it, not a hang.
	err := run(context.Background(), []string{"sidebyside", "--input", "/nonexistent.mp4", "--pack", "p", "--out", t.TempDir() + "/o.mp4"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "nonexistent") {
		t.Errorf("missing input: %v", err)
	}
}
