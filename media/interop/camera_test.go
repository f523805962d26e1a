package interop

import (
	"fmt"
	"time"

	"github.com/fleetsim/fleetsim/media/aac"
	"github.com/fleetsim/fleetsim/media/amf0"
	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/media/flv"
	"github.com/fleetsim/fleetsim/media/h264"
	"github.com/fleetsim/fleetsim/media/h265"
	"github.com/fleetsim/fleetsim/media/rtmp"
	"github.com/fleetsim/fleetsim/media/stamp"
	"github.com/fleetsim/fleetsim/sim/units"
)

// cameraConfig is the sub-stream profile of DESIGN.md §7.
type cameraConfig struct {
	Width, Height int
	FPS           int
	GOP           int
	VideoBitrate  units.Bitrate
	IPRatio       int // IDR size over P size
	SampleRate    int // AAC, mono, in Hz
	AudioBitrate  units.Bitrate
	Device        uint64
	Epoch         time.Time // capture time of frame 0
	// Codec is av.H264 (default) or av.H265; HEVC picks how H.265 is
	// signalled (legacy codec id 12 or Enhanced RTMP hvc1).
	Codec av.Codec
	HEVC  flv.HEVCMode
	// Offset is added to every RTMP timestamp (a connection that has been
	// up for hours: past 0xFFFFFF ms timestamps need the extended field).
	Offset time.Duration
}

// synthesiser is what h264.Synth and h265.Synth share.
type synthesiser interface {
	AppendAccessUnit(dst [][]byte, pic h264.Picture, size int, sei []byte) ([][]byte, int)
	MinSize(key bool, extra int) int
}

func subStream() cameraConfig {
	return cameraConfig{Width: 640, Height: 360, FPS: 15, GOP: 30, VideoBitrate: 512 * units.Kbps, IPRatio: 10,
		SampleRate: 16000, AudioBitrate: 32 * units.Kbps, Device: 42, Epoch: time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)}
}

// camera produces the RTMP messages of a synthesised, stamped camera with
// reused buffers: the sending path of a virtual camera.
type camera struct {
	cfg   cameraConfig
	synth synthesiser
	iSize int
	pSize int
	asc   []byte
	aPay  []byte

	nalus  [][]byte
	stampB []byte
	tag    []byte
	frame  av.Frame

	vseq, aseq uint64
}

func newCamera(cfg cameraConfig) (*camera, error) {
	if cfg.Codec == av.CodecUnknown {
		cfg.Codec = av.H264
	}
	var s synthesiser
	var err error
	if cfg.Codec == av.H265 {
		s, err = h265.NewSynth(h265.SynthConfig{Width: cfg.Width, Height: cfg.Height, FPS: cfg.FPS})
	} else {
		s, err = h264.NewSynth(h264.SynthConfig{Width: cfg.Width, Height: cfg.Height, FPS: cfg.FPS})
	}
	if err != nil {
		return nil, err
	}
	gopBytes := int(cfg.VideoBitrate.BytesPerSecond()) * cfg.GOP / cfg.FPS
	p := gopBytes / (cfg.IPRatio + cfg.GOP - 1)
	i := p * cfg.IPRatio
	p = max(p, s.MinSize(false, stamp.Size(cfg.Codec)))
	i = max(i, s.MinSize(true, stamp.Size(cfg.Codec)))
	asc, err := aac.AppendConfig(nil, aac.Config{Object: aac.ObjectAACLC, SampleRate: cfg.SampleRate, Channels: 1, FrameLength: aac.SamplesPerFrame})
	if err != nil {
		return nil, err
	}
	perFrame := int(cfg.AudioBitrate.BytesPerSecond()) * aac.SamplesPerFrame / cfg.SampleRate
	pay, err := aac.SilentFrame(1, perFrame)
	if err != nil {
		return nil, err
	}
	return &camera{cfg: cfg, synth: s, iSize: i, pSize: p, asc: asc, aPay: pay}, nil
}

func (c *camera) videoPTS(seq uint64) time.Duration {
	return time.Duration(seq) * time.Second / time.Duration(c.cfg.FPS)
}

func (c *camera) audioPTS(seq uint64) time.Duration {
	return time.Duration(seq) * aac.SamplesPerFrame * time.Second / time.Duration(c.cfg.SampleRate)
}

