package cloud

import (
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/fleetsim/fleetsim/sim/cloudapi"
	"github.com/fleetsim/fleetsim/sim/cloudapi/httpapi"
	"github.com/fleetsim/fleetsim/sim/observe"
)

// FrameStamp is the fleetsim stamp of one video frame (DESIGN.md §2.5).
type FrameStamp struct {
	Device  int // fleet index of the device that made the frame
	Seq     uint64
	Capture time.Time
}

// SliceInfo is what a SliceParser learns from a slice body.
type SliceInfo struct {
	VideoFrames, AudioFrames int
	// FirstKeyWithParams: the first video frame is an IDR with its
	// parameter sets (CS10).
	FirstKeyWithParams bool
	FirstPTS, LastPTS  time.Duration
	// Stamps of the video frames that carry one, in order; Unstamped
	// counts the others.
	Stamps    []FrameStamp
	Unstamped int
	// VideoSizes and AudioSizes are the media bytes of each frame of the
	// slice, in order, as the parser read them, in the unit a camera counts
	// a frame it sends (av.Frame.Size: NAL units without start codes or
	// length fields, AAC without ADTS header). A delivered frame carries
	// its size; a parser that gives none (nil) delivers frames of size 0.
	VideoSizes, AudioSizes []int
}

// SliceParser reads a slice body. It must not retain body and must fail
// with an error, never panic, on malformed input. It is called from many
// goroutines at once.
type SliceParser interface {
	ParseSlice(format cloudapi.Format, body []byte) (SliceInfo, error)
}

// SliceError is why a slice body was refused on content.
type SliceError struct {
	Code   string // cloudapi.CodeBadSlice or cloudapi.CodeNotIDR
	Reason string // observation reason token
	Msg    string
}

func (e *SliceError) Error() string { return e.Code + ": " + e.Msg }

// Reason tokens of frames the cloud rejects (besides those of observe).
const (
	ReasonBadSlice       = "bad_slice"
	ReasonNoParamSets    = "no_parameter_sets"
	ReasonNoSeqHeader    = "no_sequence_header"
	ReasonNonMonotonic   = "non_monotonic_timestamp"
	ReasonNoStamp        = "no_stamp"
	ReasonWrongDevice    = "wrong_device"
	ReasonDuplicate      = "duplicate"
	ReasonStreamReplaced = "stream_replaced"
	ReasonStampMismatch  = "stamp_mismatch"
)

// VerifySlice checks what a parser found against the upload's header: at
// least one video frame, the first an IDR with its parameter sets (CS10),
// the frame counts the header claims. It returns a *SliceError on failure.
func VerifySlice(s *cloudapi.SliceUpload, in *SliceInfo) error {
	if in.VideoFrames == 0 {
		return &SliceError{Code: cloudapi.CodeBadSlice, Reason: ReasonBadSlice, Msg: "no video frame"}
	}
	if !in.FirstKeyWithParams {
		return &SliceError{Code: cloudapi.CodeNotIDR, Reason: observe.ReasonNotIDR,
			Msg: "the first video frame is not an IDR carrying its parameter sets"}
	}
	if want := s.FrameSeqLast - s.FrameSeqFirst + 1; uint64(in.VideoFrames) != want {
		return &SliceError{Code: cloudapi.CodeBadSlice, Reason: ReasonBadSlice,
			Msg: fmt.Sprintf("%d video frames in the body, the header claims %d (%d..%d)", in.VideoFrames, want, s.FrameSeqFirst, s.FrameSeqLast)}
	}
	if in.AudioFrames != s.AudioFrames {
		return &SliceError{Code: cloudapi.CodeBadSlice, Reason: ReasonBadSlice,
			Msg: fmt.Sprintf("%d audio frames in the body, the header claims %d", in.AudioFrames, s.AudioFrames)}
	}
	return nil
}

// sliceLedger remembers the recent slices of every channel, so that a
// re-upload of the same slice (a retry after a lost reply) is idempotent:
// stored again, but neither counted as an overwrite nor delivering its
// frames twice. It keeps the last ledgerSize slices per channel (retries
// and backfills of older slices than that are treated as new uploads).
type sliceLedger struct {
	mu sync.Mutex
	m  map[chanKey]*ledgerRing
}

// ledgerSize covers 30 min of 10 s slices (the backfill window) with room.
const ledgerSize = 256

type ledgerEntry struct {
	seq   uint64
	start int64 // UTC start, Unix ns
	size  int   // body bytes: a retry sends the same slice
	used  bool
}

// ledgerRing grows to ledgerSize entries, then overwrites the oldest: a
// channel that has stored three slices holds three entries, not 256.
type ledgerRing struct {
	e    []ledgerEntry
	next int // the oldest entry once full
}

func (r *ledgerRing) add(e ledgerEntry) {
	if len(r.e) < ledgerSize {
		r.e = append(r.e, e)
		return
	}
	r.e[r.next] = e
	r.next = (r.next + 1) % ledgerSize
}

