# nedstream make targets. Everything that links GStreamer runs through
# scripts/gst-env, which on an older host (Debian 12) enters the cached
# Debian 13 root with GStreamer 1.26 (made by scripts/setup).
#
#   make plugin     build out/gstreamer-1.0/libgstnedstream.so (incremental:
#                   Go's build cache decides what to recompile)
#   make test-gst   build the plugin, then run the element tests (./plugin/...)
#                   against it
#
# Targets owned by the models/pipeline side (setup, test, demo, bench) are
# added below their marker.

SHELL      := /bin/bash
GO         ?= go
GST_ENV    := scripts/gst-env
PLUGIN_DIR := out/gstreamer-1.0
PLUGIN     := $(PLUGIN_DIR)/libgstnedstream.so
# Extra flags for the plugin's go build (e.g. GO_BUILD_FLAGS=-race is not
# possible for c-shared; -trimpath is).
GO_BUILD_FLAGS ?=

.PHONY: all plugin test-gst clean-plugin
all: plugin

plugin:
	@mkdir -p $(PLUGIN_DIR)
	$(GST_ENV) $(GO) build -buildmode=c-shared $(GO_BUILD_FLAGS) -o $(PLUGIN) ./plugin
	@rm -f $(PLUGIN_DIR)/libgstnedstream.h

# The tests use the library just built (NEDSTREAM_PLUGIN_DIR); without that
# variable they build their own copy into a temporary directory.
test-gst: plugin
	NEDSTREAM_PLUGIN_DIR=$(CURDIR)/$(PLUGIN_DIR) $(GST_ENV) $(GO) test -count=1 $(GO_TEST_FLAGS) ./plugin/...

clean-plugin:
	rm -rf $(PLUGIN_DIR)

# ---- setup, test, demo, bench: models/pipeline targets go here ----

# Where the real models and demo media are (the project never commits them).
SHARED   ?= $(abspath ../shared)
UPSTREAM ?= $(SHARED)/models/upstream
INPUT    ?= $(SHARED)/media/talking_face.mp4
PACK     ?= $(CURDIR)/out/pack
DEMO_OUT ?= $(CURDIR)/out/demo
OVERLAY  ?= mesh

.PHONY: setup pack demo test test-models test-pipeline test-race bench

# Installs what is missing (apt packages, onnxruntime, the Debian 13 root).
setup:
	scripts/setup

# The default model pack, built from the upstream files.
pack: setup
	$(GO) run ./models/cmd/nedpack build --from $(UPSTREAM) --out $(PACK)

# The main job on the demo input (INPUT=... for another file): nedcast plays
# it in real time to WHEP with the control page (URL printed) and records the
# edited stream to edited.mp4, stopping at the end of the clip; then the input and
# the nedfilter-edited video side by side (EMOTION, INTENSITY), then the video
# with the face analysis drawn on it and a JSON summary of the tracks.
EMOTION   ?= happy
INTENSITY ?= 0.8
# nedcast's WHEP server and control page during the demo.
DEMO_WHEP   ?= 127.0.0.1:8080
DEMO_LISTEN ?= 127.0.0.1:8090
demo: pack
	@mkdir -p $(DEMO_OUT)
	@echo "nedcast: open http://$(DEMO_LISTEN)/ for the control page and the live preview (WHEP on $(DEMO_WHEP)); it stops at the end of the clip"
	$(GST_ENV) $(GO) run ./pipeline/cmd/nedcast --input "$(INPUT)" --model-pack $(PACK) \
		--emotion $(EMOTION) --intensity $(INTENSITY) --whep $(DEMO_WHEP) --listen $(DEMO_LISTEN) \
		--record $(DEMO_OUT)/edited.mp4
	$(GST_ENV) $(GO) run ./pipeline/cmd/nedface sidebyside --input "$(INPUT)" --pack $(PACK) \
		--emotion $(EMOTION) --intensity $(INTENSITY) --out $(DEMO_OUT)/edited_side_by_side.mp4
	$(GST_ENV) $(GO) run ./pipeline/cmd/nedface analyze --input "$(INPUT)" --pack $(PACK) \
		--overlay $(OVERLAY) --out $(DEMO_OUT)/annotated.mp4 --summary $(DEMO_OUT)/summary.json

# The whole suite: plain-Go packages on the host (no GStreamer needed), then
# everything that links GStreamer in the GStreamer 1.26 environment.
test: setup
	$(MAKE) test-models
	$(MAKE) test-gst
	$(MAKE) test-pipeline
	$(MAKE) test-race

# The packages with their own goroutines again under the race detector:
# the engine (iris beside FaceMesh), the warp's workers, the WebRTC core,
# and the elements (GStreamer's streaming threads calling into Go).
test-race: plugin
	$(GO) test -race -count=1 ./models/face/ ./models/render/ ./models/edit/ ./models/track/ ./pipeline/webrtc/...
	NEDSTREAM_PLUGIN_DIR=$(CURDIR)/$(PLUGIN_DIR) $(GST_ENV) $(GO) test -race -count=1 ./plugin/nedfilter/ ./plugin/nedwhepsink/ ./plugin/nedwhipsink/

# Plain-Go packages: no GStreamer needed.
test-models:
	$(GO) test -count=1 $(GO_TEST_FLAGS) ./models/... ./trainer/...

test-pipeline:
	$(GST_ENV) $(GO) test -count=1 $(GO_TEST_FLAGS) ./pipeline/...
	$(GST_ENV) $(GO) vet ./examples/...

# Benchmarks: the engine's per-stage times on the host, then nedfilter end
# to end in a pipeline, then the WebRTC fan-out of nedwhepsink, then 90 s of
# nedcast's long-run growth check (tables for docs/PERFORMANCE.md; the long
# soak is `nedcast soak --duration 10m`).
bench: pack
	$(GO) test -run '^$$' -bench . -benchtime 200x ./models/face/ ./models/landmark/
	$(GO) test -run '^$$' -bench TrainStep -benchtime 5x ./trainer/ned/
	$(GST_ENV) $(GO) run ./pipeline/cmd/nedbench --pack $(PACK)
	$(GST_ENV) $(GO) run ./pipeline/cmd/nedwebrtcbench --viewers 10,50
	$(GST_ENV) $(GO) run ./pipeline/cmd/nedcast soak --model-pack $(PACK) \
		--test-image $(SHARED)/media/astronaut.png --duration 90s --interval 15s
