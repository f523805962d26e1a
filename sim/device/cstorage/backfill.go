package cstorage

import (
	"context"
	"time"

	"github.com/fleetsim/fleetsim/sim/cloudapi"
	"github.com/fleetsim/fleetsim/sim/observe"
)

// backfill holds the slices whose upload failed (CS16). One worker (when
// Config.Backfill.Auto) re-uploads them oldest first, rate-limited: the file
// is sent in chunks at Backfill.Rate, then the cloud is asked to store it.
// An error restarts that file; a slice older than Backfill.Window is lost.
type backfill struct {
	queue  []*slice
	active *slice // the worker's file
	sent   int
	step   *timer
	expiry *timer
	manual [MaxChannels]*manualUpload // UploadBackupVideo in progress per channel
}

type manualUpload struct {
	sl  *slice
	got int
}

// toBackfill keeps a failed slice for re-upload; s.mu held.
func (s *SDK) toBackfill(sl *slice) {
	s.bf.queue = append(s.bf.queue, sl)
	s.armExpiry()
	s.bfNext()
}

func (s *SDK) pastWindow(sl *slice) bool {
	return s.clk.Now().Sub(sl.cutAt) > s.cfg.Backfill.Window
}

// armExpiry expires queued slices as they pass the window, whether or not
// the worker gets to them.
func (s *SDK) armExpiry() {
	s.stopTimer(s.bf.expiry)
	s.bf.expiry = nil
	kept := s.bf.queue[:0]
	var first time.Time
	for _, sl := range s.bf.queue {
		if s.pastWindow(sl) {
			s.expire(sl)
			continue
		}
		kept = append(kept, sl)
		if first.IsZero() || sl.cutAt.Before(first) {
			first = sl.cutAt
		}
	}
	clear(s.bf.queue[len(kept):])
	s.bf.queue = kept
	if len(kept) > 0 {
		d := first.Add(s.cfg.Backfill.Window).Sub(s.clk.Now()) + time.Nanosecond
		s.bf.expiry = s.after(d, func() {
			s.bf.expiry = nil
			s.armExpiry()
		})
	}
}

// bfNext starts the worker on the oldest queued slice.
func (s *SDK) bfNext() {
	if !s.cfg.Backfill.Auto || s.bf.active != nil || len(s.bf.queue) == 0 || s.exiting {
		return
	}
	sl := s.bf.queue[0]
	s.bf.queue[0] = nil
	s.bf.queue = s.bf.queue[1:]
	s.bf.active = sl
	s.bfStart(sl)
}

// bfStart (re)starts sending sl's file from its beginning.
func (s *SDK) bfStart(sl *slice) {
	if s.pastWindow(sl) {
		s.bf.active = nil
		s.expire(sl)
		s.bfNext()
		return
	}
	if err := s.holdBody(sl); err != nil {
		s.bf.active = nil
		s.expire(sl)
		s.bfNext()
		return
	}
	s.bf.sent = 0
	s.bfStep(sl)
}

// bfStep sends one chunk per rate interval; after the last one the cloud
// stores the file.
func (s *SDK) bfStep(sl *slice) {
	if s.bf.sent >= sl.total {
		s.bfUpload(sl)
		return
	}
	chunk := min(int(s.cfg.Backfill.Chunk), sl.total-s.bf.sent)
	d := time.Duration(float64(chunk) / s.cfg.Backfill.Rate.BytesPerSecond() * float64(time.Second))
	s.bf.step = s.after(d, func() {
		s.bf.step = nil
		if s.bf.active != sl {
			return
		}
		s.bf.sent += chunk
		s.bfStep(sl)
	})
}

func (s *SDK) bfUpload(sl *slice) {
	req := s.request(sl, true)
	var rc cloudapi.SliceReceipt
	s.call(OpSlice, sl.ch, sl.total, s.trans, func(ctx context.Context) error {
		var err error
		rc, err = s.st.UploadSlice(ctx, req)
		return err
	}, func(err error) {
		if s.bf.active != sl {
			return
		}
		if s.bfResult(sl, rc, err) {
			s.bf.active = nil
			s.releaseBody(sl)
			s.bfNext()
			return
		}
		s.releaseBody(sl)
		s.after(s.cfg.Backfill.RetryDelay, func() {
			if s.bf.active == sl {
				s.bfStart(sl)
			}
		})
	})
}

