package face

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/nedstream/nedstream/models/blendshape"
	"github.com/nedstream/nedstream/models/detect"
	"github.com/nedstream/nedstream/models/landmark"
	"github.com/nedstream/nedstream/models/mesh"
	"github.com/nedstream/nedstream/models/ort"
	"github.com/nedstream/nedstream/models/pack"
	"github.com/nedstream/nedstream/models/pose"
	"github.com/nedstream/nedstream/models/raster"
	"github.com/nedstream/nedstream/models/track"
)

// Engine runs the face models on frames. Process must not be called
// concurrently; SetConfig may be called from any goroutine.
type Engine struct {
	mu  sync.Mutex
	cfg Config

	pack      *pack.Pack
	detector  *detect.Detector
	mesh      *landmark.FaceMesh
	iris      *landmark.Iris
	iris2     *landmark.Iris // second session: the two eyes run side by side
	shapes    *blendshape.Model
	fitter    *pose.Fitter
	canonical *mesh.Mesh

	frame      int64
	lastDetect int64
	nextID     uint64
	tracks     []*trackState
	lost       []lostTrack
	smoothing  float64
}

// lostTrack remembers where a track was lost, so that a face re-found there
// soon after (a hand passing in front, a missed frame) keeps its id.
type lostTrack struct {
	id    uint64
	box   Rect
	frame int64
}

// relinkFrames is how long a lost track's id can be taken over.
const relinkFrames = 15

// trackState is one face followed across frames.
type trackState struct {
	id     uint64
	roi    raster.ROI
	age    int
	pts    []landmark.Point // raw landmarks of the last frame (478)
	filter *track.OneEuro
	buf    []float64
	// last is the last good face, reported while occluded.
	last     Face
	occluded int
}

// New loads the model pack named by opts and returns a ready engine.
// onnxruntime must be initialised (ort.Init).
func New(opts Options, cfg Config) (*Engine, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	p, err := pack.Load(opts.PackDir, pack.RequiredRoles...)
	if err != nil {
		return nil, err
	}
	if err := p.CheckModels(); err != nil {
		return nil, err
	}
	e := &Engine{cfg: cfg, pack: p, lastDetect: math.MinInt64 / 2}
	if err := e.open(opts.Session); err != nil {
		e.Close()
		return nil, err
	}
	return e, nil
}

func (e *Engine) open(so ort.Options) error {
	p := e.pack
	entry := func(role string) pack.Entry { en, _ := p.Entry(role); return en }
	var err error
	if e.detector, err = detect.Open(p.Path(pack.RoleDetector), entry(pack.RoleDetector), so, detect.Options{}); err != nil {
		return err
	}
	if e.mesh, err = landmark.OpenFaceMesh(p.Path(pack.RoleLandmarker), entry(pack.RoleLandmarker), so); err != nil {
		return err
	}
	if e.iris, err = landmark.OpenIris(p.Path(pack.RoleIris), entry(pack.RoleIris), so); err != nil {
		return err
	}
	if e.iris2, err = landmark.OpenIris(p.Path(pack.RoleIris), entry(pack.RoleIris), so); err != nil {
		return err
	}
	if e.shapes, err = blendshape.Open(p.Path(pack.RoleBlendshapes), so); err != nil {
		return err
	}
	if e.canonical, err = mesh.LoadOBJ(p.Path(pack.RoleCanonicalMesh)); err != nil {
		return fmt.Errorf("model pack %s: %w", p.Dir, err)
	}
	if len(e.canonical.Vertices) < landmark.Count {
		return fmt.Errorf("model pack %s: canonical mesh has %d vertices, want %d", p.Dir, len(e.canonical.Vertices), landmark.Count)
	}
	ws, err := pose.LoadWeights(p.Path(pack.RoleGeometry))
	if err != nil {
		return fmt.Errorf("model pack %s: %w", p.Dir, err)
	}
	if e.fitter, err = pose.NewFitter(e.canonical.Vertices, ws); err != nil {
		return fmt.Errorf("model pack %s: %w", p.Dir, err)
	}
	return nil
}

