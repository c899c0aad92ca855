package raster

import (
	"fmt"
	"image"
	"image/draw"
	"os"

	// Register decoders for Load.
	_ "image/jpeg"
	_ "image/png"
)

// FromImage copies any Go image into a new RGBA Image.
func FromImage(src image.Image) Image {
	b := src.Bounds()
	rgba := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(rgba, rgba.Bounds(), src, b.Min, draw.Src)
	return Image{Pix: rgba.Pix, Width: b.Dx(), Height: b.Dy(), Stride: rgba.Stride, Format: RGBA}
}

// ToRGBA copies the image into a Go *image.RGBA (for encoding PNGs).
func (im Image) ToRGBA() *image.RGBA {
	out := image.NewRGBA(image.Rect(0, 0, im.Width, im.Height))
	for y := 0; y < im.Height; y++ {
		for x := 0; x < im.Width; x++ {
			r, g, b := im.RGB(x, y)
			i := y*out.Stride + x*4
			out.Pix[i], out.Pix[i+1], out.Pix[i+2], out.Pix[i+3] = r, g, b, 255
		}
	}
	return out
}

// Load decodes a PNG or JPEG file into an RGBA Image.
func Load(path string) (Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return Image{}, fmt.Errorf("load image: %w", err)
	}
	defer f.Close()
	src, _, err := image.Decode(f)
	if err != nil {
		return Image{}, fmt.Errorf("decode %s: %w", path, err)
	}
	return FromImage(src), nil
}

// Clone returns a deep copy with a tight stride.
func (im Image) Clone() Image {
	out := NewImage(im.Width, im.Height, im.Format)
	for y := 0; y < im.Height; y++ {
		copy(out.Pix[y*out.Stride:y*out.Stride+im.Width*4], im.Pix[y*im.Stride:y*im.Stride+im.Width*4])
	}
	return out
}
