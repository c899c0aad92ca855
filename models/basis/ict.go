package basis

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ICT-FaceKit layout facts (README of the kit): vertices 0..9408 are the
// face; everything after (head, neck, mouth and eye sockets, teeth, eyes,
// eyelashes) is not part of MediaPipe's surface.
const ictFaceVertices = 9409

// ictIndices is the part of ICT-FaceKit's vertex_indices.json Build reads.
type ictIndices struct {
	Expressions []string `json:"expressions"`
	Landmarks   []int    `json:"idx_to_landmark_verts"`
}

func readICTIndices(dir string) (*ictIndices, error) {
	path := filepath.Join(dir, "vertex_indices.json")
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("ict-facekit indices: %w", err)
	}
	var ix ictIndices
	if err := json.Unmarshal(raw, &ix); err != nil {
		return nil, fmt.Errorf("ict-facekit indices %s: %w", path, err)
	}
	if len(ix.Landmarks) != 68 {
		return nil, fmt.Errorf("ict-facekit indices %s: %d landmark vertices, want 68 (iBUG order)", path, len(ix.Landmarks))
	}
	for i, v := range ix.Landmarks {
		if v < 0 || v >= ictFaceVertices {
			return nil, fmt.Errorf("ict-facekit indices %s: landmark %d is vertex %d, outside the face (0..%d)", path, i, v, ictFaceVertices-1)
		}
	}
	if len(ix.Expressions) == 0 {
		return nil, fmt.Errorf("ict-facekit indices %s: no expressions listed", path)
	}
	return &ix, nil
}

// readVertices reads the first n vertex positions of an OBJ file and stops:
// the expression shapes share the neutral mesh's topology, so their faces
// (and the non-face vertices) need not be parsed. This keeps loading 53
// 2.5 MB shapes well under a second per core.
func readVertices(path string, n int) ([][3]float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read shape: %w", err)
	}
	defer f.Close()
	out := make([][3]float64, 0, n)
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	line := 0
	for len(out) < n && sc.Scan() {
		line++
		s := sc.Text()
		if !strings.HasPrefix(s, "v ") {
			continue
		}
		fields := strings.Fields(s[2:])
		if len(fields) < 3 {
			return nil, fmt.Errorf("read shape %s: line %d: vertex with %d coordinates", path, line, len(fields))
		}
		var v [3]float64
		for k := range 3 {
			x, err := strconv.ParseFloat(fields[k], 64)
			if err != nil {
				return nil, fmt.Errorf("read shape %s: line %d: %w", path, line, err)
			}
			v[k] = x
		}
		out = append(out, v)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read shape %s: %w", path, err)
	}
	if len(out) < n {
		return nil, fmt.Errorf("read shape %s: %d vertices, want at least %d", path, len(out), n)
	}
	return out, nil
}

// ictToMediaPipe maps an ICT-FaceKit expression name to the MediaPipe
// (ARKit) coefficient it feeds: the "_L"/"_R" suffixes become "Left"/"Right"
// (both name the subject's own side in both conventions, see Build), and the
// two halves ICT splits browInnerUp and cheekPuff into are summed into
// MediaPipe's single symmetric shape.
func ictToMediaPipe(name string) string {
	switch name {
	case "browInnerUp_L", "browInnerUp_R":
		return "browInnerUp"
	case "cheekPuff_L", "cheekPuff_R":
		return "cheekPuff"
	}
	if b, ok := strings.CutSuffix(name, "_L"); ok {
		return b + "Left"
	}
	if b, ok := strings.CutSuffix(name, "_R"); ok {
		return b + "Right"
	}
	return name
}