// SetConfig changes the runtime settings; they apply from the next frame.
// An invalid configuration is rejected and the previous one kept.
func (e *Engine) SetConfig(cfg Config) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	e.mu.Lock()
	e.cfg = cfg
	e.mu.Unlock()
	return nil
}

// Config returns the current settings.
func (e *Engine) Config() Config {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.cfg
}

// Pack returns the loaded model pack.
func (e *Engine) Pack() *pack.Pack { return e.pack }

// Canonical returns MediaPipe's canonical face mesh (vertex order = landmarks).
func (e *Engine) Canonical() *mesh.Mesh { return e.canonical }

// Triangles returns the canonical mesh triangles (indices into Landmarks),
// for drawing the mesh overlay.
func (e *Engine) Triangles() [][3]int { return e.canonical.Triangles }

// Providers reports the execution provider of each loaded model role.
func (e *Engine) Providers() map[string]ort.Provider {
	return map[string]ort.Provider{
		pack.RoleDetector:    e.detector.Provider(),
		pack.RoleLandmarker:  e.mesh.Provider(),
		pack.RoleIris:        e.iris.Provider(),
		pack.RoleBlendshapes: e.shapes.Provider(),
	}
}

// Reset forgets all tracks (after a seek, a flush or a caps change).
func (e *Engine) Reset() {
	e.tracks = nil
	e.lost = nil
	e.frame = 0
	e.lastDetect = math.MinInt64 / 2
}

// Process analyses one frame: detection when due, landmarks (+ iris) for
// every track, blendshapes and pose. The frame is only read.
func (e *Engine) Process(img Image) (Result, error) {
	start := time.Now()
	var res Result
	if err := img.Validate(); err != nil {
		return res, fmt.Errorf("face engine: %w", err)
	}
	cfg := e.Config()
	defer func() { e.frame++ }()

	// Detect on the first frame, every DetectInterval frames, and on the
	// frame after a track is lost (lastDetect is reset then). With nothing
	// tracked the detector runs every ceil(DetectInterval/4) frames: a face
	// that comes into view is picked up within a few frames, and a frame
	// without faces costs a third of a detection at the default interval.
	interval := int64(cfg.DetectInterval)
	if len(e.tracks) == 0 {
		interval = (interval + 3) / 4
	}
	if e.frame-e.lastDetect >= interval {
		t := time.Now()
		dets, err := e.detector.Detect(img, cfg.MinFaceConfidence)
		if err != nil {
			return res, err
		}
		e.lastDetect = e.frame
		res.Detected = true
		e.merge(dets, cfg)
		res.Timings.Detect = time.Since(t)
	}
	if cfg.Smoothing != e.smoothing {
		for _, tr := range e.tracks {
			tr.filter = track.ForStrength(cfg.Smoothing)
		}
		e.smoothing = cfg.Smoothing
	}
	dt := 1 / 30.0
	if cfg.FrameRate > 0 {
		dt = 1 / cfg.FrameRate
	}
	kept := e.tracks[:0]
	for _, tr := range e.tracks {
		f, ok, err := e.follow(img, tr, cfg, dt, &res.Timings)
		if err != nil {
			return res, err
		}
		if !ok {
			// Lost: detect again on the next frame.
			e.lastDetect = math.MinInt64 / 2
			if tr.age > 0 {
				e.lost = append(e.lost, lostTrack{id: tr.id, box: boxOf(tr.pts), frame: e.frame})
			}
			continue
		}
		kept = append(kept, tr)
		res.Faces = append(res.Faces, f)
	}
	e.tracks = kept
	res.Faces = dedupe(res.Faces, e)
	res.Timings.Total = time.Since(start)
	return res, nil
}