// bfResult applies a backfill upload's result and reports whether the
// slice is settled (false: restart the file).
func (s *SDK) bfResult(sl *slice, rc cloudapi.SliceReceipt, err error) bool {
	c := s.chans[sl.ch]
	if err == nil && !rc.Stored {
		err = &cloudapi.Error{Code: cloudapi.CodeUnavailable, Msg: "slice not stored"}
	}
	if err == nil {
		s.connUp(c)
		s.stats.SlicesBackfilled++
		s.stats.Overwritten += rc.Overwritten
		s.emit(observe.Observation{Kind: observe.SliceBackfilled, Channel: sl.ch, Seq: sl.seq, Size: int64(sl.total), Value: s.clk.Now().Sub(sl.cutAt), OK: true})
		c.records = append(c.records, sl.record(UploadOK))
		s.flushRecords(c)
		s.deliveredFrames(sl)
		return true
	}
	class, reason := classify(err)
	s.stats.SlicesFailed++
	s.emit(observe.Observation{Kind: observe.SliceFailed, Channel: sl.ch, Seq: sl.seq, Size: int64(sl.total), Code: int(CodeHTTPSend), Reason: "backfill_" + reason})
	switch class {
	case failContent:
		s.contentRefused(sl, reason)
		return true
	case failRequest:
		s.rejectFrames(sl)
		return true
	case failService:
		s.notify(sl.ch, Notice{Kind: NoticeServiceWrong})
		s.loseFrames(sl, observe.ReasonNoService)
		return true
	case failExpired:
		s.expire(sl)
		return true
	}
	if _, isCloud := err.(*cloudapi.Error); !isCloud {
		s.connDown(c, reason)
	}
	return false
}

// UploadBackupVideo is iv_cs_upload_backup_video (CS16): the firmware
// re-uploads a dumped slice that failed, by its DumpFile name: DumpStart,
// then DumpRunning with the file's bytes in order, then DumpEnd, which
// blocks until the cloud answered. Any error means the file must be sent
// again from DumpStart; past the window the slice is lost.
func (s *SDK) UploadBackupVideo(ch int, state DumpState, name string, data []byte) error {
	const op = "UploadBackupVideo"
	s.mu.Lock()
	if _, err := s.op(op, ch); err != nil {
		s.mu.Unlock()
		return err
	}
	m := s.bf.manual[ch]
	switch state {
	case DumpStart:
		idx := -1
		for i, sl := range s.bf.queue {
			if sl.ch == ch && sl.name == name {
				idx = i
			}
		}
		if idx < 0 {
			s.mu.Unlock()
			return newErr(op, CodeInvalidParam, "no failed slice %q on channel %d", name, ch)
		}
		s.bf.manual[ch] = &manualUpload{sl: s.bf.queue[idx]}
		s.mu.Unlock()
		return nil
	case DumpRunning:
		defer s.mu.Unlock()
		if m == nil || m.sl.name != name {
			return newErr(op, CodeInvalidParam, "%q was not started", name)
		}
		m.got += len(data)
		return nil
	case DumpEnd:
	default:
		s.mu.Unlock()
		return newErr(op, CodeInvalidParam, "state %d", state)
	}
	s.bf.manual[ch] = nil
	if m == nil || m.sl.name != name {
		s.mu.Unlock()
		return newErr(op, CodeInvalidParam, "%q was not started", name)
	}
	sl := m.sl
	idx := -1
	for i, q := range s.bf.queue {
		if q == sl {
			idx = i
		}
	}
	if idx < 0 {
		s.mu.Unlock()
		return newErr(op, CodeInvalidParam, "%q is no longer waiting for backfill", name)
	}
	if s.pastWindow(sl) {
		s.bf.queue = append(s.bf.queue[:idx], s.bf.queue[idx+1:]...)
		s.expire(sl)
		s.mu.Unlock()
		return newErr(op, CodeInvalidParam, "%q is past the %v backfill window", name, s.cfg.Backfill.Window)
	}
	if err := s.holdBody(sl); err != nil || m.got != sl.total {
		s.releaseBody(sl)
		s.mu.Unlock()
		return newErr(op, CodeInvalidParam, "%q: got %d of %d bytes; restart it", name, m.got, sl.total)
	}
	size := sl.total
	req := s.request(sl, true)
	lim := s.trans
	s.mu.Unlock()

	var rc cloudapi.SliceReceipt
	err := s.syncCall(OpSlice, ch, size, lim.total(), func(ctx context.Context) error {
		var err error
		rc, err = s.st.UploadSlice(ctx, req)
		return err
	})

	s.mu.Lock()
	defer s.flush()
	defer s.mu.Unlock()
	if !s.inited || s.exiting {
		return newErr(op, CodeNotInit, "exited during the upload")
	}
	idx = -1
	for i, q := range s.bf.queue {
		if q == sl {
			idx = i
		}
	}
	if idx < 0 { // expired meanwhile
		return newErr(op, CodeInvalidParam, "%q expired during the upload", name)
	}
	settled := s.bfResult(sl, rc, err)
	s.releaseBody(sl)
	if settled {
		s.bf.queue = append(s.bf.queue[:idx], s.bf.queue[idx+1:]...)
		if err != nil {
			return sendErr(op, err)
		}
		return nil
	}
	return sendErr(op, err)
}
