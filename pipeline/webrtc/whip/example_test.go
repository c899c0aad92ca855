package whip_test

import (
	"context"
	"errors"
	"log"

	"github.com/nedstream/nedstream/pipeline/webrtc/fanout"
	"github.com/nedstream/nedstream/pipeline/webrtc/whip"
)

// The wiring a sink element (nedwhipsink) needs: the same Broadcaster API
// as for WHEP, and Run on a goroutine of its own until the element stops.
func Example() {
	bc, err := fanout.New(fanout.Options{Video: fanout.VP8})
	if err != nil {
		log.Fatal(err)
	}
	defer bc.Close()
	c, err := whip.New(whip.Options{
		URL:         "http://127.0.0.1:8889/live/whip",
		Token:       "change-me",
		Broadcaster: bc,
		OnEvent:     func(e whip.Event) { log.Println(e.Type, e.Attempt, e.Err) },
	})
	if err != nil {
		log.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	// ... the streaming thread calls bc.WriteVideo ...
	stop() // element state change to NULL: DELETE and return
	if err := <-done; errors.Is(err, whip.ErrUnauthorized) {
		log.Println("post an element error: the token was refused")
	}
}
