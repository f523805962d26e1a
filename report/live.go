package report

import (
	"sort"
	"time"
)

// Live is a snapshot of a running accumulator, for progress displays.
type Live struct {
	Started, Connected             int64
	Sent, Delivered, Dropped, Lost int64
	Rejected                       int64
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
	}
	all := &histView{}
	a.liveHist(mIngest, func(_ string, h *histView) { all.add(h) })
	l.IngestCount = int64(all.count)
	if all.count > 0 {
		idx := make([]int, len(all.vals))
		for i := range idx {
			idx[i] = i
		}
		sort.Slice(idx, func(i, j int) bool { return all.vals[idx[i]] < all.vals[idx[j]] })
		rank := uint64(float64(all.count)*0.99 + 0.5)
		var seen uint64
		for _, i := range idx {
			seen += all.cnts[i]
			if seen >= rank {
				l.IngestP99 = time.Duration(all.vals[i] * float64(time.Second))
				break
			}
		}
	}
	return l
}
