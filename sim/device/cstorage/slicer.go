package cstorage

import (
	"errors"
	"fmt"
	"time"

	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/sim/cloudapi"
	"github.com/fleetsim/fleetsim/sim/observe"
	"github.com/fleetsim/fleetsim/sim/units"
)

var errNoMuxer = errors.New("no muxer for the slice format")

// slice is one recorded slice (CS11) from its first frame to its fate.
type slice struct {
	ch   int
	seq  uint64
	name string // dump file name (CS16)
	// frames are kept compactly (a 32-byte record and a 4-byte unit
	// reference per NAL unit; shared NAL units once), never as av.Frames
	frames *av.Packed
	// device UTC of the first and last frame (CS17), unix ns
	utcFirst, utcLast int64
	// video range
	hasVideo            bool
	ptsFirst, ptsLast   time.Duration
	vseqFirst, vseqLast uint64
	// audio range: a slice's frames are contiguous in both streams
	audio               int
	aseqFirst, aseqLast uint64
	media               units.ByteSize // frame bytes
	events              []*event       // events this slice belongs to
	cutAt               time.Time      // true clock, for the backfill window
	// The container: content muxed on demand by a Cutter (held for the
	// slice's life: it is the frames), or else body, muxed bytes held
	// while being uploaded or dumped.
	content  cloudapi.Content
	lease    *frameLease // the frames' holders while content has readers (leasedContent)
	body     []byte
	bodyRefs int // holders of body (upload, dump)
	total    int // container size
	attempts int
	started  time.Time // first upload attempt
}

// record is the slice's iv_cs_upload_slice_info_s.
func (sl *slice) record(state UploadState) SliceRecord {
	r := SliceRecord{
		Seq:           sl.seq,
		UTCStart:      time.Unix(0, sl.utcFirst).UTC(),
		UTCEnd:        time.Unix(0, sl.utcLast).UTC(),
		PTSFirst:      sl.ptsFirst,
		PTSLast:       sl.ptsLast,
		FrameSeqFirst: sl.vseqFirst,
		FrameSeqLast:  sl.vseqLast,
		TotalSize:     sl.total,
		State:         state,
	}
	if state == UploadOK {
		r.UploadSize = sl.total
	}
	return r
}

// sliceAdd appends a frame to the open slice, cutting first when f is a
// video key frame at or after the slice duration (CS11), or when f does not
// follow the slice's last frame of its stream (a slice's frames are
// contiguous in each stream: its header names them by range). A slice
// starts with an IDR carrying its parameter sets; frames that cannot start
// one are dropped.
func (s *SDK) sliceAdd(c *channel, f *av.Frame, utc int64) {
	if o := c.open; o != nil {
		video := f.Codec.IsVideo()
		switch {
		case video && o.hasVideo && f.Seq != o.vseqLast+1,
			video && o.hasVideo && isKeyVideo(f) && f.PTS-o.ptsFirst >= c.cfg.SliceDuration,
			!video && o.audio > 0 && f.Seq != o.aseqLast+1:
			s.cut(c)
		}
	}
	if c.open == nil && !startsStream(f) {
		s.drop(c.idx, f, observe.ReasonNotIDR)
		return
	}
	if c.open == nil {
		c.open = &slice{ch: c.idx, utcFirst: utc, frames: av.NewPackedFrom(s.units, s.packs)}
		for _, ev := range c.events {
			s.attach(c.open, ev)
		}
	}
	o := c.open
	o.frames.Append(f)
	o.utcLast = utc
	o.media += sizeOf(f)
	if f.Codec.IsVideo() {
		if !o.hasVideo {
			o.hasVideo, o.ptsFirst, o.vseqFirst = true, f.PTS, f.Seq
		}
		o.ptsLast, o.vseqLast = f.PTS, f.Seq
		return
	}
	if o.audio == 0 {
		o.aseqFirst = f.Seq
	}
	o.audio++
	o.aseqLast = f.Seq
}

// attach makes ev wait for sl's upload result.
func (s *SDK) attach(sl *slice, ev *event) {
	for _, e := range sl.events {
		if e == ev {
			return
		}
	}
	sl.events = append(sl.events, ev)
	ev.pending++
}

// cut closes the open slice, dumps it and queues it for upload.
func (s *SDK) cut(c *channel) {
	sl := c.open
	if sl == nil {
		return
	}
	c.open = nil
	sl.frames.Seal()
	c.sliceSeq++
	sl.seq = c.sliceSeq
	sl.cutAt = s.clk.Now()
	sl.name = fmt.Sprintf("cs_ch%d_%d_%d.%s", c.idx, sl.seq, sl.utcFirst/int64(time.Millisecond), c.cfg.Format)
	if err := s.cutBody(sl); err != nil {
		// A slice that cannot be muxed never leaves the device.
		for i := range sl.frames.Len() {
			h := sl.frames.Head(i)
			s.dropSized(s.clk.Now(), c.idx, &h, sl.frames.Size(i), observe.ReasonBadMedia)
		}
		s.retire(sl)
		s.resolve(sl, false)
		return
	}
	s.stats.SlicesCut++
	s.emit(observe.Observation{Kind: observe.SliceCut, Channel: c.idx, Seq: sl.seq, Size: int64(sl.total), Value: sl.ptsLast - sl.ptsFirst})
	s.dump(c, sl)
	c.queue = append(c.queue, sl)
	s.pump(c)
}

// dump exports the slice to device storage through DumpFile (CS16), from
// the body its cut muxed (cutBody): the upload sends the same bytes.
func (s *SDK) dump(c *channel, sl *slice) {
	cb := s.cb.DumpFile
	if cb == nil {
		return
	}
	ch, body, chunk := c.idx, sl.body, int(s.cfg.DumpChunk)
	start, end := time.Unix(0, sl.utcFirst).UTC(), time.Unix(0, sl.utcLast).UTC()
	name := sl.name
	sl.bodyRefs++ // the body goes back to the pool once dumped and uploaded
	s.enqueue(func() {
		cb(ch, DumpChunk{State: DumpStart, Start: start})
		for off := 0; off < len(body); off += chunk {
			cb(ch, DumpChunk{State: DumpRunning, Start: start, Data: body[off:min(off+chunk, len(body))]})
		}
		cb(ch, DumpChunk{State: DumpEnd, Start: start, End: end, Name: name})
		s.mu.Lock()
		s.releaseBody(sl)
		s.mu.Unlock()
	})
}

// upload request for sl.
func (s *SDK) request(sl *slice, backfill bool) cloudapi.SliceUpload {
	c := s.chans[sl.ch]
	ev := 0
	if len(sl.events) > 0 {
		ev = sl.events[0].id
	}
	content := sl.content
	if sl.body != nil {
		content = nil // one of Body and Content: the body held is the content's bytes
	}
	return cloudapi.SliceUpload{
		Device:        s.cfg.Device,
		Channel:       sl.ch,
		Seq:           sl.seq,
		Format:        c.cfg.Format,
		UTCStart:      time.Unix(0, sl.utcFirst).UTC(),
		UTCEnd:        time.Unix(0, sl.utcLast).UTC(),
		PTSFirst:      sl.ptsFirst,
		PTSLast:       sl.ptsLast,
		FrameSeqFirst: sl.vseqFirst,
		FrameSeqLast:  sl.vseqLast,
		AudioFrames:   sl.audio,
		AudioSeqFirst: sl.aseqFirst,
		AudioSeqLast:  sl.aseqLast,
		EventID:       ev,
		Backfill:      backfill,
		Body:          sl.body,
		Content:       content,
	}
}
