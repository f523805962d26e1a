package cloud

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/fleetsim/fleetsim/media/ingestauth"
	"github.com/fleetsim/fleetsim/sim/clock"
	"github.com/fleetsim/fleetsim/sim/cloudapi"
	"github.com/fleetsim/fleetsim/sim/cloudapi/httpapi"
)

// httpServer serves the cloud-storage API of API.md.
type httpServer struct {
	c      *Cloud
	srv    *http.Server
	bodies bodyPool // slice bodies
}

func newHTTPServer(c *Cloud) *httpServer {
	h := &httpServer{c: c}
	mux := http.NewServeMux()
	mux.Handle(httpapi.RouteToken, h.wrap(RouteToken, h.token))
	mux.Handle(httpapi.RoutePlanGet, h.wrap(RoutePlan, h.planGet))
	mux.Handle(httpapi.RoutePlanPut, h.wrap(RoutePlan, h.planPut))
	mux.Handle(httpapi.RouteSlice, h.wrap(RouteSlice, h.slice))
	mux.Handle(httpapi.RoutePicture, h.wrap(RoutePicture, h.picture))
	mux.Handle(httpapi.RouteEvent, h.wrap(RouteEvent, h.event))
	mux.Handle(httpapi.RouteDestroy, h.wrap(RouteDestroy, h.destroy))
	mux.Handle(httpapi.RoutePublishAuth, h.wrap(RouteAuth, h.publishAuth))
	mux.Handle(httpapi.RouteLiveView, h.wrap(RouteLiveView, h.liveView))
	mux.Handle(httpapi.RouteStats, h.admin(h.stats))
	mux.Handle(httpapi.RouteFaults, h.admin(h.setFaults))
	mux.Handle(httpapi.RouteRestart, h.admin(h.restart))
	mux.Handle(httpapi.RouteDropAll, h.admin(h.drop))
	mux.Handle(httpapi.RouteHealth, h.admin(func(w http.ResponseWriter, r *http.Request) *apiError {
		writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
		return nil
	}))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		c.stats.httpMalformed.Add(1)
		writeError(w, &apiError{code: cloudapi.CodeNotFound, msg: "no route " + r.Method + " " + r.URL.Path})
	})
	h.srv = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       c.cfg.ReadTimeout,
		// long polls hold a reply up to MaxLongPoll
		WriteTimeout:   max(c.cfg.MaxLongPoll, c.cfg.ReadTimeout) + 30*time.Second,
		IdleTimeout:    c.cfg.IdleTimeout,
		MaxHeaderBytes: 16 << 10,
		BaseContext:    func(net.Listener) context.Context { return c.ctx },
		// a request's handler can reach its connection (lowWaterOf)
		ConnContext: func(ctx context.Context, nc net.Conn) context.Context { return context.WithValue(ctx, connKey{}, nc) },
		ErrorLog:    nil,
	}
	return h
}

func (h *httpServer) serve(l net.Listener) { _ = h.srv.Serve(l) }

func (h *httpServer) close() { _ = h.srv.Close() }

// apiError is a refusal: a code of cloudapi and a message.
type apiError struct {
	code   string
	msg    string
	status int // 0: from the code
}

func (e *apiError) Error() string { return e.code + ": " + e.msg }

func badRequest(format string, args ...any) *apiError {
	return &apiError{code: cloudapi.CodeBadRequest, msg: fmt.Sprintf(format, args...)}
}

func writeError(w http.ResponseWriter, e *apiError) {
	st := e.status
	if st == 0 {
		st = httpapi.StatusForCode(e.code)
	}
	writeJSON(w, st, httpapi.ErrorBody{Code: e.code, Message: e.msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", httpapi.ContentJSON)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

type handler func(w http.ResponseWriter, r *http.Request) *apiError

// wrap applies the route's faults, recovers panics and writes errors.
func (h *httpServer) wrap(route Route, fn handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				h.c.cfg.Logf("cloud: %s %s: panic: %v", r.Method, r.URL.Path, p)
				writeError(w, &apiError{code: "internal", msg: "internal error", status: http.StatusInternalServerError})
			}
		}()
		if d := h.c.faults.latency(); d > 0 {
			if clock.Sleep(r.Context(), h.c.clk, d) != nil {
				return
			}
		}
		if h.c.faults.fail(route) {
			h.c.stats.injectedErrors.Add(1)
			writeError(w, &apiError{code: cloudapi.CodeUnavailable, msg: "injected fault on route " + string(route)})
			return
		}
		if e := fn(w, r); e != nil {
			if e.code == cloudapi.CodeBadRequest || e.code == cloudapi.CodeNotFound || e.code == cloudapi.CodeTooLarge {
				h.c.stats.httpMalformed.Add(1)
			}
			writeError(w, e)
		}
	})
}

