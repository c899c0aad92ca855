/* C side of nedwebrtcbench: a pad probe that prepends to every H.264
 * access unit an SEI (user data unregistered) NAL carrying the frame's
 * capture time and the time it reached the probe, both CLOCK_MONOTONIC
 * nanoseconds (GStreamer's system clock), so another process on the same
 * machine can measure latency from the frames it receives. */
#ifndef NEDSTREAM_BENCH_STAMP_H
#define NEDSTREAM_BENCH_STAMP_H

#include <gst/gst.h>

/* The SEI payload UUID (16 bytes). */
extern const guint8 ned_bench_uuid[16];

/* ned_bench_stamp_install adds the probe to the src pad of element. */
gboolean ned_bench_stamp_install (GstElement * element);

/* ned_bench_latency returns the pipeline's configured latency (min), or
 * GST_CLOCK_TIME_NONE. */
guint64 ned_bench_latency (GstElement * pipeline);

/* ned_bench_monotonic returns CLOCK_MONOTONIC in nanoseconds. */
guint64 ned_bench_monotonic (void);

#endif
