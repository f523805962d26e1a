package cstorage

import (
	"context"
	"errors"

	"github.com/fleetsim/fleetsim/sim/cloudapi"
	"github.com/fleetsim/fleetsim/sim/observe"
)

// pump starts the next queued slice when the channel's uploader is free.
// One slice per channel is in the uploader at a time (CS12).
func (s *SDK) pump(c *channel) {
	if c.uploading != nil || len(c.queue) == 0 || s.exiting {
		return
	}
	sl := c.queue[0]
	c.queue[0] = nil
	c.queue = c.queue[1:]
	c.uploading = sl
	sl.started = s.clk.Now()
	s.attempt(c, sl)
}

// attempt makes one upload attempt of sl with the upload and reply timeouts.
func (s *SDK) attempt(c *channel, sl *slice) {
	sl.attempts++
	req := s.request(sl, false)
	var rc cloudapi.SliceReceipt
	s.call(OpSlice, c.idx, sl.total, s.trans, func(ctx context.Context) error {
		var err error
		rc, err = s.st.UploadSlice(ctx, req)
		return err
	}, func(err error) {
		if c.uploading != sl {
			return
		}
		s.uploaded(c, sl, rc, err)
	})
}

// Error classes of an upload.
const (
	failRetry   = iota // transport or transient: retry, then backfill
	failContent        // the cloud refused the content and accounted its frames
	failRequest        // the cloud refused the request itself: the device accounts the frames
	failService        // no service: the frames are lost at once
	failExpired        // past the backfill window
)

func classify(err error) (class int, reason string) {
	var ce *cloudapi.Error
	if !errors.As(err, &ce) {
		if isTimeout(err) {
			return failRetry, "timeout"
		}
		return failRetry, "connect_failed"
	}
	switch ce.Code {
	case cloudapi.CodeBadSlice, cloudapi.CodeNotIDR, cloudapi.CodeTooLarge:
		return failContent, ce.Code
	case cloudapi.CodeBadRequest:
		return failRequest, ce.Code
	case cloudapi.CodeNoService:
		return failService, ce.Code
	case cloudapi.CodeExpired:
		return failExpired, ce.Code
	}
	return failRetry, ce.Code
}

// uploaded applies the result of an upload attempt.
func (s *SDK) uploaded(c *channel, sl *slice, rc cloudapi.SliceReceipt, err error) {
	if err == nil && !rc.Stored {
		err = &cloudapi.Error{Code: cloudapi.CodeUnavailable, Msg: "slice not stored"}
	}
	if err == nil {
		s.connUp(c)
		s.stats.SlicesUploaded++
		s.stats.Overwritten += rc.Overwritten
		s.emit(observe.Observation{Kind: observe.SliceUploaded, Channel: c.idx, Seq: sl.seq, Size: int64(sl.total), Value: s.clk.Now().Sub(sl.started), OK: true})
		s.finishUpload(c, sl, UploadOK)
		s.deliveredFrames(sl)
		s.resolve(sl, true)
		s.next(c)
		return
	}
	class, reason := classify(err)
	s.stats.SlicesFailed++
	s.emit(observe.Observation{Kind: observe.SliceFailed, Channel: c.idx, Seq: sl.seq, Size: int64(sl.total), Code: int(CodeHTTPSend), Reason: reason})
	switch class {
	case failRetry:
		var ce *cloudapi.Error
		if !errors.As(err, &ce) {
			s.connDown(c, reason)
		}
		if sl.attempts <= s.cfg.Retries {
			s.after(s.cfg.RetryDelay, func() {
				if c.uploading == sl {
					s.attempt(c, sl)
				}
			})
			return
		}
		s.finishUpload(c, sl, UploadErr)
		s.resolve(sl, false)
		s.toBackfill(sl)
	case failContent:
		s.finishUpload(c, sl, UploadErr)
		s.contentRefused(sl, reason)
		s.resolve(sl, false)
	case failRequest:
		s.finishUpload(c, sl, UploadErr)
		s.rejectFrames(sl)
		s.resolve(sl, false)
	case failService:
		s.notify(c.idx, Notice{Kind: NoticeServiceWrong})
		s.finishUpload(c, sl, UploadErr)
		s.loseFrames(sl, observe.ReasonNoService)
		s.resolve(sl, false)
		s.pollPlan(c)
	case failExpired:
		s.finishUpload(c, sl, UploadErr)
		s.expire(sl)
		s.resolve(sl, false)
	}
	s.next(c)
}

// finishUpload takes sl out of the uploader and reports its record.
func (s *SDK) finishUpload(c *channel, sl *slice, st UploadState) {
	c.uploading = nil
	c.records = append(c.records, sl.record(st))
	s.flushRecords(c)
	s.releaseBody(sl)
}

