package scenarios

import "github.com/fleetsim/fleetsim/sim/units"

// SDK kinds.
const (
	SDKCloudStorage = "cloud-storage" // iv_cs semantics (DESIGN.md §2.1)
	SDKRTMPPush     = "rtmp-push"     // SVCloudPush semantics (DESIGN.md §2.2)
)

// Profile is a device model: what it encodes and which SDK carries it.
type Profile struct {
	Channels int      `yaml:"channels" min:"1" max:"3" default:"1" doc:"camera channels (1–3), each with its own stream"`
	Video    Video    `yaml:"video" doc:"synthetic video stream"`
	Audio    Audio    `yaml:"audio" doc:"synthetic audio stream"`
	SDK      SDK      `yaml:"sdk" doc:"the device SDK and its parameters"`
	LiveView LiveView `yaml:"live_view" doc:"live view over RTP/UDP"`
}

// Video is the synthetic video source's bitrate model (DESIGN.md §2.5).
type Video struct {
	Codec      string        `yaml:"codec" enum:"h264,h265" default:"h264" doc:"h264 or h265"`
	Resolution Resolution    `yaml:"resolution" default:"640x360" doc:"WIDTHxHEIGHT"`
	FPS        int           `yaml:"fps" min:"1" max:"120" default:"15" doc:"frames per second"`
	GOP        int           `yaml:"gop" min:"1" max:"3600" doc:"frames from one IDR to the next (default: 2 s of frames)"`
	Bitrate    units.Bitrate `yaml:"bitrate" default:"512k" doc:"mean video bit rate"`
	IPRatio    float64       `yaml:"ip_ratio" min:"1" max:"100" default:"10" doc:"size of an I-frame over a P-frame"`
	Variance   units.Ratio   `yaml:"variance" default:"10%" doc:"relative standard deviation of frame sizes"`
	// MotionBurst multiplies the bit rate while a motion alarm is active.
	MotionBurst float64 `yaml:"motion_burst" min:"1" max:"10" default:"1.5" doc:"bit-rate multiplier while motion is active"`
}

// Audio is the synthetic audio source.
type Audio struct {
	Codec      string        `yaml:"codec" enum:"aac,g711a,g711u,none" default:"aac" doc:"aac (AAC-LC ADTS), g711a, g711u or none"`
	SampleRate int           `yaml:"sample_rate" min:"8000" max:"48000" doc:"Hz (default 16000 for aac, 8000 for G.711, which only allows 8000)"`
	Bitrate    units.Bitrate `yaml:"bitrate" doc:"aac bit rate (default 32k; G.711 is always 64k)"`
}

// SDK selects the device SDK and sets its parameters. Keys of the other
// kind are errors.
type SDK struct {
	Kind string `yaml:"kind" enum:"cloud-storage,rtmp-push" default:"cloud-storage" doc:"cloud-storage (iv_cs) or rtmp-push (SVCloudPush)"`

	// cloud-storage (DESIGN.md §2.1)
	Format         string         `yaml:"format" enum:"ts,fmp4" default:"ts" sdk:"cloud-storage" doc:"slice container: ts or fmp4"`
	MaxGopSize     units.ByteSize `yaml:"max_gop_size" default:"800KiB" sdk:"cloud-storage" doc:"send buffer size, a multiple of 4KiB (CS12)"`
	SliceDuration  units.Duration `yaml:"slice_duration" default:"10s" sdk:"cloud-storage" doc:"a slice is cut at the first IDR at or after this (CS11)"`
	Watermarks     *Watermarks    `yaml:"watermarks" sdk:"cloud-storage" doc:"buffer occupancy marks as shares of max_gop_size; absent: watermarks off (CS13)"`
	UploadTimeout  units.Duration `yaml:"upload_timeout" default:"6s" sdk:"cloud-storage" doc:"slice upload timeout (CS12)"`
	ReplyTimeout   units.Duration `yaml:"reply_timeout" default:"5s" sdk:"cloud-storage" doc:"cloud reply timeout (CS12)"`
	IdlePause      units.Duration `yaml:"idle_pause" default:"120s" sdk:"cloud-storage" doc:"no data for this long pauses recording (CS15)"`
	BackfillWindow units.Duration `yaml:"backfill_window" default:"30m" sdk:"cloud-storage" doc:"a failed slice may be re-uploaded only this long after it was cut (CS16)"`
	MaxEventID     int            `yaml:"max_event_id" min:"1" max:"32" default:"32" sdk:"cloud-storage" doc:"highest event id (CS5)"`
	EventReport    string         `yaml:"event_report" enum:"video,picture,either" default:"either" sdk:"cloud-storage" doc:"what makes an event count as reported (CS7)"`

	// rtmp-push (DESIGN.md §2.2)
	PoolSize       units.ByteSize `yaml:"pool_size" default:"1MiB" sdk:"rtmp-push" doc:"send pool, more than 100KB (RP1)"`
	MaxConnections int            `yaml:"max_connections" min:"2" max:"64" default:"2" sdk:"rtmp-push" doc:"more than 1 (RP1)"`
	Connect        string         `yaml:"connect" enum:"url,sn,token,live" default:"url" sdk:"rtmp-push" doc:"url, sn (token server), token or live (RP2)"`
	HEVC           string         `yaml:"hevc" enum:"legacy,enhanced" default:"enhanced" sdk:"rtmp-push" doc:"H.265 over RTMP: legacy codec id 12 or enhanced hvc1 (RP9)"`
	Heartbeat      units.Duration `yaml:"heartbeat" default:"2s" sdk:"rtmp-push" doc:"idle time before a heartbeat (RP6)"`
	Encryption     string         `yaml:"encryption" enum:"none,key-frames,all" default:"none" sdk:"rtmp-push" doc:"none, key-frames or all (RP8)"`
	FlushDelay     units.Duration `yaml:"flush_delay" default:"0s" sdk:"rtmp-push" doc:"gather queued messages for up to this long into one socket write (less CPU for big fleets, up to this much more latency); 0s: one write per message, as the SDK"`
	FlushOnVideo   bool           `yaml:"flush_on_video" default:"false" sdk:"rtmp-push" doc:"with flush_delay: a video frame is written at once with the audio gathered before it (video latency unchanged)"`
}

// Watermarks are the CS13 marks as shares of MaxGopSize, low < warn < high.
type Watermarks struct {
	Low  units.Ratio `yaml:"low" required:"true" doc:"low mark"`
	Warn units.Ratio `yaml:"warn" required:"true" doc:"warn mark"`
	High units.Ratio `yaml:"high" required:"true" doc:"high mark"`
}

// LiveView is how a device sends live view when a session is open.
type LiveView struct {
	MTU          units.ByteSize `yaml:"mtu" default:"1200B" doc:"largest RTP packet (576B to 9000B)"`
	RTCPInterval units.Duration `yaml:"rtcp_interval" default:"5s" doc:"RTCP report interval"`
}
