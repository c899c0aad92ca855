/* The plugin descriptor of libgstnedstream.so. GStreamer finds it by the
 * symbol GST_PLUGIN_DEFINE exports (gst_plugin_nedstream_get_desc); its init
 * calls into Go (main.go), which registers every element. */
#ifndef PACKAGE
#define PACKAGE "nedstream"
#endif
#ifndef VERSION
#define VERSION "0.1.0"
#endif

#include <gst/gst.h>

#include "_cgo_export.h"

static gboolean
plugin_init (GstPlugin * plugin)
{
  return nedstreamPluginInit (plugin);
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, nedstream,
    "Face analysis and expression editing (nedstream)", plugin_init, VERSION,
    "MIT/X11", "nedstream", "https://github.com/nedstream/nedstream")