func (l *sliceLedger) seen(k chanKey, seq uint64, start time.Time, size int) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m == nil {
		l.m = make(map[chanKey]*ledgerRing)
	}
	r := l.m[k]
	if r == nil {
		r = &ledgerRing{}
		l.m[k] = r
	}
	st := start.UnixNano()
	for i := range r.e {
		if e := &r.e[i]; e.used && e.seq == seq && e.start == st {
			return true
		}
	}
	r.add(ledgerEntry{seq: seq, start: st, size: size, used: true})
	return false
}

// has reports whether this slice (same number, start and size) was stored
// before, without recording it.
func (l *sliceLedger) has(k chanKey, seq uint64, start time.Time, size int) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.m[k]
	if r == nil {
		return false
	}
	st := start.UnixNano()
	for i := range r.e {
		if e := &r.e[i]; e.used && e.seq == seq && e.start == st && e.size == size {
			return true
		}
	}
	return false
}

func (l *sliceLedger) forget(device string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for k := range l.m {
		if k.device == device {
			delete(l.m, k)
		}
	}
}

// storeSlice runs the checks of a slice upload whose whole body is in
// s.Body, stores it and emits the frames' fates.
func (c *Cloud) storeSlice(s *cloudapi.SliceUpload) (cloudapi.SliceReceipt, *apiError) {
	size := len(s.Body)
	if rec, ok := c.storedBefore(s, size); ok {
		return rec, nil
	}
	return c.settleSlice(s, size, func() (*SliceInfo, error) {
		info, err := c.parser.ParseSlice(s.Format, s.Body)
		return &info, err
	})
}

// storedBefore answers a retry or backfill of a slice already stored (same
// number, start and size; its reply was lost): stored, whatever the plan or
// the window say now — its frames have their fates, a refusal would give
// them a second. It is the first check of an upload, before its body is
// parsed.
func (c *Cloud) storedBefore(s *cloudapi.SliceUpload, size int) (cloudapi.SliceReceipt, bool) {
	if !c.ledger.has(chanKey{s.Device, s.Channel}, s.Seq, s.UTCStart, size) {
		return cloudapi.SliceReceipt{}, false
	}
	c.stats.slicesStored.Add(1)
	return cloudapi.SliceReceipt{Stored: true, Frames: int(s.FrameSeqLast - s.FrameSeqFirst + 1)}, true
}

// settleSlice runs the checks after storedBefore on a slice of size bytes
// (plan, backfill window, content: parse gives what the body holds; it is
// called only when the plan and the window pass), stores it and emits the
// frames' fates.
func (c *Cloud) settleSlice(s *cloudapi.SliceUpload, size int, parse func() (*SliceInfo, error)) (cloudapi.SliceReceipt, *apiError) {
	k := chanKey{s.Device, s.Channel}
	now := c.clk.Now()
	if p := c.plans.Get(k); !p.Valid || p.Kind == cloudapi.PlanNone {
		return cloudapi.SliceReceipt{}, &apiError{code: cloudapi.CodeNoService,
			msg: fmt.Sprintf("no valid plan for %s channel %d (%s)", s.Device, s.Channel, p.Kind)}
	}
	if s.Backfill && now.Sub(s.UTCEnd) > c.cfg.BackfillWindow {
		c.stats.backfillsExpired.Add(1)
		return cloudapi.SliceReceipt{}, &apiError{code: cloudapi.CodeExpired,
			msg: fmt.Sprintf("backfill of a slice that ended %v ago, window %v", now.Sub(s.UTCEnd).Round(time.Second), c.cfg.BackfillWindow)}
	}
	info, err := parse()
	if err == nil {
		err = VerifySlice(s, info)
	}
	if err != nil {
		se, ok := err.(*SliceError)
		if !ok {
			se = &SliceError{Code: cloudapi.CodeBadSlice, Reason: ReasonBadSlice, Msg: err.Error()}
		}
		// refused on content, for good: the frames the slice claims are rejected
		c.rejectSlice(s, se.Reason)
		return cloudapi.SliceReceipt{}, &apiError{code: se.Code, msg: se.Msg}
	}
	rec := cloudapi.SliceReceipt{Stored: true, Frames: info.VideoFrames}
	if c.ledger.seen(k, s.Seq, s.UTCStart, size) {
		c.stats.slicesStored.Add(1)
		return rec, nil // the same slice again: already stored and delivered
	}
	over := c.index.Put(k, storedSlice{start: s.UTCStart, end: s.UTCEnd, seq: s.Seq, size: int64(size)})
	idx := c.device(s.Device)
	for _, o := range over {
		ov := minTime(o.end, s.UTCEnd).Sub(maxTime(o.start, s.UTCStart))
		c.sink.Observe(observe.Observation{At: now, Kind: observe.SliceOverwritten, Device: idx, Channel: s.Channel,
			Seq: s.Seq, Value: ov, Size: o.size, Code: int(o.seq), Reason: "overlap"})
	}
	rec.Overwritten = len(over)
	c.stats.slicesOverwritten.Add(int64(len(over)))
	c.stats.slicesStored.Add(1)
	c.stats.sliceBytes.Add(int64(size))
	c.deliverSlice(s, idx, info, now)
	if c.cfg.Webhook.Recording {
		c.hooks.send(Hook{EventType: HookRecording, StreamID: s.Device, ChannelID: s.Device, Device: s.Device,
			Channel: s.Channel, EventTime: hookTime(now), FileSize: int64(size),
			StartMS: ms(s.UTCStart), EndMS: ms(s.UTCEnd), Node: c.node(),
			FileID: s.Device + "/" + strconv.Itoa(s.Channel) + "/" + strconv.FormatUint(s.Seq, 10)})
	}
	return rec, nil
}

