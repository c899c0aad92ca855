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
