package push

import (
	"sort"

	"github.com/fleetsim/fleetsim/sim/observe"
)

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

// settle forgets the frames the cloud has accounted. The ingest handles a
// connection's messages in order and gives every frame its fate as it
// arrives, so the accounted frames are a prefix of the written ones: the
// boundary is found by binary search.
func (l *ledger) settle(rc Receipts, device, channel int) {
	p := l.pending()
	k := sort.Search(len(p), func(i int) bool { return !rc.HasFate(device, channel, p[i].stream, p[i].seq) })
	l.head += k
	switch {
	case l.head == len(l.refs):
		l.refs, l.head = l.refs[:0], 0
	case l.head >= len(l.refs)/2:
		n := copy(l.refs, l.refs[l.head:])
		l.refs, l.head = l.refs[:n], 0
	}
}
