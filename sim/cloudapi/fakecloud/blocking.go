package fakecloud

import (
	"context"

	"github.com/fleetsim/fleetsim/sim/clock"
	"github.com/fleetsim/fleetsim/sim/cloudapi"
)

// Blocking returns c as a plain cloudapi.Storage (no CallDelay) whose calls
// first wait out their delay on the cloud's clock — for callers that make
// each call in a goroutine, as with a real HTTP cloud. A call whose context
// ends while waiting returns the context's error and changes nothing.
func (c *Cloud) Blocking() cloudapi.Storage { return blocking{c} }

type blocking struct{ c *Cloud }

func (b blocking) wait(ctx context.Context, op, device string, channel, size int) error {
	send, reply := b.c.CallDelay(op, device, channel, size)
	return clock.Sleep(ctx, b.c.clk, send+reply)
}

func (b blocking) QueryPlan(ctx context.Context, device string, channel int, known uint64) (cloudapi.Plan, error) {
	if err := b.wait(ctx, "plan", device, channel, 0); err != nil {
		return cloudapi.Plan{}, err
	}
	return b.c.QueryPlan(ctx, device, channel, known)
}

func (b blocking) UploadSlice(ctx context.Context, s cloudapi.SliceUpload) (cloudapi.SliceReceipt, error) {
	if err := b.wait(ctx, "slice", s.Device, s.Channel, int(s.BodySize())); err != nil {
		return cloudapi.SliceReceipt{}, err
	}
	return b.c.UploadSlice(ctx, s)
}

func (b blocking) UploadPicture(ctx context.Context, p cloudapi.PictureUpload) (cloudapi.PictureReceipt, error) {
	if err := b.wait(ctx, "picture", p.Device, p.Channel, len(p.Body)); err != nil {
		return cloudapi.PictureReceipt{}, err
	}
	return b.c.UploadPicture(ctx, p)
}

func (b blocking) ReportEvent(ctx context.Context, e cloudapi.EventReport) (cloudapi.EventReceipt, error) {
	if err := b.wait(ctx, "event", e.Device, e.Channel, 0); err != nil {
		return cloudapi.EventReceipt{}, err
	}
	return b.c.ReportEvent(ctx, e)
}

func (b blocking) DestroyResources(ctx context.Context, device string) error {
	if err := b.wait(ctx, "destroy", device, 0, 0); err != nil {
		return err
	}
	return b.c.DestroyResources(ctx, device)
}
