package analysis

import (
	"slices"
	"time"

	"github.com/nedstream/nedstream/models/blendshape"
)

// Summary is the JSON summary `nedface analyze` writes.
type Summary struct {
	Input           string  `json:"input"`
	OutputVideo     string  `json:"output_video,omitempty"`
	Frames          uint64  `json:"frames"`
	FramesWithFaces int     `json:"frames_with_faces"`
	WallSeconds     float64 `json:"wall_seconds"`
	// FPS is frames per wall-clock second of the whole pipeline (decode,
	// analysis, encode).
	FPS    float64      `json:"fps"`
	Tracks []TrackStats `json:"tracks"`
	// StageMillis are the mean per-stage times over the frames with faces.
	StageMillis map[string]float64 `json:"stage_ms"`
	Warnings    []string           `json:"warnings,omitempty"`
	Errors      []string           `json:"errors,omitempty"`
}

// TrackStats describes one face track.
type TrackStats struct {
	ID         uint64  `json:"id"`
	FirstFrame uint64  `json:"first_frame"`
	LastFrame  uint64  `json:"last_frame"`
	Frames     int     `json:"frames"`
	MeanScore  float64 `json:"mean_score"`
	MeanYaw    float64 `json:"mean_yaw"`
	MeanPitch  float64 `json:"mean_pitch"`
	MeanRoll   float64 `json:"mean_roll"`
	// Blendshapes holds the mean of every coefficient over the track.
	Blendshapes map[string]float64 `json:"blendshapes"`
}

// Summarize condenses a run's result.
func Summarize(o Options, r *Result) Summary {
	s := Summary{
		Input: o.Input, OutputVideo: o.Output, Frames: r.Frames, FramesWithFaces: len(r.Faces),
		WallSeconds: r.Wall.Seconds(), Warnings: r.Warnings, Errors: r.Errors,
		StageMillis: map[string]float64{},
	}
	if r.Wall > 0 {
		s.FPS = float64(r.Frames) / r.Wall.Seconds()
	}
	byID := map[uint64]*TrackStats{}
	sums := map[uint64]*[blendshape.Count]float64{}
	var stages [6]time.Duration
	for _, m := range r.Faces {
		stages[0] += m.Timings.Detect
		stages[1] += m.Timings.Landmarks
		stages[2] += m.Timings.Iris
		stages[3] += m.Timings.Blendshapes
		stages[4] += m.Timings.Pose
		stages[5] += m.Element
		for _, f := range m.Faces {
			t := byID[f.TrackID]
			if t == nil {
				t = &TrackStats{ID: f.TrackID, FirstFrame: m.Frame}
				byID[f.TrackID] = t
				sums[f.TrackID] = &[blendshape.Count]float64{}
			}
			t.LastFrame = m.Frame
			t.Frames++
			t.MeanScore += float64(f.Score)
			t.MeanYaw += f.Yaw
			t.MeanPitch += f.Pitch
			t.MeanRoll += f.Roll
			for k, v := range f.Blendshapes {
				sums[f.TrackID][k] += float64(v)
			}
		}
	}
	if n := float64(len(r.Faces)); n > 0 {
		for i, name := range []string{"detect", "landmarks", "iris", "blendshapes", "pose", "element"} {
			s.StageMillis[name] = float64(stages[i].Microseconds()) / 1000 / n
		}
	}
	for id, t := range byID {
		n := float64(t.Frames)
		t.MeanScore /= n
		t.MeanYaw /= n
		t.MeanPitch /= n
		t.MeanRoll /= n
		t.Blendshapes = map[string]float64{}
		for k, v := range sums[id] {
			t.Blendshapes[blendshape.Names[k]] = v / n
		}
		s.Tracks = append(s.Tracks, *t)
	}
	slices.SortFunc(s.Tracks, func(a, b TrackStats) int { return int(a.ID) - int(b.ID) })
	return s
}
