package push

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/media/rtmp"
	"github.com/fleetsim/fleetsim/sim/clock"
	"github.com/fleetsim/fleetsim/sim/cloudapi"
	"github.com/fleetsim/fleetsim/sim/observe"
	"github.com/fleetsim/fleetsim/sim/units"
)

// TestRP1 checks Initialize's bounds (pool > 100 KB, connections > 1),
// the state rules and the connection cap.
func TestRP1(t *testing.T) {
	clk := clock.NewFake(clock.Epoch())
	deps := Deps{Clock: clk, Sink: &obsLog{}}
	cases := []struct {
		pool  units.ByteSize
		conns int
		ok    bool
	}{
		{100_000, 2, false},
		{100_001, 2, true},
		{units.MiB, 1, false},
		{units.MiB, 0, false},
		{units.MiB, 20, true},
		{0, 2, false},
	}
	for _, c := range cases {
		s := New(deps, Options{})
		err := s.Initialize(c.pool, c.conns)
		if (err == nil) != c.ok {
			t.Errorf("Initialize(%d, %d) = %v, want ok %v", c.pool, c.conns, err, c.ok)
		}
		if err != nil && CodeOf(err) != EventInvalidParam {
			t.Errorf("Initialize(%d, %d): code %v, want invalid parameter", c.pool, c.conns, CodeOf(err))
		}
		if err == nil {
			if err := s.Initialize(c.pool, c.conns); !errors.Is(err, ErrInitialized) {
				t.Errorf("second Initialize: %v", err)
			}
			if err := s.Uninitialize(); err != nil {
				t.Error(err)
			}
		}
	}
	s := New(deps, Options{})
	if _, err := s.Connect("rtmp://h/live/s", "", func(ConnID, Event, int64, int64) {}); !errors.Is(err, ErrNotInitialized) {
		t.Errorf("Connect before Initialize: %v", err)
	}
	if err := s.SetTokenServer(nil); !errors.Is(err, ErrNotInitialized) {
		t.Errorf("SetTokenServer before Initialize: %v", err)
	}
	if err := s.Uninitialize(); !errors.Is(err, ErrNotInitialized) {
		t.Errorf("Uninitialize before Initialize: %v", err)
	}

	// the cap: two connections live, a third is refused
	r := newRig(t, av.H264, Options{})
	r.connect()
	cb2 := &callbacks{}
	if _, err := r.sdk.Connect("rtmp://cloud.test/live/cam-0001/2", "", cb2.cb); err != nil {
		t.Fatal(err)
	}
	if _, err := r.sdk.Connect("rtmp://cloud.test/live/cam-0001/3", "", cb2.cb); !errors.Is(err, ErrTooManyConns) {
		t.Errorf("third connection: %v", err)
	}
	if _, err := r.sdk.Connect("rtmp://cloud.test/live/x", "", nil); CodeOf(err) != EventInvalidParam {
		t.Errorf("nil callback: %v", err)
	}
}

// tokenServer is a cloudapi.Tokens answering from a table.
type tokenServer struct {
	reqs   []cloudapi.TokenRequest
	url    string
	refuse bool
}

func (ts *tokenServer) Token(ctx context.Context, r cloudapi.TokenRequest) (cloudapi.TokenReply, error) {
	ts.reqs = append(ts.reqs, r)
	if ts.refuse {
		return cloudapi.TokenReply{}, &cloudapi.Error{Code: cloudapi.CodeUnauthorized, Msg: "bad client secret"}
	}
	return cloudapi.TokenReply{URL: ts.url, Token: "tok-" + r.DeviceSN + r.DeviceToken}, nil
}

