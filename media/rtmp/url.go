package rtmp

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// URL is a parsed RTMP URL rtmp://host[:port]/app/stream[?query]. The app is
// the first path segment; the stream name is the rest of the path, which may
// hold further segments (the push SDK's rtmp://host:port/$app/$stream/$time).
type URL struct {
	Host   string // host name or address, without port
	Port   int
	App    string
	Stream string
	// RawQuery is the query without '?', kept exactly as written (ingest
	// signatures are computed over it).
	RawQuery string
}

// ParseURL parses an RTMP URL.
func ParseURL(raw string) (URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return URL{}, fmt.Errorf("rtmp: invalid URL: %w", err)
	}
	if u.Scheme != "rtmp" {
		return URL{}, fmt.Errorf("rtmp: invalid URL %q: scheme %q, want rtmp", raw, u.Scheme)
	}
	if u.Hostname() == "" {
		return URL{}, fmt.Errorf("rtmp: invalid URL %q: no host", raw)
	}
	out := URL{Host: u.Hostname(), Port: DefaultPort, RawQuery: u.RawQuery}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return URL{}, fmt.Errorf("rtmp: invalid URL %q: port %q", raw, p)
		}
		out.Port = n
	}
	path := strings.TrimPrefix(u.EscapedPath(), "/")
	app, stream, _ := strings.Cut(path, "/")
	if out.App, err = url.PathUnescape(app); err != nil || out.App == "" {
		return URL{}, fmt.Errorf("rtmp: invalid URL %q: no app", raw)
	}
	if out.Stream, err = url.PathUnescape(stream); err != nil {
		return URL{}, fmt.Errorf("rtmp: invalid URL %q: stream: %w", raw, err)
	}
	return out, nil
}

// Addr returns host:port.
func (u URL) Addr() string { return net.JoinHostPort(u.Host, strconv.Itoa(u.Port)) }

// TCURL returns the tcUrl of connect: rtmp://host:port/app.
func (u URL) TCURL() string { return "rtmp://" + u.Addr() + "/" + u.App }

// StreamName returns the name a publish or play command carries: the
// stream with its query.
func (u URL) StreamName() string {
	if u.RawQuery == "" {
		return u.Stream
	}
	return u.Stream + "?" + u.RawQuery
}

// String reassembles the URL.
func (u URL) String() string { return u.TCURL() + "/" + u.StreamName() }

// SplitStreamName splits a publish/play name "stream?query" into the stream
// and its parsed query.
func SplitStreamName(name string) (string, url.Values) {
	s, q, ok := strings.Cut(name, "?")
	if !ok {
		return s, url.Values{}
	}
	v, err := url.ParseQuery(q)
	if err != nil {
		return s, url.Values{}
	}
	return s, v
}
