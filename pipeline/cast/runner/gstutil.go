package runner

// #cgo pkg-config: gstreamer-1.0 gstreamer-app-1.0
// #include <stdlib.h>
// #include <string.h>
// #include <gst/gst.h>
// #include <gst/app/gstappsrc.h>
//
// static int ned_has_property (GstElement *e, const char *name) {
//   return g_object_class_find_property (G_OBJECT_GET_CLASS (e), name) != NULL;
// }
// static void ned_set_arg (GstElement *e, const char *name, const char *value) {
//   gst_util_set_object_arg (G_OBJECT (e), name, value);
// }
// static guint ned_get_uint (GstElement *e, const char *name) {
//   guint v = 0;
//   if (g_object_class_find_property (G_OBJECT_GET_CLASS (e), name) == NULL)
//     return 0;
//   g_object_get (G_OBJECT (e), name, &v, NULL);
//   return v;
// }
// static gdouble ned_get_double (GstElement *e, const char *name) {
//   gdouble v = 0;
//   if (g_object_class_find_property (G_OBJECT_GET_CLASS (e), name) == NULL)
//     return 0;
//   g_object_get (G_OBJECT (e), name, &v, NULL);
//   return v;
// }
// /* 1 when the factory has a sink pad template named audio* or accepting audio caps. */
// static int ned_factory_has_audio_sink (const char *factory) {
//   GstElementFactory *f = gst_element_factory_find (factory);
//   const GList *l;
//   int found = 0;
//   if (f == NULL)
//     return 0;
//   for (l = gst_element_factory_get_static_pad_templates (f); l != NULL; l = l->next) {
//     GstStaticPadTemplate *t = l->data;
//     if (t->direction != GST_PAD_SINK)
//       continue;
//     if (g_str_has_prefix (t->name_template, "audio") ||
//         (t->static_caps.string != NULL && strstr (t->static_caps.string, "audio/") != NULL))
//       found = 1;
//   }
//   gst_object_unref (f);
//   return found;
// }
// static int ned_factory_exists (const char *factory) {
//   GstElementFactory *f = gst_element_factory_find (factory);
//   if (f == NULL)
//     return 0;
//   gst_object_unref (f);
//   return 1;
// }
// static int ned_appsrc_push (GstElement *e, const void *data, gsize len) {
//   GstBuffer *b = gst_buffer_new_memdup (data, len);
//   return gst_app_src_push_buffer (GST_APP_SRC (e), b) == GST_FLOW_OK;
// }
// static int ned_is_playing (GstElement *e) {
//   int playing;
//   GST_OBJECT_LOCK (e);
//   playing = GST_STATE (e) == GST_STATE_PLAYING;
//   GST_OBJECT_UNLOCK (e);
//   return playing;
// }
// static void ned_post_read_error (GstElement *e, const char *text) {
//   GST_ELEMENT_ERROR (e, RESOURCE, READ, ("%s", text), (NULL));
// }
// /* EOS into the sink pad of every queue in the bin (recursively);
//    returns how many took it. */
// static int ned_eos_all_queues (GstElement *bin) {
//   GstIterator *it = gst_bin_iterate_recurse (GST_BIN (bin));
//   GValue v = G_VALUE_INIT;
//   GType queue = g_type_from_name ("GstQueue");
//   int n = 0;
//   gboolean done = FALSE;
//   while (!done) {
//     switch (gst_iterator_next (it, &v)) {
//       case GST_ITERATOR_OK: {
//         GstElement *e = g_value_get_object (&v);
//         if (queue != 0 && G_TYPE_CHECK_INSTANCE_TYPE (e, queue)) {
//           GstPad *p = gst_element_get_static_pad (e, "sink");
//           if (p != NULL) {
//             if (gst_pad_send_event (p, gst_event_new_eos ()))
//               n++;
//             gst_object_unref (p);
//           }
//         }
//         g_value_reset (&v);
//         break;
//       }
//       case GST_ITERATOR_RESYNC:
//         gst_iterator_resync (it);
//         break;
//       default:
//         done = TRUE;
//     }
//   }
//   g_value_unset (&v);
//   gst_iterator_free (it);
//   return n;
// }
// static void ned_appsrc_eos (GstElement *e) {
//   gst_app_src_end_of_stream (GST_APP_SRC (e));
// }
// static gboolean ned_send_eos_to_pad (GstElement *e, const char *pad) {
//   GstPad *p = gst_element_get_static_pad (e, pad);
//   gboolean ok;
//   if (p == NULL)
//     return FALSE;
//   ok = gst_pad_send_event (p, gst_event_new_eos ());
//   gst_object_unref (p);
//   return ok;
// }
// /* A segment seek to 0 sent upstream from an element's src pad. */
// static gboolean ned_segment_seek (GstElement *e, const char *pad, gboolean flush) {
//   GstSeekFlags f = GST_SEEK_FLAG_SEGMENT;
//   GstPad *p = gst_element_get_static_pad (e, pad);
//   gboolean ok;
//   if (p == NULL)
//     return FALSE;
//   if (flush)
//     f |= GST_SEEK_FLAG_FLUSH;
//   ok = gst_pad_send_event (p, gst_event_new_seek (1.0, GST_FORMAT_TIME, f, GST_SEEK_TYPE_SET, 0, GST_SEEK_TYPE_NONE, -1));
//   gst_object_unref (p);
//   return ok;
// }
import "C"

