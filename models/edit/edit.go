// Package edit is the expression-editing stage that follows face analysis:
// for every tracked face it keeps a window of recent expression
// coefficients, asks the manipulator for the target expression in the
// chosen emotion style (ramped over a transition time), moves the landmarks
// by the expression basis and warps the frame (models/render).
package edit

import (
	"errors"
	"fmt"
	"math"
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
	// Ref, when set, replaces Mix: the style of a reference clip (see
	// Reference); Intensity then interpolates between the neutral style (0)
	// and the reference's style (1).
	Ref *Reference
}

// Reference is a style taken from a reference clip through the pack's
// style_encoder (manipulator.StyleFromReference), or read back from a saved
// style file. Targets compare references by pointer: build one per clip.
type Reference struct {
	// Name describes where the style came from (a file name).
	Name string
	// Style is the style vector; its length must be the manipulator's S.
	Style []float32
}

// Settings are the editing settings that may change between frames.
type Settings struct {
	// Target applies to every face without an override.
	Target Target
	// Overrides give single faces (by track id) their own target.
	Overrides map[uint64]Target
	// Transition is how long a change of target takes to fade in.
	Transition time.Duration
	// FreeSpeech lets the style drive the speech channels too (the
	// element's preserve-speech=false): the manipulator also sees the window
	// with the speech channels at rest (0) and, on those channels, the
	// result is mixed toward that output by the face's ramped intensity.
	// With the analytic models this turns the speech channels' e + a·p into
	// (1-a)·e + a·p. The default (false) keeps them following the source.
	FreeSpeech bool
}

