#!/usr/bin/env bash
# File -> annotated file with nedfilter; run from the repository root after
# `make plugin pack`. Prints the output's duration as a check.
set -euo pipefail
in=${1:-../shared/media/talking_face.mp4}
out=${2:-/tmp/nedstream-annotated.mp4}
scripts/gst-env gst-launch-1.0 -q filesrc location="$in" ! decodebin3 ! \
	videoflip video-direction=auto ! videoconvert ! \
	nedfilter model-pack=out/pack overlay=mesh ! videoconvert ! \
	x264enc tune=zerolatency ! h264parse ! mp4mux ! filesink location="$out"
scripts/gst-env gst-discoverer-1.0 "$out" | grep -i duration
echo "wrote $out"
