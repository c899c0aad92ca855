package nedfilter_test

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-gst/go-gst/pkg/gst"

	"github.com/nedstream/nedstream/models/blendshape"
	"github.com/nedstream/nedstream/models/edit"
	"github.com/nedstream/nedstream/models/modeltest"
	"github.com/nedstream/nedstream/plugin/internal/gsttest"
	"github.com/nedstream/nedstream/plugin/nedfilter"
)

// TestFaceOverrideSignals: the action signals edit the face-overrides property.
func TestFaceOverrideSignals(t *testing.T) {
	gsttest.Init(t)
	el := gst.ElementFactoryMake("nedfilter", "")
	if el == nil {
		t.Fatal("ElementFactoryMake(nedfilter) failed")
	}
	el.Emit(nedfilter.SignalSetFaceOverride, uint64(3), "sad", 0.25)
	el.Emit(nedfilter.SignalSetFaceOverride, uint64(1), "happy", -1.0)
	el.Emit(nedfilter.SignalSetFaceOverride, uint64(2), "nonsense", 0.5) // ignored
	if got := fmt.Sprint(el.ObjectProperty("face-overrides")); got != "overrides, 1=happy, 3=sad:0.25" {
		t.Errorf("after set-face-override: %q", got)
	}
	el.Emit(nedfilter.SignalSetFaceOverride, uint64(1), "", 0.0) // removes face 1
	if got := fmt.Sprint(el.ObjectProperty("face-overrides")); got != "overrides, 3=sad:0.25" {
		t.Errorf("after removing face 1: %q", got)
	}
	el.Emit(nedfilter.SignalClearFaceOverrides)
	if got := fmt.Sprint(el.ObjectProperty("face-overrides")); got != "" {
		t.Errorf("after clear-face-overrides: %q", got)
	}
}

// TestRealModelsLookaheadEditsHeldFrames: with lookahead every frame still
// comes out edited, and close to the causal edit (the target is constant).
func TestRealModelsLookaheadEditsHeldFrames(t *testing.T) {
	pack := gsttest.Pack(t)
	clip := filepath.Join(modeltest.Media(t), "talking_face.mp4")
	src := gsttest.Video(clip, "BGRx") + " ! identity eos-after=8"
	want, _ := rawOut(t, src, "")
	causal, _ := rawOut(t, src, "nedfilter emotion=sad intensity=1 transition=0 model-pack="+pack)
	held, out := rawOut(t, src, "nedfilter emotion=sad intensity=1 transition=0 lookahead=3 model-pack="+pack)
	if len(held) != len(want) || len(causal) != len(want) || len(want) == 0 {
		t.Fatalf("lookahead output %d bytes, causal %d, input %d", len(held), len(causal), len(want))
	}
	n := strings.Count(out.Combined(), nedfilter.FacesMessageName)
	if n == 0 {
		t.Fatalf("no faces:\n%s", out.Combined())
	}
	frame := len(want) / n // one face message per frame on this clip
	same := 0
	for i := 0; i+frame <= len(want); i += frame {
		if bytes.Equal(held[i:i+frame], want[i:i+frame]) {
			t.Errorf("frame %d left unedited with lookahead", i/frame)
		}
	}
	for i := range held {
		if held[i] == causal[i] {
			same++
		}
	}
	t.Logf("%d frames; lookahead output equals the causal edit on %.2f%% of the bytes", n, 100*float64(same)/float64(len(held)))
	if float64(same) < 0.99*float64(len(held)) {
		t.Errorf("lookahead with a constant target differs from the causal edit on %.2f%% of the bytes", 100-100*float64(same)/float64(len(held)))
	}
}

// TestRealModelsOverridesAndReference: a face override is reported in the
// faces messages; a missing reference warns and the emotion stays in
// effect; a saved style takes over once loaded.
func TestRealModelsOverridesAndReference(t *testing.T) {
	pack := gsttest.Pack(t)
	clip := filepath.Join(modeltest.Media(t), "talking_face.mp4")
	run := func(props string) gsttest.Result {
		desc := gsttest.Video(clip, "BGRx") + " ! identity eos-after=12 ! nedfilter name=ned transition=0 model-pack=" + pack +
			" " + props + " ! fakesink sync=false"
		res := gsttest.Run(t, desc, gsttest.Options{Timeout: 2 * time.Minute})
		if !res.EOS || len(res.Errors) > 0 || len(res.Faces) < 10 {
			t.Fatalf("eos=%v errors=%v, %d frames with faces", res.EOS, res.Errors, len(res.Faces))
		}
		return res
	}

	res := run(`emotion=happy intensity=0.8 lookahead=2 face-overrides="overrides, 1=sad:0.5, 9=angry" reference=/nonexistent/ref.json`)
	warned := false
	for _, w := range res.Warnings {
		warned = warned || strings.Contains(w.Text, "reference")
	}
	if !warned {
		t.Errorf("a missing reference did not warn: %v", res.Warnings)
	}
	for _, m := range res.Faces {
		for _, f := range m.Faces {
			want, level := "happy", float32(0.8)
			if f.TrackID == 1 {
				want, level = "sad", 0.5
			}
			if f.Emotion != want || f.Intensity != level {
				t.Errorf("frame %d face %d: emotion %q intensity %v, want %q %v", m.Frame, f.TrackID, f.Emotion, f.Intensity, want, level)
			}
		}
	}

	rows := make([][blendshape.Count]float32, 10)
	for i := range rows {
		rows[i][blendshape.Index("mouthSmileLeft")], rows[i][blendshape.Index("mouthSmileRight")] = 0.9, 0.9
	}
	style := filepath.Join(t.TempDir(), "smile.json")
	if err := edit.NewStyleFile("test", rows).WriteFile(style); err != nil {
		t.Fatal(err)
	}
	res = run("emotion=sad intensity=1 reference=" + style)
	if len(res.Warnings) > 0 {
		t.Errorf("warnings with a good style file: %v", res.Warnings)
	}
	last := res.Faces[len(res.Faces)-1]
	if len(last.Faces) != 1 || last.Faces[0].Emotion != "reference" {
		t.Errorf("the last frame's face is not edited toward the reference: %+v", last.Faces)
	}
}
