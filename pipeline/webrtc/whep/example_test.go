package whep_test

import (
	"fmt"
	"log"
	"time"

	"github.com/nedstream/nedstream/pipeline/webrtc/fanout"
	"github.com/nedstream/nedstream/pipeline/webrtc/peer"
	"github.com/nedstream/nedstream/pipeline/webrtc/whep"
)

// The wiring a sink element (nedwhepsink) needs: one Broadcaster fed from
// the streaming thread, keyframe requests turned into upstream
// force-key-unit events, and a WHEP server whose events become element
// messages.
func Example() {
	forceKeyUnit := func() { /* push a GstForceKeyUnit event upstream */ }
	bc, err := fanout.New(fanout.Options{
		Video:             fanout.H264,
		Audio:             true,
		KeyframeInterval:  500 * time.Millisecond,
		OnKeyframeRequest: func(fanout.KeyframeRequest) { forceKeyUnit() },
	})
	if err != nil {
		log.Fatal(err)
	}
	defer bc.Close()
	srv, err := whep.New(whep.Options{
		Broadcaster: bc,
		Addr:        "127.0.0.1:0",
		Token:       "change-me",
		MaxViewers:  50,
		ICE:         peer.Options{UDPMuxAddr: "127.0.0.1:0"},
		OnEvent:     func(e whep.Event) { fmt.Println(e.Type, e.SessionID, e.Reason) },
	})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	addr, err := srv.Listen()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("viewer page: http://%s/#token=change-me\n", addr)

	// In the streaming thread, for each encoded access unit:
	au := []byte{0, 0, 0, 1, 0x65, 0x88} // Annex-B, from the buffer
	_ = bc.WriteVideo(fanout.Sample{Data: au, PTS: 0, HasPTS: true, Duration: time.Second / 30})
}