// merge starts tracks for detections that no existing track covers.
func (e *Engine) merge(dets []detect.Detection, cfg Config) {
	for _, d := range dets {
		covered := false
		for _, tr := range e.tracks {
			b := boxOf(tr.pts)
			if tr.age == 0 {
				b = Rect{X: float32(tr.roi.CX - tr.roi.Size/2), Y: float32(tr.roi.CY - tr.roi.Size/2), W: float32(tr.roi.Size), H: float32(tr.roi.Size)}
			}
			if detect.IoU(b.X, b.Y, b.W, b.H, d.X, d.Y, d.W, d.H) > 0.3 {
				covered = true
				break
			}
		}
		if covered || len(e.tracks) >= cfg.MaxFaces {
			continue
		}
		// The id is given once the landmarks confirm the face (see follow).
		e.tracks = append(e.tracks, &trackState{
			roi:    landmark.ROIFromDetection(d, e.mesh.ROIScale()),
			pts:    make([]landmark.Point, landmark.CountWithIris),
			filter: track.ForStrength(cfg.Smoothing),
		})
	}
}

// idFor returns the id of a recently lost track at the box's place, or a new id.
func (e *Engine) idFor(d Rect) uint64 {
	e.lost = slices.DeleteFunc(e.lost, func(l lostTrack) bool { return e.frame-l.frame > relinkFrames })
	best, bestIoU := -1, float32(0.3)
	for i, l := range e.lost {
		if iou := detect.IoU(l.box.X, l.box.Y, l.box.W, l.box.H, d.X, d.Y, d.W, d.H); iou > bestIoU {
			best, bestIoU = i, iou
		}
	}
	if best >= 0 {
		id := e.lost[best].id
		e.lost = slices.Delete(e.lost, best, best+1)
		return id
	}
	e.nextID++
	return e.nextID
}

// follow runs the landmark models for one track; ok is false when the face is lost.
func (e *Engine) follow(img Image, tr *trackState, cfg Config, dt float64, tm *Timings) (Face, bool, error) {
	// A tracked face's eyes are near where they were: the iris model starts
	// on the previous frame's eye regions on another core while FaceMesh
	// runs here (checked against the new landmarks below).
	var early *earlyIris
	var prevCorners [4]landmark.Point
	if cfg.Iris && tr.age > 0 && tr.occluded == 0 {
		for k, i := range eyeCorners {
			prevCorners[k] = tr.pts[i]
		}
		eyes := []landmark.Eye{landmark.EyeRight, landmark.EyeLeft}
		if !cfg.IrisEveryFrame {
			eyes = eyes[tr.age%2 : tr.age%2+1]
		}
		early = e.startIris(img, tr.pts, eyes)
	}
	t := time.Now()
	presence, err := e.mesh.Run(img, tr.roi, tr.pts)
	tm.Landmarks += time.Since(t)
	var irisErr error
	if early != nil {
		irisErr = <-early.done
		tm.Iris += early.took
	}
	if err != nil {
		return Face{}, false, err
	}
	if presence < cfg.MinFaceConfidence {
		// Hold the last good face through a short occlusion, unless it was
		// leaving the frame; the region stays where the face was.
		if tr.age == 0 || tr.occluded >= cfg.OcclusionFrames || nearBorder(tr.last.Box, img) {
			return Face{}, false, nil
		}
		tr.occluded++
		f := tr.last
		f.Occluded, f.Score = true, presence
		f.Age = tr.age + tr.occluded
		return f, true, nil
	}
	tr.occluded = 0
	t = time.Now()
	switch {
	case early != nil && irisErr == nil && early.fits(e.iris, tr.pts):
		for k, eye := range early.eyes {
			copy(tr.pts[irisStart[eye]:irisStart[eye]+5], early.pts[5*k:5*k+5])
		}
		if len(early.eyes) == 1 {
			other := 1 - early.eyes[0]
			carryIris(tr.pts, other, prevCorners)
		}
	case cfg.Iris:
		// First frame of a track, or the eyes moved too far: both eyes now,
		// side by side.
		errc := make(chan error, 1)
		go func() { errc <- e.iris2.RunEye(img, tr.pts, landmark.EyeLeft) }()
		err := e.iris.RunEye(img, tr.pts, landmark.EyeRight)
		if err2 := <-errc; err == nil {
			err = err2
		}
		if err != nil {
			return Face{}, false, err
		}
	default:
		estimateIris(tr.pts)
	}
	tm.Iris += time.Since(t)
	// The next frame's region follows the raw landmarks.
	tr.roi = landmark.ROIFromLandmarks(tr.pts, e.mesh.ROIScale())
	tr.age++
	if tr.id == 0 {
		tr.id = e.idFor(boxOf(tr.pts))
	}

	f := Face{TrackID: tr.id, Score: presence, Age: tr.age, Landmarks: make([]Point3, landmark.CountWithIris)}
	// Smooth a copy, in units of the face's size.
	tr.buf = tr.buf[:0]
	for _, p := range tr.pts {
		tr.buf = append(tr.buf, float64(p.X), float64(p.Y), float64(p.Z))
	}
	tr.filter.Filter(tr.buf, dt, tr.roi.Size)
	for i := range f.Landmarks {
		f.Landmarks[i] = Point3{X: float32(tr.buf[3*i]), Y: float32(tr.buf[3*i+1]), Z: float32(tr.buf[3*i+2])}
	}
	f.Box = boxOf(tr.pts)

	t = time.Now()
	xy := make([][2]float32, len(f.Landmarks))
	for i, p := range f.Landmarks {
		xy[i] = [2]float32{p.X, p.Y}
	}
	if f.Blendshapes, err = e.shapes.Run(xy); err != nil {
		return Face{}, false, err
	}
	tm.Blendshapes += time.Since(t)

	t = time.Now()
	f.Pose = e.fitter.Fit(func(i int) [3]float64 {
		p := f.Landmarks[i]
		return [3]float64{float64(p.X), float64(p.Y), float64(p.Z)}
	})
	tm.Pose += time.Since(t)
	tr.last = f
	return f, true, nil
}

