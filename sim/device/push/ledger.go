package push

import "github.com/fleetsim/fleetsim/sim/observe"

// frameRef names one frame written to a connection.
type frameRef struct {
	stream observe.Stream
	seq    uint64
}

// ledger lists the frames written to one connection that the cloud may not
// have accounted yet, in write order.
type ledger struct {
	refs []frameRef
	head int
}

// settleEvery is how many unsettled frames a ledger holds before it asks
// the cloud which of them it accounted.
const settleEvery = 512

func (l *ledger) add(r frameRef) { l.refs = append(l.refs, r) }

func (l *ledger) pending() []frameRef { return l.refs[l.head:] }

// settle forgets the leading frames the cloud has accounted. Fates do not
// come strictly in write order across streams (the ingest holds audio until
// the next stamped video frame times it, and never times it when that video
// is refused), so every frame is asked for, in order, and the first one
// without a fate stops the walk.
func (l *ledger) settle(rc Receipts, device, channel int) {
	p := l.pending()
	k := 0
	for k < len(p) && rc.HasFate(device, channel, p[k].stream, p[k].seq) {
		k++
	}
	l.head += k
	switch {
	case l.head == len(l.refs):
		l.refs, l.head = l.refs[:0], 0
	case l.head >= len(l.refs)/2:
		n := copy(l.refs, l.refs[l.head:])
		l.refs, l.head = l.refs[:n], 0
	}
}

// unaccounted returns the frames the cloud has not accounted.
func (l *ledger) unaccounted(rc Receipts, device, channel int) []frameRef {
	var out []frameRef
	for _, r := range l.pending() {
		if !rc.HasFate(device, channel, r.stream, r.seq) {
			out = append(out, r)
		}
	}
	return out
}