// deliverSlice emits a fate for every frame of a stored slice. Video frame
// i of the slice is device frame FrameSeqFirst+i (the counts were
// verified); its latency comes from its stamp, which must name that device
// and frame. Audio frames carry no stamp: their capture time is
// interpolated over the capture span of the slice's video.
func (c *Cloud) deliverSlice(s *cloudapi.SliceUpload, idx int, in *SliceInfo, now time.Time) {
	var delivered int64
	o := observe.Observation{At: now, Device: idx, Channel: s.Channel, Stream: observe.Video}
	positional := in.Unstamped == 0 && len(in.Stamps) == in.VideoFrames
	bySeq := map[uint64]FrameStamp(nil)
	if !positional {
		bySeq = make(map[uint64]FrameStamp, len(in.Stamps))
		for _, st := range in.Stamps {
			bySeq[st.Seq] = st
		}
	}
	for i := 0; i < in.VideoFrames; i++ {
		seq := s.FrameSeqFirst + uint64(i)
		o.Seq, o.Size = seq, sizeAt(in.VideoSizes, i)
		var st FrameStamp
		var ok bool
		if positional {
			st, ok = in.Stamps[i], true
		} else {
			st, ok = bySeq[seq]
		}
		switch {
		case !ok:
			o.Kind, o.Reason, o.Value, o.OK = observe.FrameRejected, ReasonNoStamp, 0, false
			c.stats.reject(ReasonNoStamp, 1)
		case idx >= 0 && st.Device != idx:
			o.Kind, o.Reason, o.Value, o.OK = observe.FrameRejected, ReasonWrongDevice, 0, false
			c.stats.reject(ReasonWrongDevice, 1)
		case st.Seq != seq:
			o.Kind, o.Reason, o.Value, o.OK = observe.FrameRejected, ReasonStampMismatch, 0, false
			c.stats.reject(ReasonStampMismatch, 1)
		default:
			o.Kind, o.Reason, o.Value, o.OK = observe.FrameDelivered, "", now.Sub(st.Capture), true
			delivered++
		}
		c.sink.Observe(o)
	}
	if s.AudioFrames > 0 {
		first, last := captureSpan(in.Stamps)
		o.Stream, o.Kind, o.Reason, o.OK = observe.Audio, observe.FrameDelivered, "", true
		for j := 0; j < s.AudioFrames; j++ {
			capture := first
			if s.AudioFrames > 1 {
				capture = first.Add(time.Duration(int64(last.Sub(first)) * int64(j) / int64(s.AudioFrames-1)))
			}
			o.Seq, o.Value, o.Size = s.AudioSeqFirst+uint64(j), now.Sub(capture), sizeAt(in.AudioSizes, j)
			c.sink.Observe(o)
		}
		delivered += int64(s.AudioFrames)
	}
	c.stats.framesDelivered.Add(delivered)
}

// sizeAt is the size of frame i, 0 when the parser gave none.
func sizeAt(sizes []int, i int) int64 {
	if i < len(sizes) {
		return int64(sizes[i])
	}
	return 0
}

// captureSpan is the earliest and latest capture time among stamps.
func captureSpan(st []FrameStamp) (first, last time.Time) {
	for i, s := range st {
		if i == 0 || s.Capture.Before(first) {
			first = s.Capture
		}
		if i == 0 || s.Capture.After(last) {
			last = s.Capture
		}
	}
	return first, last
}

// rejectSlice records FrameRejected for every frame a refused slice claims
// (video and audio ranges of its header).
func (c *Cloud) rejectSlice(s *cloudapi.SliceUpload, reason string) {
	c.rejectRange(s.Device, s.Channel, observe.Video, s.FrameSeqFirst, s.FrameSeqLast, reason)
	if s.AudioFrames > 0 {
		c.rejectRange(s.Device, s.Channel, observe.Audio, s.AudioSeqFirst, s.AudioSeqLast, reason)
	}
}

// rejectRange records FrameRejected for frames first..last of one stream.
func (c *Cloud) rejectRange(dev string, ch int, stream observe.Stream, first, last uint64, reason string) {
	if last < first || last-first >= httpapi.MaxSliceFrames {
		return
	}
	o := observe.Observation{At: c.clk.Now(), Kind: observe.FrameRejected, Device: c.device(dev), Channel: ch,
		Stream: stream, Reason: reason}
	for s := first; s <= last; s++ {
		o.Seq = s
		c.sink.Observe(o)
	}
	c.stats.reject(reason, int64(last-first+1))
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
