package report

import "time"

// Live is a snapshot of a running accumulator, for progress displays.
type Live struct {
	Started, Connected             int64
	Sent, Delivered, Dropped, Lost int64
	Rejected, ByPolicy             int64
	IngestP99                      time.Duration // 0 when nothing was delivered yet
	IngestCount                    int64
}

// Live sums every group's counters so far (closed windows and the open
// one) and the ingest latency p99. It costs a pass over the shards and the
// histograms: call it every few seconds, not per frame.
func (a *Accumulator) Live() Live {
	totals, connected := a.liveTotals()
	var l Live
	l.Connected = connected
	for _, c := range totals {
		l.Started += c[cDevicesStarted]
		l.Sent += c[cFramesSent]
		l.Delivered += c[cFramesDelivered]
		l.Dropped += c[cFramesDropped]
		l.Lost += c[cFramesLost]
		l.Rejected += c[cFramesRejected]
		l.ByPolicy += c[cFramesByPolicy]
	}
	if h := a.liveMerged(mIngest); h.TotalCount() > 0 {
		l.IngestCount = h.TotalCount()
		l.IngestP99 = time.Duration(h.ValueAtQuantile(99)) * time.Microsecond
	}
	return l
}
