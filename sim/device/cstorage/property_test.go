package cstorage

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/fleetsim/fleetsim/sim/cloudapi"
	"github.com/fleetsim/fleetsim/sim/cloudapi/fakecloud"
	"github.com/fleetsim/fleetsim/sim/units"
)

// eventJPEG is a distinct picture per event id, so PictureResult names it.
func eventJPEG(id int) []byte {
	p := append([]byte(nil), jpeg...)
	p[4] = byte(id)
	return p
}

// orderRecorder adds the API calls that succeeded to the callback log and
// names pictures by event id.
func propertyCallbacks(r *recorder) Callbacks {
	cb := r.callbacks()
	cb.CapturePicture = func(ch, id int) []byte {
		r.add("capture %d %d", ch, id)
		return eventJPEG(id)
	}
	cb.PictureResult = func(ch int, pic []byte, err error) {
		r.add("picture_result %d %d", ch, pic[4])
	}
	return cb
}

// checkOrder verifies the documented callback order (CS6) on a log of
// callbacks and successful API calls of channel 0.
func checkOrder(log []string) error {
	pushing := false
	type evState struct {
		captured, stopped, pictured, reported bool
	}
	// instances of each id, oldest first: an id may start again while its
	// previous instance is still being reported
	evs := map[int][]*evState{}
	for i, l := range log {
		f := strings.Fields(l)
		id := 0
		if len(f) >= 3 {
			id, _ = strconv.Atoi(f[2])
		}
		inst := evs[id]
		var last *evState
		if len(inst) > 0 {
			last = inst[len(inst)-1]
		}
		first := func(pred func(*evState) bool) *evState {
			for _, e := range inst {
				if pred(e) {
					return e
				}
			}
			return nil
		}
		switch f[0] {
		case "api_start":
			if last != nil && !last.stopped {
				return fmt.Errorf("%d: %q: id started twice", i, l)
			}
			evs[id] = append(inst, &evState{})
		case "api_stop":
			if last == nil || last.stopped {
				return fmt.Errorf("%d: %q: stop without start", i, l)
			}
			last.stopped = true
		case "capture":
			e := first(func(e *evState) bool { return !e.captured })
			if e == nil {
				return fmt.Errorf("%d: %q: capture without start or twice", i, l)
			}
			e.captured = true
		case "push_start":
			if pushing {
				return fmt.Errorf("%d: %q: push started twice", i, l)
			}
			for eid, inst := range evs {
				for _, e := range inst {
					if !e.stopped && !e.captured {
						return fmt.Errorf("%d: %q: push-start before event %d's capture-picture", i, l, eid)
					}
				}
			}
			pushing = true
		case "push_stop":
			if !pushing {
				return fmt.Errorf("%d: %q: push stopped while not pushing", i, l)
			}
			pushing = false
		case "picture_result":
			e := first(func(e *evState) bool { return !e.reported })
			if e == nil || !e.stopped || e.pictured || !e.captured {
				return fmt.Errorf("%d: %q: picture result out of order (%+v)", i, l, e)
			}
			e.pictured = true
		case "event_result":
			e := first(func(e *evState) bool { return !e.reported })
			if e == nil || !e.stopped || !e.captured {
				return fmt.Errorf("%d: %q: event result out of order (%+v)", i, l, e)
			}
			if !e.pictured {
				return fmt.Errorf("%d: %q: event result before its picture result", i, l)
			}
			e.reported = true
		}
	}
	for id, inst := range evs {
		for _, e := range inst {
			if e.stopped && !e.reported {
				return fmt.Errorf("event %d stopped but never reported", id)
			}
		}
	}
	return nil
}

func TestCheckOrderCatchesViolations(t *testing.T) {
	good := []string{"api_start 0 1", "capture 0 1", "push_start 0", "api_stop 0 1", "push_stop 0", "picture_result 0 1", "event_result 0 1 ok=true"}
	if err := checkOrder(good); err != nil {
		t.Fatal(err)
	}
	bad := [][]string{
		{"api_start 0 1", "push_start 0", "capture 0 1"},
		{"api_start 0 1", "capture 0 1", "api_stop 0 1", "event_result 0 1 ok=true", "picture_result 0 1"},
		{"api_start 0 1", "capture 0 1", "picture_result 0 1", "api_stop 0 1"},
		{"push_start 0", "push_start 0"},
		{"api_start 0 1", "capture 0 1", "api_stop 0 1"},
	}
	for _, b := range bad {
		if checkOrder(b) == nil {
			t.Errorf("accepted %v", b)
		}
	}
}

