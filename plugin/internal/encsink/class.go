package encsink

import (
	"github.com/go-gst/go-glib/pkg/gobject/v2"
	"github.com/go-gst/go-gst/pkg/gst"
	"github.com/go-gst/go-gst/pkg/gstbase"
)

// Class is what an encoded-video sink element type is made of: its names,
// its class metadata and the GstBaseSink methods it implements. Both sinks
// register through it, so their types are built the same way (video pad
// with Caps, the optional audio request pad, properties installed from the
// element's property table).
type Class[T gstbase.BaseSink] struct {
	// TypeName is the GType name, e.g. GstNedWhepSink.
	TypeName string
	// LongName and Description are the element metadata gst-inspect shows.
	LongName, Description string
	// InstallProperties installs the element's properties on the object class.
	InstallProperties func(*gobject.ObjectClass)

	InstanceInit func(T)
	SetProperty  func(T, uint, any, *gobject.ParamSpec)
	GetProperty  func(T, uint, *gobject.ParamSpec) any
	Start, Stop  func(T) bool
	SetCaps      func(T, *gst.Caps) bool
	Render       func(T, *gst.Buffer) gst.FlowReturn
}

// Register registers the GType with GStreamer's type system and returns
// it. Call it once per process (from a sync.Once), before
// gst.ElementRegister.
func (c Class[T]) Register() gobject.Type {
	t := gstbase.RegisterBaseSinkSubClass[T](
		c.TypeName,
		func(class *gstbase.BaseSinkClass) {
			ec := class.ParentClass()
			// SetMetadata, not SetStaticMetadata: the latter frees strings GStreamer keeps.
			ec.SetMetadata(c.LongName, "Sink/Network/Video", c.Description, "nedstream project")
			ec.AddPadTemplate(gst.NewPadTemplate("sink", gst.PadSink, gst.PadAlways, gst.CapsFromString(Caps)))
			c.InstallProperties(ec.ParentClass().ParentClass().ParentClass())
		},
		nil,
		gstbase.BaseSinkOverrides[T]{
			ElementOverrides: gst.ElementOverrides[T]{
				ObjectOverrides: gst.ObjectOverrides[T]{
					InitiallyUnownedOverrides: gobject.InitiallyUnownedOverrides[T]{
						ObjectOverrides: gobject.ObjectOverrides[T]{
							InstanceInit: c.InstanceInit,
							SetProperty:  c.SetProperty,
							GetProperty:  c.GetProperty,
						},
					},
				},
			},
			Start:   c.Start,
			Stop:    c.Stop,
			SetCaps: c.SetCaps,
			Render:  c.Render,
		},
		nil,
	)
	InstallAudioPad(t)
	return t
}
