package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nedstream/nedstream/plugin/internal/gsttest"
)

func TestMain(m *testing.M) { os.Exit(gsttest.Main(m)) }

// TestMesonInstall builds and installs the plugin with meson into a
// temporary prefix (and again with DESTDIR), as a packager would, and loads
// the installed library with gst-inspect-1.0.
func TestMesonInstall(t *testing.T) {
	meson := gsttest.Tool(t, "meson")
	root := gsttest.RepoRoot()
	tmp := t.TempDir()
	build, prefix, dest := filepath.Join(tmp, "build"), filepath.Join(tmp, "prefix"), filepath.Join(tmp, "dest")

	run := func(env []string, args ...string) {
		t.Helper()
		cmd := exec.Command(meson, args...)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), env...)
		start := time.Now()
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("meson %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		t.Logf("meson %s: %v", args[0], time.Since(start).Round(time.Millisecond))
	}
	run(nil, "setup", build, "--prefix="+prefix)
	run(nil, "compile", "-C", build)
	run(nil, "install", "-C", build)
	run([]string{"DESTDIR=" + dest}, "install", "-C", build)

	find := func(dir string) string {
		t.Helper()
		var found string
		filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.Name() == "libgstnedstream.so" {
				found = p
			}
			return nil
		})
		if found == "" {
			t.Fatalf("no libgstnedstream.so installed under %s", dir)
		}
		return found
	}
	installed := find(prefix)
	if rel, _ := filepath.Rel(prefix, installed); !strings.HasSuffix(filepath.Dir(rel), "gstreamer-1.0") || !strings.HasPrefix(rel, "lib") {
		t.Errorf("installed at %s: not GStreamer's plugin directory under the prefix", rel)
	}
	staged := find(dest)
	if want := filepath.Join(dest, installed); staged != want {
		t.Errorf("DESTDIR install at %s, want %s", staged, want)
	}

	out := gsttest.Command(t, time.Minute, "gst-inspect-1.0", installed)
	if out.Err != nil || !strings.Contains(out.Stdout, "nedfilter") {
		t.Errorf("gst-inspect-1.0 %s: %v\n%s", installed, out.Err, out.Combined())
	}
}
