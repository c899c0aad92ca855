package render

import "github.com/nedstream/nedstream/models/blendshape"

// upGains and downGains are the render gains per coefficient (blendshape
// order): a rise of coefficient k by d (eTgt - eSrc > 0) moves the landmarks
// by upGains[k]·d times its basis shape; a fall moves them by the difference
// of fallScale(level, downGains[k]) at the two levels, i.e. by downGains[k]
// per unit below FallKnee and in full above it; unlisted channels use 1.
//
// The gains calibrate the warp against the face analysis that measures the
// result (docs/QUALITY.md): FaceMesh, re-run on a warped frame, reads only a
// fraction of small brow and mouth-corner motions (talking_face.mp4, +0.5 of
// the ICT shape: brows moved 1.9-3.9 px, measured 0.2-0.7 px; mouth corners
// 7.8 px, measured 6.8 px, smile 0.50 -> 0.77 instead of 1.0), while removing
// an expression (a fall) measures in full or more (sad: smile 0.50 -> 0.03
// at gain 1). Rises are therefore overdriven: the smile 1.8x, the brow
// lowering 3x (angry's AU4 measured nothing on the clip at gain 1), the
// inner brow raise 1.5x. The brow raises had 3x (inner) and 1.5x (outer)
// until they showed as vertical streaks of stretched skin between the brows
// and the lids on a frowning face (talking_face.mp4, frame 90, surprised);
// they also measured worse there (surprised's browInnerUp +0.022 at 3/1.5,
// +0.030 at 1.5/1; speech correlation 0.882 vs 0.886). At 1/1 the streaks
// go as well, but sad lowers the astronaut's measured smile by only 0.29
// (0.32 at 1.5: MediaPipe reads the smile with the brows). A smile
// removal is damped instead: in full it also changed how open the
// re-analysed mouth reads (jawOpen 2x on one speaker, 0.5x on another; the
// speech correlation fell to 0.75-0.83); at 0.55 it still lowers the
// measured smile by 0.36 and keeps the correlation at 0.9 or more. Above FallKnee a removal is not damped:
// MediaPipe's smile reading saturates at 0.9-1 for a broad smile, so there a
// unit of reading stands for more of the shape (astronaut.png, smile 0.92:
// damped everywhere, sad lowered it by only 0.26; with the knee by 0.35).
// Speech channels are never scaled, so lip-sync moves exactly as measured.
var upGains, downGains = func() (up, down [blendshape.Count]float64) {
	for i := range up {
		up[i], down[i] = 1, 1
	}
	for name, v := range map[string]float64{
		"mouthSmileLeft": 1.8, "mouthSmileRight": 1.8, // AU12
		"browDownLeft": 3, "browDownRight": 3, // AU4
		"browInnerUp": 1.5, // AU1
	} {
		up[blendshape.Index(name)] = v
	}
	for name, v := range map[string]float64{
		"mouthSmileLeft": 0.55, "mouthSmileRight": 0.55, // AU12 removed
	} {
		down[blendshape.Index(name)] = v
	}
	return up, down
}()

// UpGain returns the render gain of coefficient k for a rise (see
// TargetLandmarks); 1 for an index out of range.
func UpGain(k int) float64 {
	if k < 0 || k >= len(upGains) {
		return 1
	}
	return upGains[k]
}

// DownGain returns the render gain of coefficient k for a fall (see
// TargetLandmarks); 1 for an index out of range.
func DownGain(k int) float64 {
	if k < 0 || k >= len(downGains) {
		return 1
	}
	return downGains[k]
}

// FallKnee is the coefficient level above which a fall is not damped by
// DownGain (see fallScale).
const FallKnee = 0.65

// fallScale maps a coefficient level e to the amount of its basis shape
// that a fall with gain g removes: g per unit up to FallKnee, 1 per unit
// above it. Levels below 0 (a steady removal from models/edit may take the
// target there) continue the lower line.
func fallScale(e, g float64) float64 {
	if e <= FallKnee {
		return g * e
	}
	return g*FallKnee + (e - FallKnee)
}
