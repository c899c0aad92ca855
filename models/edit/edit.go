// Package edit is the expression-editing stage that follows face analysis:
// for every tracked face it keeps a window of recent expression
// coefficients, asks the manipulator for the target expression in the
// chosen emotion style (ramped over a transition time), moves the landmarks
// by the expression basis and warps the frame (models/render).
package edit

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/nedstream/nedstream/models/basis"
	"github.com/nedstream/nedstream/models/blendshape"
	"github.com/nedstream/nedstream/models/face"
	"github.com/nedstream/nedstream/models/manipulator"
	"github.com/nedstream/nedstream/models/mesh"
	"github.com/nedstream/nedstream/models/ort"
	"github.com/nedstream/nedstream/models/pack"
	"github.com/nedstream/nedstream/models/raster"
	"github.com/nedstream/nedstream/models/render"
)

// Target is the expression style a face is moved to.
type Target struct {
	// Mix weighs the emotion classes (manipulator.Classes order); a one-hot
	// vector for a single emotion.
	Mix [manipulator.NumClasses]float32
	// Intensity in [0,1]; 0 leaves the face as it is.
	Intensity float32
}

// Settings are the editing settings that may change between frames.
type Settings struct {
	// Target applies to every face without an override.
	Target Target
	// Overrides give single faces (by track id) their own target.
	Overrides map[uint64]Target
	// Transition is how long a change of target takes to fade in.
	Transition time.Duration
}

// Validate reports the first invalid setting.
func (s Settings) Validate() error {
	check := func(t Target) error {
		if !(t.Intensity >= 0 && t.Intensity <= 1) {
			return fmt.Errorf("intensity %v outside [0,1]", t.Intensity)
		}
		var sum float32
		for _, w := range t.Mix {
			if !(w >= 0) {
				return fmt.Errorf("emotion weight %v is negative or not a number", w)
			}
			sum += w
		}
		if sum == 0 && t.Intensity > 0 {
			return errors.New("emotion mixture is all zero")
		}
		return nil
	}
	if err := check(s.Target); err != nil {
		return err
	}
	for id, t := range s.Overrides {
		if err := check(t); err != nil {
			return fmt.Errorf("face %d: %w", id, err)
		}
	}
	if s.Transition < 0 {
		return fmt.Errorf("transition %v is negative", s.Transition)
	}
	return nil
}

// Stats describe one Apply call.
type Stats struct {
	// Edited counts the faces warped; Skipped those left alone (occluded,
	// unusable geometry, or nothing to change).
	Edited, Skipped int
	// Manipulate, Target and Warp are the summed stage times.
	Manipulate, Target, Warp time.Duration
}

// Editor edits the faces of a stream. Apply must not be called concurrently.
type Editor struct {
	manip  *manipulator.Manipulator
	basis  *basis.Basis
	warper *render.Warper
	window int

	tracks map[uint64]*trackEdit
	styles map[Target][]float32
	dst    []face.Point3
}

// trackEdit is one face's editing state.
type trackEdit struct {
	window [][blendshape.Count]float32
	ramp   *manipulator.Ramp
	target Target
}

// Open loads the editing models of a pack (expression basis and the
// manipulator roles) for the canonical mesh of the face engine.
func Open(p *pack.Pack, canonical *mesh.Mesh, so ort.Options) (*Editor, error) {
	for _, role := range pack.EditingRoles {
		if p.Path(role) == "" {
			return nil, fmt.Errorf("model pack %s has no %s: it can analyse faces but not edit them (rebuild it with this version's nedpack)", p.Dir, role)
		}
	}
	b, err := basis.ReadFile(p.Path(pack.RoleExpressionBasis))
	if err != nil {
		return nil, fmt.Errorf("model pack %s: %w", p.Dir, err)
	}
	w, err := render.NewWarper(canonical)
	if err != nil {
		return nil, fmt.Errorf("model pack %s: %w", p.Dir, err)
	}
	m, err := manipulator.Open(p, so)
	if err != nil {
		return nil, err
	}
	t := m.Info().T
	if t <= 0 {
		t = manipulator.DefaultT
	}
	return &Editor{manip: m, basis: b, warper: w, window: t, tracks: map[uint64]*trackEdit{}, styles: map[Target][]float32{}}, nil
}

