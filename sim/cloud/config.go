package cloud

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/fleetsim/fleetsim/sim/cloudapi"
)

// AuthKind is an RTMP ingest authentication scheme (RP10).
type AuthKind string

const (
	AuthNone     AuthKind = "none"
	AuthKingsoft AuthKind = "kingsoft" // ?t=<unix expiry>&k=<md5(key+stream+t)[8:24]>
	AuthTencent  AuthKind = "tencent"  // ?txSecret=md5(key+stream+txTime)&txTime=<hex unix expiry>
	AuthToken    AuthKind = "token"    // ?token=…, checked by an HTTP callback
)

// Auth configures ingest authentication. For AuthToken, URL is the check
// callback (see API.md "publish auth"); "self" means this cloud's own token
// server.
type Auth struct {
	Kind AuthKind
	Key  string // kingsoft, tencent
	URL  string // token
}

// ParseAuth parses the --auth flag: none, kingsoft:KEY, tencent:KEY,
// token:URL or token:self.
func ParseAuth(s string) (Auth, error) {
	kind, arg, _ := strings.Cut(s, ":")
	switch AuthKind(kind) {
	case AuthNone, "":
		if arg != "" {
			return Auth{}, fmt.Errorf("auth %q: none takes no argument", s)
		}
		return Auth{Kind: AuthNone}, nil
	case AuthKingsoft, AuthTencent:
		if arg == "" || len(arg) > 64 {
			return Auth{}, fmt.Errorf("auth %q: want %s:KEY with a key of 1–64 characters", s, kind)
		}
		return Auth{Kind: AuthKind(kind), Key: arg}, nil
	case AuthToken:
		if arg != "self" && !strings.HasPrefix(arg, "http://") && !strings.HasPrefix(arg, "https://") {
			return Auth{}, fmt.Errorf("auth %q: want token:http(s)://… or token:self", s)
		}
		return Auth{Kind: AuthToken, URL: arg}, nil
	}
	return Auth{}, fmt.Errorf("auth %q: want none, kingsoft:KEY, tencent:KEY or token:URL", s)
}

func (a Auth) String() string {
	switch a.Kind {
	case AuthKingsoft, AuthTencent:
		return string(a.Kind) + ":***"
	case AuthToken:
		return "token:" + a.URL
	}
	return "none"
}

// Config configures a Cloud. The zero value (after defaults) is a cloud on
// 127.0.0.1 with ephemeral ports, no auth, no webhooks.
type Config struct {
	// Listen addresses. "" means 127.0.0.1:0 (an ephemeral loopback port);
	// "off" disables that service.
	RTMPAddr, HTTPAddr, RTPAddr string
	// Apps are the RTMP application names accepted (default "live").
	Apps []string
	Auth Auth
	// Webhook receives publish start/end (and recording, snapshot) callbacks.
	Webhook WebhookConfig
	// Seed drives the cloud's random decisions (fault injection, tokens).
	Seed uint64
	// Node is the node name put in callbacks (default the RTMP address).
	Node string
	// Listen opens the HTTP and RTMP listeners, at Start and again when a
	// restart brings the cloud back (nil: net.Listen). An embedded cloud
	// listens on an in-memory network through it (sim/network/memnet).
	Listen func(network, address string) (net.Listener, error)

	// DefaultPlan is the plan of a channel nobody set (default a valid
	// full-time plan).
	DefaultPlan cloudapi.Plan
	// BackfillWindow is how old (by the cloud's clock, from the slice's UTC
	// end) a backfilled slice may be (default 30 min, CS16).
	BackfillWindow time.Duration
	// IndexRetention is how far behind a channel's newest stored slice the
	// storage index keeps ranges for overlap detection (default 6 h; CS17
	// clock corrections are seconds to hours). It bounds the index's memory
	// in soak runs.
	IndexRetention time.Duration
	// TokenTTL is how long a token of the token server is valid (default 1 h).
	TokenTTL time.Duration

	// Bounds.
	MaxSliceBytes   int64         // default 16 MiB
	MaxPictureBytes int64         // default 2 MiB
	MaxLongPoll     time.Duration // default 60 s
	ReadTimeout     time.Duration // HTTP request read timeout, body included (default 2 min: slow links)
	IdleTimeout     time.Duration // idle keep-alive and idle RTMP connections (default 60 s)
	// MaxRTMPMessage bounds one RTMP message (default 2 MiB);
	// MaxRTMPConnMemory bounds what one RTMP connection may buffer: its
	// chunk streams (one partial message each) are limited to
	// MaxRTMPConnMemory/MaxRTMPMessage, between 8 and 64 (default 32 MiB).
	MaxRTMPMessage    int64
	MaxRTMPConnMemory int64

	// SliceParser reads slice bodies (default MediaSliceParser: TS and
	// fMP4 through media/mpegts and media/fmp4, stamps through media/stamp).
	SliceParser SliceParser

	// DeviceIndex maps a device id (path element, stream name, stamp) to
	// the fleet-plan index put in observations. Default: the decimal number
	// at the end of the id, or -1.
	DeviceIndex func(id string) int

	// Logf, when set, receives one line per noteworthy happening (never
	// per frame).
	Logf func(format string, args ...any)
}

func (c *Config) defaults() {
	if len(c.Apps) == 0 {
		c.Apps = []string{"live"}
	}
	if c.Auth.Kind == "" {
		c.Auth.Kind = AuthNone
	}
	if c.DefaultPlan.Kind == "" {
		c.DefaultPlan = cloudapi.Plan{Kind: cloudapi.PlanFullTime, Valid: true}
	}
	if c.BackfillWindow <= 0 {
		c.BackfillWindow = 30 * time.Minute
	}
	if c.IndexRetention <= 0 {
		c.IndexRetention = 6 * time.Hour
	}
	if c.TokenTTL <= 0 {
		c.TokenTTL = time.Hour
	}
	if c.MaxSliceBytes <= 0 {
		c.MaxSliceBytes = 16 << 20
	}
	if c.MaxPictureBytes <= 0 {
		c.MaxPictureBytes = 2 << 20
	}
	if c.MaxLongPoll <= 0 {
		c.MaxLongPoll = 60 * time.Second
	}
	if c.ReadTimeout <= 0 {
		c.ReadTimeout = 2 * time.Minute
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = 60 * time.Second
	}
	if c.MaxRTMPMessage <= 0 {
		c.MaxRTMPMessage = 2 << 20
	}
	if c.MaxRTMPConnMemory <= 0 {
		c.MaxRTMPConnMemory = 32 << 20
	}
	if c.DeviceIndex == nil {
		c.DeviceIndex = TrailingIndex
	}
	if c.Listen == nil {
		c.Listen = net.Listen
	}
	if c.Logf == nil {
		c.Logf = func(string, ...any) {}
	}
}

// TrailingIndex is the decimal number at the end of id ("cam-0042" → 42),
// or -1 when id does not end in a digit.
func TrailingIndex(id string) int {
	i := len(id)
	for i > 0 && id[i-1] >= '0' && id[i-1] <= '9' && len(id)-i < 9 {
		i--
	}
	if i == len(id) {
		return -1
	}
	n, err := strconv.Atoi(id[i:])
	if err != nil {
		return -1
	}
	return n
}