// nearBorder reports whether a face box touches the frame's border (within
// 2% of the frame size): such a face is leaving, not occluded.
func nearBorder(b Rect, img Image) bool {
	mx, my := 0.02*float32(img.Width), 0.02*float32(img.Height)
	return b.X < mx || b.Y < my || b.X+b.W > float32(img.Width)-mx || b.Y+b.H > float32(img.Height)-my
}

// eyeCorners are the eye-corner landmarks: right eye outer, inner; left eye inner, outer.
var eyeCorners = [4]int{landmark.RightEyeOuter, landmark.RightEyeInner, landmark.LeftEyeInner, landmark.LeftEyeOuter}

// irisStart is the first iris landmark of each eye.
var irisStart = [2]int{landmark.EyeRight: 468, landmark.EyeLeft: 473}

// earlyIris is the iris model running on the previous frame's eye regions.
type earlyIris struct {
	eyes []landmark.Eye
	rois [2]raster.ROI
	pts  [10]landmark.Point
	took time.Duration
	done chan error
}

// startIris runs the given eyes on the second iris session in the background.
func (e *Engine) startIris(img Image, prev []landmark.Point, eyes []landmark.Eye) *earlyIris {
	ei := &earlyIris{eyes: eyes, done: make(chan error, 1)}
	for k, eye := range eyes {
		ei.rois[k] = e.iris2.EyeROI(prev, eye)
	}
	go func() {
		t := time.Now()
		var err error
		for k, eye := range eyes {
			if err = e.iris2.RunEyeAt(img, ei.rois[k], eye, ei.pts[5*k:5*k+5]); err != nil {
				break
			}
		}
		ei.took = time.Since(t)
		ei.done <- err
	}()
	return ei
}

// fits reports whether the eye regions the early run used still frame the
// eyes of the new landmarks: centres within 10% of the region size and sizes
// within 10%. Otherwise the iris runs again on the new regions.
func (ei *earlyIris) fits(m *landmark.Iris, pts []landmark.Point) bool {
	for k, eye := range ei.eyes {
		now, was := m.EyeROI(pts, eye), ei.rois[k]
		if math.Hypot(now.CX-was.CX, now.CY-was.CY) > 0.1*was.Size || math.Abs(now.Size-was.Size) > 0.1*was.Size {
			return false
		}
	}
	return true
}

