package basis

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"

	"github.com/nedstream/nedstream/models/atomicfile"
	"github.com/nedstream/nedstream/models/blendshape"
)

// Magic opens every basis file.
const Magic = "NEDBASIS"

// FormatVersion is the file format version Write produces and Read accepts.
const FormatVersion = 1

// maxFileSize bounds what Read accepts (a version-1 file is 292,805 bytes).
const maxFileSize = 1 << 20

// Write stores the basis in the version-1 binary format, all integers and
// floats little-endian:
//
//	offset  size  content
//	0       8     magic "NEDBASIS"
//	8       4     uint32 format version (1)
//	12      4     uint32 shape count S (52)
//	16      4     uint32 vertex count V (468)
//	20      4     uint32 reserved (0)
//	24      ...   S names, each a uint8 length and that many UTF-8 bytes
//	...     12SV  float32 deltas, shape-major: shape, vertex, then x, y, z
//	              (canonical centimetres)
//	end-4   4     uint32 CRC-32 (IEEE) of every byte before it
//
// float32 keeps a round trip exact; the file is 292,805 bytes.
func (b *Basis) Write(w io.Writer) error {
	var buf bytes.Buffer
	buf.WriteString(Magic)
	for _, v := range []uint32{FormatVersion, NumShapes, NumVertices, 0} {
		binary.Write(&buf, binary.LittleEndian, v)
	}
	for _, n := range b.Names {
		if len(n) == 0 || len(n) > 255 {
			return fmt.Errorf("write basis: shape name %q: length must be 1..255", n)
		}
		buf.WriteByte(byte(len(n)))
		buf.WriteString(n)
	}
	var f [4]byte
	for k := range b.Deltas {
		for v := range b.Deltas[k] {
			for _, x := range b.Deltas[k][v] {
				if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
					return fmt.Errorf("write basis: %s vertex %d: non-finite delta", b.Names[k], v)
				}
				binary.LittleEndian.PutUint32(f[:], math.Float32bits(x))
				buf.Write(f[:])
			}
		}
	}
	binary.Write(&buf, binary.LittleEndian, crc32.ChecksumIEEE(buf.Bytes()))
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("write basis: %w", err)
	}
	return nil
}

// WriteFile writes the basis to path atomically (a temporary file renamed
// into place).
func (b *Basis) WriteFile(path string) error {
	if err := atomicfile.Write(path, b.Write); err != nil {
		return fmt.Errorf("basis: %w", err)
	}
	return nil
}

// errFormat marks a file that is not a valid basis.
var errFormat = errors.New("not a valid basis file")

// Read parses a basis written by Write. It checks the magic, version,
// counts, the names (which must equal blendshape.Names, in order), the
// CRC and that every delta is finite.
func Read(r io.Reader) (*Basis, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read basis: %w", err)
	}
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("read basis: %w: larger than %d bytes", errFormat, maxFileSize)
	}
	if len(data) < 28 || string(data[:8]) != Magic {
		return nil, fmt.Errorf("read basis: %w: bad magic", errFormat)
	}
	body, sum := data[:len(data)-4], binary.LittleEndian.Uint32(data[len(data)-4:])
	if got := crc32.ChecksumIEEE(body); got != sum {
		return nil, fmt.Errorf("read basis: %w: CRC %08x, file says %08x (corrupt or truncated)", errFormat, got, sum)
	}
	le := binary.LittleEndian
	version, shapes, verts := le.Uint32(body[8:]), le.Uint32(body[12:]), le.Uint32(body[16:])
	if version != FormatVersion {
		return nil, fmt.Errorf("read basis: %w: version %d, this build reads %d", errFormat, version, FormatVersion)
	}
	if shapes != NumShapes || verts != NumVertices {
		return nil, fmt.Errorf("read basis: %w: %d shapes x %d vertices, want %d x %d", errFormat, shapes, verts, NumShapes, NumVertices)
	}
	b := &Basis{}
	p := 24
	for k := range NumShapes {
		if p >= len(body) {
			return nil, fmt.Errorf("read basis: %w: names truncated", errFormat)
		}
		n := int(body[p])
		p++
		if p+n > len(body) {
			return nil, fmt.Errorf("read basis: %w: names truncated", errFormat)
		}
		b.Names[k] = string(body[p : p+n])
		p += n
		if b.Names[k] != blendshape.Names[k] {
			return nil, fmt.Errorf("read basis: %w: shape %d is %q, want %q", errFormat, k, b.Names[k], blendshape.Names[k])
		}
	}
	if len(body)-p != NumShapes*NumVertices*12 {
		return nil, fmt.Errorf("read basis: %w: %d delta bytes, want %d", errFormat, len(body)-p, NumShapes*NumVertices*12)
	}
	for k := range b.Deltas {
		for v := range b.Deltas[k] {
			for a := range 3 {
				x := math.Float32frombits(le.Uint32(body[p:]))
				p += 4
				if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
					return nil, fmt.Errorf("read basis: %w: %s vertex %d: non-finite delta", errFormat, b.Names[k], v)
				}
				b.Deltas[k][v][a] = x
			}
		}
	}
	b.Missing = b.missing()
	return b, nil
}

// ReadFile reads a basis file.
func ReadFile(path string) (*Basis, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read basis: %w", err)
	}
	defer f.Close()
	b, err := Read(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return b, nil
}
