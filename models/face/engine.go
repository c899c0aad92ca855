package face

import (
	"errors"
	"sync"

	"github.com/nedstream/nedstream/models/ort"
)

// Engine runs the face models on frames. Process must not be called
// concurrently; SetConfig may be called from any goroutine.
type Engine struct {
	mu  sync.Mutex
	cfg Config
}

// New loads the model pack named by opts and returns a ready engine.
func New(opts Options, cfg Config) (*Engine, error) {
	return nil, errors.New("face engine: not implemented yet")
}

// SetConfig changes the runtime settings; they apply from the next frame.
func (e *Engine) SetConfig(cfg Config) {
	e.mu.Lock()
	e.cfg = cfg
	e.mu.Unlock()
}

// Process analyses one frame.
func (e *Engine) Process(img Image) (Result, error) {
	return Result{}, errors.New("face engine: not implemented yet")
}

// Triangles returns the canonical mesh triangles (indices into Landmarks),
// for drawing the mesh overlay.
func (e *Engine) Triangles() [][3]int { return nil }

// Providers reports the execution provider of each loaded model role.
func (e *Engine) Providers() map[string]ort.Provider { return nil }

// Reset forgets all tracks (e.g. after a seek or a caps change).
func (e *Engine) Reset() {}

// Close releases the models.
func (e *Engine) Close() error { return nil }
