// Package onnx writes ONNX models from Go.
//
// The protobuf types (ModelProto, GraphProto, NodeProto, ...) are generated
// by protoc from onnx.proto, a minimal subset of the official ONNX schema
// with identical field numbers, so what they encode is an ordinary ONNX file
// that onnxruntime loads. On top of them, Builder assembles a graph
// (inputs, outputs, initializers, nodes, metadata), checks it for the
// mistakes that would otherwise only surface inside onnxruntime (undefined or
// twice-defined tensor names, initializer sizes that do not match their
// shape, outputs nothing produces) and serialises it.
//
//	b := onnx.NewBuilder("mlp", 17)
//	b.Input("x", []int64{1, 4})
//	b.Initializer("w", []int64{4, 2}, w)
//	b.Initializer("bias", []int64{2}, bias)
//	b.Node("MatMul", []string{"x", "w"}, []string{"xw"})
//	b.Node("Add", []string{"xw", "bias"}, []string{"y"})
//	b.Output("y", []int64{1, 2})
//	b.Metadata("nedstream.role", "manipulator")
//	err := b.WriteFile("mlp.onnx")
//
// # Regenerating onnx.pb.go
//
// onnx.pb.go is generated and committed. After editing onnx.proto, install
// the Debian package protobuf-compiler (protoc) and the Go plugin at the
// version the module pins,
//
//	go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.10
//
// then run `go generate ./models/onnx` from the repository root (the plugin
// must be on PATH, e.g. $(go env GOPATH)/bin).
package onnx

//go:generate protoc -I../.. --go_out=../.. --go_opt=paths=source_relative models/onnx/onnx.proto
