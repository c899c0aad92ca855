package analysis

import (
	"math"
	"testing"

	"github.com/nedstream/nedstream/models/blendshape"
	"github.com/nedstream/nedstream/plugin/nedfilter"
)

// TestCompareSplitsSpeechByTrack: two speakers whose edit reads their
// mouths at different gains correlate perfectly each, less pooled, and
// Compare reports each track's gain and correlation.
func TestCompareSplitsSpeechByTrack(t *testing.T) {
	jaw := blendshape.Index("jawOpen")
	face := func(track uint64, j float64) nedfilter.FaceInfo {
		f := nedfilter.FaceInfo{TrackID: track}
		f.Blendshapes[jaw] = float32(j)
		return f
	}
	in, out := map[uint64]nedfilter.FaceInfo{}, map[uint64]nedfilter.FaceInfo{}
	for n := range uint64(40) {
		j := 0.05 + 0.1*math.Abs(math.Sin(float64(n)/3)) // speech
		track, gain := uint64(7), 2.0
		if n >= 20 {
			track, gain = 3, 0.5
		}
		in[n] = face(track, j)
		out[n] = face(track+100, 0.01+gain*j) // output track ids may differ
	}
	delete(out, 5) // a frame the output lost is left out
	s := Compare(in, out)
	if s.Frames != 39 || len(s.Tracks) != 2 {
		t.Fatalf("frames %d, tracks %+v", s.Frames, s.Tracks)
	}
	for i, want := range []struct {
		id     uint64
		frames int
		gain   float64
	}{{7, 19, 2}, {3, 20, 0.5}} {
		tr := s.Tracks[i]
		if tr.TrackID != want.id || tr.Frames != want.frames || math.Abs(tr.Gain-want.gain) > 1e-3 || tr.R < 0.999 {
			t.Errorf("track %d: %+v, want id %d, %d frames, gain %v, r 1", i, tr, want.id, want.frames, want.gain)
		}
		if math.Abs(tr.JawOut-(0.01+want.gain*tr.JawIn)) > 1e-4 {
			t.Errorf("track %d means: in %v out %v", i, tr.JawIn, tr.JawOut)
		}
	}
	if s.JawR > 0.95 {
		t.Errorf("pooled r %.3f: the two gains should lower it", s.JawR)
	}
}
