package cloud

import (
	"errors"
	"fmt"
	"github.com/fleetsim/fleetsim/sim/units"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// Route names a place where faults can be injected: every HTTP route and the
// RTMP publish.
type Route string

const (
	RouteAll      Route = "*"
	RouteToken    Route = "token"
	RoutePlan     Route = "plan"
	RouteSlice    Route = "slice"
	RoutePicture  Route = "picture"
	RouteEvent    Route = "event"
	RouteDestroy  Route = "destroy"
	RouteAuth     Route = "auth"
	RouteLiveView Route = "liveview"
	RoutePublish  Route = "publish" // RTMP publish
)

// Routes lists the routes faults can name (RouteAll aside).
var Routes = []Route{RouteToken, RoutePlan, RouteSlice, RoutePicture, RouteEvent, RouteDestroy, RouteAuth, RouteLiveView, RoutePublish}

// FaultSettings is the set of cloud-side faults in force. The zero value is
// a healthy cloud.
type FaultSettings struct {
	// ErrorRate is the probability that a request on a route is answered
	// 503 unavailable (an RTMP publish: refused). RouteAll applies to every
	// route without its own rate.
	ErrorRate map[Route]float64 `json:"error_rate,omitempty"`
	// ReplyLatency is added before every HTTP reply and RTMP publish answer.
	ReplyLatency time.Duration `json:"reply_latency_ns,omitempty"`
	// Refuse closes new connections as soon as they are accepted.
	Refuse bool `json:"refuse,omitempty"`
	// MaxConns caps concurrent connections (HTTP and RTMP together); more
	// are closed at accept. 0: no cap.
	MaxConns int `json:"max_conns,omitempty"`
	// Bandwidth caps the cloud's total receive rate. 0: no cap.
	Bandwidth units.Bitrate `json:"bandwidth,omitempty"`
}

// faults holds the settings in force and decides per request.
type faults struct {
	mu  sync.Mutex
	s   FaultSettings
	rnd *rand.Rand
	// bw mirrors s.Bandwidth for the per-read check without the lock
	bw atomic.Int64
}

func (f *faults) set(s FaultSettings) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := make(map[Route]float64, len(s.ErrorRate))
	for k, v := range s.ErrorRate {
		m[k] = v
	}
	s.ErrorRate = m
	f.s = s
	f.bw.Store(int64(s.Bandwidth))
}

func (f *faults) get() FaultSettings {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.s
	m := make(map[Route]float64, len(s.ErrorRate))
	for k, v := range s.ErrorRate {
		m[k] = v
	}
	s.ErrorRate = m
	return s
}

func (f *faults) update(fn func(*FaultSettings)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.s.ErrorRate == nil {
		f.s.ErrorRate = make(map[Route]float64)
	}
	fn(&f.s)
	f.bw.Store(int64(f.s.Bandwidth))
}

// fail decides whether a request on r gets an injected error.
func (f *faults) fail(r Route) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.s.ErrorRate[r]
	if !ok {
		p = f.s.ErrorRate[RouteAll]
	}
	if p <= 0 {
		return false
	}
	return p >= 1 || f.rnd.Float64() < p
}

func (f *faults) latency() time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.s.ReplyLatency
}

// admit tells whether a new connection may stay, given how many are open.
func (f *faults) admit(open int) (ok bool, why string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.s.Refuse {
		return false, "refused"
	}
	if f.s.MaxConns > 0 && open >= f.s.MaxConns {
		return false, "connection_cap"
	}
	return true, ""
}

func (f *faults) bandwidth() units.Bitrate { return units.Bitrate(f.bw.Load()) }

// Validate checks settings given by a user.
func (s *FaultSettings) Validate() error {
	for r, p := range s.ErrorRate {
		ok := r == RouteAll
		for _, k := range Routes {
			ok = ok || r == k
		}
		if !ok {
			return fmt.Errorf("error_rate: unknown route %q", r)
		}
		if p < 0 || p > 1 || p != p {
			return fmt.Errorf("error_rate[%s] = %v: want 0..1", r, p)
		}
	}
	if s.ReplyLatency < 0 || s.MaxConns < 0 || s.Bandwidth < 0 {
		return errors.New("reply_latency_ns, max_conns and bandwidth must not be negative")
	}
	return nil
}
