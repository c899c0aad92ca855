package nedfilter

// #include <stdlib.h>
// #include "nedfilter.h"
import "C"

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"runtime"
	"strings"
	"unsafe"
)

// GStreamer debug levels used here.
const (
	levelError   = C.GST_LEVEL_ERROR
	levelWarning = C.GST_LEVEL_WARNING
	levelInfo    = C.GST_LEVEL_INFO
	levelDebug   = C.GST_LEVEL_DEBUG
	levelLog     = C.GST_LEVEL_LOG
)

// logf writes to the "nedfilter" debug category (GST_DEBUG=nedfilter:5),
// formatting only when the level is enabled.
func (f *Filter) logf(level C.GstDebugLevel, format string, args ...any) {
	if C.ned_log_enabled(level) == C.FALSE {
		return
	}
	f.logAt(level, 2, fmt.Sprintf(format, args...))
}

func (f *Filter) logAt(level C.GstDebugLevel, skip int, msg string) {
	fn, file, line := "?", "?", 0
	if pc, path, l, ok := runtime.Caller(skip + 1); ok {
		file, line = filepath.Base(path), l
		if rf := runtime.FuncForPC(pc); rf != nil {
			fn = rf.Name()
			if i := strings.LastIndexByte(fn, '.'); i >= 0 {
				fn = fn[i+1:]
			}
		}
	}
	cfile, cfn, cmsg := C.CString(file), C.CString(fn), C.CString(msg)
	defer C.free(unsafe.Pointer(cfile))
	defer C.free(unsafe.Pointer(cfn))
	defer C.free(unsafe.Pointer(cmsg))
	C.ned_log((*C.GObject)(unsafe.Pointer(f.element())), level, cfile, cfn, C.int(line), cmsg)
}

func (f *Filter) warnf(format string, args ...any)  { f.logf(levelWarning, format, args...) }
func (f *Filter) infof(format string, args ...any)  { f.logf(levelInfo, format, args...) }
func (f *Filter) debugf(format string, args ...any) { f.logf(levelDebug, format, args...) }

// postModelError posts GST_ELEMENT_WARNING or GST_ELEMENT_ERROR (resource,
// open-read) for a model pack that failed to load.
func (f *Filter) postModelError(fatal bool, text, debug string) {
	ct, cd := C.CString(text), C.CString(debug)
	defer C.free(unsafe.Pointer(ct))
	defer C.free(unsafe.Pointer(cd))
	v := C.gboolean(C.FALSE)
	if fatal {
		v = C.TRUE
	}
	C.ned_post_model_error(f.element(), v, ct, cd)
}

// postWarning posts a GST_ELEMENT_WARNING (stream, failed).
func (f *Filter) postWarning(text, debug string) {
	ct, cd := C.CString(text), C.CString(debug)
	defer C.free(unsafe.Pointer(ct))
	defer C.free(unsafe.Pointer(cd))
	C.ned_post_stream_warning(f.element(), ct, cd)
}

// logger returns a slog.Logger that writes to the element's debug category,
// for the engine (which logs one line per model session).
func (f *Filter) logger() *slog.Logger {
	return slog.New(&gstHandler{f: f})
}

// gstHandler is a slog.Handler writing to the "nedfilter" debug category.
type gstHandler struct {
	f     *Filter
	attrs string
	group string
}

func gstLevel(l slog.Level) C.GstDebugLevel {
	switch {
	case l >= slog.LevelError:
		return levelError
	case l >= slog.LevelWarn:
		return levelWarning
	case l >= slog.LevelInfo:
		return levelInfo
	}
	return levelDebug
}

// Enabled implements slog.Handler.
func (h *gstHandler) Enabled(_ context.Context, l slog.Level) bool {
	return C.ned_log_enabled(gstLevel(l)) != C.FALSE
}

// Handle implements slog.Handler.
func (h *gstHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Message)
	b.WriteString(h.attrs)
	r.Attrs(func(a slog.Attr) bool {
		h.writeAttr(&b, a)
		return true
	})
	h.f.logAt(gstLevel(r.Level), 3, b.String())
	return nil
}

func (h *gstHandler) writeAttr(b *strings.Builder, a slog.Attr) {
	key := a.Key
	if h.group != "" {
		key = h.group + "." + key
	}
	fmt.Fprintf(b, " %s=%v", key, a.Value)
}

// WithAttrs implements slog.Handler.
func (h *gstHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	n := *h
	var b strings.Builder
	b.WriteString(h.attrs)
	for _, a := range attrs {
		h.writeAttr(&b, a)
	}
	n.attrs = b.String()
	return &n
}

// WithGroup implements slog.Handler.
func (h *gstHandler) WithGroup(name string) slog.Handler {
	n := *h
	if n.group != "" {
		name = n.group + "." + name
	}
	n.group = name
	return &n
}
