package cast

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Names of the elements the runner looks up in the pipeline Describe builds.
const (
	// ElemFilter is the nedfilter.
	ElemFilter = "ned"
	// ElemSource is the first element of the input (for errors from it).
	ElemSource = "src"
	// ElemWatchdog errors when a live input sends no frame for
	// Config.InputTimeout (an input error: on-input-lost applies).
	ElemWatchdog = "inputwatchdog"
	// ElemWHIPVideo and ElemWHIPAudio are the appsrcs fed by the WHIP ingest.
	ElemWHIPVideo = "whipvideo"
	ElemWHIPAudio = "whipaudio"
	// ElemWHEP, ElemWHIP, ElemVCam, ElemDisplay, ElemRecord are the sinks.
	ElemWHEP    = "whep"
	ElemWHIP    = "whip"
	ElemVCam    = "vcam"
	ElemDisplay = "display"
	ElemRecord  = "recfile"
	// ElemEncoder is the WebRTC encoder shared by WHEP and WHIP.
	ElemEncoder = "venc"
	// ElemEncoded is the capsfilter after the WebRTC encoder (bitrate probe).
	ElemEncoded = "vencoded"
	// ElemMux is the recording's muxer.
	ElemMux = "mux"
	// ElemAudioMix mixes the WHIP ingest's audio onto silence.
	ElemAudioMix = "amix"
)

// mixCaps is the raw audio format the WHIP ingest's audio is mixed in.
const mixCaps = "audio/x-raw,format=S16LE,layout=interleaved,rate=48000,channels=2"

// WHIPAudioPayloadType is the RTP payload type of the WHIP ingest's audio
// appsrc caps (the runner rewrites the publisher's to it).
const WHIPAudioPayloadType = 111

// Outputs lists the output names used in metrics and queue names ("q_"+name).
var Outputs = []string{"display", "vcam", "webrtc", "record"}

// Probe is what the runner learnt about the input and the elements before
// building the pipeline.
type Probe struct {
	// HasAudio reports that the input carries audio (file/URI: from a
	// discoverer run; whip: the ingest accepts Opus).
	HasAudio bool
	// WebRTCAudio reports that nedwhepsink/nedwhipsink have an audio pad.
	WebRTCAudio bool
	// LiveInput reports that a URI input is a live source (udp://,
	// rtsp://: it does not preroll); cameras are always live.
	LiveInput bool
	// FilterProps are the nedfilter properties that exist in this build (to
	// set reference only when there is one); nil: set none of the optional ones.
	FilterProps map[string]bool
}

// quote makes s safe as a gst-launch property value.
func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// QueueRecordAudio is the queue in front of the recording's audio pad.
const QueueRecordAudio = "q_recaudio"

// QueueName returns the name of an output's branch queue.
func QueueName(output string) string { return "q_" + output }

// leaky is a queue that never stalls the tee: a slow output loses frames.
func leaky(name string) string {
	return fmt.Sprintf("queue name=%s leaky=downstream max-size-buffers=2 max-size-bytes=0 max-size-time=0", name)
}