// carryIris moves an eye's iris points from the previous frame with its eye
// corners: the similarity that maps the previous corners onto the new ones.
func carryIris(pts []landmark.Point, eye landmark.Eye, prev [4]landmark.Point) {
	a0, b0 := prev[2*int(eye)], prev[2*int(eye)+1]
	a1, b1 := pts[eyeCorners[2*int(eye)]], pts[eyeCorners[2*int(eye)+1]]
	d0 := complex(float64(b0.X-a0.X), float64(b0.Y-a0.Y))
	if d0 == 0 {
		return
	}
	m := complex(float64(b1.X-a1.X), float64(b1.Y-a1.Y)) / d0
	for i := irisStart[eye]; i < irisStart[eye]+5; i++ {
		z := m*complex(float64(pts[i].X-a0.X), float64(pts[i].Y-a0.Y)) + complex(float64(a1.X), float64(a1.Y))
		pts[i].X, pts[i].Y = float32(real(z)), float32(imag(z))
		pts[i].Z += a1.Z - a0.Z
	}
}

// estimateIris fills the iris points from the eye contours when the iris
// model is off: centre = mean of the eye's corners and lids, ring of radius
// a fifth of the eye's width.
func estimateIris(pts []landmark.Point) {
	eyes := []struct {
		contour []int
		dst     int
	}{
		{[]int{33, 133, 159, 145}, 468},
		{[]int{362, 263, 386, 374}, 473},
	}
	for _, e := range eyes {
		var c landmark.Point
		for _, i := range e.contour {
			c.X += pts[i].X / 4
			c.Y += pts[i].Y / 4
			c.Z += pts[i].Z / 4
		}
		r := float32(math.Hypot(float64(pts[e.contour[1]].X-pts[e.contour[0]].X), float64(pts[e.contour[1]].Y-pts[e.contour[0]].Y))) / 5
		pts[e.dst] = c
		pts[e.dst+1] = landmark.Point{X: c.X + r, Y: c.Y, Z: c.Z}
		pts[e.dst+2] = landmark.Point{X: c.X, Y: c.Y - r, Z: c.Z}
		pts[e.dst+3] = landmark.Point{X: c.X - r, Y: c.Y, Z: c.Z}
		pts[e.dst+4] = landmark.Point{X: c.X, Y: c.Y + r, Z: c.Z}
	}
}

// dedupe drops the younger of two tracks that cover the same face.
func dedupe(faces []Face, e *Engine) []Face {
	if len(faces) < 2 {
		return faces
	}
	drop := map[uint64]bool{}
	for i := range faces {
		for j := i + 1; j < len(faces); j++ {
			a, b := faces[i].Box, faces[j].Box
			if detect.IoU(a.X, a.Y, a.W, a.H, b.X, b.Y, b.W, b.H) > 0.5 {
				if faces[i].TrackID > faces[j].TrackID {
					drop[faces[i].TrackID] = true
				} else {
					drop[faces[j].TrackID] = true
				}
			}
		}
	}
	if len(drop) == 0 {
		return faces
	}
	e.tracks = slices.DeleteFunc(e.tracks, func(t *trackState) bool { return drop[t.id] })
	return slices.DeleteFunc(faces, func(f Face) bool { return drop[f.TrackID] })
}

// boxOf bounds the 468 mesh points.
func boxOf(pts []landmark.Point) Rect {
	if len(pts) == 0 {
		return Rect{}
	}
	x0, y0 := pts[0].X, pts[0].Y
	x1, y1 := x0, y0
	for _, p := range pts[:landmark.Count] {
		x0, y0 = min(x0, p.X), min(y0, p.Y)
		x1, y1 = max(x1, p.X), max(y1, p.Y)
	}
	return Rect{X: x0, Y: y0, W: x1 - x0, H: y1 - y0}
}

// Close releases the models; the engine cannot be used afterwards.
func (e *Engine) Close() error {
	var errs []error
	if e.detector != nil {
		errs = append(errs, e.detector.Close())
	}
	if e.mesh != nil {
		errs = append(errs, e.mesh.Close())
	}
	if e.iris != nil {
		errs = append(errs, e.iris.Close())
	}
	if e.iris2 != nil {
		errs = append(errs, e.iris2.Close())
	}
	if e.shapes != nil {
		errs = append(errs, e.shapes.Close())
	}
	return errors.Join(errs...)
}
