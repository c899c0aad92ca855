package analysis

import (
	"maps"
	"math"
	"slices"

	"github.com/nedstream/nedstream/plugin/nedfilter"
)

// Coeffs are the expression measures the closed-loop checks look at, each
// the mean of the left and right coefficient where there are two.
type Coeffs struct {
	Smile, Frown, BrowInnerUp, BrowDown, BrowOuterUp, EyeWide, EyeSquint, JawOpen float64
}

// CoeffsOf reads the measures from one face.
func CoeffsOf(f nedfilter.FaceInfo) Coeffs {
	lr := func(n string) float64 { return float64(f.Blendshape(n+"Left")+f.Blendshape(n+"Right")) / 2 }
	return Coeffs{
		Smile: lr("mouthSmile"), Frown: lr("mouthFrown"), BrowInnerUp: float64(f.Blendshape("browInnerUp")),
		BrowDown: lr("browDown"), BrowOuterUp: lr("browOuterUp"), EyeWide: lr("eyeWide"), EyeSquint: lr("eyeSquint"),
		JawOpen: float64(f.Blendshape("jawOpen")),
	}
}

func (c Coeffs) add(d Coeffs, w float64) Coeffs {
	return Coeffs{c.Smile + w*d.Smile, c.Frown + w*d.Frown, c.BrowInnerUp + w*d.BrowInnerUp, c.BrowDown + w*d.BrowDown,
		c.BrowOuterUp + w*d.BrowOuterUp, c.EyeWide + w*d.EyeWide, c.EyeSquint + w*d.EyeSquint, c.JawOpen + w*d.JawOpen}
}

func (c Coeffs) mul(d Coeffs) Coeffs {
	return Coeffs{c.Smile * d.Smile, c.Frown * d.Frown, c.BrowInnerUp * d.BrowInnerUp, c.BrowDown * d.BrowDown,
		c.BrowOuterUp * d.BrowOuterUp, c.EyeWide * d.EyeWide, c.EyeSquint * d.EyeSquint, c.JawOpen * d.JawOpen}
}

func (c Coeffs) sqrt() Coeffs {
	return Coeffs{math.Sqrt(c.Smile), math.Sqrt(c.Frown), math.Sqrt(c.BrowInnerUp), math.Sqrt(c.BrowDown),
		math.Sqrt(c.BrowOuterUp), math.Sqrt(c.EyeWide), math.Sqrt(c.EyeSquint), math.Sqrt(c.JawOpen)}
}

// SingleFaces returns, per frame number, the face of the frames that show
// exactly one unoccluded face.
func SingleFaces(res *Result) map[uint64]nedfilter.FaceInfo {
	out := map[uint64]nedfilter.FaceInfo{}
	if res == nil {
		return out
	}
	for _, m := range res.Faces {
		if len(m.Faces) == 1 && !m.Faces[0].Occluded {
			out[m.Frame] = m.Faces[0]
		}
	}
	return out
}

// LoopStats compare the face measured on the input with the face measured
// on the edited output, over the frames both show it.
type LoopStats struct {
	// Frames is the number of frames compared.
	Frames int
	// In and Out are the means over those frames.
	In, Out Coeffs
	// Noise is the frame-to-frame noise of the measurement on the input:
	// the RMS difference of consecutive frames divided by √2 (the standard
	// deviation of one frame's measurement if the expression did not move).
	Noise Coeffs
	// JawR is the Pearson correlation of the per-frame jawOpen tracks,
	// output vs input (how well the edit keeps the speech).
	JawR float64
	// Tracks splits the speech comparison by the input's face track (a
	// shot or a person), in order of first appearance: a pooled JawR below
	// the per-track ones means the edit changes how open the measurement
	// reads each speaker's mouth by a different factor.
	Tracks []TrackSpeech
}

// TrackSpeech is the speech (jawOpen) comparison over one input track.
type TrackSpeech struct {
	// TrackID is the input's track id; Frames the frames compared.
	TrackID uint64
	Frames  int
	// JawIn and JawOut are the mean jawOpen of input and output.
	JawIn, JawOut float64
	// R is the Pearson correlation within the track, Gain the
	// least-squares slope of output on input (above 1: the edit's mouth
	// reads as moving more than the input's; NaN when the input's jawOpen
	// is constant).
	R, Gain float64
}

// Delta is the mean change Out - In.
func (s LoopStats) Delta() Coeffs { return s.Out.add(s.In, -1) }

// Compare computes the closed-loop statistics of an edit.
func Compare(in, out map[uint64]nedfilter.FaceInfo) LoopStats {
	var s LoopStats
	var ja, jb []float64
	var sq Coeffs
	pairs := 0
	type series struct{ in, out []float64 }
	byTrack := map[uint64]*series{}
	for _, f := range slices.Sorted(maps.Keys(in)) {
		x := in[f]
		y, ok := out[f]
		if !ok {
			continue
		}
		s.Frames++
		cx, cy := CoeffsOf(x), CoeffsOf(y)
		s.In = s.In.add(cx, 1)
		s.Out = s.Out.add(cy, 1)
		ja = append(ja, cx.JawOpen)
		jb = append(jb, cy.JawOpen)
		tr := byTrack[x.TrackID]
		if tr == nil {
			tr = &series{}
			byTrack[x.TrackID] = tr
			s.Tracks = append(s.Tracks, TrackSpeech{TrackID: x.TrackID})
		}
		tr.in = append(tr.in, cx.JawOpen)
		tr.out = append(tr.out, cy.JawOpen)
		if p, ok := in[f-1]; ok && f > 0 {
			d := cx.add(CoeffsOf(p), -1)
			sq = sq.add(d.mul(d), 1)
			pairs++
		}
	}
	if s.Frames > 0 {
		s.In = Coeffs{}.add(s.In, 1/float64(s.Frames))
		s.Out = Coeffs{}.add(s.Out, 1/float64(s.Frames))
	}
	if pairs > 0 {
		s.Noise = Coeffs{}.add(sq, 1/(2*float64(pairs))).sqrt()
	}
	s.JawR = Pearson(ja, jb)
	for i := range s.Tracks {
		t := &s.Tracks[i]
		tr := byTrack[t.TrackID]
		t.Frames = len(tr.in)
		t.JawIn, t.JawOut = mean(tr.in), mean(tr.out)
		t.R = Pearson(tr.in, tr.out)
		var sxy, sxx float64
		for k := range tr.in {
			sxy += (tr.in[k] - t.JawIn) * (tr.out[k] - t.JawOut)
			sxx += (tr.in[k] - t.JawIn) * (tr.in[k] - t.JawIn)
		}
		t.Gain = math.NaN()
		if sxx > 0 {
			t.Gain = sxy / sxx
		}
	}
	return s
}

// mean is the arithmetic mean (0 for no values).
func mean(x []float64) float64 {
	if len(x) == 0 {
		return 0
	}
	var s float64
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

// Pearson is the correlation coefficient of two equally long series (0
// when either is constant or shorter than 2).
func Pearson(a, b []float64) float64 {
	if len(a) < 2 || len(b) != len(a) {
		return 0
	}
	ma, mb := mean(a), mean(b)
	var sab, saa, sbb float64
	for i := range a {
		sab += (a[i] - ma) * (b[i] - mb)
		saa += (a[i] - ma) * (a[i] - ma)
		sbb += (b[i] - mb) * (b[i] - mb)
	}
	if saa == 0 || sbb == 0 {
		return 0
	}
	return sab / math.Sqrt(saa*sbb)
}
