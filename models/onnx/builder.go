package onnx

import (
	"errors"
	"fmt"
	"os"

	"google.golang.org/protobuf/proto"

	"github.com/nedstream/nedstream/models/atomicfile"
)

// Producer is the producer_name written into models unless Builder.Producer
// sets another.
const Producer = "nedstream"

// Builder assembles one ONNX graph. Its methods record the first mistake
// (an undefined input, a duplicate name, data that does not fit its shape,
// ...) instead of panicking; later calls are then ignored and Err, Model,
// Marshal and WriteFile return that error. A Builder is not safe for
// concurrent use.
type Builder struct {
	model *ModelProto
	// defined maps every tensor name to what defines it (for messages).
	defined map[string]string
	outputs map[string]bool
	meta    map[string]bool
	opsets  map[string]bool
	nodes   int
	err     error
}

// irVersion returns the IR version that goes with a default-domain opset
// (the ONNX versioning table), so that older runtimes accept the file.
func irVersion(opset int64) (int64, error) {
	switch {
	case opset >= 7 && opset <= 8:
		return 3, nil
	case opset == 9:
		return 4, nil
	case opset == 10:
		return 5, nil
	case opset == 11:
		return 6, nil
	case opset >= 12 && opset <= 14:
		return 7, nil
	case opset >= 15 && opset <= 18:
		return 8, nil
	case opset >= 19 && opset <= 20:
		return 9, nil
	case opset >= 21 && opset <= 22:
		return 10, nil
	case opset == 23:
		return 11, nil
	}
	return 0, fmt.Errorf("opset %d not supported (want 7..23)", opset)
}

// NewBuilder starts a model whose graph is called name, importing the
// default ONNX operator set at version opset (17 is a good default: every
// onnxruntime since 1.13 runs it). The IR version follows from the opset.
func NewBuilder(name string, opset int64) *Builder {
	b := &Builder{
		model: &ModelProto{
			ProducerName: Producer,
			Graph:        &GraphProto{Name: name},
		},
		defined: map[string]string{},
		outputs: map[string]bool{},
		meta:    map[string]bool{},
		opsets:  map[string]bool{"": true},
	}
	if name == "" {
		b.fail(errors.New("empty graph name"))
	}
	ir, err := irVersion(opset)
	if err != nil {
		b.fail(err)
	}
	b.model.IrVersion = ir
	b.model.OpsetImport = []*OperatorSetIdProto{{Domain: "", Version: opset}}
	return b
}

// fail records err if it is the first one.
func (b *Builder) fail(err error) {
	if b.err == nil {
		b.err = fmt.Errorf("onnx graph %q: %w", b.model.Graph.GetName(), err)
	}
}

// ok reports whether the builder may still be changed.
func (b *Builder) ok() bool { return b != nil && b.err == nil }

// Err returns the first recorded mistake, or nil.
func (b *Builder) Err() error {
	if b == nil {
		return errors.New("onnx: nil Builder")
	}
	return b.err
}

// define registers a new tensor name.
func (b *Builder) define(name, by string) bool {
	if name == "" {
		b.fail(fmt.Errorf("%s: empty tensor name", by))
		return false
	}
	if prev, dup := b.defined[name]; dup {
		b.fail(fmt.Errorf("%s: tensor %q is already defined by %s", by, name, prev))
		return false
	}
	b.defined[name] = by
	return true
}

// valueInfo describes a tensor of element type elem and shape dims; -1
// marks a dimension that is only known at run time.
func valueInfo(name string, elem TensorProto_DataType, dims []int64) (*ValueInfoProto, error) {
	if elem == TensorProto_UNDEFINED {
		return nil, fmt.Errorf("tensor %q: undefined element type", name)
	}
	if _, known := TensorProto_DataType_name[int32(elem)]; !known {
		return nil, fmt.Errorf("tensor %q: unknown element type %d", name, elem)
	}
	shape := &TensorShapeProto{}
	for i, d := range dims {
		dim := &TensorShapeProto_Dimension{}
		switch {
		case d >= 0:
			dim.Value = &TensorShapeProto_Dimension_DimValue{DimValue: d}
		case d == -1:
			// Unknown size: neither dim_value nor dim_param.
		default:
			return nil, fmt.Errorf("tensor %q: dimension %d is %d (want >= 0, or -1 for dynamic)", name, i, d)
		}
		shape.Dim = append(shape.Dim, dim)
	}
	return &ValueInfoProto{
		Name: name,
		Type: &TypeProto{Value: &TypeProto_TensorType{TensorType: &TypeProto_Tensor{ElemType: int32(elem), Shape: shape}}},
	}, nil
}

