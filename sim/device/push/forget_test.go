package push

import (
	"errors"
	"github.com/fleetsim/fleetsim/media/av"
	"testing"
)

// TestEndedConnectionsForgotten: a camera that connects and closes all day
// holds only its live connections (the SDK kept every ended one with its
// context, ~2–3 KB each, until Uninitialize). An ended connection's id
// answers ErrClosed, Close of it is a no-op, and an id never issued is
// still ErrUnknownConn.
func TestEndedConnectionsForgotten(t *testing.T) {
	r := newRig(t, av.H264, Options{})
	var ended []ConnID
	for i := 0; i < 20; i++ {
		r.cbs = &callbacks{}
		r.connect()
		if err := r.sdk.Close(r.id); err != nil {
			t.Fatalf("close %d: %v", r.id, err)
		}
		waitFor(t, "close callback", func() bool { return r.cbs.has(EventClose) })
		waitFor(t, "connection forgotten", func() bool {
			r.sdk.mu.Lock()
			defer r.sdk.mu.Unlock()
			return len(r.sdk.conns) == 0
		})
		ended = append(ended, r.id)
	}
	r.cbs = &callbacks{}
	r.connect()
	r.sdk.mu.Lock()
	held := len(r.sdk.conns)
	r.sdk.mu.Unlock()
	if held != 1 {
		t.Errorf("after 20 ended connections and 1 live one the SDK holds %d", held)
	}
	for _, id := range ended {
		if err := r.sdk.SendMetadata(id, MetaStreamStart, 0, 0); !errors.Is(err, ErrClosed) {
			t.Errorf("SendMetadata on ended %d: %v, want ErrClosed", id, err)
		}
		if err := r.sdk.Close(id); err != nil {
			t.Errorf("Close of ended %d: %v, want nil", id, err)
		}
		if r.sdk.IsConnected(id) {
			t.Errorf("ended %d reads as connected", id)
		}
	}
	if err := r.sdk.SendMetadata(r.id+100, MetaStreamStart, 0, 0); !errors.Is(err, ErrUnknownConn) {
		t.Errorf("SendMetadata on an id never issued: %v, want ErrUnknownConn", err)
	}
	if !r.sdk.IsConnected(r.id) {
		t.Error("the live connection reads as not connected")
	}
}
