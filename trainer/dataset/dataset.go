// Package dataset is the trainer's on-disk corpus: one record per clip with
// its expression-coefficient sequence, head pose, labels and a few face
// crops, written by `nedface extract` (real video) or `nedtrain synth`
// (synthetic), and read by the score, fit and eval commands.
//
// # Layout
//
//	<root>/clips/<id>.json     one Record per clip (see Record)
//	<root>/crops/<id>_<k>.png  face crops of the clip (optional; Record.Crops)
//	<root>/failed.jsonl        clips prepare could not read ({"source","error"} per line)
//	<root>/scores.csv          written by `nedtrain score` (see the scores file format)
//
// A clip's id is derived from its source path (IDFor), so preparing a
// corpus again skips the clips whose record exists (resumable). Records are
// written atomically; a half-written record never appears.
package dataset

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/nedstream/nedstream/models/atomicfile"
	"github.com/nedstream/nedstream/models/manipulator"
)

// Coefficients is the width of a frame (the 52 ARKit blendshapes in
// models/blendshape order).
const Coefficients = 52

// FormatVersion is written into every record.
const FormatVersion = 1

// Record is one clip.
type Record struct {
	// Format is FormatVersion.
	Format int `json:"format"`
	// ID names the clip inside the dataset (file-name safe).
	ID string `json:"id"`
	// Source is where the clip came from (video path, or "synth").
	Source string `json:"source"`
	// Actor identifies the person (held-out splits are by actor).
	Actor string `json:"actor"`
	// Emotion is the labelled class, one of manipulator.Classes.
	Emotion string `json:"emotion"`
	// Level is the labelled intensity level (MEAD: 1..3; 0 when unknown).
	Level int `json:"level"`
	// FPS is the frame rate of the sequence.
	FPS float64 `json:"fps"`
	// Frames holds one row of Coefficients values per frame.
	Frames [][]float32 `json:"frames"`
	// Pose holds yaw, pitch, roll in degrees per frame (same length as
	// Frames, or empty).
	Pose [][3]float32 `json:"pose,omitempty"`
	// Crops are face crop image files, relative to the dataset root.
	Crops []string `json:"crops,omitempty"`
	// Truth is what a synthetic clip really shows (synth only): the
	// emotion expressed and its strength. Real clips leave it empty.
	Truth *Truth `json:"truth,omitempty"`
}

// Truth is the ground truth of a synthetic clip.
type Truth struct {
	// Emotion is the class the coefficients actually express.
	Emotion string `json:"emotion"`
	// Strength is the prototype's intensity (0..1).
	Strength float64 `json:"strength"`
	// Outlier marks a clip whose expression does not match its label well.
	Outlier bool `json:"outlier"`
	// Score is the synthetic scorer's confidence that the clip shows its
	// label (what `nedtrain score --scorer file` reads back).
	Score float64 `json:"score"`
}

// ClassIndex returns the index of a class name in manipulator.Classes (aliases accepted).
func ClassIndex(name string) (int, error) {
	e, err := manipulator.ParseEmotion(name)
	if err != nil {
		return -1, err
	}
	return int(e), nil
}

// Validate checks a record's fields.
func (r *Record) Validate() error {
	var p []string
	if r.Format != FormatVersion {
		p = append(p, fmt.Sprintf("format %d (want %d)", r.Format, FormatVersion))
	}
	if !validID.MatchString(r.ID) {
		p = append(p, fmt.Sprintf("id %q (want letters, digits, '-', '_', '.')", r.ID))
	}
	if r.Actor == "" {
		p = append(p, "no actor")
	}
	if _, err := ClassIndex(r.Emotion); err != nil {
		p = append(p, err.Error())
	}
	if len(r.Frames) == 0 {
		p = append(p, "no frames")
	}
	for i, f := range r.Frames {
		if len(f) != Coefficients {
			p = append(p, fmt.Sprintf("frame %d has %d coefficients (want %d)", i, len(f), Coefficients))
			break
		}
		if slices.ContainsFunc(f, func(v float32) bool { return math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) }) {
			p = append(p, fmt.Sprintf("frame %d has a non-finite coefficient", i))
			break
		}
	}
	if len(r.Pose) != 0 && len(r.Pose) != len(r.Frames) {
		p = append(p, fmt.Sprintf("%d pose rows for %d frames", len(r.Pose), len(r.Frames)))
	}
	if len(p) > 0 {
		return fmt.Errorf("clip %q: %s", r.ID, strings.Join(p, "; "))
	}
	return nil
}

