// Command plugin is the GStreamer plugin library libgstnedstream.so; build it
// with
//
//	go build -buildmode=c-shared -o out/gstreamer-1.0/libgstnedstream.so ./plugin
//
// (make plugin does this). It holds only the plugin descriptor (plugin.c) and
// its init, which registers the elements listed in package elements.
package main

// #cgo pkg-config: gstreamer-1.0
// #include <gst/gst.h>
import "C"

import (
	"fmt"
	"os"
	"unsafe"

	"github.com/go-gst/go-gst/pkg/gst"

	"github.com/nedstream/nedstream/plugin/elements"
)

//export nedstreamPluginInit
func nedstreamPluginInit(p *C.GstPlugin) C.gboolean {
	plugin := gst.UnsafePluginFromGlibNone(unsafe.Pointer(p))
	if err := elements.Register(plugin); err != nil {
		fmt.Fprintln(os.Stderr, "nedstream:", err)
		return C.FALSE
	}
	return C.TRUE
}

func main() {}
