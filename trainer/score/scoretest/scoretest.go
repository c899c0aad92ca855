// Package scoretest writes tiny ONNX models for tests of the CLIP scorer
// (package score and the nedtrain commands): small enough to reason about
// their outputs by hand, real enough to run through onnxruntime.
package scoretest

import (
	"path/filepath"
	"testing"

	"github.com/nedstream/nedstream/models/onnx"
)

// ImageEncoder writes dir/name, a CLIP-style image encoder for 4x4 crops:
// pixel_values [B,3,4,4] -> image_embeds [B,2] = (mean of the R plane,
// mean of the B plane) of the normalised pixels. A red crop points along
// the first axis, a blue one along the second. It returns the path.
func ImageEncoder(t testing.TB, dir, name string) string {
	t.Helper()
	b := onnx.NewBuilder("tiny_clip", 17)
	b.Input("pixel_values", []int64{-1, 3, 4, 4})
	w := make([]float32, 48*2)
	for i := range 16 {
		w[i*2] = 1.0 / 16        // R plane -> axis 0
		w[(32+i)*2+1] = 1.0 / 16 // B plane -> axis 1
	}
	b.Initializer("w", []int64{48, 2}, w)
	b.Node("Flatten", []string{"pixel_values"}, []string{"flat"}, onnx.AttrInt("axis", 1))
	b.Node("MatMul", []string{"flat", "w"}, []string{"image_embeds"})
	b.Output("image_embeds", []int64{-1, 2})
	path := filepath.Join(dir, name)
	if err := b.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	return path
}
