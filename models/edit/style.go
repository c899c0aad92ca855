package edit

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/nedstream/nedstream/models/atomicfile"
	"github.com/nedstream/nedstream/models/blendshape"
)

// StyleFormat identifies a saved style file.
const StyleFormat = "nedstream-style/1"

// MaxStyleFrames bounds the coefficient rows a style file may hold.
const MaxStyleFrames = 100_000

// StyleFile is a saved reference style (`nedface style`, the element's
// reference property): the reference clip's per-frame expression
// coefficients, from which any pack's style_encoder computes the style, and
// for information the style the saving pack computed.
type StyleFile struct {
	// Format is StyleFormat.
	Format string `json:"format"`
	// Source names the clip the style came from.
	Source string `json:"source"`
	// Names are the coefficient names (blendshape.Names order).
	Names []string `json:"names"`
	// Coefficients has one row of 52 coefficients per analysed frame with a face.
	Coefficients [][blendshape.Count]float32 `json:"coefficients"`
	// Style is the style vector the saving pack's style_encoder returned,
	// with that pack's manipulator method; informational (loading re-encodes
	// the coefficients with the pack in use).
	Style  []float32 `json:"style,omitempty"`
	Method string    `json:"method,omitempty"`
}

// WriteFile saves the style file (atomically).
func (sf *StyleFile) WriteFile(path string) error {
	if err := sf.validate(); err != nil {
		return fmt.Errorf("style %s: %w", path, err)
	}
	raw, err := json.MarshalIndent(sf, "", " ")
	if err != nil {
		return fmt.Errorf("style %s: %w", path, err)
	}
	if err := atomicfile.WriteBytes(path, append(raw, '\n')); err != nil {
		return fmt.Errorf("style %s: %w", path, err)
	}
	return nil
}

// ReadStyleFile reads and checks a style file.
func ReadStyleFile(path string) (*StyleFile, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("style: %w", err)
	}
	var sf StyleFile
	if err := json.Unmarshal(raw, &sf); err != nil {
		return nil, fmt.Errorf("style %s: not a style file: %w", path, err)
	}
	if err := sf.validate(); err != nil {
		return nil, fmt.Errorf("style %s: %w", path, err)
	}
	return &sf, nil
}

func (sf *StyleFile) validate() error {
	if sf.Format != StyleFormat {
		return fmt.Errorf("format %q (want %q)", sf.Format, StyleFormat)
	}
	if len(sf.Names) != blendshape.Count {
		return fmt.Errorf("%d coefficient names (want %d)", len(sf.Names), blendshape.Count)
	}
	for i, n := range sf.Names {
		if n != blendshape.Names[i] {
			return fmt.Errorf("coefficient %d is %q (want %q): the file uses another coefficient order", i, n, blendshape.Names[i])
		}
	}
	if len(sf.Coefficients) == 0 {
		return errors.New("no coefficient rows (the clip showed no face)")
	}
	if len(sf.Coefficients) > MaxStyleFrames {
		return fmt.Errorf("%d coefficient rows (at most %d)", len(sf.Coefficients), MaxStyleFrames)
	}
	for _, row := range sf.Coefficients {
		if !finite(row[:]) {
			return errors.New("coefficients must be finite")
		}
	}
	return nil
}

// NewStyleFile describes a clip's coefficients as a style file.
func NewStyleFile(source string, rows [][blendshape.Count]float32) *StyleFile {
	return &StyleFile{Format: StyleFormat, Source: source, Names: append([]string(nil), blendshape.Names[:]...), Coefficients: rows}
}

// Reference encodes the file's coefficients with the editor's style_encoder.
func (ed *Editor) Reference(sf *StyleFile) (*Reference, error) {
	if !ed.HasEncoder() {
		return nil, errors.New("the model pack has no style_encoder: it cannot take a style from a reference")
	}
	return ed.StyleFromReference(sf.Source, sf.Coefficients)
}
