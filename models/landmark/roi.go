package landmark

import (
	"math"

	"github.com/nedstream/nedstream/models/detect"
	"github.com/nedstream/nedstream/models/raster"
)

// ROIFromDetection returns the landmark region for a fresh detection: centred
// on the box, rotated by the eye line, its long side enlarged by scale
// (MediaPipe's face_detection_front_detection_to_roi).
func ROIFromDetection(d detect.Detection, scale float64) raster.ROI {
	re, le := d.Keypoints[detect.RightEye], d.Keypoints[detect.LeftEye]
	return raster.ROI{
		CX:    float64(d.X + d.W/2),
		CY:    float64(d.Y + d.H/2),
		Size:  float64(max(d.W, d.H)) * scale,
		Angle: math.Atan2(float64(le[1]-re[1]), float64(le[0]-re[0])),
	}
}
