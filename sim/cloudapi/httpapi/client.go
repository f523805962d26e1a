package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/fleetsim/fleetsim/sim/cloudapi"
)

// DialFunc opens a connection; a simulated link provides one.
type DialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// Options configure a Client. HTTPClient wins over Dial.
type Options struct {
	HTTPClient *http.Client
	Dial       DialFunc
	// DefaultWait is the long-poll wait asked for when the context has no
	// deadline (default 30 s).
	DefaultWait time.Duration
	// MaxReply bounds a reply body (default 64 KiB).
	MaxReply int64
	// OnDial, when set, is called as each new connection is dialled (with
	// Dial or the default dialer; not with HTTPClient), before the dial's
	// outcome is known: a camera's connection attempts (observe.ConnAttempt).
	// Keep-alive requests on an open connection call nothing.
	OnDial func()
	// OnDialFailed, when set, is called with the error of each such dial
	// that failed (observe.ConnFailed). A request that fails on an open
	// connection is not a failed connection attempt and calls nothing.
	OnDialFailed func(err error)
}

// replyBufSize is the read buffer of a client connection.
const replyBufSize = 1 << 10

// Client implements cloudapi.Storage and cloudapi.Tokens over HTTP.
type Client struct {
	base     string
	hc       *http.Client
	wait     time.Duration
	maxReply int64
}

var (
	_ cloudapi.Storage = (*Client)(nil)
	_ cloudapi.Tokens  = (*Client)(nil)
)

// New returns a client of the API at base (e.g. "http://127.0.0.1:8080").
func New(base string, o Options) (*Client, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("httpapi: base URL %q: want http(s)://host:port", base)
	}
	c := &Client{base: strings.TrimRight(base, "/"), hc: o.HTTPClient, wait: o.DefaultWait, maxReply: o.MaxReply}
	if c.hc == nil && o.Dial != nil && u.Scheme == "http" {
		// a simulated link's client: no goroutines per connection
		dial := pooledCopyDial(o.Dial)
		if o.OnDial != nil || o.OnDialFailed != nil {
			dial = notifyDial(dial, o.OnDial, o.OnDialFailed)
		}
		c.hc = &http.Client{Transport: newLinkTransport(dial)}
	}
	if c.hc == nil {
		tr := &http.Transport{
			MaxIdleConnsPerHost: 4,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
			// replies are small JSON: a keep-alive connection (one per
			// camera) holds a 1 KiB read buffer, not the default 4 KiB;
			// longer replies take more reads
			ReadBufferSize: replyBufSize,
		}
		if o.Dial != nil {
			tr.DialContext = pooledCopyDial(o.Dial)
		} else {
			tr.DialContext = (&net.Dialer{Timeout: 10 * time.Second}).DialContext
		}
		if o.OnDial != nil || o.OnDialFailed != nil {
			tr.DialContext = notifyDial(tr.DialContext, o.OnDial, o.OnDialFailed)
		}
		c.hc = &http.Client{Transport: tr}
	}
	if c.wait <= 0 {
		c.wait = 30 * time.Second
	}
	if c.maxReply <= 0 {
		c.maxReply = 64 << 10
	}
	return c, nil
}

// CloseIdle closes idle keep-alive connections.
func (c *Client) CloseIdle() { c.hc.CloseIdleConnections() }

func devPath(device string, channel int, tail string) string {
	return "/v1/devices/" + url.PathEscape(device) + "/channels/" + strconv.Itoa(channel) + tail
}

// do sends a request and decodes a 2xx JSON reply into out (nil: discard).
func (c *Client) do(ctx context.Context, method, path string, h http.Header, body []byte, out any) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return err
	}
	return c.roundTrip(req, path, h, out)
}

// send is do with a body produced on demand: it is read as the request is
// written, with its exact size as Content-Length, and opened again should
// the transport need to resend it.
func (c *Client) send(ctx context.Context, method, path string, h http.Header, body cloudapi.Content, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, http.NoBody)
	if err != nil {
		return err
	}
	if n := body.Size(); n > 0 {
		req.ContentLength = n
		req.Body = readCloser(body.Open())
		req.GetBody = func() (io.ReadCloser, error) { return readCloser(body.Open()), nil }
	}
	return c.roundTrip(req, path, h, out)
}

// readCloser is r as the request body the transport closes when done with
// it: a Content's reader that holds what it reads from until closed keeps
// its Close.
func readCloser(r io.Reader) io.ReadCloser {
	if rc, ok := r.(io.ReadCloser); ok {
		return rc
	}
	return io.NopCloser(r)
}

