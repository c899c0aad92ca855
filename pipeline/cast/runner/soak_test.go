package runner

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nedstream/nedstream/models/modeltest"
)

// TestSoakShort: a short soak (viewers joining and leaving, settings
// changes, a recording): the goroutines come back down to where they were
// once the viewers left and once the run stopped. The long run is
// `nedcast soak` (docs/PERFORMANCE.md).
func TestSoakShort(t *testing.T) {
	res, err := Soak(context.Background(), SoakOptions{
		ModelPack: testPack(t), TestImage: filepath.Join(modeltest.Media(t), "astronaut.png"),
		Duration: 15 * time.Second, Interval: 5 * time.Second, ViewerEvery: 2 * time.Second, ViewerStay: 4 * time.Second,
		Record: filepath.Join(t.TempDir(), "soak.mp4"), Logger: testLogger(t),
	})
	if res != nil {
		var b strings.Builder
		WriteSoakTable(&b, res)
		t.Log("\n" + b.String())
	}
	if err != nil {
		t.Fatal(err)
	}
	if res.ViewersLeft.Joins < 4 || res.ViewerErrors > 0 {
		t.Errorf("%d viewer sessions, %d failed: the churn did not happen", res.ViewersLeft.Joins, res.ViewerErrors)
	}
	if res.ViewersLeft.Goroutines > res.Playing.Goroutines {
		t.Errorf("%d goroutines after the viewers left, %d before any joined\n%s", res.ViewersLeft.Goroutines, res.Playing.Goroutines, res.Goroutines)
	}
	if res.Stopped.Goroutines > res.Before.Goroutines {
		t.Errorf("%d goroutines after the stop, %d before the start\n%s", res.Stopped.Goroutines, res.Before.Goroutines, res.Goroutines)
	}
	if res.RecordingBytes == 0 {
		t.Error("no recording")
	}
}
