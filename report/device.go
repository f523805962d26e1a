package report

import (
	"math"

	"github.com/fleetsim/fleetsim/sim/observe"
)

// deviceState is one device's detail, guarded by its shard's lock.
type deviceState struct {
	// What a frame's observations touch — its group, FrameSent, a
	// delivery's count, latency and fate tracker — is on the first cache
	// line of the 128-byte record: in a fleet the record is cold when the
	// device's next frame comes.
	group                    uint16
	everConnected            bool
	openConns                int32
	sent, delivered          int64
	latSumUS, latMaxUS       int64
	fates                    []fateTracker
	bytesDelivered           int64
	dropped, lost, rejected  int64
	byPolicy                 int64 // of dropped: by plan, not failure
	doubleFates              int64
	reconnects, connFailures int64
}

// fateSpan is how many recent frames per stream the double-fate check
// remembers: a second fate for one of the last fateSpan frames of a stream
// is caught; an older one is only caught by the in-flight check at the end.
const fateSpan = 512

// maxTrackedStreams bounds the streams per device that the double-fate check
// follows (3 channels × video and audio = 6).
const maxTrackedStreams = 8

// fateTracker remembers which of a stream's last fateSpan frames have had
// a fate.
type fateTracker struct {
	channel int
	stream  observe.Stream
	top     uint64
	bits    [fateSpan / 64]uint64
}

// doubleFate records the fate of o's frame and reports whether that frame
// already had one.
func (d *deviceState) doubleFate(o *observe.Observation) bool {
	var t *fateTracker
	for i := range d.fates {
		if d.fates[i].channel == o.Channel && d.fates[i].stream == o.Stream {
			t = &d.fates[i]
			break
		}
	}
	if t == nil {
		if len(d.fates) >= maxTrackedStreams {
			return false
		}
		d.fates = append(d.fates, fateTracker{channel: o.Channel, stream: o.Stream, top: o.Seq})
		t = &d.fates[len(d.fates)-1]
	}
	if t.mark(o.Seq) {
		d.doubleFates++
		return true
	}
	return false
}

func (t *fateTracker) mark(seq uint64) bool {
	if seq > t.top {
		if seq-t.top >= fateSpan {
			t.bits = [fateSpan / 64]uint64{}
		} else {
			for s := t.top + 1; s <= seq; s++ {
				t.bits[(s%fateSpan)/64] &^= 1 << (s % 64)
			}
		}
		t.top = seq
	} else if t.top-seq >= fateSpan {
		return false // too old to check
	}
	w, b := (seq%fateSpan)/64, seq%64
	if t.bits[w]&(1<<b) != 0 {
		return true
	}
	t.bits[w] |= 1 << b
	return false
}

// row is the device's totals; ok is false for a device outside the plan
// that saw nothing.
func (d *deviceState) row(index int, group string, planned bool) (DeviceRow, bool) {
	fates := d.delivered + d.dropped + d.lost + d.rejected
	if !planned && d.sent == 0 && fates == 0 && d.reconnects == 0 && d.connFailures == 0 && !d.everConnected {
		return DeviceRow{}, false
	}
	r := DeviceRow{
		Device: index, Group: group,
		Sent: d.sent, Delivered: d.delivered, DroppedDevice: d.dropped, LostNetwork: d.lost, RejectedCloud: d.rejected,
		InFlight: d.sent - fates, DoubleFates: d.doubleFates,
		BytesDelivered: d.bytesDelivered,
		Connected:      d.everConnected, Reconnects: d.reconnects, ConnFailures: d.connFailures,
	}
	r.DroppedByPolicy = d.byPolicy
	if failed := d.dropped - d.byPolicy + d.lost + d.rejected; failed+d.delivered > 0 {
		r.LossRatio = ratio(failed, failed+d.delivered)
	}
	if d.delivered > 0 {
		r.LatencyMeanMs = roundMs(float64(d.latSumUS) / float64(d.delivered) / 1000)
		r.LatencyMaxMs = roundMs(float64(d.latMaxUS) / 1000)
	}
	return r, true
}

// ratio is a/b rounded to 6 decimals (0 when b is 0) — except that rounding
// never makes a ratio 0 or 1 that is not: one frame lost in ten million is
// not "== 0" to a threshold (it stays unrounded then).
func ratio(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	x := float64(a) / float64(b)
	r := math.Round(x*1e6) / 1e6
	if (r == 0 && a != 0) || (r == 1 && a != b) {
		return x
	}
	return r
}