// Describe returns the gst-launch description of nedcast's pipeline.
func Describe(c Config, p Probe) (string, error) {
	w, h, err := c.Dimensions()
	if err != nil {
		return "", err
	}
	var b strings.Builder
	kind := c.Kind()
	liveURI := kind == InputURI && p.LiveInput
	pace := (kind == InputFile || kind == InputURI) && c.RealTime() && !liveURI
	live := kind == InputDevice || kind == InputTest || kind == InputWHIP || liveURI

	// Video source up to raw frames.
	switch kind {
	case InputDevice:
		fmt.Fprintf(&b, "v4l2src name=%s device=%s ! decodebin3 name=dec ! ", ElemSource, quote(c.Input))
	case InputFile:
		fmt.Fprintf(&b, "filesrc name=%s location=%s ! decodebin3 name=dec  dec. ! ", ElemSource, quote(c.Input))
	case InputURI:
		fmt.Fprintf(&b, "uridecodebin3 name=dec uri=%s  dec. ! ", quote(c.Input))
	case InputTest:
		if c.TestImage != "" {
			fmt.Fprintf(&b, "filesrc name=%s location=%s ! decodebin3 ! videoconvert ! imagefreeze is-live=true ! ", ElemSource, quote(c.TestImage))
		} else {
			fmt.Fprintf(&b, "videotestsrc name=%s is-live=true pattern=smpte ! ", ElemSource)
		}
	case InputWHIP:
		fmt.Fprintf(&b, "appsrc name=%s is-live=true format=time do-timestamp=true "+
			"caps=\"application/x-rtp,media=video,encoding-name=H264,clock-rate=90000\" ! "+
			"rtpjitterbuffer latency=150 ! rtph264depay ! h264parse ! decodebin3 ! ", ElemWHIPVideo)
	default:
		return "", fmt.Errorf("no input")
	}
	if pace {
		b.WriteString("clocksync ! ")
	}
	if (kind == InputDevice || liveURI) && c.InputTimeout > 0 {
		fmt.Fprintf(&b, "watchdog name=%s timeout=%d ! ", ElemWatchdog, time.Duration(c.InputTimeout).Milliseconds())
	}
	if live {
		// Never queue up latency in front of the filter: a frame that cannot
		// be processed in time is dropped here.
		b.WriteString(leaky("q_input") + " ! ")
	} else {
		b.WriteString("queue name=q_input max-size-buffers=4 max-size-bytes=0 max-size-time=0 ! ")
	}
	b.WriteString("videoflip video-direction=auto ! videoconvert ! ")
	caps := "video/x-raw,format=BGRx"
	if w > 0 {
		b.WriteString("videoscale ! ")
		caps += fmt.Sprintf(",width=%d,height=%d,pixel-aspect-ratio=1/1", w, h)
	}
	if c.FPS > 0 {
		b.WriteString("videorate drop-only=false ! ")
		caps += fmt.Sprintf(",framerate=%d/1", c.FPS)
	}
	b.WriteString(caps + " ! ")

	fmt.Fprintf(&b, "nedfilter name=%s model-pack=%s provider=%s emotion=%s intensity=%g transition=%d stats-interval=1000",
		ElemFilter, quote(c.ModelPack), c.Provider, c.Emotion, c.Intensity, c.TransitionMS)
	if c.Reference != "" && p.FilterProps["reference"] {
		fmt.Fprintf(&b, " reference=%s", quote(c.Reference))
	}
	keys := make([]string, 0, len(c.Filter))
	for k := range c.Filter {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, " %s=%s", k, quote(c.Filter[k]))
	}
	b.WriteString(" ! tee name=t allow-not-linked=true")

	if c.Display {
		fmt.Fprintf(&b, "  t. ! %s ! videoconvert ! autovideosink name=%s", leaky(QueueName("display")), ElemDisplay)
	}
	if c.VCam != "" {
		fmt.Fprintf(&b, "  t. ! %s ! videoconvert ! video/x-raw,format=YUY2 ! v4l2sink name=%s device=%s sync=false",
			leaky(QueueName("vcam")), ElemVCam, quote(c.VCam))
	}
	audio := p.HasAudio && (c.Record != "" || (c.WebRTC() && p.WebRTCAudio))
	if c.WebRTC() {
		gop := 60
		if c.FPS > 0 {
			gop = 2 * c.FPS
		}
		fmt.Fprintf(&b, "  t. ! %s ! videoconvert ! video/x-raw,format=I420 ! "+
			"x264enc name=%s tune=zerolatency speed-preset=ultrafast bitrate=%d key-int-max=%d ! "+
			"video/x-h264,profile=constrained-baseline ! h264parse config-interval=-1 ! "+
			"capsfilter name=%s caps=\"video/x-h264,stream-format=byte-stream,alignment=au\" ! tee name=et",
			leaky(QueueName("webrtc")), ElemEncoder, c.Bitrate, gop, ElemEncoded)
		if c.WHEP != "" {
			fmt.Fprintf(&b, "  et. ! queue ! nedwhepsink name=%s address=%s", ElemWHEP, quote(c.WHEP))
			if c.Token != "" {
				fmt.Fprintf(&b, " token=%s", quote(c.Token))
			}
		}
		if c.WHIP != "" {
			fmt.Fprintf(&b, "  et. ! queue ! nedwhipsink name=%s location=%s", ElemWHIP, quote(c.WHIP))
			if t := c.OutputToken(); t != "" {
				fmt.Fprintf(&b, " token=%s", quote(t))
			}
		}
	}
	if c.Record != "" {
		mux := fmt.Sprintf("mp4mux name=%s fragment-duration=1000", ElemMux)
		if strings.ToLower(filepath.Ext(c.Record)) == ".mkv" {
			mux = fmt.Sprintf("matroskamux name=%s", ElemMux)
		}
		// Looping, the recording gets nothing before the loop's first seek
		// (the runner holds it back): its sink must not wait to preroll.
		// And no B-frames: the encoder would send a loop's new segment
		// ahead of the previous loop's last (reordered) frames, which the
		// muxer would then place a loop later.
		// A live input does not preroll either: waiting for the encoder's
		// first output (seconds of lookahead) kept the pipeline from
		// PLAYING, its clock from running and the muxer (an aggregator in
		// live mode) from writing, so a stream that stalled in its first
		// seconds could not be finalised.
		async, bframes := "", ""
		if c.Loop || live {
			async = " async=false"
		}
		if c.Loop {
			bframes = " bframes=0"
		}
		fmt.Fprintf(&b, "  t. ! queue name=%s max-size-buffers=0 max-size-bytes=0 max-size-time=3000000000 ! "+
			"videoconvert ! video/x-raw,format=I420 ! x264enc speed-preset=veryfast key-int-max=60%s ! h264parse ! "+
			"%s ! filesink name=%s location=%s%s",
			QueueName("record"), bframes, mux, ElemRecord, quote(c.Record), async)
	}
	if audio {
		switch kind {
		case InputWHIP:
			// The publisher's Opus, stamped on arrival like the video, is
			// mixed onto live silence: the audio never stops (a video-only
			// publisher, none yet, a gap) and so never stalls the muxer.
			fmt.Fprintf(&b, "  appsrc name=%s is-live=true format=time do-timestamp=true "+
				"caps=\"application/x-rtp,media=audio,encoding-name=OPUS,clock-rate=48000,payload=%d\" ! "+
				"rtpjitterbuffer latency=150 ! rtpopusdepay ! opusdec plc=true ! audioconvert ! audioresample ! %s ! %s.",
				ElemWHIPAudio, WHIPAudioPayloadType, mixCaps, ElemAudioMix)
			fmt.Fprintf(&b, "  audiotestsrc name=silence is-live=true wave=silence samplesperbuffer=960 ! %s ! "+
				"audiomixer name=%s ! ", mixCaps, ElemAudioMix)
		default:
			b.WriteString("  dec. ! ")
		}
		if pace {
			b.WriteString("clocksync ! ")
		}
		b.WriteString("queue name=q_audio max-size-buffers=0 max-size-bytes=0 max-size-time=3000000000 ! " +
			"audioconvert ! audioresample ! audio/x-raw,rate=48000,channels=2 ! opusenc bitrate=96000 ! tee name=at")
		if c.Record != "" {
			fmt.Fprintf(&b, "  at. ! queue name=%s ! %s.", QueueRecordAudio, ElemMux)
		}
		if c.WebRTC() && p.WebRTCAudio {
			if c.WHEP != "" {
				b.WriteString("  at. ! queue ! " + ElemWHEP + ".audio")
			}
			if c.WHIP != "" {
				b.WriteString("  at. ! queue ! " + ElemWHIP + ".audio")
			}
		}
	}
	return b.String(), nil
}
