/* C side of the nedfilter element: the virtual methods called per frame (so
 * that no Go wrapper is allocated per frame), GEnum types, the debug
 * category, GstAnalytics metadata and element messages. Go code in this
 * package calls these through cgo. */
#ifndef NEDSTREAM_NEDFILTER_H
#define NEDSTREAM_NEDFILTER_H

#include <gst/gst.h>
#include <gst/base/gstbasetransform.h>
#include <gst/video/video.h>
#include <gst/video/gstvideofilter.h>

#define NED_BLENDSHAPES 52

/* One face as the messages and metadata need it. */
typedef struct {
  guint64 track_id;
  gfloat x, y, w, h, score;
  gdouble yaw, pitch, roll;
  gint age;
  gint n_landmarks;
  gboolean occluded;
  gfloat blendshapes[NED_BLENDSHAPES];
  /* The edit in effect: the target emotion ("" when not editing) and the
   * current (ramped) intensity. */
  gchar emotion[16];
  gfloat intensity;
} NedFace;

/* Per-stage wall times of one frame, in nanoseconds. */
typedef struct {
  guint64 detect, landmarks, iris, blendshapes, pose, total, element;
} NedTimings;

/* Everything the stats message carries. Times are mean milliseconds per
 * analysed frame over the interval. */
typedef struct {
  guint64 frames, interval_frames, analysed_frames, frames_with_faces;
  gdouble interval_s, fps, mean_faces;
  gdouble detect_ms, landmarks_ms, iris_ms, blendshapes_ms, pose_ms, total_ms, element_ms;
  gdouble detections_per_frame;
} NedStats;

void ned_init_once (void);
void ned_set_blendshape_name (int i, const char *name);

GType ned_overlay_mode_get_type (void);
GType ned_provider_get_type (void);
GType ned_emotion_get_type (void);
GType ned_model_error_get_type (void);

void ned_class_setup (GstVideoFilterClass * klass);

gboolean ned_log_enabled (GstDebugLevel level);
void ned_log (GObject * obj, GstDebugLevel level, const char *file,
    const char *func, int line, const char *msg);

void ned_post_model_error (GstElement * e, gboolean is_error,
    const char *text, const char *debug);
void ned_post_stream_warning (GstElement * e, const char *text,
    const char *debug);
void ned_post_faces (GstElement * e, guint64 frame, GstClockTime pts,
    int width, int height, gboolean detected,
    const NedFace * faces, int n, const NedTimings * t);
void ned_post_stats (GstElement * e, const NedStats * s);
gboolean ned_add_analytics (GstBuffer * buf, const NedFace * faces, int n,
    const GstClockTime * first_seen);

/* Reading a nedstream-faces structure back (for applications and tests). */
typedef struct {
  guint64 frame, pts, running_time;
  gint width, height, num_faces;
  gboolean detected;
  NedTimings timings;
} NedFacesHeader;

gboolean ned_parse_faces_header (const GstStructure * s, NedFacesHeader * h);
gboolean ned_parse_face (const GstStructure * s, int i, NedFace * f);

/* A face read back from GstAnalytics metadata. */
typedef struct {
  gint x, y, w, h;
  gfloat confidence;
  guint64 track_id;
  GstClockTime first_seen;
} NedMetaFace;

int ned_read_analytics (GstBuffer * buf, NedMetaFace * out, int max);

void ned_set_passthrough (GstElement * e, gboolean passthrough);

/* Lookahead: frames held by the element, mapped and released from Go. */
gboolean ned_map_frame (GstVideoFilter * f, GstBuffer * buf,
    GstVideoFrame * frame, gboolean write);
void ned_unmap_frame (GstVideoFrame * frame);
GstBuffer *ned_make_writable (GstBuffer * buf);
void ned_buffer_unref (GstBuffer * buf);
void ned_post_latency (GstElement * e);
void ned_reconfigure_sink (GstElement * e);
gint ned_fps (GstVideoFilter * f, gint * d);
GstClockTime ned_running_time (GstElement * e, GstClockTime pts);

#endif
