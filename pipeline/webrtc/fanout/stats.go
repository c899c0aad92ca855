package fanout

import "time"

// ViewerStats describes what one viewer has been sent and what its RTCP
// receiver reports say. The sent counters and the bitrate cover all media;
// the receiver-report fields are the video stream's, Audio has the audio
// stream's.
type ViewerStats struct {
	ID     string
	Joined time.Time
	// Connected is true while the video track is bound and the owner
	// reported the PeerConnection connected (Viewer.SetConnected).
	Connected bool
	// WaitingForKeyframe is true until the first keyframe was sent.
	WaitingForKeyframe bool
	// TimeToFirstFrame is the time from AddViewer to the first keyframe sent.
	TimeToFirstFrame time.Duration

	PacketsSent uint64
	BytesSent   uint64 // RTP header + payload, before SRTP
	WriteErrors uint64
	// Bitrate is bits per second over the last window of at least 1 s.
	Bitrate float64

	// From the latest receiver report.
	FractionLost    float64 // 0..1
	PacketsLost     int64   // cumulative
	Jitter          time.Duration
	RTT             time.Duration
	ReceiverReports uint64

	PLIs uint64
	FIRs uint64
	// Overflows counts how often the viewer's send queue was full and its
	// backlog was dropped (a viewer, or the machine, too slow).
	Overflows uint64

	// Audio is the audio stream's part (zero for a viewer without audio).
	Audio AudioStats
}

// AudioStats is what one viewer has been sent on its audio track and what
// the RTCP receiver reports for that track say.
type AudioStats struct {
	PacketsSent uint64
	BytesSent   uint64 // RTP header + payload, before SRTP

	// From the latest receiver report of the audio stream.
	FractionLost    float64 // 0..1
	PacketsLost     int64   // cumulative
	Jitter          time.Duration
	ReceiverReports uint64
}
