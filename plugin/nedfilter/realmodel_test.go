package nedfilter_test

import (
	"bytes"
	"github.com/nedstream/nedstream/models/modeltest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-gst/go-gst/pkg/gst"

	"github.com/nedstream/nedstream/plugin/internal/gsttest"
	"github.com/nedstream/nedstream/plugin/nedfilter"
)

// These tests need the real models (../shared/models/upstream, or
// $NEDSTREAM_UPSTREAM) and media; they fail when those are missing.

// TestRealModelsNoFaceIsUntouched runs the loaded engine on frames without
// a face: the frames must come out bit-identical and no message is posted.
func TestRealModelsNoFaceIsUntouched(t *testing.T) {
	pack := gsttest.Pack(t)
	want, _ := rawOut(t, testSource("BGRx"), "")
	got, out := rawOut(t, testSource("BGRx"), "nedfilter overlay=mesh model-pack="+pack)
	if !bytes.Equal(got, want) {
		t.Errorf("frames without faces changed (%d vs %d bytes)", len(got), len(want))
	}
	text := out.Combined()
	if strings.Contains(text, nedfilter.FacesMessageName) || strings.Contains(text, "WARNING") {
		t.Errorf("unexpected messages:\n%s", text)
	}
}

// TestRealModelsTalkingFace checks messages and metadata on the demo clip.
func TestRealModelsTalkingFace(t *testing.T) {
	pack := gsttest.Pack(t)
	clip := filepath.Join(modeltest.Media(t), "talking_face.mp4")
	const frames = 30

	var mu sync.Mutex
	var meta [][]nedfilter.MetaFace
	res := gsttest.Run(t, gsttest.Video(clip, "BGRx")+
		" ! identity eos-after=30 ! nedfilter name=ned stats-interval=200 model-pack="+pack+" ! fakesink name=sink sync=false",
		gsttest.Options{Setup: func(p gst.Bin) {
			p.GetByName("sink").GetStaticPad("sink").AddProbe(gst.PadProbeTypeBuffer, func(_ gst.Pad, info *gst.PadProbeInfo) gst.PadProbeReturn {
				mf := nedfilter.FacesFromMeta(info.GetBuffer())
				mu.Lock()
				meta = append(meta, mf)
				mu.Unlock()
				return gst.PadProbeOK
			})
		}})
	if !res.EOS || len(res.Errors) > 0 || len(res.Warnings) > 0 {
		t.Fatalf("eos=%v errors=%v warnings=%v", res.EOS, res.Errors, res.Warnings)
	}
	// identity eos-after may let a frame or two more through.
	if len(meta) < frames || len(meta) > frames+5 {
		t.Fatalf("sink saw %d buffers, want about %d", len(meta), frames)
	}
	if len(res.Faces) < frames*9/10 {
		t.Fatalf("faces in %d of %d frames", len(res.Faces), frames)
	}
	for _, m := range res.Faces {
		if m.Frame >= uint64(len(meta)) || len(m.Faces) != 1 {
			t.Errorf("frame %d: %d faces, want 1", m.Frame, len(m.Faces))
			continue
		}
		f := m.Faces[0]
		if f.TrackID == 0 || f.Score < 0.5 || f.Landmarks != 478 {
			t.Errorf("frame %d: implausible face %+v", m.Frame, f)
		}
		if f.Box.X < -f.Box.W/4 || f.Box.Y < -f.Box.H/4 || f.Box.X+f.Box.W > float32(m.Width)*1.1 ||
			f.Box.Y+f.Box.H > float32(m.Height)*1.1 || f.Box.W < 20 {
			t.Errorf("frame %d: box %+v outside the %dx%d frame", m.Frame, f.Box, m.Width, m.Height)
		}
		var sum float32
		for _, v := range f.Blendshapes {
			sum += v
		}
		if sum <= 0 || f.Blendshape("jawOpen") < 0 || f.Blendshape("jawOpen") > 1 {
			t.Errorf("frame %d: blendshapes look empty or out of range (sum %v)", m.Frame, sum)
		}
		if f.Yaw < -60 || f.Yaw > 60 || f.Pitch < -60 || f.Pitch > 60 {
			t.Errorf("frame %d: pose yaw %.1f pitch %.1f", m.Frame, f.Yaw, f.Pitch)
		}
		if m.Timings.Total <= 0 || m.Element < m.Timings.Total {
			t.Errorf("frame %d: timings %+v element %v", m.Frame, m.Timings, m.Element)
		}
		// The metadata on the same buffer agrees with the message.
		mf := meta[m.Frame]
		if len(mf) != 1 || mf[0].TrackID != f.TrackID || mf[0].X != int(f.Box.X) || mf[0].W != int(f.Box.W) {
			t.Errorf("frame %d: metadata %+v does not match message face %+v", m.Frame, mf, f)
		}
	}
	if !res.Faces[0].Detected {
		t.Errorf("the first frame with a face did not run the detector")
	}
	if len(res.Stats) == 0 || res.Stats[0].AnalysedFrames == 0 || res.Stats[0].Stages.Total <= 0 {
		t.Errorf("stats = %+v", res.Stats)
	}
	t.Logf("%d frames with faces; first: %+v; stats: %+v", len(res.Faces), res.Faces[0].Faces[0].Box, res.Stats[0])
}

