package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBadInputs: every kind of bad input ends with a clear message and
// exit status 2 (usage/configuration), without starting a pipeline.
func TestBadInputs(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.mp4")
	if err := os.WriteFile(garbage, []byte("this is not a video"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfgFile := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(cfgFile, []byte("input: test\nintensity: 4\nvolume: 11\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	pack := dir // any directory passes validation; the pack is not loaded before the input is probed
	for name, tc := range map[string]struct {
		args []string
		want []string
	}{
		"unknown device":  {[]string{"--input", "/dev/video97", "--model-pack", pack, "--display"}, []string{"input /dev/video97: no such device", "v4l2-ctl"}},
		"missing file":    {[]string{"--input", filepath.Join(dir, "nope.mp4"), "--model-pack", pack, "--display"}, []string{"no such file or directory"}},
		"unreadable file": {[]string{"--input", garbage, "--model-pack", pack, "--record", filepath.Join(dir, "o.mp4"), "--listen", "off"}, []string{"cannot read it as video"}},
		"directory":       {[]string{"--input", dir, "--model-pack", pack, "--display"}, []string{"is a directory"}},
		"bad config":      {[]string{"--config", cfgFile}, []string{"field volume not found"}},
		"bad values":      {[]string{"--input", "test", "--model-pack", pack, "--display", "--intensity", "4", "--emotion", "glad", "--size", "123x45"}, []string{"intensity 4: want 0..1", `emotion "glad"`, "must be even"}},
		"bad vcam":        {[]string{"--input", "test", "--model-pack", pack, "--vcam", "/dev/null"}, []string{"not a V4L2 device", "exclusive_caps=1"}},
		"no output":       {[]string{"--input", "test", "--model-pack", pack}, []string{"no output"}},
		"bad token":       {[]string{"--input", "test", "--model-pack", pack, "--display", "--token", "a b"}, []string{"token: must not contain spaces"}},
		"stray argument":  {[]string{"--input", "test", "extra"}, []string{`unexpected argument "extra"`}},
	} {
		var out, errb bytes.Buffer
		code := run(context.Background(), tc.args, &out, &errb)
		if code != exitUsage {
			t.Errorf("%s: exit %d, want %d\n%s", name, code, exitUsage, errb.String())
		}
		for _, w := range tc.want {
			if !strings.Contains(errb.String(), w) {
				t.Errorf("%s: stderr lacks %q:\n%s", name, w, errb.String())
			}
		}
	}
}

func TestHelp(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"--help"}, &out, &errb); code != exitOK {
		t.Fatalf("--help: exit %d", code)
	}
	for _, w := range []string{"Usage:", "--input SOURCE", "--vcam", "--whep", "--whip", "--record", "--token", "doctor", "soak", "exclusive_caps=1"} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("--help lacks %q", w)
		}
	}
}

func TestDoctorFailsOnProblems(t *testing.T) {
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"doctor", "--model-pack", filepath.Join(t.TempDir(), "absent"), "--vcam"}, &out, &errb)
	if code != exitFailure {
		t.Errorf("doctor with a missing pack and no v4l2loopback: exit %d, want %d\n%s", code, exitFailure, out.String())
	}
	if !strings.Contains(out.String(), "[FAIL] model pack") || !strings.Contains(out.String(), "fix:") {
		t.Errorf("doctor output:\n%s", out.String())
	}
}

// TestSoakUsage: soak's own usage errors exit 2 with a message.
func TestSoakUsage(t *testing.T) {
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"no pack":  {[]string{"soak", "--model-pack", ""}, "--model-pack is required"},
		"bad flag": {[]string{"soak", "--duration", "soon"}, "invalid value"},
		"stray":    {[]string{"soak", "--model-pack", "p", "extra"}, `unexpected argument "extra"`},
	} {
		var out, errb bytes.Buffer
		if code := run(context.Background(), tc.args, &out, &errb); code != exitUsage {
			t.Errorf("%s: exit %d, want %d", name, code, exitUsage)
		}
		if !strings.Contains(errb.String(), tc.want) {
			t.Errorf("%s: stderr lacks %q:\n%s", name, tc.want, errb.String())
		}
	}
}
