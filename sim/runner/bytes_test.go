package runner

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/fleetsim/fleetsim/sim/observe"
)

// clean is a short embedded-cloud run on clean links: TS and fMP4
// cloud-storage cameras with audio, and RTMP push cameras.
const clean = `
name: bytes-test
seed: 11
duration: 6s
profiles:
  ts:
    video: {codec: h264, resolution: 640x360, fps: 15, gop: 15, bitrate: 512k}
    audio: {codec: aac, sample_rate: 16000, bitrate: 32k}
    sdk: {kind: cloud-storage, format: ts, slice_duration: 2s}
  fmp4:
    video: {codec: h265, resolution: 640x360, fps: 15, gop: 15, bitrate: 512k}
    audio: {codec: aac, sample_rate: 16000, bitrate: 32k}
    sdk: {kind: cloud-storage, format: fmp4, slice_duration: 2s}
  push:
    video: {codec: h264, resolution: 640x360, fps: 15, gop: 15, bitrate: 512k}
    audio: {codec: aac, sample_rate: 16000, bitrate: 32k}
    sdk: {kind: rtmp-push, pool_size: 1MiB, max_connections: 2}
fleet:
  - {group: ts, count: 2, profile: ts, plan: {full-time: 100%}}
  - {group: fmp4, count: 2, profile: fmp4, plan: {full-time: 100%}}
  - {group: push, count: 2, profile: push}
ramp: {over: 1s}
`

// byteTap keeps, per frame, the size its FrameSent gave and the size of
// its FrameDelivered.
type byteTap struct {
	mu        sync.Mutex
	sent      map[frameKey]int64
	delivered map[frameKey]int64
}

func (b *byteTap) Observe(o observe.Observation) {
	k := frameKey{streamKey{o.Device, o.Channel, o.Stream}, o.Seq}
	b.mu.Lock()
	defer b.mu.Unlock()
	switch o.Kind {
	case observe.FrameSent:
		b.sent[k] = o.Size
	case observe.FrameDelivered:
		b.delivered[k] = o.Size
	}
}

// TestBytesDeliveredMatchSent: on clean links, every delivered frame —
// from a TS or fMP4 slice of the embedded cloud's storage API, or from an
// RTMP stream — carries the size its camera counted when it sent it, so
// report.json's frames.bytes_delivered is bytes_sent less the bytes of the
// frames not delivered (dropped, lost, rejected, in flight at the end).
func TestBytesDeliveredMatchSent(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	tap := &byteTap{sent: map[frameKey]int64{}, delivered: map[frameKey]int64{}}
	var out bytes.Buffer
	res, err := Run(context.Background(), Options{Scenario: load(t, clean), OutDir: t.TempDir(), Out: &out, Progress: "off",
		Grace: 3 * time.Second, Sink: tap})
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	fr := res.Report.Frames
	tap.mu.Lock()
	defer tap.mu.Unlock()
	var sent, notDelivered, delivered int64
	perStream := map[observe.Stream]int64{}
	for k, size := range tap.sent {
		sent += size
		got, ok := tap.delivered[k]
		if !ok {
			notDelivered += size
			continue
		}
		if got != size {
			t.Fatalf("device %d %v frame %d: delivered with size %d, sent with %d", k.device, k.stream, k.seq, got, size)
		}
		delivered += got
		perStream[k.stream]++
	}
	if len(tap.delivered) != int(fr.Delivered) || fr.Delivered == 0 || perStream[observe.Audio] == 0 {
		t.Fatalf("%d frames delivered (%d audio), the report says %d:\n%s", len(tap.delivered), perStream[observe.Audio], fr.Delivered, out.String())
	}
	if fr.BytesSent != sent || fr.BytesDelivered != delivered || fr.BytesDelivered != fr.BytesSent-notDelivered {
		t.Fatalf("report: %d bytes sent, %d delivered; frames: %d sent, %d delivered, %d not delivered",
			fr.BytesSent, fr.BytesDelivered, sent, delivered, notDelivered)
	}
}
