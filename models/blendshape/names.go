// Package blendshape runs MediaPipe's face blendshape model: 146 of the 478
// landmarks in, 52 ARKit-named expression coefficients in [0,1] out.
package blendshape

// Count is the number of expression coefficients.
const Count = 52

// Names are the coefficients in the model's output order (MediaPipe's, which
// is ARKit's alphabetical order with "_neutral" first).
var Names = [Count]string{
	"_neutral", "browDownLeft", "browDownRight", "browInnerUp", "browOuterUpLeft",
	"browOuterUpRight", "cheekPuff", "cheekSquintLeft", "cheekSquintRight", "eyeBlinkLeft",
	"eyeBlinkRight", "eyeLookDownLeft", "eyeLookDownRight", "eyeLookInLeft", "eyeLookInRight",
	"eyeLookOutLeft", "eyeLookOutRight", "eyeLookUpLeft", "eyeLookUpRight", "eyeSquintLeft",
	"eyeSquintRight", "eyeWideLeft", "eyeWideRight", "jawForward", "jawLeft",
	"jawOpen", "jawRight", "mouthClose", "mouthDimpleLeft", "mouthDimpleRight",
	"mouthFrownLeft", "mouthFrownRight", "mouthFunnel", "mouthLeft", "mouthLowerDownLeft",
	"mouthLowerDownRight", "mouthPressLeft", "mouthPressRight", "mouthPucker", "mouthRight",
	"mouthRollLower", "mouthRollUpper", "mouthShrugLower", "mouthShrugUpper", "mouthSmileLeft",
	"mouthSmileRight", "mouthStretchLeft", "mouthStretchRight", "mouthUpperUpLeft", "mouthUpperUpRight",
	"noseSneerLeft", "noseSneerRight",
}

// Index returns the position of the named coefficient, or -1.
func Index(name string) int {
	for i, n := range Names {
		if n == name {
			return i
		}
	}
	return -1
}

// SubsetIndices are the 146 landmark indices (of 478) the model reads, from
// MediaPipe's face_blendshapes_graph.cc (kLandmarksSubsetIdxs).
var SubsetIndices = [146]int{
	0, 1, 4, 5, 6, 7, 8, 10, 13, 14, 17, 21, 33, 37, 39,
	40, 46, 52, 53, 54, 55, 58, 61, 63, 65, 66, 67, 70, 78, 80,
	81, 82, 84, 87, 88, 91, 93, 95, 103, 105, 107, 109, 127, 132, 133,
	136, 144, 145, 146, 148, 149, 150, 152, 153, 154, 155, 157, 158, 159, 160,
	161, 162, 163, 168, 172, 173, 176, 178, 181, 185, 191, 195, 197, 234, 246,
	249, 251, 263, 267, 269, 270, 276, 282, 283, 284, 285, 288, 291, 293, 295,
	296, 297, 300, 308, 310, 311, 312, 314, 317, 318, 321, 323, 324, 332, 334,
	336, 338, 356, 361, 362, 365, 373, 374, 375, 377, 378, 379, 380, 381, 382,
	384, 385, 386, 387, 388, 389, 390, 397, 398, 400, 402, 405, 409, 415, 454,
	466, 468, 469, 470, 471, 472, 473, 474, 475, 476, 477,
}