// admin routes are not subject to faults.
func (h *httpServer) admin(fn handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if e := fn(w, r); e != nil {
			writeError(w, e)
		}
	})
}

// pathDevice reads {device} and, when asked, {channel}.
func pathDevice(r *http.Request, withChannel bool) (string, int, *apiError) {
	dev := r.PathValue("device")
	if err := httpapi.ValidDevice(dev); err != nil {
		return "", 0, badRequest("path: %v", err)
	}
	if !withChannel {
		return dev, 0, nil
	}
	ch, err := httpapi.ParseChannel(r.PathValue("channel"))
	if err != nil {
		return "", 0, badRequest("path: %v", err)
	}
	return dev, ch, nil
}

// readBody reads a body of a declared length of at most max bytes.
func readBody(w http.ResponseWriter, r *http.Request, max int64, needLength bool) ([]byte, *apiError) {
	if needLength && r.ContentLength < 0 {
		return nil, &apiError{code: cloudapi.CodeBadRequest, msg: "Content-Length required", status: http.StatusLengthRequired}
	}
	if r.ContentLength > max {
		return nil, &apiError{code: cloudapi.CodeTooLarge, msg: fmt.Sprintf("body of %d bytes exceeds %d", r.ContentLength, max)}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, &apiError{code: cloudapi.CodeTooLarge, msg: fmt.Sprintf("body exceeds %d bytes", max)}
		}
		// the body did not arrive (the client gave up, the link broke, the
		// read timed out): a transport failure, not a refusal — retryable
		return nil, &apiError{code: cloudapi.CodeUnavailable, msg: fmt.Sprintf("body: %v", err), status: http.StatusRequestTimeout}
	}
	if r.ContentLength >= 0 && int64(len(body)) != r.ContentLength {
		return nil, badRequest("body of %d bytes, Content-Length %d", len(body), r.ContentLength)
	}
	return body, nil
}

func (h *httpServer) token(w http.ResponseWriter, r *http.Request) *apiError {
	body, e := readBody(w, r, httpapi.MaxJSONBody, false)
	if e != nil {
		return e
	}
	var req cloudapi.TokenRequest
	if err := httpapi.DecodeJSON(body, &req); err != nil {
		h.c.stats.tokensRefused.Add(1)
		return badRequest("%v", err)
	}
	if err := httpapi.ValidateToken(&req); err != nil {
		h.c.stats.tokensRefused.Add(1)
		return badRequest("%v", err)
	}
	rep, err := h.c.IssueToken(req.DeviceSN)
	if err != nil {
		return &apiError{code: cloudapi.CodeUnavailable, msg: err.Error()}
	}
	h.c.stats.tokens.Add(1)
	writeJSON(w, http.StatusOK, rep)
	return nil
}

// IssueToken is the token server (RP2): a token for device and the URL to
// publish to, signed for the ingest's auth scheme.
func (c *Cloud) IssueToken(device string) (cloudapi.TokenReply, error) {
	if c.RTMPAddr() == "" {
		return cloudapi.TokenReply{}, errors.New("the RTMP ingest is off")
	}
	tok, exp := c.tokens.issue(device)
	u := c.PublishURL(c.cfg.Apps[0], device)
	var q url.Values
	switch c.cfg.Auth.Kind {
	case AuthKingsoft:
		q = ingestauth.Kingsoft{Key: c.cfg.Auth.Key}.Sign(device, exp)
	case AuthTencent:
		q = ingestauth.Tencent{Key: c.cfg.Auth.Key}.Sign(device, exp)
	default:
		q = url.Values{"token": {tok}}
	}
	return cloudapi.TokenReply{URL: u + "?" + q.Encode(), Token: tok, Expires: exp}, nil
}