// next lets the uploader continue with queued slices and buffered frames.
func (s *SDK) next(c *channel) {
	s.pump(c)
	if c.pushing || c.buf.len() > 0 {
		s.drain(c)
	}
	if !c.pushing && c.buf.len() > 0 && c.uploading == nil && len(c.queue) == 0 {
		s.flushRecording(c)
	}
}

// flushRecords sends the pending slice records, at most MaxUploadRecords
// per upload-state notice (CS14).
func (s *SDK) flushRecords(c *channel) {
	for len(c.records) > 0 {
		n := min(len(c.records), MaxUploadRecords)
		recs := append([]SliceRecord(nil), c.records[:n]...)
		c.records = c.records[n:]
		s.notify(c.idx, Notice{Kind: NoticeUploadState, Slices: recs})
	}
	c.records = c.records[:0]
}

// connDown notifies an upload connect failure on its edge (CS14). On a
// virtual-time cloud each failed call is also a failed connection attempt
// (ConnFailed, stage http_send): there is no connection to count. Over a
// real transport the HTTP client reports each dial and its outcome
// (httpapi Options.OnDial), and a call that fails on an open connection is
// a failed upload (slices.failed), not a failed connection attempt.
func (s *SDK) connDown(c *channel, reason string) {
	if s.vst != nil {
		s.emit(observe.Observation{Kind: observe.ConnFailed, Channel: c.idx, Code: int(CodeHTTPSend), Reason: reason})
	}
	if c.connDown {
		return
	}
	c.connDown = true
	s.notify(c.idx, Notice{Kind: NoticeConnectFail})
}

func (s *SDK) connUp(c *channel) {
	if !c.connDown {
		return
	}
	c.connDown = false
	s.notify(c.idx, Notice{Kind: NoticeConnectRecover})
}

// deliveredFrames forgets the frames of an accepted slice: their fate is
// the cloud's to emit (FrameDelivered or FrameRejected per frame).
func (s *SDK) deliveredFrames(sl *slice) {
	if s.cfg.AccountOnReceipt {
		now := s.clk.Now()
		for i := range sl.frames.Len() {
			f := sl.frames.Head(i)
			s.emit(observe.Observation{Kind: observe.FrameDelivered, Channel: sl.ch, Stream: streamOf(&f), Seq: f.Seq,
				Size: int64(sl.frames.Size(i)), Value: now.Sub(f.Capture), OK: true})
		}
	}
	s.retire(sl)
}

// contentRefused settles the frames of a slice the cloud refused on its
// content: the mock cloud rejects them from the slice's ranges itself; with
// AccountOnReceipt the SDK does.
func (s *SDK) contentRefused(sl *slice, reason string) {
	if s.cfg.AccountOnReceipt {
		for i := range sl.frames.Len() {
			f := sl.frames.Head(i)
			s.emit(observe.Observation{Kind: observe.FrameRejected, Channel: sl.ch, Stream: streamOf(&f), Seq: f.Seq, Size: int64(sl.frames.Size(i)), Reason: reason})
		}
	}
	s.retire(sl)
}

// rejectFrames gives every frame of a slice whose request the cloud refused
// (bad request: it could not read the slice's frame ranges) FrameRejected.
func (s *SDK) rejectFrames(sl *slice) {
	for i := range sl.frames.Len() {
		f := sl.frames.Head(i)
		s.emit(observe.Observation{Kind: observe.FrameRejected, Channel: sl.ch, Stream: streamOf(&f), Seq: f.Seq, Size: int64(sl.frames.Size(i)), Reason: observe.ReasonSliceRejected})
	}
	s.retire(sl)
}

// loseFrames gives every frame of sl the fate FrameLost.
func (s *SDK) loseFrames(sl *slice, reason string) {
	for i := range sl.frames.Len() {
		f := sl.frames.Head(i)
		s.emit(observe.Observation{Kind: observe.FrameLost, Channel: sl.ch, Stream: streamOf(&f), Seq: f.Seq, Size: int64(sl.frames.Size(i)), Reason: reason})
	}
	s.retire(sl)
}

// expire gives up a failed slice past its backfill window (CS16).
func (s *SDK) expire(sl *slice) {
	s.stats.SlicesExpired++
	s.emit(observe.Observation{Kind: observe.SliceExpired, Channel: sl.ch, Seq: sl.seq, Size: int64(sl.total), Reason: observe.ReasonSliceExpired})
	s.loseFrames(sl, observe.ReasonSliceExpired)
}