// Input declares a float32 graph input; -1 in dims marks a dynamic dimension.
func (b *Builder) Input(name string, dims []int64) { b.InputOf(name, TensorProto_FLOAT, dims) }

// InputOf declares a graph input of element type elem.
func (b *Builder) InputOf(name string, elem TensorProto_DataType, dims []int64) {
	if !b.ok() {
		return
	}
	vi, err := valueInfo(name, elem, dims)
	if err != nil {
		b.fail(fmt.Errorf("input: %w", err))
		return
	}
	if b.define(name, "input") {
		b.model.Graph.Input = append(b.model.Graph.Input, vi)
	}
}

// Output declares a float32 graph output, which some node (or an input or
// initializer) must define by the time the model is serialised.
func (b *Builder) Output(name string, dims []int64) { b.OutputOf(name, TensorProto_FLOAT, dims) }

// OutputOf declares a graph output of element type elem.
func (b *Builder) OutputOf(name string, elem TensorProto_DataType, dims []int64) {
	if !b.ok() {
		return
	}
	vi, err := valueInfo(name, elem, dims)
	if err != nil {
		b.fail(fmt.Errorf("output: %w", err))
		return
	}
	if name == "" || b.outputs[name] {
		b.fail(fmt.Errorf("output %q declared twice or empty", name))
		return
	}
	b.outputs[name] = true
	b.model.Graph.Output = append(b.model.Graph.Output, vi)
}

// Initializer adds a constant float32 tensor (weights); data is row-major
// and must hold exactly the product of dims values.
func (b *Builder) Initializer(name string, dims []int64, data []float32) {
	if !b.ok() {
		return
	}
	t, err := FloatTensor(name, dims, data)
	b.addInitializer(name, t, err)
}

// InitializerInt64 adds a constant int64 tensor (shapes, Slice bounds, axes).
func (b *Builder) InitializerInt64(name string, dims []int64, data []int64) {
	if !b.ok() {
		return
	}
	t, err := Int64Tensor(name, dims, data)
	b.addInitializer(name, t, err)
}

func (b *Builder) addInitializer(name string, t *TensorProto, err error) {
	if err != nil {
		b.fail(fmt.Errorf("initializer: %w", err))
		return
	}
	if b.define(name, "initializer") {
		b.model.Graph.Initializer = append(b.model.Graph.Initializer, t)
	}
}

// Node appends an operator of type op (default ONNX domain). Every non-empty
// input must already be defined (graph input, initializer or an earlier
// node's output), so nodes come in topological order as ONNX requires; ""
// skips an optional input. Outputs must be new names ("" skips an optional
// output). The node is named op_N.
func (b *Builder) Node(op string, inputs, outputs []string, attrs ...Attr) {
	b.NodeIn("", op, inputs, outputs, attrs...)
}

// NodeIn is Node for an operator of another domain (for example
// "com.microsoft"), which must have been imported with Import.
func (b *Builder) NodeIn(domain, op string, inputs, outputs []string, attrs ...Attr) {
	if !b.ok() {
		return
	}
	name := fmt.Sprintf("%s_%d", op, b.nodes)
	by := "node " + name
	switch {
	case op == "":
		b.fail(fmt.Errorf("node %d: empty operator type", b.nodes))
		return
	case !b.opsets[domain]:
		b.fail(fmt.Errorf("%s: domain %q not imported (call Import)", by, domain))
		return
	}
	for i, in := range inputs {
		if in == "" {
			continue
		}
		if _, ok := b.defined[in]; !ok {
			b.fail(fmt.Errorf("%s: input %d %q is not defined (nodes must come after what they read)", by, i, in))
			return
		}
	}
	named := 0
	for _, out := range outputs {
		if out != "" {
			named++
		}
	}
	if named == 0 {
		b.fail(fmt.Errorf("%s: no outputs", by))
		return
	}
	n := &NodeProto{Name: name, OpType: op, Domain: domain, Input: append([]string(nil), inputs...), Output: append([]string(nil), outputs...)}
	seen := map[string]bool{}
	for _, a := range attrs {
		switch {
		case a.err != nil:
			b.fail(fmt.Errorf("%s: %w", by, a.err))
			return
		case a.p == nil:
			b.fail(fmt.Errorf("%s: zero Attr (use the Attr* constructors)", by))
			return
		case a.p.Name == "":
			b.fail(fmt.Errorf("%s: attribute with empty name", by))
			return
		case seen[a.p.Name]:
			b.fail(fmt.Errorf("%s: attribute %q given twice", by, a.p.Name))
			return
		}
		seen[a.p.Name] = true
		n.Attribute = append(n.Attribute, proto.Clone(a.p).(*AttributeProto))
	}
	for _, out := range outputs {
		if out != "" && !b.define(out, by) {
			return
		}
	}
	b.nodes++
	b.model.Graph.Node = append(b.model.Graph.Node, n)
}