// roundTrip sends req with the headers h and decodes a 2xx JSON reply into
// out (nil: discard).
func (c *Client) roundTrip(req *http.Request, path string, h http.Header, out any) error {
	method := req.Method
	if len(req.Header) == 0 && h != nil {
		req.Header = h // h is the request's own (made for it)
	} else {
		for k, v := range h {
			req.Header[k] = v
		}
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, c.maxReply+1))
	if err != nil {
		return err
	}
	if int64(len(data)) > c.maxReply {
		return fmt.Errorf("httpapi: %s %s: reply larger than %d bytes", method, path, c.maxReply)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return ParseErrorReply(resp.StatusCode, data)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("httpapi: %s %s: reply: %w", method, path, err)
	}
	return nil
}

func jsonHeader() http.Header { return http.Header{"Content-Type": {ContentJSON}} }

// QueryPlan implements cloudapi.Storage. With knownVersion > 0 it long-polls:
// the server holds the request until the version changes or the wait (the
// context's remaining time less a margin, or DefaultWait) passes.
func (c *Client) QueryPlan(ctx context.Context, device string, channel int, knownVersion uint64) (cloudapi.Plan, error) {
	var p cloudapi.Plan
	q := url.Values{}
	if knownVersion > 0 {
		q.Set(QueryKnownVersion, strconv.FormatUint(knownVersion, 10))
		wait := c.wait
		if dl, ok := ctx.Deadline(); ok {
			wait = time.Until(dl) - time.Until(dl)/10 // leave a tenth for the reply
		}
		if wait > 0 {
			q.Set(QueryWait, wait.Round(time.Millisecond).String())
		}
	}
	path := devPath(device, channel, "/plan")
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	err := c.do(ctx, http.MethodGet, path, nil, nil, &p)
	return p, err
}

// SetPlan changes a device channel's plan (an administrative route of the
// mock cloud; real clouds have their own).
func (c *Client) SetPlan(ctx context.Context, device string, channel int, p PlanBody) (cloudapi.Plan, error) {
	body, _ := json.Marshal(p)
	var out cloudapi.Plan
	err := c.do(ctx, http.MethodPut, devPath(device, channel, "/plan"), jsonHeader(), body, &out)
	return out, err
}

// UploadSlice implements cloudapi.Storage.
func (c *Client) UploadSlice(ctx context.Context, s cloudapi.SliceUpload) (cloudapi.SliceReceipt, error) {
	var r cloudapi.SliceReceipt
	h := make(http.Header, 16)
	SetSliceHeader(h, &s)
	if s.Content == nil {
		err := c.do(ctx, http.MethodPost, devPath(s.Device, s.Channel, "/slices"), h, s.Body, &r)
		return r, err
	}
	// A streamed body goes out as it is produced, with its Content-Length:
	// the client never holds it whole.
	err := c.send(ctx, http.MethodPost, devPath(s.Device, s.Channel, "/slices"), h, s.Content, &r)
	return r, err
}

// UploadPicture implements cloudapi.Storage.
func (c *Client) UploadPicture(ctx context.Context, p cloudapi.PictureUpload) (cloudapi.PictureReceipt, error) {
	var r cloudapi.PictureReceipt
	h := http.Header{"Content-Type": {ContentJPEG}, HeaderEventID: {strconv.Itoa(p.EventID)}}
	err := c.do(ctx, http.MethodPost, devPath(p.Device, p.Channel, "/pictures"), h, p.Body, &r)
	return r, err
}

// ReportEvent implements cloudapi.Storage.
func (c *Client) ReportEvent(ctx context.Context, e cloudapi.EventReport) (cloudapi.EventReceipt, error) {
	var r cloudapi.EventReceipt
	body, _ := json.Marshal(e)
	err := c.do(ctx, http.MethodPost, "/v1/devices/"+url.PathEscape(e.Device)+"/events", jsonHeader(), body, &r)
	return r, err
}

// DestroyResources implements cloudapi.Storage.
func (c *Client) DestroyResources(ctx context.Context, device string) error {
	return c.do(ctx, http.MethodDelete, "/v1/devices/"+url.PathEscape(device), nil, nil, nil)
}

// Token implements cloudapi.Tokens.
func (c *Client) Token(ctx context.Context, r cloudapi.TokenRequest) (cloudapi.TokenReply, error) {
	var out cloudapi.TokenReply
	body, _ := json.Marshal(r)
	err := c.do(ctx, http.MethodPost, "/v1/token", jsonHeader(), body, &out)
	return out, err
}

// LiveView asks for a live-view session: where to send RTP and with which SSRC.
func (c *Client) LiveView(ctx context.Context, device string, channel int) (LiveViewReply, error) {
	var out LiveViewReply
	err := c.do(ctx, http.MethodPost, devPath(device, channel, "/liveview"), nil, nil, &out)
	return out, err
}
