package dataset

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/nedstream/nedstream/models/atomicfile"
)

// Score is one clip's scorer confidence y (that the clip shows its label)
// and its loss weight lambda.
type Score struct {
	// ID and Emotion name the clip and its label.
	ID      string
	Emotion string
	// Y is the confidence in [0,1]; Lambda the weight (negative when a
	// scores file has no lambda column).
	Y      float64
	Lambda float64
}

// ScoresHeader is the header of a scores file: id,emotion,y,lambda. A file
// for `nedtrain score --scorer file` may omit lambda (it is recomputed).
var ScoresHeader = []string{"id", "emotion", "y", "lambda"}

// WriteScores writes scores as CSV (atomically).
func WriteScores(path string, scores []Score) error {
	return atomicfile.Write(path, func(w io.Writer) error {
		cw := csv.NewWriter(w)
		if err := cw.Write(ScoresHeader); err != nil {
			return err
		}
		for _, s := range scores {
			if err := cw.Write([]string{s.ID, s.Emotion, strconv.FormatFloat(s.Y, 'f', 6, 64), strconv.FormatFloat(s.Lambda, 'f', 6, 64)}); err != nil {
				return err
			}
		}
		cw.Flush()
		return cw.Error()
	})
}

// ReadScores reads a scores CSV with at least the columns id and y (emotion
// and lambda optional; lambda is -1 when absent).
func ReadScores(path string) (map[string]Score, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("scores: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	head, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("scores %s: header: %w", path, err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[strings.ToLower(strings.TrimSpace(h))] = i
	}
	if _, ok := col["id"]; !ok {
		return nil, fmt.Errorf("scores %s: no id column (header id,emotion,y[,lambda])", path)
	}
	if _, ok := col["y"]; !ok {
		return nil, fmt.Errorf("scores %s: no y column (header id,emotion,y[,lambda])", path)
	}
	out := map[string]Score{}
	for line := 2; ; line++ {
		row, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("scores %s: %w", path, err)
		}
		get := func(name string) string {
			if i, ok := col[name]; ok && i < len(row) {
				return strings.TrimSpace(row[i])
			}
			return ""
		}
		s := Score{ID: get("id"), Emotion: get("emotion"), Lambda: -1}
		if s.Y, err = strconv.ParseFloat(get("y"), 64); err != nil || s.Y < 0 || s.Y > 1 {
			return nil, fmt.Errorf("scores %s:%d: y %q is not a number in [0,1]", path, line, get("y"))
		}
		if l := get("lambda"); l != "" {
			if s.Lambda, err = strconv.ParseFloat(l, 64); err != nil || s.Lambda < 0 || s.Lambda > 1 {
				return nil, fmt.Errorf("scores %s:%d: lambda %q is not a number in [0,1]", path, line, l)
			}
		}
		if _, dup := out[s.ID]; dup {
			return nil, fmt.Errorf("scores %s:%d: duplicate id %q", path, line, s.ID)
		}
		out[s.ID] = s
	}
	return out, nil
}
