// Package detect runs the YuNet face detector on frames of any size and
// decodes its anchor-free outputs into boxes with five keypoints.
package detect

import (
	"fmt"
	"math"
	"slices"

	"github.com/nedstream/nedstream/models/ort"
	"github.com/nedstream/nedstream/models/pack"
	"github.com/nedstream/nedstream/models/raster"
)

// Keypoint indices of a Detection, as YuNet orders them (subject's right
// eye first, so for an unmirrored frontal face it is the one on the image's left).
const (
	RightEye = iota
	LeftEye
	NoseTip
	RightMouth
	LeftMouth
)

// Detection is one detected face in frame pixels.
type Detection struct {
	X, Y, W, H float32
	Score      float32
	Keypoints  [5][2]float32
}

// IoU returns the intersection over union of two detections' boxes.
func (d Detection) IoU(o Detection) float32 {
	return IoU(d.X, d.Y, d.W, d.H, o.X, o.Y, o.W, o.H)
}

// IoU returns the intersection over union of two boxes.
func IoU(ax, ay, aw, ah, bx, by, bw, bh float32) float32 {
	x0, y0 := max(ax, bx), max(ay, by)
	x1, y1 := min(ax+aw, bx+bw), min(ay+ah, by+bh)
	if x1 <= x0 || y1 <= y0 {
		return 0
	}
	inter := (x1 - x0) * (y1 - y0)
	return inter / (aw*ah + bw*bh - inter)
}

var strides = [3]int{8, 16, 32}

// Options tune the detector.
type Options struct {
	// InputLong is the input size along the frame's long side (default 320).
	InputLong int
	// NMSThreshold is the IoU above which overlapping boxes are merged (default 0.3).
	NMSThreshold float32
	// TopK bounds the candidates kept before NMS (default 200).
	TopK int
}

// Detector is a loaded YuNet model with input/output tensors reused across
// frames of the same size.
type Detector struct {
	s      *ort.Session
	pre    raster.TensorLayout
	align  int
	opts   Options
	inW    int
	inH    int
	input  *ort.Float32
	output [12]*ort.Float32
	cands  []Detection
}

// outputNames in the order the session returns them.
var outputNames = []string{
	"cls_8", "cls_16", "cls_32", "obj_8", "obj_16", "obj_32",
	"bbox_8", "bbox_16", "bbox_32", "kps_8", "kps_16", "kps_32",
}

// Open loads the detector of a pack entry.
func Open(path string, e pack.Entry, so ort.Options, o Options) (*Detector, error) {
	pre := e.Preprocess
	if pre == nil {
		pre = &pack.Preprocess{Color: "BGR", Scale: 1, InputLong: 320, Align: 32}
	}
	if o.InputLong <= 0 {
		o.InputLong = pre.InputLong
	}
	if o.InputLong <= 0 {
		o.InputLong = 320
	}
	if o.NMSThreshold <= 0 {
		o.NMSThreshold = 0.3
	}
	if o.TopK <= 0 {
		o.TopK = 200
	}
	align := pre.Align
	if align <= 0 {
		align = 32
	}
	s, err := ort.Open("detector", path, []string{"input"}, outputNames, so)
	if err != nil {
		return nil, err
	}
	return &Detector{
		s:     s,
		pre:   raster.TensorLayout{BGR: pre.Color == "BGR", Scale: pre.Scale, Bias: pre.Bias},
		align: align,
		opts:  o,
	}, nil
}

// Provider reports where the model runs.
func (d *Detector) Provider() ort.Provider { return d.s.Provider() }

// ensure (re)allocates the tensors for an input of w x h.
func (d *Detector) ensure(w, h int) error {
	if d.input != nil && d.inW == w && d.inH == h {
		return nil
	}
	d.free()
	var err error
	if d.input, err = ort.NewFloat32(1, 3, int64(h), int64(w)); err != nil {
		return err
	}
	widths := [4]int64{1, 1, 4, 10}
	for k, stride := range strides {
		n := int64((w / stride) * (h / stride))
		for kind := 0; kind < 4; kind++ {
			if d.output[kind*3+k], err = ort.NewFloat32(1, n, widths[kind]); err != nil {
				return err
			}
		}
	}
	d.inW, d.inH = w, h
	return nil
}