func TestPropertyAccountingAndOrder(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		gop := rapid.SampledFrom([]units.ByteSize{256 * units.KiB, 800 * units.KiB}).Draw(rt, "gop")
		r := newRig(t, cloudapi.PlanEvent, func(c *Config) {
			c.Channels[0].PreRecord = 30 * time.Second
			c.Channels[0].MaxGopSize = gop
			c.Channels[0].Watermarks = Watermarks{Enabled: true, Low: gop / 10, Warn: gop * 4 / 10, High: gop * 8 / 10}
			c.Channels[0].ReportOpt = ReportOption(rapid.IntRange(0, 2).Draw(rt, "opt"))
			c.Backfill.Window = 2 * time.Minute
			c.Retries = 1
		})
		// re-init with the order-checking callbacks
		r.sdk.Exit()
		r.rec.log = nil
		if err := r.sdk.Init(r.cfg, propertyCallbacks(r.rec)); err != nil {
			rt.Fatal(err)
		}
		r.clk.Advance(100 * time.Millisecond)
		active := map[int]bool{}
		steps := rapid.IntRange(1, 40).Draw(rt, "steps")
		for i := 0; i < steps; i++ {
			switch rapid.IntRange(0, 8).Draw(rt, "action") {
			case 0, 1:
				r.run(time.Duration(rapid.IntRange(1, 15).Draw(rt, "push_s")) * time.Second)
			case 2:
				r.idle(time.Duration(rapid.IntRange(1, 150).Draw(rt, "idle_s")) * time.Second)
			case 3:
				id := rapid.IntRange(1, 4).Draw(rt, "id")
				var err error
				mark := r.rec.mark("api_start 0 %d", id)
				if rapid.Bool().Draw(rt, "ext") {
					pre := int64(rapid.IntRange(0, 40).Draw(rt, "pre_s"))
					err = r.sdk.EventStartExt(0, id, "", 0, pre)
				} else {
					err = r.sdk.EventStart(0, id, "")
				}
				if err == nil {
					active[id] = true
				} else {
					r.rec.unmark(mark)
				}
				if err != nil && active[id] && CodeOf(err) != CodeEventBusy {
					rt.Fatalf("start of active id %d: %v", id, err)
				}
			case 4:
				id := rapid.IntRange(1, 4).Draw(rt, "id")
				mark := r.rec.mark("api_stop 0 %d", id)
				err := r.sdk.EventStop(0, id, "")
				if err == nil {
					delete(active, id)
				} else {
					r.rec.unmark(mark)
				}
				if err != nil && !active[id] && CodeOf(err) != CodeEventNotFound {
					rt.Fatalf("stop of inactive id %d: %v", id, err)
				}
			case 5:
				kind := rapid.SampledFrom([]cloudapi.PlanKind{cloudapi.PlanNone, cloudapi.PlanEvent, cloudapi.PlanFullTime}).Draw(rt, "plan")
				r.cloud.SetPlan(dev, 0, cloudapi.Plan{Kind: kind, Valid: kind != cloudapi.PlanNone && rapid.IntRange(0, 4).Draw(rt, "valid") > 0})
			case 6:
				r.cloud.SetFaults(fakecloud.Faults{
					Offline:         rapid.IntRange(0, 3).Draw(rt, "offline") == 0,
					UploadErrorRate: rapid.SampledFrom([]float64{0, 0, 0.3}).Draw(rt, "err_rate"),
					SlowReply:       rapid.SampledFrom([]time.Duration{0, 0, 3 * time.Second, 6 * time.Second}).Draw(rt, "slow"),
				})
			case 7:
				r.sdk.AdjustClock(time.Duration(rapid.IntRange(-60, 60).Draw(rt, "adjust_s")) * time.Second)
			case 8:
				_ = r.sdk.EventDirectReport(0, rapid.IntRange(1, 32).Draw(rt, "direct_id"), "", time.Time{}, nil)
			}
		}
		// heal, stop what is running, let uploads and reports settle
		r.cloud.SetFaults(fakecloud.Faults{})
		for id := 1; id <= 4; id++ {
			if !active[id] {
				continue
			}
			r.rec.add("api_stop 0 %d", id)
			if err := r.sdk.EventStop(0, id, ""); err != nil {
				rt.Fatalf("final stop %d: %v", id, err)
			}
		}
		r.idle(3 * time.Minute)
		checkAccounting(rt, r.rec.obs, r.sdk.InFlight())
		if err := checkOrder(r.rec.logged("api_", "capture", "push_", "picture_result", "event_result")); err != nil {
			rt.Fatal(err)
		}
		if err := r.sdk.Exit(); err != nil {
			rt.Fatal(err)
		}
		if n := len(r.sdk.InFlight()); n != 0 {
			rt.Fatalf("%d frames in flight after Exit", n)
		}
		checkAccounting(rt, r.rec.obs, nil)
	})
}