var validID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,200}$`)
var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// IDFor derives a clip id from a source path relative to the corpus root
// ("M003/video/front/angry/level_1/001.mp4" -> "M003_angry_level_1_001"
// for MEAD trees; other paths keep all their parts).
func IDFor(rel string) string {
	rel = filepath.ToSlash(strings.TrimSuffix(rel, filepath.Ext(rel)))
	parts := strings.Split(rel, "/")
	var keep []string
	for _, p := range parts {
		if p == "video" || p == "front" || p == "" || p == "." {
			continue
		}
		keep = append(keep, p)
	}
	id := unsafeChars.ReplaceAllString(strings.Join(keep, "_"), "-")
	if len(id) > 200 {
		sum := sha256.Sum256([]byte(rel))
		id = id[:180] + "-" + hex.EncodeToString(sum[:])[:16]
	}
	return id
}

// ClipPath is the record file of clip id under root.
func ClipPath(root, id string) string { return filepath.Join(root, "clips", id+".json") }

// Has reports whether a record for id exists (prepare skips it).
func Has(root, id string) bool {
	_, err := os.Stat(ClipPath(root, id))
	return err == nil
}

// Write validates r and writes it atomically under root.
func Write(root string, r *Record) error {
	if r.Format == 0 {
		r.Format = FormatVersion
	}
	if err := r.Validate(); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(root, "clips"), 0o755); err != nil {
		return fmt.Errorf("dataset %s: %w", root, err)
	}
	raw, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode clip %s: %w", r.ID, err)
	}
	if err := atomicfile.WriteBytes(ClipPath(root, r.ID), raw); err != nil {
		return fmt.Errorf("write clip %s: %w", r.ID, err)
	}
	return nil
}

// Read reads and validates one record file.
func Read(path string) (*Record, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read clip: %w", err)
	}
	r := &Record{}
	if err := json.Unmarshal(raw, r); err != nil {
		return nil, fmt.Errorf("clip %s: %w", path, err)
	}
	if err := r.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// Load reads every record under root, sorted by id.
func Load(root string) ([]*Record, error) {
	files, err := filepath.Glob(filepath.Join(root, "clips", "*.json"))
	if err != nil {
		return nil, fmt.Errorf("dataset %s: %w", root, err)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("dataset %s: no clips (expected %s; run nedtrain prepare or synth first)", root, filepath.Join(root, "clips", "*.json"))
	}
	slices.Sort(files)
	out := make([]*Record, 0, len(files))
	for _, f := range files {
		r, err := Read(f)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// Hash is a checksum over the records' ids and their coefficient data (the
// manifest's data_sha256): two datasets with the same clips hash the same.
func Hash(recs []*Record) string {
	h := sha256.New()
	for _, r := range recs {
		fmt.Fprintf(h, "%s|%s|%s|%d|%d\n", r.ID, r.Actor, r.Emotion, r.Level, len(r.Frames))
		for _, f := range r.Frames {
			for _, v := range f {
				b := math.Float32bits(v)
				h.Write([]byte{byte(b), byte(b >> 8), byte(b >> 16), byte(b >> 24)})
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Failure is one clip prepare could not read.
type Failure struct {
	Source string `json:"source"`
	Error  string `json:"error"`
}

// AppendFailure adds a line to root/failed.jsonl.
func AppendFailure(root string, f Failure) error {
	if err := os.MkdirAll(root, 0o755); err != nil {
		return err
	}
	raw, err := json.Marshal(f)
	if err != nil {
		return err
	}
	fh, err := os.OpenFile(filepath.Join(root, "failed.jsonl"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("failure log: %w", err)
	}
	defer fh.Close()
	if _, err := fh.Write(append(raw, '\n')); err != nil {
		return fmt.Errorf("failure log: %w", err)
	}
	return nil
}

// ErrNoClips is returned by the walkers when a corpus yields nothing.
var ErrNoClips = errors.New("no clips found")
