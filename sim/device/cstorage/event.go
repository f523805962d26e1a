package cstorage

import (
	"context"
	"time"

	"github.com/fleetsim/fleetsim/sim/cloudapi"
	"github.com/fleetsim/fleetsim/sim/observe"
)

// MaxInfoLen is the longest event info string: 128 bytes with the C
// terminator, so 127 characters (CS5).
const MaxInfoLen = 127

// relativeLimit: Ext times below it are seconds before now, at or above it
// absolute UTC seconds (CS8).
const relativeLimit = 300

// event is one started event (CS5–CS8) until its report result.
type event struct {
	ch, id     int
	info       string
	start, end time.Time // device UTC
	began      time.Time // true time of the start call (for event_first_frame)
	stopped    bool
	pending    int // slices holding the event, not yet resolved
	videoOK    bool
	captured   bool // capture-picture callback returned
	pic        []byte
	picBusy    bool
	picErr     error
	picID      string
	reporting  bool
}

// checkInfo validates the optional info string (CS5): ≤ 127 bytes of
// printable ASCII.
func checkInfo(op, info string) error {
	if len(info) > MaxInfoLen {
		return newErr(op, CodeInfoInvalid, "info is %d bytes, max %d", len(info), MaxInfoLen)
	}
	for i := 0; i < len(info); i++ {
		if info[i] < 0x20 || info[i] > 0x7e {
			return newErr(op, CodeInfoInvalid, "info byte %d is 0x%02x, not printable ASCII", i, info[i])
		}
	}
	return nil
}

func (s *SDK) checkID(op string, id int) error {
	if id < 1 || id > s.cfg.MaxEventID {
		return newErr(op, CodeInvalidParam, "event id %d, want 1..%d", id, s.cfg.MaxEventID)
	}
	return nil
}

// extTimes resolves an Ext pair of times (CS8): both < 300 are seconds
// before now, both ≥ 300 absolute UTC seconds; mixing and future times
// are errors.
func (s *SDK) extTimes(op string, a, b int64) (time.Time, time.Time, error) {
	now := s.devNow()
	if a < 0 || b < 0 {
		return now, now, newErr(op, CodeTimeFuture, "negative relative time %d/%d is in the future", a, b)
	}
	relA, relB := a < relativeLimit, b < relativeLimit
	if relA != relB {
		return now, now, newErr(op, CodeTimeMixed, "%d and %d mix relative and absolute times", a, b)
	}
	if relA {
		return now.Add(-time.Duration(a) * time.Second), now.Add(-time.Duration(b) * time.Second), nil
	}
	ta, tb := time.Unix(a, 0).UTC(), time.Unix(b, 0).UTC()
	lim := now.Truncate(time.Second)
	if ta.After(lim) || tb.After(lim) {
		return now, now, newErr(op, CodeTimeFuture, "%v or %v is after the device time %v", ta, tb, lim)
	}
	return ta, tb, nil
}

// EventStart is iv_cs_event_start: an event starting now (CS5, CS6).
func (s *SDK) EventStart(ch, id int, info string) error {
	return s.eventStart("EventStart", ch, id, info, false, 0, 0)
}

// EventStartExt is iv_cs_event_start_ext: an event that started eventStart
// and whose video starts streamStart (CS8). Values < 300 are seconds before
// now, ≥ 300 absolute UTC seconds. Only the first of parallel events gets
// pre-recorded video.
func (s *SDK) EventStartExt(ch, id int, info string, eventStart, streamStart int64) error {
	return s.eventStart("EventStartExt", ch, id, info, true, eventStart, streamStart)
}

func (s *SDK) eventStart(op string, ch, id int, info string, ext bool, evStart, stStart int64) error {
	s.mu.Lock()
	err := s.startLocked(op, ch, id, info, ext, evStart, stStart)
	s.mu.Unlock()
	s.flush()
	return err
}

