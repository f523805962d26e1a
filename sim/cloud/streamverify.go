package cloud

import (
	"fmt"
	"time"

	"github.com/fleetsim/fleetsim/media/aac"
	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/media/flv"
	"github.com/fleetsim/fleetsim/media/rtmp"
	"github.com/fleetsim/fleetsim/media/rtmp/chunk"
	"github.com/fleetsim/fleetsim/sim/observe"
)

// StampReader reads the fleetsim stamp from the NAL units of one video
// access unit (media/stamp).
type StampReader func(codec av.Codec, nalus [][]byte) (FrameStamp, bool)

// StreamStats is what the ingest knows of one live stream.
type StreamStats struct {
	Stream          string        `json:"stream"`
	App             string        `json:"app"`
	Device          int           `json:"device"`
	VideoFrames     int64         `json:"video_frames"`
	AudioFrames     int64         `json:"audio_frames"`
	Delivered       int64         `json:"delivered"`
	Rejected        int64         `json:"rejected"`
	Unattributed    int64         `json:"unattributed"` // frames without a stamp (not a fleetsim device)
	Duplicates      int64         `json:"duplicates"`
	Gaps            int64         `json:"gaps"`       // jumps in the video frame sequence
	GapFrames       int64         `json:"gap_frames"` // frames missing in those jumps
	NonMonotonic    int64         `json:"non_monotonic"`
	Segments        int64         `json:"segments"` // RP4 segments started
	SegmentsEnded   int64         `json:"segments_ended"`
	Trigger         int           `json:"trigger"` // trigger type of the current segment (RP8)
	MetadataByType  map[int]int64 `json:"metadata_by_type,omitempty"`
	LastLatency     time.Duration `json:"last_latency_ns"`
	VideoCodec      string        `json:"video_codec,omitempty"`
	Bytes           int64         `json:"bytes"`
	BadMetadata     int64         `json:"bad_metadata"`
	MalformedFrames int64         `json:"malformed_frames"`
}

// seqWindow remembers the recent frame numbers of one device stream that
// already have a fate, so a frame that arrives twice (re-sent after a
// reconnect) gets no second fate.
type seqWindow struct {
	high uint64
	set  bool
	bits [16]uint64 // high-1023 .. high
}

// mark records seq; false when it was already recorded (or is too old to
// tell, then it is treated as a duplicate too).
func (w *seqWindow) mark(seq uint64) bool {
	const n = 1024
	if !w.set {
		w.set, w.high = true, seq
		w.bits = [16]uint64{}
		w.bits[seq%n/64] |= 1 << (seq % 64)
		return true
	}
	if seq > w.high {
		shift := seq - w.high
		if shift >= n {
			w.bits = [16]uint64{}
		} else {
			for s := w.high + 1; s <= seq; s++ {
				w.bits[s%n/64] &^= 1 << (s % 64)
			}
		}
		w.high = seq
		w.bits[seq%n/64] |= 1 << (seq % 64)
		return true
	}
	if w.high-seq >= n {
		return false
	}
	i, b := seq%n/64, uint64(1)<<(seq%64)
	if w.bits[i]&b != 0 {
		return false
	}
	w.bits[i] |= b
	return true
}

// fateLog holds the seq windows of every device stream, across
// connections and restarts.
type fateLog struct {
	m map[fateKey]*seqWindow
}

type fateKey struct {
	device  int
	channel int
	stream  observe.Stream
}

// streamVerifier checks the frames of one published stream (§4): stamp →
// latency, sequence → gaps, sequence headers before frames, timestamps
// monotonic, first video frame an IDR; and keeps the RP4/RP8 segments.
// Every attributable frame (video with a stamp, audio of a stamped stream)
// gets exactly one fate through emit.
type streamVerifier struct {
	st       StreamStats
	device   int // from the stream name (-1: unknown, then from stamps)
	channel  int
	stamp    StampReader
	emit     func(observe.Observation)
	fates    func(fateKey, uint64) bool // false: the frame already has a fate
	onReject func(reason string)
	// joined: the stream was joined mid-way (a player playing it again):
	// frames before the first IDR get no fate here, the player missed
	// what they depend on
	joined bool

	vt flv.VideoTag
	at flv.AudioTag

	videoHdr, audioHdr bool
	sawIDR             bool
	lastVideoTS        time.Duration
	lastAudioTS        time.Duration
	haveVideoTS        bool
	haveAudioTS        bool
	lastSeq            uint64
	haveSeq            bool

	// the anchor maps media time to capture time: the last stamped video
	// frame's timestamp and capture
	anchorTS      time.Duration
	anchorCapture time.Time
	haveAnchor    bool

	audioFrameDur time.Duration // from the AAC AudioSpecificConfig
	pendingAudio  []pendingAudio
	segOpen       bool
}

type pendingAudio struct {
	ts      time.Duration
	arrival time.Time
	size    int // payload bytes
}