// TestRealModelsOverlay checks that, with faces present, analysis-only with
// overlay=none leaves the frames bit-identical, as does editing at
// intensity 0, and that overlay=box and editing change them.
func TestRealModelsOverlay(t *testing.T) {
	pack := gsttest.Pack(t)
	clip := filepath.Join(modeltest.Media(t), "talking_face.mp4")
	src := gsttest.Video(clip, "BGRx") + " ! identity eos-after=8"
	want, _ := rawOut(t, src, "")
	got, out := rawOut(t, src, "nedfilter analysis-only=true model-pack="+pack)
	if !strings.Contains(out.Combined(), nedfilter.FacesMessageName) {
		t.Fatalf("no faces found:\n%s", out.Combined())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("analysis-only with overlay=none changed frames with faces (%d vs %d bytes)", len(got), len(want))
	}
	if still, _ := rawOut(t, src, "nedfilter intensity=0 model-pack="+pack); !bytes.Equal(still, want) {
		t.Errorf("editing at intensity 0 changed frames with faces")
	}
	if edited, _ := rawOut(t, src, "nedfilter emotion=sad intensity=1 transition=0 model-pack="+pack); len(edited) != len(want) || bytes.Equal(edited, want) {
		t.Errorf("emotion=sad intensity=1 left the frames unchanged")
	}
	drawn, _ := rawOut(t, src, "nedfilter analysis-only=true overlay=box model-pack="+pack)
	if len(drawn) != len(want) || bytes.Equal(drawn, want) {
		t.Errorf("overlay=box: %d bytes, identical=%v; want the same size, changed", len(drawn), bytes.Equal(drawn, want))
	}
}

// TestRealModelsReloadWhilePlaying starts without a usable model pack
// (warning, passthrough) and sets model-pack while playing: faces follow.
func TestRealModelsReloadWhilePlaying(t *testing.T) {
	pack := gsttest.Pack(t)
	clip := filepath.Join(modeltest.Media(t), "talking_face.mp4")
	res := gsttest.Run(t, gsttest.Video(clip, "BGRx")+
		" ! identity eos-after=40 ! nedfilter name=ned model-pack=/nonexistent ! fakesink sync=true",
		gsttest.Options{OnPlaying: func(p gst.Bin) {
			time.Sleep(300 * time.Millisecond)
			p.GetByName("ned").SetObjectProperty("model-pack", pack)
		}})
	if !res.EOS || len(res.Errors) > 0 {
		t.Fatalf("eos=%v errors=%v", res.EOS, res.Errors)
	}
	if len(res.Warnings) != 1 {
		t.Errorf("warnings = %v, want the one about /nonexistent", res.Warnings)
	}
	if len(res.Faces) == 0 || res.Faces[0].Frame == 0 {
		t.Fatalf("faces: %d messages; want some, starting after frame 0", len(res.Faces))
	}
	t.Logf("faces from frame %d on (%d frames)", res.Faces[0].Frame, len(res.Faces))
}
