package whepclient

import (
	"context"
	"errors"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/nedstream/nedstream/pipeline/webrtc/fanout"
	"github.com/nedstream/nedstream/pipeline/webrtc/peer"
	"github.com/nedstream/nedstream/pipeline/webrtc/whep"
)

// server starts a WHEP server on addr (a real one: package whep on pion).
func server(t *testing.T, addr, token string) *whep.Server {
	t.Helper()
	bc, err := fanout.New(fanout.Options{Video: fanout.H264})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bc.Close() })
	srv, err := whep.New(whep.Options{Broadcaster: bc, Addr: addr, Token: token, ICE: peer.Options{IncludeLoopback: true}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	if _, err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	return srv
}

func receiver(t *testing.T) *webrtc.PeerConnection {
	t.Helper()
	api, pc, err := NewReceiver(peer.Options{IncludeLoopback: true}, webrtc.RTPCodecTypeVideo)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close(); api.Close() })
	return pc
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestSubscribeWaitsForTheServer: with retry, an offer made before the
// server listens is accepted once it does; without, it fails at once.
func TestSubscribeWaitsForTheServer(t *testing.T) {
	addr := freeAddr(t)
	endpoint := "http://" + addr + "/whep"
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	if _, err := Subscribe(ctx, http.DefaultClient, endpoint, "", receiver(t), 0); err == nil {
		t.Fatal("no server, no retry: subscribed anyway")
	}

	go func() {
		time.Sleep(400 * time.Millisecond)
		server(t, addr, "")
	}()
	pc := receiver(t)
	sub, err := Subscribe(ctx, http.DefaultClient, endpoint, "", pc, 50*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if sub.Resource == "" || pc.RemoteDescription() == nil {
		t.Errorf("subscription %+v, remote description %v", sub, pc.RemoteDescription())
	}
}

// TestSubscribeRefusalIsFinal: a 401 is not retried and comes back as a
// *StatusError.
func TestSubscribeRefusalIsFinal(t *testing.T) {
	addr := freeAddr(t)
	server(t, addr, "right")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	began := time.Now()
	_, err := Subscribe(ctx, http.DefaultClient, "http://"+addr+"/whep", "wrong", receiver(t), 50*time.Millisecond)
	var se *StatusError
	if !errors.As(err, &se) || se.Status != http.StatusUnauthorized {
		t.Fatalf("got %v, want a 401 StatusError", err)
	}
	if d := time.Since(began); d > 5*time.Second {
		t.Errorf("the refusal took %v: retried?", d)
	}
}