import (
	"unsafe"

	"github.com/go-gst/go-gst/pkg/gst"
)

func celem(e gst.Element) *C.GstElement {
	return (*C.GstElement)(gst.UnsafeElementToGlibNone(e))
}

// hasProperty reports whether e has the named property.
func hasProperty(e gst.Element, name string) bool {
	cn := C.CString(name)
	defer C.free(unsafe.Pointer(cn))
	return C.ned_has_property(celem(e), cn) != 0
}

// setArg sets a property from its string form (enums by nick), as
// gst-launch does.
func setArg(e gst.Element, name, value string) {
	cn, cv := C.CString(name), C.CString(value)
	defer C.free(unsafe.Pointer(cn))
	defer C.free(unsafe.Pointer(cv))
	C.ned_set_arg(celem(e), cn, cv)
}

// getUint reads a guint property (0 when there is none).
func getUint(e gst.Element, name string) uint64 {
	cn := C.CString(name)
	defer C.free(unsafe.Pointer(cn))
	return uint64(C.ned_get_uint(celem(e), cn))
}

// getDouble reads a gdouble property (0 when there is none).
func getDouble(e gst.Element, name string) float64 {
	cn := C.CString(name)
	defer C.free(unsafe.Pointer(cn))
	return float64(C.ned_get_double(celem(e), cn))
}

// factoryHasAudioSink reports whether an element factory takes audio.
func factoryHasAudioSink(factory string) bool {
	cn := C.CString(factory)
	defer C.free(unsafe.Pointer(cn))
	return C.ned_factory_has_audio_sink(cn) != 0
}

// factoryExists reports whether an element factory is registered.
func factoryExists(factory string) bool {
	cn := C.CString(factory)
	defer C.free(unsafe.Pointer(cn))
	return C.ned_factory_exists(cn) != 0
}

// appsrcPush copies an RTP packet into a buffer and pushes it.
func appsrcPush(e gst.Element, p []byte) bool {
	if len(p) == 0 {
		return true
	}
	return C.ned_appsrc_push(celem(e), unsafe.Pointer(&p[0]), C.gsize(len(p))) != 0
}

// isPlaying reports whether e's current state is PLAYING.
func isPlaying(e gst.Element) bool { return C.ned_is_playing(celem(e)) != 0 }

// postReadError posts a RESOURCE/READ element error from e, as v4l2src
// does when its camera is unplugged (the tests lose an input with it).
func postReadError(e gst.Element, text string) {
	ct := C.CString(text)
	defer C.free(unsafe.Pointer(ct))
	C.ned_post_read_error(celem(e), ct)
}

// appsrcEOS ends an appsrc's stream.
func appsrcEOS(e gst.Element) { C.ned_appsrc_eos(celem(e)) }

// sendEOSToPad sends EOS into an element's static pad.
func sendEOSToPad(e gst.Element, pad string) bool {
	cp := C.CString(pad)
	defer C.free(unsafe.Pointer(cp))
	return C.ned_send_eos_to_pad(celem(e), cp) != C.FALSE
}

// eosAllQueues sends EOS into every queue of the pipeline (each output
// branch and the input's queues), ending every branch where it stands; it
// returns how many queues took it.
func eosAllQueues(p gst.Pipeline) int {
	return int(C.ned_eos_all_queues(celem(p)))
}

// segmentSeek seeks the input to 0 as a segment seek (SEGMENT_DONE at the
// end instead of EOS, for gapless looping), sent upstream from e's src pad
// so that only the input sees it.
func segmentSeek(e gst.Element, flush bool) bool {
	f := C.gboolean(C.FALSE)
	if flush {
		f = C.TRUE
	}
	cp := C.CString("src")
	defer C.free(unsafe.Pointer(cp))
	return C.ned_segment_seek(celem(e), cp, f) != C.FALSE
}