// Validate reports the first invalid setting.
func (s Settings) Validate() error {
	check := func(t Target) error {
		if !(t.Intensity >= 0 && t.Intensity <= 1) {
			return fmt.Errorf("intensity %v outside [0,1]", t.Intensity)
		}
		if t.Ref != nil && (len(t.Ref.Style) == 0 || !finite(t.Ref.Style)) {
			return fmt.Errorf("reference style %q is empty or not finite", t.Ref.Name)
		}
		var sum float32
		for _, w := range t.Mix {
			if !(w >= 0) {
				return fmt.Errorf("emotion weight %v is negative or not a number", w)
			}
			sum += w
		}
		if sum == 0 && t.Intensity > 0 && t.Ref == nil {
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

// MaxLookahead is the largest lookahead Render accepts (frames).
const MaxLookahead = 30

// history is how many frames of edits a track keeps: a frame rendered
// MaxLookahead behind the newest looks MaxLookahead further back.
const history = 2*MaxLookahead + 2

// Stats describe one Apply, Push or Render call.
type Stats struct {
	// Edited counts the faces warped; Skipped those left alone (occluded,
	// unusable geometry, or nothing to change).
	Edited, Skipped int
	// Manipulate, Target and Warp are the summed stage times.
	Manipulate, Target, Warp time.Duration
}

func (s *Stats) add(o Stats) {
	s.Edited += o.Edited
	s.Skipped += o.Skipped
	s.Manipulate += o.Manipulate
	s.Target += o.Target
	s.Warp += o.Warp
}

// FaceState is what the editor does to one face in a pushed frame.
type FaceState struct {
	TrackID uint64
	// Target is the face's target (the override when it has one).
	Target Target
	// Level is the face's current (ramped) intensity.
	Level float32
}

// Editor edits the faces of a stream. Its methods must not be called
// concurrently.
//
// A frame goes through two steps: Push observes its faces (coefficient
// windows, style ramps, the manipulator) and numbers the frame; Render warps
// it. Causal editing (Apply) renders each frame as it is pushed. With a
// lookahead of L frames the caller holds each frame until L newer frames have
// been pushed and renders it then: the target is smoothed over the centred
// window of 2L+1 frames, so the smoothing has no lag. On the blend (emotion)
// channels the manipulator's output is averaged; on the speech and motion
// channels only the edit (target minus source) is, so the frame's own lip-sync
// and blinks pass unblurred.
type Editor struct {
	manip    *manipulator.Manipulator
	basis    *basis.Basis
	warper   *render.Warper
	renderer *render.Model
	window   int

	seq    uint64 // frames pushed so far
	tracks map[uint64]*trackEdit
	styles map[Target][]float32
	dst    []face.Point3
}

// trackEdit is one face's editing state.
type trackEdit struct {
	window   [][blendshape.Count]float32
	ramp     *manipulator.Ramp // the style
	level    *manipulator.Ramp // the intensity, [1]
	target   Target
	lastSeen uint64
	edits    [history]frameEdit // by seq % history
	// fall is the running mean of the edit on the speech-coupled channels
	// over falls frames (see steadyFalls).
	fall  [blendshape.Count]float32
	falls int
}

// frameEdit is the manipulator's result for one face in one frame.
type frameEdit struct {
	seq   uint64
	valid bool
	// idle: nothing to change (intensity 0 and no transition under way).
	idle    bool
	in, out [blendshape.Count]float32
}

// Open loads the editing models of a pack (expression basis, the
// manipulator roles and, when the pack has one, the renderer) for the
// canonical mesh of the face engine.
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
	var rm *render.Model
	if path := p.Path(pack.RoleRenderer); path != "" {
		if rm, err = render.OpenModel(path, canonical, so); err != nil {
			m.Close()
			return nil, fmt.Errorf("model pack %s: %w", p.Dir, err)
		}
	}
	t := m.Info().T
	if t <= 0 {
		t = manipulator.DefaultT
	}
	return &Editor{manip: m, basis: b, warper: w, renderer: rm, window: t, tracks: map[uint64]*trackEdit{}, styles: map[Target][]float32{}}, nil
}

// Info describes the manipulator in use (analytic or trained, T, S).
func (ed *Editor) Info() manipulator.Info { return ed.manip.Info() }

// HasRenderer reports whether the pack's renderer model replaces the warp.
func (ed *Editor) HasRenderer() bool { return ed.renderer != nil }

// HasEncoder reports whether the pack can take a style from a reference clip.
func (ed *Editor) HasEncoder() bool { return ed.manip.HasEncoder() }

// StyleFromReference turns a reference clip's coefficients (one row per
// frame) into a Reference through the pack's style_encoder.
func (ed *Editor) StyleFromReference(name string, frames [][blendshape.Count]float32) (*Reference, error) {
	s, err := ed.manip.StyleFromReference(frames)
	if err != nil {
		return nil, err
	}
	return &Reference{Name: name, Style: s}, nil
}

// style returns (and caches) the style vector of a target.
func (ed *Editor) style(t Target) ([]float32, error) {
	if s, ok := ed.styles[t]; ok {
		return s, nil
	}
	var s []float32
	if t.Ref != nil {
		if len(t.Ref.Style) != ed.manip.Info().S {
			return nil, fmt.Errorf("reference style %q has %d values, the manipulator takes S = %d", t.Ref.Name, len(t.Ref.Style), ed.manip.Info().S)
		}
		n, err := ed.neutralStyle()
		if err != nil {
			return nil, err
		}
		s = make([]float32, len(n))
		for i := range s {
			s[i] = n[i] + t.Intensity*(t.Ref.Style[i]-n[i])
		}
	} else {
		var err error
		if s, err = ed.manip.Style(t.Mix, t.Intensity); err != nil {
			return nil, err
		}
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

// Apply edits the faces of one frame in place (causal: Push, then Render
// with no lookahead). dt is the stream time since the previous frame (it
// advances the transitions). Faces that are occluded or whose geometry the
// warp cannot use are left alone; an error means the models failed, and the
// frame may then be partly edited.
func (ed *Editor) Apply(img raster.Image, faces []face.Face, s Settings, dt time.Duration) (Stats, error) {
	seq, st, _, err := ed.Push(faces, s, dt)
	if err != nil {
		return st, err
	}
	rs, err := ed.Render(img, faces, seq, 0)
	st.add(rs)
	return st, err
}

// Push observes the faces of the next frame: it advances every face's
// transition by dt, runs the manipulator on its window and records the
// edit. It returns the frame's number (for Render) and each face's target
// and current intensity (in faces' order).
func (ed *Editor) Push(faces []face.Face, s Settings, dt time.Duration) (uint64, Stats, []FaceState, error) {
	var st Stats
	seq := ed.seq
	ed.seq++
	if err := s.Validate(); err != nil {
		return seq, st, nil, fmt.Errorf("edit: %w", err)
	}
	states := make([]FaceState, 0, len(faces))
	for i := range faces {
		f := &faces[i]
		tr, err := ed.track(f.TrackID)
		if err != nil {
			return seq, st, states, err
		}
		tr.lastSeen = seq
		want := s.Target
		if o, ok := s.Overrides[f.TrackID]; ok {
			want = o
		}
		if want != tr.target {
			sv, err := ed.style(want)
			if err != nil {
				return seq, st, states, err
			}
			if err := tr.ramp.SetTarget(sv, s.Transition); err != nil {
				return seq, st, states, err
			}
			if err := tr.level.SetTarget([]float32{want.Intensity}, s.Transition); err != nil {
				return seq, st, states, err
			}
			tr.target = want
		}
		style := tr.ramp.Step(dt)
		level := tr.level.Step(dt)[0]
		states = append(states, FaceState{TrackID: f.TrackID, Target: want, Level: level})
		fe := &tr.edits[seq%history]
		*fe = frameEdit{seq: seq}
		if f.Occluded {
			// Keep the window continuous but do not touch the pixels.
			continue
		}
		tr.window = append(tr.window, f.Blendshapes)
		if len(tr.window) > ed.window {
			tr.window = slices.Delete(tr.window, 0, len(tr.window)-ed.window)
		}
		fe.valid, fe.in = true, f.Blendshapes
		if tr.ramp.Done() && tr.target.Intensity == 0 {
			// Nothing to change: the frame stays bit-identical.
			fe.idle, fe.out = true, f.Blendshapes
			tr.falls = 0
			continue
		}
		t0 := time.Now()
		out, err := ed.manipulate(tr.window, style, level, s.FreeSpeech)
		st.Manipulate += time.Since(t0)
		if err != nil {
			fe.valid = false
			return seq, st, states, err
		}
		fe.out = out
		tr.steadyFalls(&fe.in, &fe.out, dt)
	}
	for id, tr := range ed.tracks {
		if seq-tr.lastSeen >= history-1 {
			delete(ed.tracks, id)
		}
	}
	return seq, st, states, nil
}

// speechCoupled are the blend channels whose measured value moves with the
// speech: the smile as MediaPipe reads it rises and falls with the mouth's
// opening (talking_face.mp4: correlation 0.25-0.67 with jawOpen per speaker).
var speechCoupled = []int{blendshape.Index("mouthSmileLeft"), blendshape.Index("mouthSmileRight")}

// fallTau is the time constant of the running mean that steadyFalls puts in
// place of a removal on the speech-coupled channels: slower than syllables
// (100-250 ms), about as fast as a deliberate change of expression.
const fallTau = 500 * time.Millisecond

// steadyFalls keeps the speech in a removal of a speech-coupled channel.
// The manipulator removes such a channel frame by frame (sad: the smile goes
// to 0 on every frame), which also removes its speech-driven motion and
// changes how open the mouth looks. Where the edit lowers the channel, the
// frame's edit is replaced by the running mean of the edit (time constant
// fallTau, the plain mean over a track's first frames): the level is removed,
// the source's fast motion stays. Rises (happy) are left frame-wise.
func (tr *trackEdit) steadyFalls(in, out *[blendshape.Count]float32, dt time.Duration) {
	tr.falls++
	k := float32(1 - math.Exp(-dt.Seconds()/fallTau.Seconds()))
	k = max(k, 1/float32(tr.falls))
	for _, c := range speechCoupled {
		d := out[c] - in[c]
		tr.fall[c] += k * (d - tr.fall[c])
		if d < 0 && tr.fall[c] < 0 {
			out[c] = in[c] + tr.fall[c]
		}
	}
}

// manipulate runs the manipulator on a window and returns the edited last
// frame; with freeSpeech the speech channels are mixed toward the output for
// the window with those channels at rest, by the current intensity level.
func (ed *Editor) manipulate(window [][blendshape.Count]float32, style []float32, level float32, freeSpeech bool) ([blendshape.Count]float32, error) {
	if !freeSpeech || level <= 0 {
		return ed.manip.Apply(window, style)
	}
	quiet := make([][blendshape.Count]float32, len(window))
	for k, row := range window {
		quiet[k] = row
		for c, kind := range manipulator.Channels {
			if kind == manipulator.Speech {
				quiet[k][c] = 0
			}
		}
	}
	outs, err := ed.manip.ApplyBatch([][][blendshape.Count]float32{window, quiet}, [][]float32{style, style})
	if err != nil {
		return [blendshape.Count]float32{}, err
	}
	kept, free := outs[0][len(outs[0])-1], outs[1][len(outs[1])-1]
	a := min(level, 1)
	for c, kind := range manipulator.Channels {
		if kind == manipulator.Speech {
			kept[c] = (1-a)*kept[c] + a*free[c]
		}
	}
	return kept, nil
}

// Render edits the frame that Push numbered seq, whose faces are faces (as
// given to Push), in place. lookahead is how many frames the caller held the
// frame back (frames pushed after it): the edit is smoothed over frames
// seq-lookahead .. seq+lookahead, where recorded (at the end of a stream the
// window is shorter). lookahead 0 uses the frame's own edit.
func (ed *Editor) Render(img raster.Image, faces []face.Face, seq uint64, lookahead int) (Stats, error) {
	var st Stats
	if lookahead < 0 || lookahead > MaxLookahead {
		return st, fmt.Errorf("edit: lookahead %d outside [0,%d]", lookahead, MaxLookahead)
	}
	if seq+history <= ed.seq+1 {
		return st, fmt.Errorf("edit: frame %d is too old to render (newest %d)", seq, int64(ed.seq)-1)
	}
	for i := range faces {
		f := &faces[i]
		tr := ed.tracks[f.TrackID]
		if tr == nil || f.Occluded {
			st.Skipped++
			continue
		}
		eTgt, ok := tr.smoothed(seq, lookahead)
		if !ok {
			st.Skipped++
			continue
		}
		t0 := time.Now()
		if cap(ed.dst) < len(f.Landmarks) {
			ed.dst = make([]face.Point3, len(f.Landmarks))
		}
		dst := ed.dst[:len(f.Landmarks)]
		err := render.TargetLandmarks(f.Landmarks, f.Pose, ed.basis, f.Blendshapes, eTgt, dst)
		st.Target += time.Since(t0)
		if err != nil {
			st.Skipped++
			continue
		}
		t0 = time.Now()
		if ed.renderer != nil {
			_, err = ed.renderer.Render(img, f.Landmarks, dst, render.DefaultOptions)
		} else {
			_, err = ed.warper.Render(img, f.Landmarks, dst, render.DefaultOptions)
		}
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
	return st, nil
}

// smoothed returns the target coefficients for frame seq, averaged with
// triangular weights over seq-l .. seq+l: on the blend (emotion) channels the
// manipulator's output itself, on the speech and motion channels the frame's
// own source plus the averaged edit (target minus source), so lip-sync and
// blinks are never blurred. ok is false when the frame has no usable edit or
// nothing changes.
func (tr *trackEdit) smoothed(seq uint64, l int) ([blendshape.Count]float32, bool) {
	self := &tr.edits[seq%history]
	if !self.valid || self.seq != seq {
		return self.out, false
	}
	if l == 0 {
		return self.out, !self.idle
	}
	var sum, sumOut [blendshape.Count]float32
	var wsum float32
	idle := true
	for k := -l; k <= l; k++ {
		j := int64(seq) + int64(k)
		if j < 0 {
			continue
		}
		e := &tr.edits[uint64(j)%history]
		if !e.valid || e.seq != uint64(j) {
			continue
		}
		idle = idle && e.idle
		w := float32(l + 1 - abs(k))
		for c := range sum {
			sum[c] += w * (e.out[c] - e.in[c])
			sumOut[c] += w * e.out[c]
		}
		wsum += w
	}
	if idle {
		return self.out, false
	}
	var out [blendshape.Count]float32
	for c := range out {
		v := self.in[c] + sum[c]/wsum // source + mean edit
		if manipulator.Channels[c] == manipulator.Blend {
			v = sumOut[c] / wsum // mean target
		}
		out[c] = min(max(v, 0), 1)
	}
	for _, c := range speechCoupled {
		// The edit is a steady removal (steadyFalls) that may take the
		// target below 0 on a frame; keep it as it is.
		out[c] = self.in[c] + sum[c]/wsum
	}
	return out, true
}

func abs(k int) int {
	if k < 0 {
		return -k
	}
	return k
}

func finite(vs []float32) bool {
	for _, v := range vs {
		if v != v || v > 3.4e38 || v < -3.4e38 {
			return false
		}
	}
	return true
}

// track returns a face's state, creating it at the neutral style so a new
// face fades into the target instead of jumping.
func (ed *Editor) track(id uint64) (*trackEdit, error) {
	if tr, ok := ed.tracks[id]; ok {
		return tr, nil
	}
	n, err := ed.neutralStyle()
	if err != nil {
		return nil, err
	}
	tr := &trackEdit{
		ramp:   manipulator.NewRamp(n),
		level:  manipulator.NewRamp([]float32{0}),
		target: Target{Mix: manipulator.OneHot(manipulator.Neutral)},
	}
	ed.tracks[id] = tr
	return tr, nil
}

// Reset forgets every face's state (after a seek or a caps change).
func (ed *Editor) Reset() { clear(ed.tracks) }

// Close releases the models.
func (ed *Editor) Close() error {
	var errs []error
	errs = append(errs, ed.manip.Close())
	if ed.renderer != nil {
		errs = append(errs, ed.renderer.Close())
	}
	return errors.Join(errs...)
}