// Info describes the manipulator in use (analytic or trained, T, S).
func (ed *Editor) Info() manipulator.Info { return ed.manip.Info() }

// style returns (and caches) the style vector of a target.
func (ed *Editor) style(t Target) ([]float32, error) {
	if s, ok := ed.styles[t]; ok {
		return s, nil
	}
	s, err := ed.manip.Style(t.Mix, t.Intensity)
	if err != nil {
		return nil, err
	}
	if len(ed.styles) > 64 {
		clear(ed.styles)
	}
	ed.styles[t] = s
	return s, nil
}

// neutralStyle is the style that changes nothing (intensity 0).
func (ed *Editor) neutralStyle() ([]float32, error) {
	return ed.style(Target{Mix: manipulator.OneHot(manipulator.Neutral)})
}

// Apply edits the faces of one frame in place. dt is the stream time since
// the previous frame (it advances the transitions). Faces that are occluded
// or whose geometry the warp cannot use are left alone; an error means the
// models failed, and the frame may then be partly edited.
func (ed *Editor) Apply(img raster.Image, faces []face.Face, s Settings, dt time.Duration) (Stats, error) {
	var st Stats
	if err := s.Validate(); err != nil {
		return st, fmt.Errorf("edit: %w", err)
	}
	seen := make(map[uint64]bool, len(faces))
	for i := range faces {
		f := &faces[i]
		seen[f.TrackID] = true
		tr, err := ed.track(f.TrackID, s)
		if err != nil {
			return st, err
		}
		want := s.Target
		if o, ok := s.Overrides[f.TrackID]; ok {
			want = o
		}
		if want != tr.target {
			sv, err := ed.style(want)
			if err != nil {
				return st, err
			}
			if err := tr.ramp.SetTarget(sv, s.Transition); err != nil {
				return st, err
			}
			tr.target = want
		}
		style := tr.ramp.Step(dt)
		if f.Occluded {
			// Keep the window continuous but do not touch the pixels.
			st.Skipped++
			continue
		}
		tr.window = append(tr.window, f.Blendshapes)
		if len(tr.window) > ed.window {
			tr.window = slices.Delete(tr.window, 0, len(tr.window)-ed.window)
		}
		if tr.ramp.Done() && tr.target.Intensity == 0 {
			// Nothing to change: the frame stays bit-identical.
			st.Skipped++
			continue
		}
		t0 := time.Now()
		eTgt, err := ed.manip.Apply(tr.window, style)
		st.Manipulate += time.Since(t0)
		if err != nil {
			return st, err
		}
		t0 = time.Now()
		if cap(ed.dst) < len(f.Landmarks) {
			ed.dst = make([]face.Point3, len(f.Landmarks))
		}
		dst := ed.dst[:len(f.Landmarks)]
		err = render.TargetLandmarks(f.Landmarks, f.Pose, ed.basis, f.Blendshapes, eTgt, dst)
		st.Target += time.Since(t0)
		if err != nil {
			st.Skipped++
			continue
		}
		t0 = time.Now()
		_, err = ed.warper.Render(img, f.Landmarks, dst, render.DefaultOptions)
		st.Warp += time.Since(t0)
		if errors.Is(err, render.ErrGeometry) {
			st.Skipped++
			continue
		}
		if err != nil {
			return st, err
		}
		st.Edited++
	}
	for id := range ed.tracks {
		if !seen[id] {
			delete(ed.tracks, id)
		}
	}
	return st, nil
}

// track returns a face's state, creating it at the neutral style so a new
// face fades into the target instead of jumping.
func (ed *Editor) track(id uint64, s Settings) (*trackEdit, error) {
	if tr, ok := ed.tracks[id]; ok {
		return tr, nil
	}
	n, err := ed.neutralStyle()
	if err != nil {
		return nil, err
	}
	tr := &trackEdit{ramp: manipulator.NewRamp(n), target: Target{Mix: manipulator.OneHot(manipulator.Neutral)}}
	ed.tracks[id] = tr
	return tr, nil
}

// Reset forgets every face's state (after a seek or a caps change).
func (ed *Editor) Reset() { clear(ed.tracks) }

// Close releases the models.
func (ed *Editor) Close() error { return ed.manip.Close() }