func (d *Detector) free() {
	d.input.Destroy()
	d.input = nil
	for i := range d.output {
		d.output[i].Destroy()
		d.output[i] = nil
	}
}

// InputSize returns the network input size used for a frame of w x h: the
// long side scaled to InputLong, both sides padded up to the alignment.
func (d *Detector) InputSize(w, h int) (iw, ih int, scale float64) {
	scale = float64(d.opts.InputLong) / float64(max(w, h))
	sw := int(math.Round(float64(w) * scale))
	sh := int(math.Round(float64(h) * scale))
	iw = (sw + d.align - 1) / d.align * d.align
	ih = (sh + d.align - 1) / d.align * d.align
	return iw, ih, scale
}

// Detect finds faces scoring at least minScore, best first.
func (d *Detector) Detect(im raster.Image, minScore float32) ([]Detection, error) {
	if err := im.Validate(); err != nil {
		return nil, fmt.Errorf("detect: %w", err)
	}
	iw, ih, scale := d.InputSize(im.Width, im.Height)
	if err := d.ensure(iw, ih); err != nil {
		return nil, fmt.Errorf("detect: %w", err)
	}
	raster.ResizeToTensor(im, scale, scale, iw, ih, d.input.Data(), d.pre)
	outs := make([]ort.Value, len(d.output))
	for i, t := range d.output {
		outs[i] = t.Value()
	}
	if err := d.s.Run([]ort.Value{d.input.Value()}, outs); err != nil {
		return nil, err
	}
	d.cands = d.cands[:0]
	inv := float32(1 / scale)
	for k, stride := range strides {
		cols := iw / stride
		cls, obj := d.output[k].Data(), d.output[3+k].Data()
		bbox, kps := d.output[6+k].Data(), d.output[9+k].Data()
		st := float32(stride)
		for idx := range cls {
			score := float32(math.Sqrt(float64(clamp01(cls[idx]) * clamp01(obj[idx]))))
			if score < minScore {
				continue
			}
			r, c := float32(idx/cols), float32(idx%cols)
			b := bbox[idx*4 : idx*4+4]
			cx, cy := (c+b[0])*st, (r+b[1])*st
			w := float32(math.Exp(float64(b[2]))) * st
			h := float32(math.Exp(float64(b[3]))) * st
			det := Detection{X: (cx - w/2) * inv, Y: (cy - h/2) * inv, W: w * inv, H: h * inv, Score: score}
			for n := 0; n < 5; n++ {
				det.Keypoints[n] = [2]float32{(kps[idx*10+2*n] + c) * st * inv, (kps[idx*10+2*n+1] + r) * st * inv}
			}
			d.cands = append(d.cands, det)
		}
	}
	return NMS(d.cands, d.opts.NMSThreshold, d.opts.TopK), nil
}

// NMS sorts detections by score and drops those overlapping a better one by
// more than thr IoU, keeping at most topK candidates.
func NMS(c []Detection, thr float32, topK int) []Detection {
	slices.SortFunc(c, func(a, b Detection) int {
		switch {
		case a.Score > b.Score:
			return -1
		case a.Score < b.Score:
			return 1
		}
		return 0
	})
	if topK > 0 && len(c) > topK {
		c = c[:topK]
	}
	var keep []Detection
	for _, d := range c {
		ok := true
		for _, k := range keep {
			if d.IoU(k) > thr {
				ok = false
				break
			}
		}
		if ok {
			keep = append(keep, d)
		}
	}
	return keep
}

func clamp01(v float32) float32 {
	if v < 0 {
		return 0
	}
	if v > 1 {
		return 1
	}
	return v
}

// Close releases the model and its tensors.
func (d *Detector) Close() error {
	d.free()
	return d.s.Close()
}
