// Package mesh reads the triangle meshes the engine uses (MediaPipe's
// canonical face, ICT-FaceKit shapes) from Wavefront OBJ files.
package mesh

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// Mesh is a triangle mesh: vertex positions, optional texture coordinates
// (one per vertex, by the vertex's first use) and triangles (0-based). Quads
// and polygons are fanned into triangles.
type Mesh struct {
	Vertices  [][3]float64
	UVs       [][2]float64
	Triangles [][3]int
}

// LoadOBJ reads an OBJ file.
func LoadOBJ(path string) (*Mesh, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load mesh: %w", err)
	}
	defer f.Close()
	m, err := ReadOBJ(f)
	if err != nil {
		return nil, fmt.Errorf("load mesh %s: %w", path, err)
	}
	return m, nil
}

// ReadOBJ parses OBJ text (v, vt and f records; others are ignored).
func ReadOBJ(r io.Reader) (*Mesh, error) {
	m := &Mesh{}
	var uvs [][2]float64
	var uvOf []int
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	line := 0
	for sc.Scan() {
		line++
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		switch fields[0] {
		case "v":
			v, err := floats(fields[1:], 3)
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", line, err)
			}
			m.Vertices = append(m.Vertices, [3]float64{v[0], v[1], v[2]})
			uvOf = append(uvOf, -1)
		case "vt":
			v, err := floats(fields[1:], 2)
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", line, err)
			}
			uvs = append(uvs, [2]float64{v[0], v[1]})
		case "f":
			if len(fields) < 4 {
				return nil, fmt.Errorf("line %d: face with %d vertices", line, len(fields)-1)
			}
			idx := make([]int, len(fields)-1)
			for k, ref := range fields[1:] {
				parts := strings.Split(ref, "/")
				vi, err := objIndex(parts[0], len(m.Vertices))
				if err != nil {
					return nil, fmt.Errorf("line %d: %w", line, err)
				}
				idx[k] = vi
				if len(parts) > 1 && parts[1] != "" && uvOf[vi] < 0 {
					ti, err := objIndex(parts[1], len(uvs))
					if err != nil {
						return nil, fmt.Errorf("line %d: %w", line, err)
					}
					uvOf[vi] = ti
				}
			}
			for k := 1; k+1 < len(idx); k++ {
				m.Triangles = append(m.Triangles, [3]int{idx[0], idx[k], idx[k+1]})
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(m.Vertices) == 0 {
		return nil, fmt.Errorf("no vertices")
	}
	if len(uvs) > 0 {
		m.UVs = make([][2]float64, len(m.Vertices))
		for i, t := range uvOf {
			if t >= 0 {
				m.UVs[i] = uvs[t]
			}
		}
	}
	return m, nil
}

func floats(s []string, n int) ([]float64, error) {
	if len(s) < n {
		return nil, fmt.Errorf("want %d numbers, got %d", n, len(s))
	}
	v := make([]float64, n)
	for i := range v {
		x, err := strconv.ParseFloat(s[i], 64)
		if err != nil {
			return nil, err
		}
		v[i] = x
	}
	return v, nil
}

// objIndex converts a 1-based (or negative, relative) OBJ index to 0-based.
func objIndex(s string, n int) (int, error) {
	i, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("bad index %q", s)
	}
	if i < 0 {
		i = n + i + 1
	}
	if i < 1 || i > n {
		return 0, fmt.Errorf("index %d out of range (1..%d)", i, n)
	}
	return i - 1, nil
}
