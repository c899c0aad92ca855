package render_test

import (
	"errors"
	"log"

	"github.com/nedstream/nedstream/models/basis"
	"github.com/nedstream/nedstream/models/face"
	"github.com/nedstream/nedstream/models/raster"
	"github.com/nedstream/nedstream/models/render"
)

// Example shows the per-frame use: for every tracked, unoccluded face, move
// its landmarks to the target expression and warp the frame in place.
func Example() {
	var (
		engine *face.Engine // face.New(...), loaded once
		b      *basis.Basis // basis.ReadFile("expression_basis.bin"), once
		frame  raster.Image // the mapped video frame
		target func(e [basis.NumShapes]float32) [basis.NumShapes]float32
	)
	w, err := render.NewWarper(engine.Canonical()) // once
	if err != nil {
		log.Fatal(err)
	}
	res, err := engine.Process(frame)
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range res.Faces {
		if f.Occluded {
			continue // last good values only: leave the face alone
		}
		dst := make([]face.Point3, len(f.Landmarks))
		if err := render.TargetLandmarks(f.Landmarks, f.Pose, b, f.Blendshapes, target(f.Blendshapes), dst); err != nil {
			log.Fatal(err)
		}
		if _, err := w.Render(frame, f.Landmarks, dst, render.DefaultOptions); errors.Is(err, render.ErrGeometry) {
			continue // unusable landmarks: the face passes through unedited
		} else if err != nil {
			log.Fatal(err)
		}
	}
}