// nextVideo builds the next video frame (stamped) into c.frame.
func (c *camera) nextVideo() *av.Frame {
	seq := c.vseq
	c.vseq++
	pos := int(seq % uint64(c.cfg.GOP))
	pts := c.videoPTS(seq)
	st := stamp.New(c.cfg.Device, seq, c.cfg.Epoch.Add(pts))
	c.stampB = stamp.Append(c.stampB[:0], c.cfg.Codec, st)
	size := c.pSize
	if pos == 0 {
		size = c.iSize
	}
	c.nalus, _ = c.synth.AppendAccessUnit(c.nalus[:0], h264.Picture{GOP: int64(seq / uint64(c.cfg.GOP)), Index: pos}, size, c.stampB)
	c.frame = av.Frame{Codec: c.cfg.Codec, Seq: seq, PTS: pts, DTS: pts, Key: pos == 0, NALUs: c.nalus, Capture: c.cfg.Epoch.Add(pts)}
	return &c.frame
}

func (c *camera) nextAudio() *av.Frame {
	seq := c.aseq
	c.aseq++
	pts := c.audioPTS(seq)
	c.frame = av.Frame{Codec: av.AAC, Seq: seq, PTS: pts, DTS: pts, Key: true, Payload: c.aPay, Capture: c.cfg.Epoch.Add(pts)}
	return &c.frame
}

// videoCodecID is onMetaData's videocodecid (NOTES.md, ingest conventions).
func (c *camera) videoCodecID() float64 {
	switch {
	case c.cfg.Codec == av.H264:
		return 7
	case c.cfg.HEVC == flv.HEVCLegacy:
		return 12
	}
	return flv.VideoCodecIDHVC1
}

// mediaWriter is where a camera's messages go: a publishing client, or a
// server connection feeding a player.
type mediaWriter interface {
	WriteVideo(ts rtmp.Timestamp, tag []byte) error
	WriteAudio(ts rtmp.Timestamp, tag []byte) error
	WriteMetadata(md amf0.ECMAArray) error
}

// start sends metadata and the sequence headers.
func (c *camera) start(conn mediaWriter) error {
	md := amf0.ECMAArray{
		{Key: "width", Value: float64(c.cfg.Width)},
		{Key: "height", Value: float64(c.cfg.Height)},
		{Key: "framerate", Value: float64(c.cfg.FPS)},
		{Key: "videocodecid", Value: c.videoCodecID()},
		{Key: "videodatarate", Value: float64(c.cfg.VideoBitrate / units.Kbps)},
		{Key: "audiocodecid", Value: 10.0},
		{Key: "audiosamplerate", Value: float64(c.cfg.SampleRate)},
		{Key: "audiosamplesize", Value: 16.0},
		{Key: "stereo", Value: false},
	}
	if err := conn.WriteMetadata(md); err != nil {
		return err
	}
	// The sequence header comes from the first key frame's parameter sets;
	// build one without consuming the stream's sequence numbers.
	save := c.vseq
	f := c.nextVideo()
	c.vseq = save
	var err error
	if c.tag, err = flv.AppendVideoSequenceHeaderFor(c.tag[:0], f, c.cfg.HEVC); err != nil {
		return fmt.Errorf("video sequence header: %w", err)
	}
	if err := conn.WriteVideo(rtmp.TimestampOf(c.cfg.Offset), c.tag); err != nil {
		return err
	}
	c.tag = flv.AppendAACSequenceHeader(c.tag[:0], c.asc)
	return conn.WriteAudio(rtmp.TimestampOf(c.cfg.Offset), c.tag)
}

// send writes frame f as its tag body.
func (c *camera) send(conn mediaWriter, f *av.Frame) error {
	var err error
	if f.Codec.IsVideo() {
		if c.tag, err = flv.AppendVideoTagBody(c.tag[:0], f, c.cfg.HEVC); err != nil {
			return err
		}
		return conn.WriteVideo(rtmp.TimestampOf(c.cfg.Offset+f.DTS), c.tag)
	}
	if c.tag, err = flv.AppendAudioTagBody(c.tag[:0], f); err != nil {
		return err
	}
	return conn.WriteAudio(rtmp.TimestampOf(c.cfg.Offset+f.DTS), c.tag)
}

// sendUntil sends video and audio frames in timestamp order until nVideo
// video frames have gone out; it returns the audio frames sent.
func (c *camera) sendUntil(conn mediaWriter, nVideo uint64) error {
	for c.vseq < nVideo {
		var f *av.Frame
		if c.audioPTS(c.aseq) < c.videoPTS(c.vseq) {
			f = c.nextAudio()
		} else {
			f = c.nextVideo()
		}
		if err := c.send(conn, f); err != nil {
			return err
		}
	}
	return nil
}