func (s *SDK) startLocked(op string, ch, id int, info string, ext bool, evStart, stStart int64) error {
	c, err := s.op(op, ch)
	if err != nil {
		return err
	}
	if err := s.checkID(op, id); err != nil {
		return err
	}
	if err := checkInfo(op, info); err != nil {
		return err
	}
	if _, busy := c.events[id]; busy {
		return newErr(op, CodeEventBusy, "event %d already started", id)
	}
	start, stream := s.devNow(), s.devNow()
	if ext {
		if start, stream, err = s.extTimes(op, evStart, stStart); err != nil {
			return err
		}
	}
	if !c.planOK() {
		return newErr(op, CodeNoService, "no valid plan")
	}
	first := len(c.events) == 0 && !c.pushing
	ev := &event{ch: ch, id: id, info: info, start: start.Truncate(time.Second), began: s.clk.Now()}
	c.events[id] = ev
	s.emit(observe.Observation{Kind: observe.EventStarted, Channel: ch, Seq: uint64(id)})
	// CS6: capture-picture, then push-start.
	if cb := s.cb.CapturePicture; cb != nil {
		s.enqueue(func() {
			pic := cb(ch, id)
			s.mu.Lock()
			s.captured(ev, pic)
			s.mu.Unlock()
		})
	} else {
		ev.captured = true
	}
	if c.open != nil {
		s.attach(c.open, ev)
	}
	s.updateRecording(c)
	if ext && first && c.cfg.PreRecord > 0 {
		s.preRecord(c, stream)
	} else if c.ring.len() > 0 {
		s.discardRing(c)
	}
	return nil
}

// captured receives the event picture and starts its upload; s.mu held.
func (s *SDK) captured(ev *event, pic []byte) {
	ev.captured = true
	if len(pic) > 0 && !s.exiting {
		ev.pic, ev.picBusy = pic, true
		req := cloudapi.PictureUpload{Device: s.cfg.Device, Channel: ev.ch, EventID: ev.id, Body: pic}
		var rc cloudapi.PictureReceipt
		s.call(OpPicture, ev.ch, len(pic), s.trans, func(ctx context.Context) error {
			var err error
			rc, err = s.st.UploadPicture(ctx, req)
			return err
		}, func(err error) {
			ev.picBusy, ev.picErr, ev.picID = false, err, rc.ID
			s.maybeReport(ev)
		})
	}
	s.maybeReport(ev)
}

// EventStop is iv_cs_event_stop (CS5, CS6).
func (s *SDK) EventStop(ch, id int, info string) error {
	return s.eventStop("EventStop", ch, id, info, false, 0, 0)
}

// EventStopExt is iv_cs_event_stop_ext: the event ended eventStop and its
// video streamStop (same time rules as EventStartExt).
func (s *SDK) EventStopExt(ch, id int, info string, eventStop, streamStop int64) error {
	return s.eventStop("EventStopExt", ch, id, info, true, eventStop, streamStop)
}

func (s *SDK) eventStop(op string, ch, id int, info string, ext bool, evStop, stStop int64) error {
	s.mu.Lock()
	err := s.stopLocked(op, ch, id, info, ext, evStop, stStop)
	s.mu.Unlock()
	s.flush()
	return err
}

func (s *SDK) stopLocked(op string, ch, id int, info string, ext bool, evStop, stStop int64) error {
	c, err := s.op(op, ch)
	if err != nil {
		return err
	}
	if err := s.checkID(op, id); err != nil {
		return err
	}
	if err := checkInfo(op, info); err != nil {
		return err
	}
	ev, ok := c.events[id]
	if !ok {
		return newErr(op, CodeEventNotFound, "event %d was not started", id)
	}
	if info != ev.info {
		return newErr(op, CodeInfoMismatch, "info %q differs from start info %q", info, ev.info)
	}
	end := s.devNow()
	if ext {
		if end, _, err = s.extTimes(op, evStop, stStop); err != nil {
			return err
		}
	}
	delete(c.events, id)
	ev.stopped = true
	ev.end = end.Truncate(time.Second)
	s.updateRecording(c) // push-stop when nothing else needs the stream
	s.maybeReport(ev)
	return nil
}

// maybeReport reports an event once it is stopped, its slices are resolved
// and its picture is uploaded (CS6, CS7); s.mu held.
func (s *SDK) maybeReport(ev *event) {
	if !ev.stopped || ev.pending > 0 || !ev.captured || ev.picBusy || ev.reporting || s.exiting {
		return
	}
	ev.reporting = true
	c := s.chans[ev.ch]
	picOK := ev.pic != nil && ev.picErr == nil
	var ok bool
	switch c.cfg.ReportOpt {
	case ReportVideo:
		ok = ev.videoOK
	case ReportPicture:
		ok = picOK
	default:
		ok = ev.videoOK || picOK
	}
	if !ok {
		s.eventResult(ev, false)
		return
	}
	rep := cloudapi.EventReport{Device: s.cfg.Device, Channel: ev.ch, EventID: ev.id, Start: ev.start, End: ev.end, Info: ev.info, PictureID: ev.picID}
	var rc cloudapi.EventReceipt
	s.call(OpEvent, ev.ch, 0, s.trans, func(ctx context.Context) error {
		var err error
		rc, err = s.st.ReportEvent(ctx, rep)
		return err
	}, func(err error) {
		s.eventResult(ev, err == nil && rc.OK)
	})
}