// TestRP2 connects by URL (+token), by device SN through the token server,
// by device token and live; the URL rule is rtmp://host:port/$app/$stream/$time.
func TestRP2(t *testing.T) {
	ts := &tokenServer{url: "rtmp://cloud.test:1935/live/cam-0007/1700000000"}
	cases := []struct {
		name      string
		connect   func(s *SDK, cb Callback) (ConnID, error)
		wantName  string
		wantToken string
		wantReq   *cloudapi.TokenRequest
	}{
		{"url", func(s *SDK, cb Callback) (ConnID, error) {
			return s.Connect("rtmp://cloud.test:1935/live/cam-0001/1700000001", "abc", cb)
		}, "cam-0001/1700000001", "abc", nil},
		{"url-with-query", func(s *SDK, cb Callback) (ConnID, error) {
			return s.Connect("rtmp://cloud.test:1935/live/cam-0001/1700000001?t=5", "abc", cb)
		}, "cam-0001/1700000001", "abc", nil},
		{"sn", func(s *SDK, cb Callback) (ConnID, error) {
			return s.ConnectByDeviceSN("client", "secret", "P0201", cb)
		}, "cam-0007/1700000000", "tok-P0201", &cloudapi.TokenRequest{DeviceSN: "P0201", ClientID: "client", ClientSecret: "secret"}},
		{"device-token", func(s *SDK, cb Callback) (ConnID, error) {
			return s.ConnectByDeviceToken("dt-9", cb)
		}, "cam-0007/1700000000", "tok-dt-9", &cloudapi.TokenRequest{DeviceToken: "dt-9"}},
		{"live", func(s *SDK, cb Callback) (ConnID, error) {
			return s.LiveConnect(nil, "P0201", cb)
		}, "cam-0007/1700000000", "tok-P0201", &cloudapi.TokenRequest{DeviceSN: "P0201"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newRig(t, av.H264, Options{})
			ts.reqs = nil
			if err := r.sdk.SetTokenServer(ts); err != nil {
				t.Fatal(err)
			}
			id, err := c.connect(r.sdk, r.cbs.cb)
			if err != nil {
				t.Fatal(err)
			}
			waitFor(t, "connected", func() bool { return r.cbs.has(EventConnectSuccess) })
			if !r.sdk.IsConnected(id) {
				t.Error("IsConnected false")
			}
			r.rec.mu.Lock()
			pub := r.rec.publishes[0]
			r.rec.mu.Unlock()
			if pub.Stream != c.wantName || pub.Query.Get("token") != c.wantToken {
				t.Errorf("published %q token %q, want %q %q", pub.Stream, pub.Query.Get("token"), c.wantName, c.wantToken)
			}
			if c.wantReq != nil && (len(ts.reqs) != 1 || ts.reqs[0] != *c.wantReq) {
				t.Errorf("token requests %+v, want %+v", ts.reqs, *c.wantReq)
			}
			if c.name == "live" {
				if err := r.sdk.SendMetadata(id, MetaStreamStart, int64(TriggerMoveDetect), 0); CodeOf(err) != EventInvalidParam {
					t.Errorf("live connection took an event trigger: %v", err)
				}
				if err := r.sdk.SendMetadata(id, MetaStreamStart, int64(TriggerLiveIOS), 0); err != nil {
					t.Errorf("live trigger: %v", err)
				}
			}
		})
	}
	t.Run("refused-by-token-server", func(t *testing.T) {
		r := newRig(t, av.H264, Options{})
		if _, err := r.sdk.ConnectByDeviceSN("c", "s", "P1", r.cbs.cb); !errors.Is(err, ErrNoTokenServer) {
			t.Errorf("without token server: %v", err)
		}
		_ = r.sdk.SetTokenServer(&tokenServer{refuse: true})
		if _, err := r.sdk.ConnectByDeviceSN("c", "bad", "P1", r.cbs.cb); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "outcome", func() bool { return len(r.cbs.events()) > 0 })
		if ev := r.cbs.events()[0]; ev != EventInvalidParam {
			t.Errorf("refused token: %v", ev)
		}
	})
	if got := withToken("rtmp://h/a/s", "x y"); got != "rtmp://h/a/s?token="+url.QueryEscape("x y") {
		t.Errorf("withToken: %s", got)
	}
}

