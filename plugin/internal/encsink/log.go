package encsink

// #include <stdlib.h>
// #include "encsink.h"
import "C"

import (
	"fmt"
	"unsafe"

	"github.com/go-gst/go-glib/pkg/gobject/v2"
)

// Category is an element's GStreamer debug category (GST_DEBUG=name:LEVEL).
type Category struct{ c *C.GstDebugCategory }

// NewCategory creates the debug category, or returns the existing one of
// that name. Call it once, when the element type is registered.
func NewCategory(name, description string) Category {
	cn, cd := C.CString(name), C.CString(description)
	defer C.free(unsafe.Pointer(cn))
	defer C.free(unsafe.Pointer(cd))
	// GStreamer keeps the category for the life of the process.
	return Category{C.ned_enc_category(cn, cd)}
}

// Level is a debug level for Category.Log.
type Level int

// Levels, most severe first.
const (
	LevelError Level = iota
	LevelWarning
	LevelInfo
	LevelDebug
)

// Log writes a message about element into the category.
func (c Category) Log(element gobject.Object, level Level, format string, args ...any) {
	if c.c == nil {
		return
	}
	msg := C.CString(fmt.Sprintf(format, args...))
	defer C.free(unsafe.Pointer(msg))
	C.ned_enc_log(c.c, (*C.GstElement)(gobject.UnsafeObjectToGlibNone(element)), C.int(level), msg)
}

// ErrorKind selects the GStreamer error domain and code of PostError.
type ErrorKind int

// Error kinds.
const (
	// ErrSettings is RESOURCE/SETTINGS: a bad property value.
	ErrSettings ErrorKind = iota
	// ErrOpen is RESOURCE/OPEN_READ_WRITE: e.g. the listen address is busy.
	ErrOpen
	// ErrNotAuthorized is RESOURCE/NOT_AUTHORIZED: the server refused the token.
	ErrNotAuthorized
	// ErrFormat is STREAM/FORMAT: caps or data the element cannot take.
	ErrFormat
	// ErrFailed is STREAM/FAILED: anything else.
	ErrFailed
)

// PostError posts an element error with a user-facing text and a debug
// string.
func PostError(element gobject.Object, kind ErrorKind, text, debug string) {
	ct, cd := C.CString(text), C.CString(debug)
	defer C.free(unsafe.Pointer(ct))
	defer C.free(unsafe.Pointer(cd))
	C.ned_enc_error((*C.GstElement)(gobject.UnsafeObjectToGlibNone(element)), C.int(kind), ct, cd)
}
