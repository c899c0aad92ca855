#include "nedwhepsink.h"

GST_DEBUG_CATEGORY_STATIC (ned_whep_debug);
#define GST_CAT_DEFAULT ned_whep_debug

void
ned_whep_init_once (void)
{
  static gsize done = 0;
  if (g_once_init_enter (&done)) {
    GST_DEBUG_CATEGORY_INIT (ned_whep_debug, "nedwhepsink", 0,
        "nedstream WHEP server sink");
    g_once_init_leave (&done, 1);
  }
}

void
ned_whep_log (GstElement * e, int level, const char *msg)
{
  switch (level) {
    case 0:
      GST_ERROR_OBJECT (e, "%s", msg);
      break;
    case 1:
      GST_WARNING_OBJECT (e, "%s", msg);
      break;
    case 2:
      GST_INFO_OBJECT (e, "%s", msg);
      break;
    default:
      GST_DEBUG_OBJECT (e, "%s", msg);
      break;
  }
}

/* kind: 0 settings, 1 open (address busy), 2 negotiation/format, 3 failed. */
void
ned_whep_error (GstElement * e, int kind, const char *text, const char *debug)
{
  switch (kind) {
    case 0:
      GST_ELEMENT_ERROR (e, RESOURCE, SETTINGS, ("%s", text), ("%s", debug));
      break;
    case 1:
      GST_ELEMENT_ERROR (e, RESOURCE, OPEN_READ_WRITE, ("%s", text), ("%s",
              debug));
      break;
    case 2:
      GST_ELEMENT_ERROR (e, STREAM, FORMAT, ("%s", text), ("%s", debug));
      break;
    default:
      GST_ELEMENT_ERROR (e, STREAM, FAILED, ("%s", text), ("%s", debug));
      break;
  }
}