// nalBytes is a video frame's size as a camera counts it (av.Frame.Size):
// its NAL units without the FLV tag header and length fields.
func nalBytes(nalus [][]byte) int {
	n := 0
	for _, u := range nalus {
		n += len(u)
	}
	return n
}

// maxPendingAudio bounds audio frames held until the first stamped video.
const maxPendingAudio = 256

func (v *streamVerifier) dev() int { return v.device }

// video checks one video message.
func (v *streamVerifier) video(body []byte, ts time.Duration, now time.Time) {
	v.st.Bytes += int64(len(body))
	if err := v.vt.Unmarshal(body); err != nil {
		v.st.MalformedFrames++
		v.onReject(observe.ReasonBadMedia)
		return
	}
	switch v.vt.Packet {
	case flv.PacketSequenceHeader:
		v.videoHdr = true
		v.st.VideoCodec = v.vt.Codec.String()
		return
	case flv.PacketFrame:
	default:
		return // sequence end, metadata, command: no frame
	}
	v.st.VideoFrames++
	stamp, stamped := FrameStamp{}, false
	if v.stamp != nil {
		stamp, stamped = v.stamp(v.vt.Codec, v.vt.NALUs)
	}
	if !stamped {
		v.st.Unattributed++
		return
	}
	if v.device < 0 {
		v.device = stamp.Device
		v.st.Device = stamp.Device
	}
	if v.joined && !v.sawIDR && !v.vt.Key {
		v.st.Unattributed++
		return
	}
	o := observe.Observation{At: now, Device: v.device, Channel: v.channel, Stream: observe.Video,
		Seq: stamp.Seq, Size: int64(nalBytes(v.vt.NALUs))}
	if !v.fates(fateKey{v.device, v.channel, observe.Video}, stamp.Seq) {
		// already has a fate (re-sent after a reconnect); it still feeds
		// the decoder, so it counts for the IDR and timestamp checks
		v.st.Duplicates++
		if v.videoHdr && v.vt.Key {
			v.sawIDR = true
		}
		if v.sawIDR && (!v.haveVideoTS || ts >= v.lastVideoTS) {
			v.lastVideoTS, v.haveVideoTS = ts, true
		}
		if !v.haveSeq || stamp.Seq > v.lastSeq {
			v.lastSeq, v.haveSeq = stamp.Seq, true
		}
		return
	}
	if v.haveSeq && stamp.Seq > v.lastSeq+1 {
		v.st.Gaps++
		v.st.GapFrames += int64(stamp.Seq - v.lastSeq - 1)
	}
	if !v.haveSeq || stamp.Seq > v.lastSeq {
		v.lastSeq, v.haveSeq = stamp.Seq, true
	}
	reason := ""
	pts := ts + v.vt.CompositionTime
	switch {
	case stamp.Device != v.device:
		reason = ReasonWrongDevice
	case !v.videoHdr:
		reason = ReasonNoSeqHeader
	case !v.sawIDR && !v.vt.Key:
		reason = observe.ReasonNotIDR
	case v.haveVideoTS && ts < v.lastVideoTS:
		reason = ReasonNonMonotonic
		v.st.NonMonotonic++
	}
	if reason != "" {
		o.Kind, o.Reason = observe.FrameRejected, reason
		v.st.Rejected++
		v.emit(o)
		v.onReject(reason)
		return
	}
	v.sawIDR = true
	v.lastVideoTS, v.haveVideoTS = ts, true
	v.anchorTS, v.anchorCapture, v.haveAnchor = pts, stamp.Capture, true
	o.Kind, o.Value, o.OK = observe.FrameDelivered, now.Sub(stamp.Capture), true
	v.st.Delivered++
	v.st.LastLatency = o.Value
	v.emit(o)
	if len(v.pendingAudio) > 0 {
		p := v.pendingAudio
		v.pendingAudio = nil
		for _, a := range p {
			v.deliverAudio(a.ts, a.arrival, a.size)
		}
	}
}

// audio checks one audio message.
func (v *streamVerifier) audio(body []byte, ts time.Duration, now time.Time) {
	v.st.Bytes += int64(len(body))
	if err := v.at.Unmarshal(body); err != nil {
		v.st.MalformedFrames++
		v.onReject(observe.ReasonBadMedia)
		return
	}
	if v.at.Packet == flv.PacketSequenceHeader {
		v.audioHdr = true
		if d, err := aacFrameDuration(v.at.Config); err == nil {
			v.audioFrameDur = d
		}
		return
	}
	if v.at.Packet != flv.PacketFrame {
		return
	}
	v.st.AudioFrames++
	if v.audioFrameDur == 0 && v.at.Codec != av.AAC && len(v.at.Payload) > 0 {
		v.audioFrameDur = time.Duration(len(v.at.Payload)) * time.Second / 8000 // G.711: 8 kHz, a byte a sample
	}
	if !v.haveAnchor {
		if len(v.pendingAudio) < maxPendingAudio {
			v.pendingAudio = append(v.pendingAudio, pendingAudio{ts, now, len(v.at.Payload)})
		} else {
			v.st.Unattributed++
		}
		return
	}
	v.deliverAudio(ts, now, len(v.at.Payload))
}

