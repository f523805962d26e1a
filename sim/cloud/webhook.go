package cloud

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fleetsim/fleetsim/sim/clock"
)

// Webhook event types, as in the Tencent live callback document: 0 stream
// ended, 1 stream started, 100 recording file created, 200 snapshot created.
const (
	HookPublishEnd   = 0
	HookPublishStart = 1
	HookRecording    = 100
	HookSnapshot     = 200
)

// WebhookConfig says where and how callbacks are delivered.
type WebhookConfig struct {
	URL string // "" disables callbacks
	Key string // sign = MD5(Key + t)
	// Interval between attempts (default 1 min) and the number of retries
	// after the first attempt (default 10), until an HTTP 200.
	Interval   time.Duration
	MaxRetries int
	// Timeout of one attempt (default 10 s).
	Timeout time.Duration
	// Recording and Snapshot enable the callbacks for stored slices and
	// pictures (publish start/end are always sent when URL is set).
	Recording, Snapshot bool
	// Client sends the callbacks (default: a client with Timeout).
	Client *http.Client
}

// Hook is the JSON body of a callback (Tencent live callback fields).
type Hook struct {
	T           int64  `json:"t"`    // unix seconds when sent
	Sign        string `json:"sign"` // hex MD5(key + decimal t)
	EventType   int    `json:"event_type"`
	Sequence    string `json:"sequence"` // unique per callback, increasing
	StreamID    string `json:"stream_id"`
	ChannelID   string `json:"channel_id"`
	App         string `json:"appname,omitempty"`
	Node        string `json:"node,omitempty"`
	UserIP      string `json:"user_ip,omitempty"`
	StreamParam string `json:"stream_param,omitempty"`
	EventTime   int64  `json:"event_time"` // unix seconds of the event
	ErrCode     int    `json:"errcode"`
	ErrMsg      string `json:"errmsg"`
	// Recording/snapshot callbacks.
	Device   string `json:"device,omitempty"`
	Channel  int    `json:"channel,omitempty"`
	FileSize int64  `json:"file_size,omitempty"`
	StartMS  int64  `json:"start_time_ms,omitempty"`
	EndMS    int64  `json:"end_time_ms,omitempty"`
	FileID   string `json:"file_id,omitempty"`
}

// Sign is MD5(key + t) in lower-case hex, t in decimal.
func Sign(key string, t int64) string {
	s := md5.Sum([]byte(key + strconv.FormatInt(t, 10)))
	return hex.EncodeToString(s[:])
}

// WebhookStats counts callback deliveries.
type WebhookStats struct {
	Queued    int64 `json:"queued"`    // callbacks created
	Attempts  int64 `json:"attempts"`  // HTTP requests made
	Delivered int64 `json:"delivered"` // answered 200
	GaveUp    int64 `json:"gave_up"`   // retries exhausted
	Pending   int64 `json:"pending"`   // not yet delivered nor given up
	InFlight  int64 `json:"in_flight"` // requests under way right now
}

// webhooks delivers callbacks with retries on the cloud's clock.
type webhooks struct {
	cfg WebhookConfig
	clk clock.Clock
	ctx context.Context
	wg  sync.WaitGroup

	seq                                                  atomic.Uint64
	queued, attempts, delivered, gaveUp, pending, flying atomic.Int64

	mu     sync.Mutex
	timers map[*hookJob]clock.Timer
	closed bool
}

type hookJob struct {
	hook  Hook
	tries int
}

func newWebhooks(ctx context.Context, clk clock.Clock, cfg WebhookConfig) *webhooks {
	if cfg.Interval <= 0 {
		cfg.Interval = time.Minute
	}
	if cfg.MaxRetries <= 0 {
		cfg.MaxRetries = 10
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: cfg.Timeout}
	}
	return &webhooks{cfg: cfg, clk: clk, ctx: ctx, timers: make(map[*hookJob]clock.Timer)}
}

// send queues a callback; the first attempt starts at once.
func (w *webhooks) send(h Hook) {
	if w == nil || w.cfg.URL == "" {
		return
	}
	h.Sequence = strconv.FormatUint(w.seq.Add(1), 10)
	w.queued.Add(1)
	w.pending.Add(1)
	j := &hookJob{hook: h}
	w.start(j)
}

func (w *webhooks) start(j *hookJob) {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		w.pending.Add(-1)
		return
	}
	delete(w.timers, j)
	w.flying.Add(1)
	w.wg.Add(1)
	w.mu.Unlock()
	go func() {
		defer w.wg.Done()
		// flying drops only once the outcome is recorded and any retry
		// timer armed, so a test that sees nothing in flight sees the
		// retry on the clock
		defer w.flying.Add(-1)
		if w.attempt(j) {
			w.delivered.Add(1)
			w.pending.Add(-1)
			return
		}
		if j.tries > w.cfg.MaxRetries {
			w.gaveUp.Add(1)
			w.pending.Add(-1)
			return
		}
		w.mu.Lock()
		defer w.mu.Unlock()
		if w.closed {
			w.pending.Add(-1)
			return
		}
		w.timers[j] = w.clk.AfterFunc(w.cfg.Interval, func() { w.start(j) })
	}()
}

// attempt makes one HTTP request; true on a 200.
func (w *webhooks) attempt(j *hookJob) bool {
	j.tries++
	w.attempts.Add(1)
	h := j.hook
	h.T = w.clk.Now().Unix()
	h.Sign = Sign(w.cfg.Key, h.T)
	body, _ := json.Marshal(h)
	ctx, cancel := context.WithTimeout(w.ctx, w.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return false
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := w.cfg.Client.Do(req)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

func (w *webhooks) stats() WebhookStats {
	if w == nil {
		return WebhookStats{}
	}
	return WebhookStats{Queued: w.queued.Load(), Attempts: w.attempts.Load(), Delivered: w.delivered.Load(),
		GaveUp: w.gaveUp.Load(), Pending: w.pending.Load(), InFlight: w.flying.Load()}
}

// close stops retries and waits for requests under way (their context is
// the cloud's, cancelled before close is called).
func (w *webhooks) close() {
	if w == nil {
		return
	}
	w.mu.Lock()
	w.closed = true
	for j, t := range w.timers {
		if t.Stop() {
			w.pending.Add(-1)
		}
		delete(w.timers, j)
	}
	w.mu.Unlock()
	w.wg.Wait()
}

// hookTime is unix seconds of t.
func hookTime(t time.Time) int64 { return t.Unix() }

// ms is unix milliseconds of t.
func ms(t time.Time) int64 { return t.UnixMilli() }
