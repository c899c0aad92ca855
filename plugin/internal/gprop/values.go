package gprop

import "sync"

// Values holds an element's settings S behind a mutex: properties may be
// set from any thread while the streaming thread reads a snapshot. The
// zero value holds S's zero value; Reset sets the defaults.
type Values[S any] struct {
	mu sync.Mutex
	v  S
}

// Reset replaces the settings (instance init).
func (g *Values[S]) Reset(v S) {
	g.mu.Lock()
	g.v = v
	g.mu.Unlock()
}

// Set writes property id through the table and returns the settings before
// and after, and the property's note (see Table.Set).
func (g *Values[S]) Set(t Table[S], id uint, value any) (before, after S, note string, err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	before = g.v
	note, err = t.Set(&g.v, id, value)
	return before, g.v, note, err
}

// Get reads property id through the table.
func (g *Values[S]) Get(t Table[S], id uint) any {
	g.mu.Lock()
	defer g.mu.Unlock()
	return t.Get(&g.v, id)
}

// Snapshot returns a copy of the settings.
func (g *Values[S]) Snapshot() S {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.v
}

// Update changes the settings under the lock with fn.
func (g *Values[S]) Update(fn func(*S)) {
	g.mu.Lock()
	defer g.mu.Unlock()
	fn(&g.v)
}