// deliverAudio gives an audio frame its fate. Its sequence number is its
// media time over the frame duration (devices number audio frames from
// the stream origin, as media time runs); its capture time is the anchor's
// shifted by the media time between them.
func (v *streamVerifier) deliverAudio(ts time.Duration, arrival time.Time, size int) {
	if v.audioFrameDur <= 0 || v.device < 0 {
		v.st.Unattributed++
		return
	}
	seq := uint64((ts + v.audioFrameDur/2) / v.audioFrameDur)
	if ts < 0 {
		seq = 0
	}
	if !v.fates(fateKey{v.device, v.channel, observe.Audio}, seq) {
		v.st.Duplicates++
		return
	}
	o := observe.Observation{At: arrival, Device: v.device, Channel: v.channel, Stream: observe.Audio,
		Seq: seq, Size: int64(size)}
	switch {
	case !v.audioHdr && v.at.Codec == av.AAC:
		o.Kind, o.Reason = observe.FrameRejected, ReasonNoSeqHeader
	case v.haveAudioTS && ts < v.lastAudioTS:
		o.Kind, o.Reason = observe.FrameRejected, ReasonNonMonotonic
		v.st.NonMonotonic++
	}
	if o.Kind == observe.FrameRejected {
		v.st.Rejected++
		v.emit(o)
		v.onReject(o.Reason)
		return
	}
	v.lastAudioTS, v.haveAudioTS = ts, true
	capture := v.anchorCapture.Add(ts - v.anchorTS)
	o.Kind, o.Value, o.OK = observe.FrameDelivered, arrival.Sub(capture), true
	v.st.Delivered++
	v.emit(o)
}

// end closes the stream: audio still waiting for an anchor cannot be
// attributed.
func (v *streamVerifier) end() {
	v.st.Unattributed += int64(len(v.pendingAudio))
	v.pendingAudio = nil
}

// Metadata types of the push SDK's control messages (RP8).
const (
	MetaStreamStart   = 0
	MetaStreamEnd     = 1
	MetaVideoEncrypt  = 2
	MetaAudioEncrypt  = 3
	MetaBitrate       = 4
	MetaDroppedFrames = 5
	MetaDisconnect    = 6
	MetaTriggerChange = 7
	MetaImageStamp    = 8
)

// segmentEvent is what a metadata message means for segment bookkeeping.
type segmentEvent int

const (
	segNone segmentEvent = iota
	segStart
	segEnd
)

// metadata takes a data message (AMF0: [@setDataFrame,] onMetaData, object).
func (v *streamVerifier) metadata(body []byte) (segmentEvent, error) {
	d, err := rtmp.ParseData(&rtmp.Message{Type: chunk.TypeDataAMF0, Payload: body})
	if err != nil {
		v.st.BadMetadata++
		return segNone, err
	}
	props, ok := d.Metadata()
	if !ok {
		return segNone, nil // another data message (e.g. |RtmpSampleAccess)
	}
	typ, ok := props.Number("type")
	if !ok {
		return segNone, nil // ordinary onMetaData
	}
	t := int(typ)
	if v.st.MetadataByType == nil {
		v.st.MetadataByType = make(map[int]int64)
	}
	if len(v.st.MetadataByType) < 32 || v.st.MetadataByType[t] > 0 {
		v.st.MetadataByType[t]++
	}
	switch t {
	case MetaStreamStart:
		if tr, ok := props.Number("tigger_type"); ok { // sic, as the SDK spells it
			v.st.Trigger = int(tr)
		} else if tr, ok := props.Number("trigger_type"); ok {
			v.st.Trigger = int(tr)
		}
		v.st.Segments++
		if v.segOpen { // a start without an end: the previous one ended
			v.st.SegmentsEnded++
		}
		v.segOpen = true
		return segStart, nil
	case MetaStreamEnd:
		if v.segOpen {
			v.segOpen = false
			v.st.SegmentsEnded++
			return segEnd, nil
		}
	case MetaTriggerChange:
		if tr, ok := props.Number("new_tigger_type"); ok {
			v.st.Trigger = int(tr)
		}
	}
	return segNone, nil
}

// aacFrameDuration is the duration of one AAC frame of an
// AudioSpecificConfig (FrameLength samples at the core sample rate).
func aacFrameDuration(asc []byte) (time.Duration, error) {
	c, err := aac.ParseConfig(asc)
	if err != nil {
		return 0, err
	}
	if c.SampleRate <= 0 || c.FrameLength <= 0 {
		return 0, fmt.Errorf("AudioSpecificConfig: sample rate %d, frame length %d", c.SampleRate, c.FrameLength)
	}
	return time.Duration(c.FrameLength) * time.Second / time.Duration(c.SampleRate), nil
}