// Import adds an operator set of another domain at the given version.
func (b *Builder) Import(domain string, version int64) {
	if !b.ok() {
		return
	}
	if domain == "" || b.opsets[domain] {
		b.fail(fmt.Errorf("import: domain %q empty or already imported", domain))
		return
	}
	if version <= 0 {
		b.fail(fmt.Errorf("import %q: version %d", domain, version))
		return
	}
	b.opsets[domain] = true
	b.model.OpsetImport = append(b.model.OpsetImport, &OperatorSetIdProto{Domain: domain, Version: version})
}

// Metadata adds a model metadata_props entry (onnxruntime exposes them as
// custom metadata). Keys must be unique and non-empty.
func (b *Builder) Metadata(key, value string) {
	if !b.ok() {
		return
	}
	if key == "" || b.meta[key] {
		b.fail(fmt.Errorf("metadata key %q empty or given twice", key))
		return
	}
	b.meta[key] = true
	b.model.MetadataProps = append(b.model.MetadataProps, &StringStringEntryProto{Key: key, Value: value})
}

// Doc sets the model's doc_string.
func (b *Builder) Doc(doc string) {
	if b.ok() {
		b.model.DocString = doc
	}
}

// Producer sets producer_name and producer_version (default "nedstream", "").
func (b *Builder) Producer(name, version string) {
	if b.ok() {
		b.model.ProducerName, b.model.ProducerVersion = name, version
	}
}

// ModelVersion sets the model's own version number.
func (b *Builder) ModelVersion(v int64) {
	if b.ok() {
		b.model.ModelVersion = v
	}
}

// Model checks the graph (at least one output, every output defined) and
// returns a copy of the model, independent of the builder.
func (b *Builder) Model() (*ModelProto, error) {
	if err := b.Err(); err != nil {
		return nil, err
	}
	if len(b.model.Graph.Output) == 0 {
		b.fail(errors.New("no outputs declared"))
		return nil, b.err
	}
	for _, o := range b.model.Graph.Output {
		if _, ok := b.defined[o.Name]; !ok {
			b.fail(fmt.Errorf("output %q is produced by no node, input or initializer", o.Name))
			return nil, b.err
		}
	}
	return proto.Clone(b.model).(*ModelProto), nil
}

// Marshal returns the model's ONNX bytes.
func (b *Builder) Marshal() ([]byte, error) {
	m, err := b.Model()
	if err != nil {
		return nil, err
	}
	data, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("onnx graph %q: marshal: %w", m.Graph.GetName(), err)
	}
	return data, nil
}

// WriteFile writes the model to path, atomically (a temporary file in the
// same directory, renamed into place).
func (b *Builder) WriteFile(path string) error {
	data, err := b.Marshal()
	if err != nil {
		return err
	}
	return atomicfile.WriteBytes(path, data)
}

// ReadFile parses an ONNX file (any producer's; fields this schema lacks are
// kept as unknown fields and written back unchanged by proto.Marshal).
func ReadFile(path string) (*ModelProto, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read onnx model: %w", err)
	}
	m := &ModelProto{}
	if err := proto.Unmarshal(data, m); err != nil {
		return nil, fmt.Errorf("read onnx model %s: %w", path, err)
	}
	return m, nil
}
