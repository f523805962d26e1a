package device

import (
	"context"
	"errors"
	"sync"

	"github.com/fleetsim/fleetsim/sim/clock"
	"github.com/fleetsim/fleetsim/sim/cloudapi"
	"github.com/fleetsim/fleetsim/sim/device/cstorage"
	"github.com/fleetsim/fleetsim/sim/observe"
)

// reachStorage watches a device's cloud calls to tell whether the device
// reaches its cloud: the first answer (any answer, refusals included) is a
// ConnUp, a transport failure after that a ConnClosed, and the next answer a
// Reconnect and ConnUp. It is how an HTTP-speaking SDK shows up in
// devices.connected and connections.reconnects.
type reachStorage struct {
	cloudapi.Storage
	clk    clock.Clock
	sink   observe.Sink
	device int

	mu   sync.Mutex
	up   bool
	seen bool
}

// watchReach wraps s unless it is a virtual-time cloud, whose calls the SDK
// schedules itself (cstorage.VirtualStorage) and which is never unreachable
// by transport.
func watchReach(s cloudapi.Storage, clk clock.Clock, sink observe.Sink, device int) cloudapi.Storage {
	if _, virtual := s.(cstorage.VirtualStorage); virtual {
		return s
	}
	return &reachStorage{Storage: s, clk: clk, sink: sink, device: device}
}

func (r *reachStorage) note(err error) {
	var refusal *cloudapi.Error
	answered := err == nil || errors.As(err, &refusal)
	if !answered && errors.Is(err, context.Canceled) {
		return // our own cancellation says nothing about the link
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.clk.Now()
	switch {
	case answered && !r.up:
		if r.seen {
			r.sink.Observe(observe.Observation{At: now, Kind: observe.Reconnect, Device: r.device})
		}
		r.up, r.seen = true, true
		r.sink.Observe(observe.Observation{At: now, Kind: observe.ConnUp, Device: r.device})
	case !answered && r.up:
		r.up = false
		r.sink.Observe(observe.Observation{At: now, Kind: observe.ConnClosed, Device: r.device, Reason: "transport_error"})
	}
}

func (r *reachStorage) QueryPlan(ctx context.Context, device string, channel int, known uint64) (cloudapi.Plan, error) {
	p, err := r.Storage.QueryPlan(ctx, device, channel, known)
	r.note(err)
	return p, err
}

func (r *reachStorage) UploadSlice(ctx context.Context, s cloudapi.SliceUpload) (cloudapi.SliceReceipt, error) {
	rc, err := r.Storage.UploadSlice(ctx, s)
	r.note(err)
	return rc, err
}

func (r *reachStorage) UploadPicture(ctx context.Context, p cloudapi.PictureUpload) (cloudapi.PictureReceipt, error) {
	rc, err := r.Storage.UploadPicture(ctx, p)
	r.note(err)
	return rc, err
}

func (r *reachStorage) ReportEvent(ctx context.Context, e cloudapi.EventReport) (cloudapi.EventReceipt, error) {
	rc, err := r.Storage.ReportEvent(ctx, e)
	r.note(err)
	return rc, err
}
