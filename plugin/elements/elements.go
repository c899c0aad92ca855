// Package elements is the list of every element in the nedstream plugin
// library (libgstnedstream.so). The plugin's init registers them all; a Go
// application registers them in its own process with RegisterStatic instead
// of loading the library (a process can hold only one Go runtime).
//
// To add an element, give its package a Register(gst.Plugin) bool function
// and append it to list.
package elements

// #cgo pkg-config: gstreamer-1.0
// #include <stdlib.h>
// #include <gst/gst.h>
//
// /* Forgets the plugin library in the registry (so that this process never
//  * loads it); returns -1 when it is already loaded, 1 when it was dropped. */
// static int ned_drop_plugin_library (const char *name) {
//   GstRegistry *reg = gst_registry_get ();
//   GstPlugin *p = gst_registry_find_plugin (reg, name);
//   int ret = 0;
//   if (p == NULL)
//     return 0;
//   if (gst_plugin_is_loaded (p) && gst_plugin_get_filename (p) != NULL) {
//     ret = -1;
//   } else if (gst_plugin_get_filename (p) != NULL) {
//     gst_registry_remove_plugin (reg, p);
//     ret = 1;
//   }
//   gst_object_unref (p);
//   return ret;
// }
import "C"

import (
	"fmt"
	"unsafe"

	"github.com/go-gst/go-gst/pkg/gst"

	"github.com/nedstream/nedstream/plugin/nedfilter"
	"github.com/nedstream/nedstream/plugin/nedwhepsink"
	"github.com/nedstream/nedstream/plugin/nedwhipsink"
)

// element is one registrable element.
type element struct {
	name     string
	register func(gst.Plugin) bool
}

var list = []element{
	{nedfilter.ElementName, nedfilter.Register},
	{nedwhepsink.ElementName, nedwhepsink.Register},
	{nedwhipsink.ElementName, nedwhipsink.Register},
}

// Names returns the factory names of all elements.
func Names() []string {
	names := make([]string, len(list))
	for i, e := range list {
		names[i] = e.name
	}
	return names
}

// Register registers every element with plugin (nil: for this process only).
// gst.Init must have been called. It registers as many as it can and
// reports the ones that failed.
func Register(plugin gst.Plugin) error {
	var failed []string
	for _, e := range list {
		if !e.register(plugin) {
			failed = append(failed, e.name)
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("register nedstream elements: %v failed", failed)
	}
	return nil
}

// PluginName is the name of the plugin (GST_PLUGIN_DEFINE in ../plugin.c).
const PluginName = "nedstream"

// RegisterStatic registers every element for this process, for Go
// applications (call gst.Init first). Calling it again is harmless.
//
// If the registry also knows libgstnedstream.so (for example from
// GST_PLUGIN_PATH), RegisterStatic drops it from this process's registry
// first: loading that Go library into a Go program would crash it.
func RegisterStatic() error {
	cname := C.CString(PluginName)
	defer C.free(unsafe.Pointer(cname))
	if C.ned_drop_plugin_library(cname) < 0 {
		return fmt.Errorf("register nedstream elements: the %s plugin library is already loaded into this process "+
			"(a Go program must register the elements statically, never load libgstnedstream.so)", PluginName)
	}
	return Register(nil)
}