// TestRP3 makes the connection fail at each stage and checks the outcome
// code of the callback and of the ConnFailed observation.
func TestRP3(t *testing.T) {
	garbage := func(ctx context.Context, network, addr string) (net.Conn, error) {
		a, b := net.Pipe()
		go func() {
			buf := make([]byte, 1537)
			_, _ = b.Read(buf)
			_, _ = b.Write([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"))
			b.Close()
		}()
		return a, nil
	}
	silent := func(ctx context.Context, network, addr string) (net.Conn, error) {
		a, b := net.Pipe()
		go func() {
			buf := make([]byte, 4096)
			for {
				if _, err := b.Read(buf); err != nil {
					b.Close()
					return
				}
			}
		}()
		return a, nil
	}
	cases := []struct {
		name       string
		url        string
		dial       Dial
		rejectConn error
		rejectPub  error
		advance    bool
		want       Event
	}{
		{"invalid-url", "http://cloud.test/live/s", nil, nil, nil, false, EventInvalidURL},
		{"invalid-url-no-stream", "rtmp://cloud.test/live", nil, nil, nil, false, EventInvalidURL},
		{"dns", "", func(context.Context, string, string) (net.Conn, error) {
			return nil, &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "nx.test", IsNotFound: true}}
		}, nil, nil, false, EventDNSFailed},
		{"socket-refused", "", func(context.Context, string, string) (net.Conn, error) {
			return nil, &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
		}, nil, nil, false, EventSocketFailed},
		{"handshake-garbage", "", garbage, nil, nil, false, EventHandshakeFailed},
		{"connect-app-rejected", "", nil, rtmp.IngestNonExistApp, nil, false, EventConnectApp},
		{"publish-auth-failed", "", nil, nil, rtmp.IngestAuthFailed, false, EventPublishFailed},
		{"publish-stream-exists", "", nil, nil, rtmp.IngestStreamExists, false, EventPublishFailed},
		{"publish-url-expired", "", nil, nil, rtmp.IngestURLExpired, false, EventPublishFailed},
		{"timeout", "", silent, nil, nil, true, EventSetTimeout},
		{"success", "", nil, nil, nil, false, EventConnectSuccess},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newRig(t, av.H264, Options{ConnectTimeout: 5 * time.Second})
			r.rec.rejectConn, r.rec.rejectPub = c.rejectConn, c.rejectPub
			if c.dial != nil {
				r.sdk.deps.Dial = c.dial
			}
			u := c.url
			if u == "" {
				u = "rtmp://cloud.test:1935/live/cam-0001/1700000000"
			}
			if _, err := r.sdk.Connect(u, "", r.cbs.cb); err != nil {
				t.Fatal(err)
			}
			if c.advance {
				waitFor(t, "connect timer", func() bool { return r.clk.Pending() > 0 })
				r.clk.Advance(5 * time.Second)
			}
			waitFor(t, "outcome", func() bool { return len(r.cbs.events()) > 0 })
			if ev := r.cbs.events()[0]; ev != c.want {
				t.Fatalf("outcome %v, want %v", ev, c.want)
			}
			obs := r.log.all()
			if obs[0].Kind != observe.ConnAttempt {
				t.Errorf("first observation %v", obs[0].Kind)
			}
			kind := observe.ConnFailed
			if c.want == EventConnectSuccess {
				kind = observe.ConnUp
			}
			var got *observe.Observation
			for i := range obs {
				if obs[i].Kind == kind {
					got = &obs[i]
				}
			}
			if got == nil || got.Code != int(c.want) {
				t.Errorf("observations %+v: want %v code 0x%02x", obs, kind, int(c.want))
			}
		})
	}
	t.Run("close", func(t *testing.T) {
		r := newRig(t, av.H264, Options{})
		r.connect()
		if err := r.sdk.Close(r.id); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "closed", func() bool { return r.cbs.has(EventClose) })
		if r.sdk.IsConnected(r.id) {
			t.Error("still connected after close")
		}
		if n := r.log.count(observe.ConnClosed, "closed"); n != 1 {
			t.Errorf("ConnClosed %d", n)
		}
	})
	_ = rand.New
}

// TestRP3FramesBeforeFirstConnect: a frame with no connection to go on
// while the camera's first connection attempt is still under way is
// dropped by design (connecting, not loss); once an attempt has ended — here
// by timing out — it is loss (not_connected), so that a camera that never
// connects does not hide its frames as policy.
func TestRP3FramesBeforeFirstConnect(t *testing.T) {
	r := newRig(t, av.H264, Options{ConnectTimeout: 5 * time.Second})
	r.sdk.deps.Dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
		a, b := net.Pipe()
		go func() { // answers nothing: the attempt times out
			buf := make([]byte, 4096)
			for {
				if _, err := b.Read(buf); err != nil {
					b.Close()
					return
				}
			}
		}()
		return a, nil
	}
	fs := frames(t, r.sh, 1, 1, 2*time.Second)
	if err := r.sdk.SendFrame(ConnID(999), fs[0]); err == nil {
		t.Fatal("a frame on no connection was accepted")
	}
	id, err := r.sdk.Connect("rtmp://cloud.test:1935/live/cam-0001/1700000000", "", r.cbs.cb)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.sdk.SendFrame(id, fs[1]); err == nil {
		t.Fatal("a frame on a connection still connecting was accepted")
	}
	waitFor(t, "connect timer", func() bool { return r.clk.Pending() > 0 })
	r.clk.Advance(5 * time.Second)
	waitFor(t, "outcome", func() bool { return len(r.cbs.events()) > 0 })
	if ev := r.cbs.events()[0]; ev != EventSetTimeout {
		t.Fatalf("outcome %v, want the connect timeout", ev)
	}
	if err := r.sdk.SendFrame(id, fs[2]); err == nil {
		t.Fatal("a frame on a failed connection was accepted")
	}
	var reasons []string
	for _, o := range r.log.all() {
		if o.Kind == observe.FrameDropped {
			reasons = append(reasons, o.Reason)
		}
	}
	want := []string{observe.ReasonConnecting, observe.ReasonConnecting, observe.ReasonNotConnected}
	if strings.Join(reasons, ",") != strings.Join(want, ",") {
		t.Fatalf("drop reasons %v, want %v", reasons, want)
	}
	if !observe.ByPolicy(observe.ReasonConnecting) || observe.ByPolicy(observe.ReasonNotConnected) {
		t.Error("connecting must be by policy, not_connected loss")
	}
}