func (h *httpServer) planGet(w http.ResponseWriter, r *http.Request) *apiError {
	dev, ch, e := pathDevice(r, true)
	if e != nil {
		return e
	}
	var known uint64
	if v := r.URL.Query().Get(httpapi.QueryKnownVersion); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return badRequest("query %s=%q: want an unsigned integer", httpapi.QueryKnownVersion, v)
		}
		known = n
	}
	var wait time.Duration
	if v := r.URL.Query().Get(httpapi.QueryWait); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return badRequest("query %s=%q: want a non-negative Go duration", httpapi.QueryWait, v)
		}
		wait = min(d, h.c.cfg.MaxLongPoll)
	} else if known > 0 {
		wait = min(30*time.Second, h.c.cfg.MaxLongPoll)
	}
	p := h.c.plans.Wait(r.Context(), chanKey{dev, ch}, known, wait)
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (h *httpServer) planPut(w http.ResponseWriter, r *http.Request) *apiError {
	dev, ch, e := pathDevice(r, true)
	if e != nil {
		return e
	}
	body, e := readBody(w, r, httpapi.MaxJSONBody, false)
	if e != nil {
		return e
	}
	var pb httpapi.PlanBody
	if err := httpapi.DecodeJSON(body, &pb); err != nil {
		return badRequest("%v", err)
	}
	if err := httpapi.ValidatePlan(&pb); err != nil {
		return badRequest("%v", err)
	}
	p := h.c.SetPlan(dev, ch, cloudapi.Plan{Kind: pb.Kind, Valid: pb.Valid, Remaining: pb.Remaining, Expires: pb.Expires})
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (h *httpServer) slice(w http.ResponseWriter, r *http.Request) *apiError {
	dev, ch, e := pathDevice(r, true)
	if e != nil {
		h.c.stats.slicesRefused.Add(1)
		return e
	}
	s, err := httpapi.ParseSliceHeader(r.Header)
	if err != nil {
		h.c.stats.slicesRefused.Add(1)
		return badRequest("%v", err)
	}
	s.Device, s.Channel = dev, ch
	if p, ok := h.c.parser.(SliceStreamParser); ok && p.StreamsFormat(s.Format) {
		return h.sliceStream(w, r, &s, p)
	}
	body, e := h.bodies.readSliceBody(r, h.c.cfg.MaxSliceBytes)
	if e != nil {
		h.c.stats.slicesRefused.Add(1)
		if e.code == cloudapi.CodeTooLarge {
			// refused for good: its frames get their fate here (the
			// device does not retry a refusal of content)
			h.c.rejectSlice(&s, e.code)
		}
		// a body that did not arrive whole is the device's to retry: its
		// frames keep no fate from the cloud (they would get two)
		return e
	}
	s.Body = body
	rec, e := h.c.storeSlice(&s)
	h.bodies.put(body)
	if e != nil {
		h.c.stats.slicesRefused.Add(1)
		return e
	}
	writeJSON(w, http.StatusOK, rec)
	return nil
}

func (h *httpServer) picture(w http.ResponseWriter, r *http.Request) *apiError {
	dev, ch, e := pathDevice(r, true)
	if e != nil {
		h.c.stats.picturesRefused.Add(1)
		return e
	}
	if ct := r.Header.Get("Content-Type"); ct != httpapi.ContentJPEG {
		h.c.stats.picturesRefused.Add(1)
		return badRequest("Content-Type %q: want %s", ct, httpapi.ContentJPEG)
	}
	ev := 0
	if v := r.Header.Get(httpapi.HeaderEventID); v != "" {
		n, err := httpapi.ParseEventID(v)
		if err != nil {
			h.c.stats.picturesRefused.Add(1)
			return badRequest("%v", err)
		}
		ev = n
	}
	body, e := readBody(w, r, h.c.cfg.MaxPictureBytes, true)
	if e != nil {
		h.c.stats.picturesRefused.Add(1)
		return e
	}
	if err := CheckJPEG(body); err != nil {
		h.c.stats.picturesRefused.Add(1)
		return &apiError{code: cloudapi.CodeBadRequest, msg: err.Error(), status: http.StatusUnprocessableEntity}
	}
	id := h.c.storePicture(dev, ch, ev, len(body))
	writeJSON(w, http.StatusOK, cloudapi.PictureReceipt{ID: id})
	return nil
}

func (h *httpServer) event(w http.ResponseWriter, r *http.Request) *apiError {
	dev, _, e := pathDevice(r, false)
	if e != nil {
		h.c.stats.eventsRefused.Add(1)
		return e
	}
	body, e := readBody(w, r, httpapi.MaxJSONBody, false)
	if e != nil {
		h.c.stats.eventsRefused.Add(1)
		return e
	}
	var ev cloudapi.EventReport
	if err := httpapi.DecodeJSON(body, &ev); err != nil {
		h.c.stats.eventsRefused.Add(1)
		return badRequest("%v", err)
	}
	if ev.Device != dev {
		h.c.stats.eventsRefused.Add(1)
		return badRequest("body device %q differs from path device %q", ev.Device, dev)
	}
	if err := httpapi.ValidateEvent(&ev); err != nil {
		h.c.stats.eventsRefused.Add(1)
		return badRequest("%v", err)
	}
	if !ev.Direct {
		p := h.c.plans.Get(chanKey{dev, ev.Channel})
		if !p.Valid || p.Kind == cloudapi.PlanNone {
			h.c.stats.eventsRefused.Add(1)
			return &apiError{code: cloudapi.CodeNoService, msg: "no valid plan for channel " + strconv.Itoa(ev.Channel)}
		}
	}
	h.c.stats.events.Add(1)
	writeJSON(w, http.StatusOK, cloudapi.EventReceipt{OK: true})
	return nil
}

func (h *httpServer) destroy(w http.ResponseWriter, r *http.Request) *apiError {
	dev, _, e := pathDevice(r, false)
	if e != nil {
		return e
	}
	n := h.c.DestroyResources(dev)
	writeJSON(w, http.StatusOK, map[string]int{"ranges_deleted": n})
	return nil
}

// DestroyResources forgets everything the cloud holds for a device:
// storage, plans (back to the default), pictures and tokens.
func (c *Cloud) DestroyResources(device string) int {
	c.stats.destroys.Add(1)
	n := c.index.Delete(device)
	c.plans.Delete(device)
	c.tokens.revoke(device)
	c.ledger.forget(device)
	return n
}

// publishAuth is the token check callback, in the form nginx-rtmp's
// on_publish sends (application/x-www-form-urlencoded with name and the
// URL's query arguments) or as JSON {"stream":…, "token":…}.
func (h *httpServer) publishAuth(w http.ResponseWriter, r *http.Request) *apiError {
	body, e := readBody(w, r, httpapi.MaxJSONBody, false)
	if e != nil {
		return e
	}
	var stream, token string
	if strings.HasPrefix(r.Header.Get("Content-Type"), httpapi.ContentJSON) {
		var b PublishAuthRequest
		if err := httpapi.DecodeJSON(body, &b); err != nil {
			return badRequest("%v", err)
		}
		stream, token = b.Stream, b.Token
	} else {
		q, err := url.ParseQuery(string(body))
		if err != nil {
			return badRequest("form: %v", err)
		}
		stream, token = q.Get("name"), q.Get("token")
	}
	if stream == "" || token == "" {
		h.c.stats.authChecksRefused.Add(1)
		return &apiError{code: cloudapi.CodeUnauthorized, msg: "stream name and token are required", status: http.StatusForbidden}
	}
	switch h.c.tokens.check(token, stream) {
	case tokenOK:
		h.c.stats.authChecksOK.Add(1)
		writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
		return nil
	case tokenExpired:
		h.c.stats.authChecksRefused.Add(1)
		return &apiError{code: cloudapi.CodeExpired, msg: "token expired", status: http.StatusForbidden}
	case tokenWrongStream:
		h.c.stats.authChecksRefused.Add(1)
		return &apiError{code: cloudapi.CodeUnauthorized, msg: "token issued for another stream"}
	}
	h.c.stats.authChecksRefused.Add(1)
	return &apiError{code: cloudapi.CodeUnauthorized, msg: "unknown token"}
}

// PublishAuthRequest is the JSON form of the token check callback.
type PublishAuthRequest struct {
	Stream string `json:"stream"`
	Token  string `json:"token"`
	App    string `json:"app,omitempty"`
}

func (h *httpServer) liveView(w http.ResponseWriter, r *http.Request) *apiError {
	dev, ch, e := pathDevice(r, true)
	if e != nil {
		return e
	}
	if h.c.relay == nil {
		return &apiError{code: cloudapi.CodeUnavailable, msg: "live-view relay is off"}
	}
	ssrc := h.c.relay.open(dev, h.c.device(dev), ch)
	writeJSON(w, http.StatusOK, httpapi.LiveViewReply{Addr: h.c.RTPAddr(), SSRC: ssrc})
	return nil
}

func (h *httpServer) stats(w http.ResponseWriter, r *http.Request) *apiError {
	writeJSON(w, http.StatusOK, h.c.Snapshot())
	return nil
}

func (h *httpServer) setFaults(w http.ResponseWriter, r *http.Request) *apiError {
	body, e := readBody(w, r, httpapi.MaxJSONBody, false)
	if e != nil {
		return e
	}
	var s FaultSettings
	if err := httpapi.DecodeJSON(body, &s); err != nil {
		return badRequest("%v", err)
	}
	if err := s.Validate(); err != nil {
		return badRequest("%v", err)
	}
	h.c.SetFaults(s)
	writeJSON(w, http.StatusOK, h.c.Faults())
	return nil
}

func (h *httpServer) restart(w http.ResponseWriter, r *http.Request) *apiError {
	v := r.URL.Query().Get("down")
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return badRequest("query down=%q: want a non-negative Go duration", v)
	}
	// reply first: the restart drops this very connection
	writeJSON(w, http.StatusAccepted, map[string]string{"down": d.String()})
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	h.c.wg.Add(1)
	go func() { defer h.c.wg.Done(); _ = h.c.Restart(d) }()
	return nil
}

func (h *httpServer) drop(w http.ResponseWriter, r *http.Request) *apiError {
	writeJSON(w, http.StatusAccepted, map[string]string{"drop": "all"})
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	h.c.wg.Add(1)
	go func() { defer h.c.wg.Done(); h.c.DropConnections() }()
	return nil
}
