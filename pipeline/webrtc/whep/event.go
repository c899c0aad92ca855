package whep

import (
	"time"

	"github.com/nedstream/nedstream/pipeline/webrtc/fanout"
)

// EventType tells joins from leaves.
type EventType string

// Event types.
const (
	EventJoin  EventType = "join"
	EventLeave EventType = "leave"
)

// Event reports a viewer joining or leaving.
type Event struct {
	Type       EventType
	SessionID  string
	RemoteAddr string
	// Reason says why a viewer left: "deleted", "ice failed",
	// "connection closed", "connect timeout" or "server closed".
	Reason string
	// Stats is the viewer's statistics at the time of the event.
	Stats fanout.ViewerStats
}

// SessionInfo describes one live session.
type SessionInfo struct {
	ID         string
	RemoteAddr string
	Created    time.Time
	Connected  bool
	Stats      fanout.ViewerStats
}
