package prepare_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nedstream/nedstream/trainer/dataset"
	"github.com/nedstream/nedstream/trainer/prepare"
)

// fakeNedface is a stand-in for `nedface extract` (which needs GStreamer):
// it writes a one-frame record, fails on clips named broken*, and counts
// its runs in calls.txt.
const fakeNedface = `#!/bin/sh
set -e
while [ $# -gt 0 ]; do
  case "$1" in
    --input) in="$2"; shift 2;;
    --out) out="$2"; shift 2;;
    --id) id="$2"; shift 2;;
    --actor) actor="$2"; shift 2;;
    --emotion) emo="$2"; shift 2;;
    --level) lvl="$2"; shift 2;;
    *) shift;;
  esac
done
echo "$id" >> "$out/calls.txt"
case "$in" in *broken*) echo "nedface: cannot decode $in" >&2; exit 1;; esac
zeros=$(printf '0,%.0s' $(seq 1 51))0
mkdir -p "$out/clips"
printf '{"format":1,"id":"%s","source":"%s","actor":"%s","emotion":"%s","level":%s,"fps":25,"frames":[[%s]]}' \
  "$id" "$in" "$actor" "$emo" "$lvl" "$zeros" > "$out/clips/$id.json"
`

func TestPrepareResumesAndReportsFailures(t *testing.T) {
	corpus := t.TempDir()
	for _, rel := range []string{"M001/video/front/happy/level_1/001.mp4", "M001/video/front/sad/level_3/broken.mp4", "W002/video/front/angry/level_2/007.mp4", "notes.mp4"} {
		p := filepath.Join(corpus, rel)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte("x"), 0o644)
	}
	bin := filepath.Join(t.TempDir(), "nedface")
	if err := os.WriteFile(bin, []byte(fakeNedface), 0o755); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	o := prepare.Options{Corpus: corpus, Out: out, Nedface: bin}
	s, err := prepare.Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if s.Found != 3 || s.Done != 2 || len(s.Failed) != 1 || len(s.Layout) != 1 || !strings.Contains(s.Failed[0].Error, "cannot decode") {
		t.Fatalf("summary %+v", s)
	}
	recs, err := dataset.Load(out)
	if err != nil || len(recs) != 2 || recs[0].Actor != "M001" || recs[0].Level != 1 || recs[1].Emotion != "angry" {
		t.Fatalf("records %v %v", recs, err)
	}
	failed, _ := os.ReadFile(filepath.Join(out, "failed.jsonl"))
	if !strings.Contains(string(failed), "broken.mp4") {
		t.Errorf("failed.jsonl: %s", failed)
	}
	// Again: the two done clips are skipped, the broken one retried.
	s, err = prepare.Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if s.Skipped != 2 || s.Done != 0 || len(s.Failed) != 1 {
		t.Fatalf("second run %+v", s)
	}
	calls, _ := os.ReadFile(filepath.Join(out, "calls.txt"))
	if n := strings.Count(string(calls), "\n"); n != 4 {
		t.Errorf("%d nedface runs, want 4", n)
	}
	// Bad invocations.
	if _, err := prepare.Run(context.Background(), prepare.Options{Out: out, Nedface: bin}); err == nil {
		t.Error("no corpus accepted")
	}
	if _, err := prepare.Run(context.Background(), prepare.Options{Corpus: corpus, Out: out, Nedface: filepath.Join(out, "nope")}); err != nil {
		t.Fatal(err) // every clip fails (or is skipped), the run itself goes on
	}
}
