package push

import (
	"time"

	"github.com/fleetsim/fleetsim/media/amf0"

	"github.com/fleetsim/fleetsim/media/aac"
	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/media/flv"
	"github.com/fleetsim/fleetsim/media/h264"
	"github.com/fleetsim/fleetsim/media/h265"
	"github.com/fleetsim/fleetsim/media/rtmp"
	"github.com/fleetsim/fleetsim/sim/observe"
)

// write encodes one queued item into the connection's send buffer; the
// batch's writer flushes it (the sender, or a direct write). A frame's tag
// body goes into the chunks in pieces: its own few bytes from c.tagHdr and
// the frame's shared NAL units or payload, each copied once.
func (c *conn) write(it *item) error {
	if it.kind == itemMeta {
		return c.writeMeta(it)
	}
	f := it.f
	if !c.sentMeta {
		if err := c.writeOnMetaData(f); err != nil {
			return err
		}
	}
	ts := c.timestamp(f.PTS)
	if f.Codec.IsVideo() {
		if it.key && !c.sameParams(f) {
			if err := c.writeSequenceHeader(ts, it); err != nil {
				return err
			}
		}
		hdr, parts, err := flv.AppendVideoTagParts(c.tagHdr[:0], c.parts[:0], f, c.s.opts.HEVC)
		c.tagHdr, c.parts = hdr, parts
		if err != nil {
			return err
		}
		c.lastVideo = f.PTS
		err = c.rc.BufferVideoParts(ts, parts)
		clear(parts) // hold no frame's bytes
		return err
	}
	if f.Codec == av.AAC && c.audioHdr {
		if err := c.writeSequenceHeader(ts, it); err != nil {
			return err
		}
	}
	hdr, parts, err := flv.AppendAudioTagParts(c.tagHdr[:0], c.parts[:0], f)
	c.tagHdr, c.parts = hdr, parts
	if err != nil {
		return err
	}
	c.lastAudio = f.PTS
	err = c.rc.BufferAudioParts(ts, parts)
	clear(parts)
	return err
}

// writeSequenceHeader encodes the video sequence header of a key frame
// whose parameter sets are new, or the AAC sequence header due before the
// segment's first audio frame, in a buffer lent for the call.
func (c *conn) writeSequenceHeader(ts rtmp.Timestamp, it *item) error {
	f := it.f
	// it.size is the frame's bytes and the tag overhead (not f.Size(): the
	// frame's NAL unit list is cold in this goroutine's cache)
	bp := buffers.Get(int(it.size) + 4*len(f.NALUs) + tagRoom)
	defer func() {
		// a header that outgrew the lent buffer is not given back (the pool
		// takes only its own sizes)
		*bp = (*bp)[:0]
		buffers.Put(bp)
	}()
	if f.Codec.IsVideo() {
		hdr, err := flv.AppendVideoSequenceHeaderFor((*bp)[:0], f, c.s.opts.HEVC)
		if err != nil {
			return err
		}
		*bp = hdr
		return c.rc.BufferVideo(ts, hdr)
	}
	asc := c.s.opts.AudioConfig
	if cfg := c.s.audioConfig(); len(asc) == 0 && cfg != nil {
		var err error
		if asc, err = aac.AppendConfig(nil, *cfg); err != nil {
			return err
		}
	}
	*bp = flv.AppendAACSequenceHeader((*bp)[:0], asc)
	if err := c.rc.BufferAudio(ts, *bp); err != nil {
		return err
	}
	c.audioHdr = false
	return nil
}

// timestamp is the RTMP timestamp of a media time: PTS from the stream's
// origin plus the base, never going back on this connection.
func (c *conn) timestamp(pts time.Duration) rtmp.Timestamp {
	ts := rtmp.Timestamp(flv.Milliseconds(pts + c.s.opts.TimestampBase))
	if ts > c.lastTS {
		c.lastTS = ts
	}
	return ts
}

