package dataset

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/nedstream/nedstream/models/manipulator"
)

// Source is one clip of a corpus to prepare.
type Source struct {
	// Path is the video file.
	Path string
	// ID is the clip's dataset id (IDFor of the path relative to the corpus).
	ID string
	// Actor, Emotion (a class name) and Level (0 when unknown) are the labels.
	Actor   string
	Emotion string
	Level   int
}

// videoExt are the file endings WalkMEAD takes as clips.
var videoExt = []string{".mp4", ".mov", ".mkv", ".avi", ".webm"}

// WalkMEAD lists the clips of a MEAD-style tree:
//
//	<root>/<actor>/video/front/<emotion>/level_<n>/<clip>.mp4
//
// (MEAD's other camera angles are ignored; emotion folder names go through
// manipulator.ParseEmotion, so "surprised" and "surprise" both work). Files
// that do not fit the layout are returned in skipped with the reason.
func WalkMEAD(root string) (clips []Source, skipped []Failure, err error) {
	st, err := os.Stat(root)
	if err != nil {
		return nil, nil, fmt.Errorf("corpus: %w", err)
	}
	if !st.IsDir() {
		return nil, nil, fmt.Errorf("corpus %s is not a directory (for a list of clips use --manifest)", root)
	}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			skipped = append(skipped, Failure{Source: path, Error: err.Error()})
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() || !slices.Contains(videoExt, strings.ToLower(filepath.Ext(path))) {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		parts := strings.Split(filepath.ToSlash(rel), "/")
		// actor/video/front/emotion/level_n/clip
		if len(parts) != 6 || parts[1] != "video" {
			skipped = append(skipped, Failure{Source: path, Error: "not in <actor>/video/<view>/<emotion>/level_<n>/ layout"})
			return nil
		}
		if parts[2] != "front" {
			return nil // other camera views
		}
		e, perr := manipulator.ParseEmotion(parts[3])
		if perr != nil {
			skipped = append(skipped, Failure{Source: path, Error: perr.Error()})
			return nil
		}
		lvl, lerr := strconv.Atoi(strings.TrimPrefix(parts[4], "level_"))
		if !strings.HasPrefix(parts[4], "level_") || lerr != nil {
			skipped = append(skipped, Failure{Source: path, Error: fmt.Sprintf("level folder %q (want level_<n>)", parts[4])})
			return nil
		}
		clips = append(clips, Source{Path: path, ID: IDFor(rel), Actor: parts[0], Emotion: e.String(), Level: lvl})
		return nil
	})
	if err != nil {
		return nil, skipped, fmt.Errorf("walk %s: %w", root, err)
	}
	if len(clips) == 0 {
		return nil, skipped, fmt.Errorf("corpus %s: %w in the MEAD layout <actor>/video/front/<emotion>/level_<n>/<clip>.mp4", root, ErrNoClips)
	}
	return clips, skipped, nil
}

// ReadManifest reads a CSV list of clips for corpora in other layouts. The
// first row is a header naming the columns path, actor, emotion and
// (optionally) level and id, in any order; relative paths are taken from
// the manifest's directory. Rows with an unknown emotion or a missing path
// are returned in skipped.
func ReadManifest(path string) (clips []Source, skipped []Failure, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("manifest: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	head, err := r.Read()
	if err != nil {
		return nil, nil, fmt.Errorf("manifest %s: header: %w", path, err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[strings.ToLower(strings.TrimSpace(h))] = i
	}
	for _, need := range []string{"path", "actor", "emotion"} {
		if _, ok := col[need]; !ok {
			return nil, nil, fmt.Errorf("manifest %s: no %q column (header needs path, actor, emotion; optional level, id)", path, need)
		}
	}
	get := func(row []string, name string) string {
		if i, ok := col[name]; ok && i < len(row) {
			return strings.TrimSpace(row[i])
		}
		return ""
	}
	dir := filepath.Dir(path)
	seen := map[string]bool{}
	for line := 2; ; line++ {
		row, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, skipped, fmt.Errorf("manifest %s: %w", path, err)
		}
		p := get(row, "path")
		where := fmt.Sprintf("%s:%d", path, line)
		if p == "" {
			skipped = append(skipped, Failure{Source: where, Error: "empty path"})
			continue
		}
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		e, perr := manipulator.ParseEmotion(get(row, "emotion"))
		if perr != nil {
			skipped = append(skipped, Failure{Source: where, Error: perr.Error()})
			continue
		}
		actor := get(row, "actor")
		if actor == "" {
			skipped = append(skipped, Failure{Source: where, Error: "empty actor"})
			continue
		}
		lvl := 0
		if l := get(row, "level"); l != "" {
			if lvl, err = strconv.Atoi(strings.TrimPrefix(l, "level_")); err != nil {
				skipped = append(skipped, Failure{Source: where, Error: fmt.Sprintf("level %q is not a number", l)})
				continue
			}
		}
		id := get(row, "id")
		if id == "" {
			rel, rerr := filepath.Rel(dir, p)
			if rerr != nil || strings.HasPrefix(rel, "..") {
				rel = p
			}
			id = IDFor(rel)
		}
		if !validID.MatchString(id) {
			skipped = append(skipped, Failure{Source: where, Error: fmt.Sprintf("id %q has characters outside [A-Za-z0-9._-]", id)})
			continue
		}
		if seen[id] {
			skipped = append(skipped, Failure{Source: where, Error: fmt.Sprintf("duplicate id %q", id)})
			continue
		}
		seen[id] = true
		clips = append(clips, Source{Path: p, ID: id, Actor: actor, Emotion: e.String(), Level: lvl})
	}
	if len(clips) == 0 {
		return nil, skipped, fmt.Errorf("manifest %s: %w", path, ErrNoClips)
	}
	return clips, skipped, nil
}
