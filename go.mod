module github.com/nedstream/nedstream

go 1.26

require (
	github.com/go-gst/go-glib v0.0.2
	github.com/go-gst/go-gst v0.0.2
	github.com/yalue/onnxruntime_go v1.27.0
	gonum.org/v1/gonum v0.17.0
	google.golang.org/protobuf v1.36.10
)
