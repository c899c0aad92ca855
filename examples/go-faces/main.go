// Command go-faces shows how a Go program embeds nedfilter: it registers the
// elements in-process, runs a pipeline on a file and prints the faces.
package main

import (
	"flag"
	"fmt"
	"os"
	"sort"

	"github.com/go-gst/go-gst/pkg/gst"

	"github.com/nedstream/nedstream/models/blendshape"
	"github.com/nedstream/nedstream/plugin/elements"
	"github.com/nedstream/nedstream/plugin/nedfilter"
)

func main() {
	pack := flag.String("pack", "out/pack", "model pack directory")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: go-faces [--pack DIR] VIDEO")
		os.Exit(2)
	}
	gst.Init()
	if err := elements.RegisterStatic(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	desc := fmt.Sprintf(`filesrc location=%q ! decodebin3 ! videoflip video-direction=auto ! videoconvert ! `+
		`nedfilter model-pack=%q on-model-error=error ! fakesink sync=false`, flag.Arg(0), *pack)
	el, err := gst.ParseLaunch(desc)
	if err != nil {
		fmt.Fprintln(os.Stderr, "pipeline:", err)
		os.Exit(1)
	}
	p := el.(gst.Pipeline)
	defer p.SetState(gst.StateNull)
	p.SetState(gst.StatePlaying)
	lastSecond := int64(-1)
	for {
		msg := p.GetBus().TimedPopFiltered(gst.ClockTimeNone, gst.MessageEOS|gst.MessageError|gst.MessageElement)
		switch msg.Type() {
		case gst.MessageEOS:
			return
		case gst.MessageError:
			_, err := msg.ParseError()
			fmt.Fprintln(os.Stderr, "error:", err)
			os.Exit(1)
		case gst.MessageElement:
			m, ok := nedfilter.ParseFacesMessage(msg.GetStructure())
			if !ok || m.PTS == nedfilter.ClockTimeNone || int64(m.PTS/1e9) == lastSecond {
				continue
			}
			lastSecond = int64(m.PTS / 1e9)
			for _, f := range m.Faces {
				fmt.Printf("%3ds face %d yaw %+5.1f pitch %+5.1f roll %+5.1f  %s\n",
					lastSecond, f.TrackID, f.Yaw, f.Pitch, f.Roll, top(f.Blendshapes, 3))
			}
		}
	}
}

// top names the n strongest coefficients.
func top(c [blendshape.Count]float32, n int) string {
	idx := make([]int, 0, len(c))
	for i := 1; i < len(c); i++ { // skip _neutral
		idx = append(idx, i)
	}
	sort.Slice(idx, func(a, b int) bool { return c[idx[a]] > c[idx[b]] })
	s := ""
	for _, i := range idx[:n] {
		s += fmt.Sprintf("%s %.2f  ", blendshape.Names[i], c[i])
	}
	return s
}
