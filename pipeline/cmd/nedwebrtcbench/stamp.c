#include "stamp.h"
#include <string.h>
#include <time.h>

const guint8 ned_bench_uuid[16] = {
  0x6e, 0x65, 0x64, 0x73, 0x74, 0x72, 0x65, 0x61,
  0x6d, 0x2d, 0x62, 0x65, 0x6e, 0x63, 0x68, 0x31
};                              /* "nedstream-bench1" */

guint64
ned_bench_monotonic (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (guint64) ts.tv_sec * 1000000000ull + (guint64) ts.tv_nsec;
}

/* escape appends src with H.264 emulation prevention bytes. */
static gsize
escape (guint8 * dst, const guint8 * src, gsize n)
{
  gsize o = 0;
  int zeros = 0;
  for (gsize i = 0; i < n; i++) {
    if (zeros >= 2 && src[i] <= 3) {
      dst[o++] = 3;
      zeros = 0;
    }
    dst[o++] = src[i];
    zeros = src[i] == 0 ? zeros + 1 : 0;
  }
  return o;
}

static GstPadProbeReturn
stamp (GstPad * pad, GstPadProbeInfo * info, gpointer user)
{
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstElement *e = GST_ELEMENT (user);
  guint64 now = ned_bench_monotonic (), capture = 0;
  GstEvent *seg_ev;
  guint8 payload[16 + 16], nal[5 + 2 + 2 * sizeof (payload) + 1];
  gsize n = 0;

  if (GST_BUFFER_PTS_IS_VALID (buf)) {
    seg_ev = gst_pad_get_sticky_event (pad, GST_EVENT_SEGMENT, 0);
    if (seg_ev != NULL) {
      const GstSegment *seg;
      guint64 rt;
      gst_event_parse_segment (seg_ev, &seg);
      rt = gst_segment_to_running_time (seg, GST_FORMAT_TIME,
          GST_BUFFER_PTS (buf));
      if (GST_CLOCK_TIME_IS_VALID (rt))
        capture = gst_element_get_base_time (e) + rt;
      gst_event_unref (seg_ev);
    }
  }
  memcpy (payload, ned_bench_uuid, 16);
  for (int i = 0; i < 8; i++) {
    payload[16 + i] = (guint8) (capture >> (56 - 8 * i));
    payload[24 + i] = (guint8) (now >> (56 - 8 * i));
  }
  nal[n++] = 0;
  nal[n++] = 0;
  nal[n++] = 0;
  nal[n++] = 1;
  nal[n++] = 6;                 /* SEI */
  nal[n++] = 5;                 /* user data unregistered */
  nal[n++] = sizeof (payload);
  n += escape (nal + n, payload, sizeof (payload));
  nal[n++] = 0x80;              /* rbsp trailing bits */

  {
    guint8 *copy = g_memdup2 (nal, n);
    buf = gst_buffer_make_writable (buf);
    gst_buffer_prepend_memory (buf, gst_memory_new_wrapped (0, copy, n, 0, n,
            copy, g_free));
    GST_PAD_PROBE_INFO_DATA (info) = buf;
  }
  return GST_PAD_PROBE_OK;
}

gboolean
ned_bench_stamp_install (GstElement * element)
{
  GstPad *pad = gst_element_get_static_pad (element, "src");
  if (pad == NULL)
    return FALSE;
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, stamp, element, NULL);
  gst_object_unref (pad);
  return TRUE;
}

guint64
ned_bench_latency (GstElement * pipeline)
{
  GstQuery *q = gst_query_new_latency ();
  GstClockTime min = GST_CLOCK_TIME_NONE;
  gboolean live;
  if (gst_element_query (pipeline, q))
    gst_query_parse_latency (q, &live, &min, NULL);
  gst_query_unref (q);
  return min;
}