// eventResult delivers picture-result then event-report-result (CS6).
func (s *SDK) eventResult(ev *event, ok bool) {
	s.emit(observe.Observation{Kind: observe.EventReported, Channel: ev.ch, Seq: uint64(ev.id), OK: ok, Value: ev.end.Sub(ev.start)})
	if ev.pic != nil {
		if cb := s.cb.PictureResult; cb != nil {
			ch, pic, err := ev.ch, ev.pic, ev.picErr
			s.enqueue(func() { cb(ch, pic, err) })
		}
	}
	if cb := s.cb.EventReportResult; cb != nil {
		r := EventResult{OK: ok, EventID: ev.id, Start: ev.start, End: ev.end}
		ch := ev.ch
		s.enqueue(func() { cb(ch, r) })
	}
}

// resolve tells sl's events that its upload is settled; s.mu held.
func (s *SDK) resolve(sl *slice, ok bool) {
	evs := sl.events
	sl.events = nil
	for _, ev := range evs {
		ev.pending--
		if ok && !ev.videoOK {
			// the event's first video is in the cloud: latency from the
			// event's start (report latency_ms.event_first_frame)
			if !ev.began.IsZero() {
				s.emit(observe.Observation{Kind: observe.EventFirstFrame, Channel: ev.ch, Seq: uint64(ev.id),
					Value: s.clk.Now().Sub(ev.began)})
			}
			ev.videoOK = true
		} else if ok {
			ev.videoOK = true
		}
		s.maybeReport(ev)
	}
}

// EventDirectReport is iv_cs_event_directly_report (CS9): an event with an
// optional picture, reported at once; it works without a plan. at zero
// means now. It blocks until the cloud answered or the timeouts passed.
func (s *SDK) EventDirectReport(ch, id int, info string, at time.Time, pic []byte) error {
	const op = "EventDirectReport"
	s.mu.Lock()
	if _, err := s.op(op, ch); err != nil {
		s.mu.Unlock()
		return err
	}
	if err := s.checkID(op, id); err != nil {
		s.mu.Unlock()
		return err
	}
	if err := checkInfo(op, info); err != nil {
		s.mu.Unlock()
		return err
	}
	if at.IsZero() {
		at = s.devNow()
	}
	if at.After(s.devNow()) {
		s.mu.Unlock()
		return newErr(op, CodeTimeFuture, "event time %v is in the future", at)
	}
	s.emit(observe.Observation{Kind: observe.EventStarted, Channel: ch, Seq: uint64(id)})
	dev, lim := s.cfg.Device, s.trans
	s.mu.Unlock()

	rep := cloudapi.EventReport{Device: dev, Channel: ch, EventID: id, Start: at.Truncate(time.Second), End: at.Truncate(time.Second), Info: info, Direct: true}
	err := func() error {
		if len(pic) > 0 {
			var rc cloudapi.PictureReceipt
			err := s.syncCall(OpPicture, ch, len(pic), lim.total(), func(ctx context.Context) error {
				var err error
				rc, err = s.st.UploadPicture(ctx, cloudapi.PictureUpload{Device: dev, Channel: ch, EventID: id, Body: pic})
				return err
			})
			if err != nil {
				return err
			}
			rep.PictureID = rc.ID
		}
		var rc cloudapi.EventReceipt
		err := s.syncCall(OpEvent, ch, 0, lim.reply, func(ctx context.Context) error {
			var err error
			rc, err = s.st.ReportEvent(ctx, rep)
			return err
		})
		if err == nil && !rc.OK {
			err = &cloudapi.Error{Code: cloudapi.CodeUnavailable, Msg: "event not accepted"}
		}
		return err
	}()
	s.mu.Lock()
	if s.inited {
		s.emit(observe.Observation{Kind: observe.EventReported, Channel: ch, Seq: uint64(id), OK: err == nil})
	}
	s.mu.Unlock()
	if err != nil {
		return sendErr(op, err)
	}
	return nil
}

// sendErr maps a cloud call's failure to the documented code.
func sendErr(op string, err error) error {
	if cloudapi.IsCode(err, cloudapi.CodeNoService) {
		return newErr(op, CodeNoService, "%v", err)
	}
	return newErr(op, CodeHTTPSend, "%v", err)
}
