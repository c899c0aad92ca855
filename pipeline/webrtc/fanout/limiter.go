package fanout

import (
	"sync"
	"time"
)

// KeyframeReason says why a keyframe is requested.
type KeyframeReason string

// Reasons for a keyframe request.
const (
	ReasonJoin   KeyframeReason = "join"   // a viewer's track started
	ReasonPLI    KeyframeReason = "pli"    // a viewer sent RTCP PLI
	ReasonFIR    KeyframeReason = "fir"    // a viewer sent RTCP FIR
	ReasonManual KeyframeReason = "manual" // Broadcaster.RequestKeyframe
	// ReasonOverflow: a viewer's send queue overflowed and frames were dropped.
	ReasonOverflow KeyframeReason = "overflow"
)

// KeyframeRequest is handed to Options.OnKeyframeRequest.
type KeyframeRequest struct {
	Reason KeyframeReason
	// ViewerID is the viewer that caused the request ("" for manual ones).
	ViewerID string
	// Coalesced counts the requests merged into this one while rate-limited.
	Coalesced int
}

// limiter lets at most one request through per interval. A request arriving
// during the cooldown is not lost: one trailing request fires when the
// cooldown ends, carrying the number of requests it stands for. Callbacks run
// on the limiter's own goroutine so neither pion's RTCP readers nor the
// streaming thread ever block on them.
type limiter struct {
	interval time.Duration

	mu        sync.Mutex
	last      time.Time
	pending   *KeyframeRequest
	timer     *time.Timer
	closed    bool
	fired     uint64
	coalesced uint64

	out  chan KeyframeRequest
	done chan struct{}
}

func newLimiter(interval time.Duration, fn func(KeyframeRequest)) *limiter {
	l := &limiter{interval: interval, out: make(chan KeyframeRequest, 4), done: make(chan struct{})}
	go func() {
		defer close(l.done)
		for r := range l.out {
			if fn != nil {
				fn(r)
			}
		}
	}()
	return l
}

func (l *limiter) request(r KeyframeRequest) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return
	}
	now := time.Now()
	if l.last.IsZero() || now.Sub(l.last) >= l.interval {
		l.last = now
		l.emitLocked(r)
		return
	}
	l.coalesced++
	if l.pending != nil {
		l.pending.Coalesced++
		return
	}
	r.Coalesced = 1
	l.pending = &r
	l.timer = time.AfterFunc(l.last.Add(l.interval).Sub(now), l.trailing)
}

func (l *limiter) trailing() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed || l.pending == nil {
		return
	}
	r := *l.pending
	l.pending = nil
	l.last = time.Now()
	l.emitLocked(r)
}

func (l *limiter) emitLocked(r KeyframeRequest) {
	l.fired++
	select {
	case l.out <- r:
	default: // the callback is busy with earlier requests: this one is redundant
	}
}

func (l *limiter) counts() (fired, coalesced uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.fired, l.coalesced
}

func (l *limiter) close() {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return
	}
	l.closed = true
	if l.timer != nil {
		l.timer.Stop()
	}
	close(l.out)
	l.mu.Unlock()
	<-l.done
}