// sameParams reports whether the key frame's parameter sets are those of
// the last sequence header sent, and remembers them otherwise.
func (c *conn) sameParams(f *av.Frame) bool {
	var vps, sps, pps []byte
	if f.Codec == av.H265 {
		vps, sps, pps = h265.ParameterSets(f.NALUs)
	} else {
		sps, pps = h264.ParameterSets(f.NALUs)
	}
	if c.hdr.sps != nil && same(vps, c.hdr.vps) && same(sps, c.hdr.sps) && same(pps, c.hdr.pps) {
		return true
	}
	c.hdr = paramCache{vps: vps, sps: sps, pps: pps}
	return false
}

// writeOnMetaData sends the stream's @setDataFrame onMetaData before its
// first frame: the codec ids (RP9: 12 or 'hvc1' for H.265) and the audio
// format.
func (c *conn) writeOnMetaData(f *av.Frame) error {
	c.sentMeta = true
	codec := f.Codec
	if !codec.IsVideo() {
		codec = c.s.videoCodec()
	}
	var md amf0.ECMAArray
	switch codec {
	case av.H264:
		md = append(md, amf0.Property{Key: "videocodecid", Value: float64(flv.CodecIDAVC)})
	case av.H265:
		id := float64(flv.CodecIDHEVC)
		if c.s.opts.HEVC == flv.HEVCEnhanced {
			id = float64(flv.VideoCodecIDHVC1)
		}
		md = append(md, amf0.Property{Key: "videocodecid", Value: id})
	}
	if cfg := c.s.audioConfig(); cfg != nil {
		md = append(md,
			amf0.Property{Key: "audiocodecid", Value: float64(flv.SoundFormatAAC)},
			amf0.Property{Key: "audiosamplerate", Value: float64(cfg.SampleRate)},
			amf0.Property{Key: "audiosamplesize", Value: 16.0},
			amf0.Property{Key: "stereo", Value: cfg.Channels > 1})
	}
	return c.rc.BufferData(0, rtmp.SetDataFrame(md))
}

// writeMeta encodes a control metadata message into the batch. A stream
// start re-sends the audio sequence header for the segment; the segment
// state of the wire (stream start → SegmentStarted, stream end →
// SegmentEnded and 0x102) follows once the message was written (metaSent).
func (c *conn) writeMeta(it *item) error {
	d := metaData(it.meta)
	if err := c.rc.BufferData(c.lastTS, d); err != nil {
		return err
	}
	switch it.metaType {
	case MetaStreamStart:
		c.audioHdr = true
	case MetaStreamEnd:
	default:
		return nil
	}
	c.metas = append(c.metas, metaNote{t: it.metaType, seg: it.seg, wparam: it.wparam, end: c.rc.Offset()})
	return nil
}

// metaNote is a segment message of the batch being written.
type metaNote struct {
	t      MetaType
	seg    uint64
	wparam int64
	end    uint64 // stream offset of the message's end
}

// metaSent keeps the segment state of the wire for the batch's segment
// messages that were written whole: all of them after a good flush, those
// that ended before the failure otherwise.
func (c *conn) metaSent(ok bool) {
	if len(c.metas) == 0 {
		return
	}
	w := c.rc.Written()
	s := c.s
	for _, m := range c.metas {
		if !ok && m.end > w {
			break
		}
		switch m.t {
		case MetaStreamStart:
			c.wireSeg, c.wireSegSeq = true, m.seg
			s.mu.Lock()
			s.observe(observe.Observation{Kind: observe.SegmentStarted, Seq: m.seg, Code: int(m.wparam)})
			s.mu.Unlock()
		case MetaStreamEnd:
			c.wireSeg = false
			s.mu.Lock()
			s.observe(observe.Observation{Kind: observe.SegmentEnded, Seq: m.seg, OK: true, Value: time.Duration(m.wparam) * time.Millisecond})
			s.n.add(c.cb, c.id, EventSegmentEnd, c.lastVideo.Milliseconds(), c.lastAudio.Milliseconds())
			s.mu.Unlock()
			s.n.flush()
		}
	}
	c.metas = c.metas[:0]
}

// audioConfig and videoCodec are what SendFrame/SendPacket learned.
func (s *SDK) audioConfig() *aac.Config {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.audioCfg
}

func (s *SDK) videoCodec() av.Codec {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.vcodec
}
