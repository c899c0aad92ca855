package basis

// ibug68 maps the 68 iBUG-300W landmarks (the order of ICT-FaceKit's
// idx_to_landmark_verts) to MediaPipe FaceMesh / canonical-mesh vertices.
//
// Source: the correspondence commonly used to convert MediaPipe's 468 points
// to dlib's 68 (as circulated in open-source face-tracking code), checked
// here point by point: after the similarity fit, for 45 of the 51 inner
// points the aligned ICT landmark's nearest canonical vertex is the table's
// vertex or a mesh neighbour; the other six are where ICT places its
// landmark differently (closed inner lips, inner mouth corners, nostril
// wings), see docs/BASIS.md for the residuals. iBUG numbers the points from the subject's right
// (image left): 0-16 jaw line, 17-21 right brow, 22-26 left brow, 27-30 nose
// bridge, 31-35 nostrils, 36-41 right eye (from the outer corner), 42-47 left
// eye, 48-59 outer lips (48 = right mouth corner), 60-67 inner lips.
var ibug68 = [68]int{
	// jaw line 0-16 (subject's right ear to left ear through the chin)
	127, 234, 93, 132, 58, 172, 136, 149, 152, 378, 365, 397, 288, 361, 323, 454, 356,
	// right brow 17-21, left brow 22-26
	70, 63, 105, 66, 107,
	336, 296, 334, 293, 300,
	// nose bridge 27-30, lower nose 31-35
	168, 197, 5, 4,
	75, 97, 2, 326, 305,
	// right eye 36-41, left eye 42-47
	33, 160, 158, 133, 153, 144,
	362, 385, 387, 263, 373, 380,
	// outer lips 48-59
	61, 39, 37, 0, 267, 269, 291, 405, 314, 17, 84, 181,
	// inner lips 60-67
	78, 82, 13, 312, 308, 317, 14, 87,
}
