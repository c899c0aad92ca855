package fanout

// IsKeyframe reports whether an encoded sample of codec c can start decoding:
// an H.264 access unit with an IDR slice, a VP8 or VP9 key frame, or an AV1
// temporal unit carrying a sequence header. Audio samples always are.
func IsKeyframe(c Codec, data []byte) bool {
	switch c {
	case H264:
		return h264HasIDR(data)
	case VP8:
		// RFC 6386 9.1: bit 0 of the frame tag is 0 for key frames.
		return len(data) > 0 && data[0]&0x01 == 0
	case VP9:
		return vp9IsKey(data)
	case AV1:
		return av1HasSequenceHeader(data)
	}
	return true
}

// NALTypes lists the NAL unit types of an H.264 Annex-B access unit.
func NALTypes(au []byte) []uint8 {
	var types []uint8
	forEachNAL(au, func(nal []byte) {
		types = append(types, nal[0]&0x1f)
	})
	return types
}

// forEachNAL calls fn with every non-empty NAL unit of an Annex-B stream.
func forEachNAL(b []byte, fn func(nal []byte)) {
	start := -1
	i := 0
	for i+2 < len(b) {
		if b[i] == 0 && b[i+1] == 0 && b[i+2] == 1 {
			if start >= 0 {
				end := i
				if end > start && b[end-1] == 0 {
					end-- // 4-byte start code
				}
				if end > start {
					fn(b[start:end])
				}
			}
			i += 3
			start = i
			continue
		}
		i++
	}
	if start >= 0 && start < len(b) {
		fn(b[start:])
	}
}

func h264HasIDR(au []byte) bool {
	idr := false
	forEachNAL(au, func(nal []byte) {
		if nal[0]&0x1f == 5 {
			idr = true
		}
	})
	return idr
}

// vp9IsKey reads the uncompressed header (VP9 bitstream spec 6.2).
func vp9IsKey(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	bits := uint(b[0])
	pos := 7
	next := func() uint {
		v := (bits >> uint(pos)) & 1
		pos--
		return v
	}
	if next()<<1|next() != 2 { // frame_marker
		return false
	}
	profile := next() | next()<<1
	if profile == 3 {
		next() // reserved_zero
	}
	if next() == 1 { // show_existing_frame
		return false
	}
	return next() == 0 // frame_type: 0 = KEY_FRAME
}

// av1HasSequenceHeader walks the OBUs of a low-overhead temporal unit.
func av1HasSequenceHeader(b []byte) bool {
	for len(b) > 0 {
		h := b[0]
		typ := (h >> 3) & 0x0f
		if typ == 1 { // OBU_SEQUENCE_HEADER
			return true
		}
		n := 1
		if h&0x04 != 0 { // extension flag
			n++
		}
		if h&0x02 == 0 || n > len(b) { // no size field: the OBU runs to the end
			return false
		}
		size, m := leb128(b[n:])
		if m == 0 {
			return false
		}
		n += m
		if size > uint64(len(b)-n) {
			return false
		}
		b = b[n+int(size):]
	}
	return false
}

func leb128(b []byte) (uint64, int) {
	var v uint64
	for i := 0; i < 8 && i < len(b); i++ {
		v |= uint64(b[i]&0x7f) << (7 * i)
		if b[i]&0x80 == 0 {
			return v, i + 1
		}
	}
	return 0, 0
}
