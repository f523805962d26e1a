package cloud

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/media/amf0"
	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/media/flv"
	"github.com/fleetsim/fleetsim/sim/clock"
	"github.com/fleetsim/fleetsim/sim/cloudapi/httpapi"
	"github.com/fleetsim/fleetsim/sim/observe"
)

var updateCorpus = flag.Bool("update-corpus", false, "write the fuzz seed corpora under testdata/fuzz from the test vectors")

// routeSeeds are requests (route, header lines, body) for FuzzHTTPRoutes.
func routeSeeds(t testing.TB) [][3]string {
	m := newTestMedia(t)
	s := sliceFor(t, m, "cam-1", 1, 0, 15, 0, 1)
	h := http.Header{}
	httpapi.SetSliceHeader(h, &s)
	var lines []string
	for k := range h {
		lines = append(lines, k+": "+h.Get(k))
	}
	sh := strings.Join(lines, "\n")
	return [][3]string{
		{"POST /v1/devices/cam-1/channels/0/slices", sh, string(s.Body)},
		{"POST /v1/devices/cam-1/channels/0/slices", sh, string(s.Body[:400])},
		{"POST /v1/devices/cam-1/channels/0/pictures", "Content-Type: image/jpeg\nX-Event-Id: 2", string(realJPEG(t))},
		{"POST /v1/devices/cam-1/events", "Content-Type: application/json", `{"device":"cam-1","channel":0,"event_id":3,"start":"2026-01-01T00:00:00Z","end":"2026-01-01T00:00:12Z"}`},
		{"POST /v1/token", "", `{"device_sn":"cam-1","device_token":"x"}`},
		{"GET /v1/devices/cam-1/channels/0/plan?known_version=0", "", ""},
		{"PUT /v1/devices/cam-1/channels/0/plan", "", `{"kind":"event","valid":true}`},
		{"POST /v1/auth/publish", "Content-Type: application/x-www-form-urlencoded", "call=publish&name=cam-1&token=abc"},
		{"POST /v1/auth/publish", "Content-Type: application/json", `{"stream":"cam-1","token":"abc"}`},
		{"PUT /v1/admin/faults", "", `{"error_rate":{"slice":0.5}}`},
		{"DELETE /v1/devices/cam-1", "", ""},
	}
}

// FuzzHTTPRoutes sends arbitrary headers and bodies to every route through
// the real handler: every reply is a status with, for errors, a JSON error
// body; nothing panics; the cloud keeps serving.
func FuzzHTTPRoutes(f *testing.F) {
	for _, s := range routeSeeds(f) {
		f.Add(s[0], s[1], []byte(s[2]))
	}
	clk := clock.NewFake(clock.Epoch().Add(time.Hour))
	c := New(Config{RTMPAddr: "off", RTPAddr: "off", MaxSliceBytes: 1 << 20, MaxLongPoll: time.Millisecond}, clk, observe.Discard{})
	c.ctx, c.cancel = context.WithCancel(context.Background())
	defer c.cancel()
	c.hooks = newWebhooks(c.ctx, clk, WebhookConfig{})
	h := newHTTPServer(c).srv.Handler
	f.Fuzz(func(t *testing.T, route, headers string, body []byte) {
		method, path, ok := strings.Cut(route, " ")
		if !ok || !strings.HasPrefix(path, "/") || strings.Contains(path, "admin/restart") || strings.Contains(path, "admin/drop") {
			return
		}
		req, err := http.NewRequest(method, "http://cloud"+path, bytes.NewReader(body))
		if err != nil {
			return
		}
		for _, l := range strings.Split(headers, "\n") {
			if k, v, ok := strings.Cut(l, ": "); ok {
				req.Header.Set(k, v)
			}
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code >= 400 {
			var eb httpapi.ErrorBody
			if err := json.Unmarshal(w.Body.Bytes(), &eb); err != nil || eb.Code == "" {
				t.Fatalf("%s %s → %d with body %q", method, path, w.Code, w.Body.String())
			}
			if w.Code == 500 {
				t.Fatalf("%s %s → 500 %s", method, path, eb.Message)
			}
		}
	})
}

// streamSeeds are RTMP message bodies (kind, body) for FuzzStreamMessages.
func streamSeeds(t testing.TB) [][2]any {
	m := newTestMedia(t)
	var out [][2]any
	cfg := m.synth.DecoderConfig()
	rec, _ := cfg.Append(nil)
	hdr, _ := flv.AppendVideoSequenceHeader(nil, av.H264, flv.HEVCLegacy, rec)
	out = append(out, [2]any{"video", hdr})
	for i := uint64(0); i < 3; i++ {
		b, _ := flv.AppendVideoTagBody(nil, m.video(i, nil, clock.Epoch()), flv.HEVCLegacy)
		out = append(out, [2]any{"video", b})
	}
	out = append(out, [2]any{"audio", flv.AppendAACSequenceHeader(nil, []byte{0x14, 0x08})})
	a, _ := flv.AppendAudioTagBody(nil, m.audioFrame(0, clock.Epoch()))
	out = append(out, [2]any{"audio", a})
	meta, _ := amf0.AppendValues(nil, "@setDataFrame", "onMetaData", amf0.Object{{Key: "type", Value: 0.0}, {Key: "tigger_type", Value: 1.0}})
	out = append(out, [2]any{"data", meta})
	end, _ := amf0.AppendValues(nil, "onMetaData", amf0.ECMAArray{{Key: "type", Value: 1.0}})
	out = append(out, [2]any{"data", end})
	return out
}

// FuzzStreamMessages feeds arbitrary message bodies to a stream verifier:
// no panic, and never two fates for one frame.
func FuzzStreamMessages(f *testing.F) {
	for _, s := range streamSeeds(f) {
		f.Add(s[0].(string), s[1].([]byte), uint32(40))
	}
	f.Fuzz(func(t *testing.T, kind string, body []byte, tsMS uint32) {
		fates := map[fateKey]*seqWindow{}
		seen := map[[2]uint64]bool{}
		v := streamVerifier{device: 3, stamp: readNALUStamp,
			emit: func(o observe.Observation) {
				k := [2]uint64{uint64(o.Stream), o.Seq}
				if seen[k] {
					t.Fatalf("two fates for %v", k)
				}
				seen[k] = true
			},
			fates: func(k fateKey, s uint64) bool {
				w := fates[k]
				if w == nil {
					w = &seqWindow{}
					fates[k] = w
				}
				return w.mark(s)
			},
			onReject: func(string) {}}
		ts := time.Duration(tsMS) * time.Millisecond
		now := clock.Epoch()
		for i := 0; i < 2; i++ { // twice: the second time every frame is a duplicate
			switch kind {
			case "video":
				v.video(body, ts, now)
			case "audio":
				v.audio(body, ts, now)
			default:
				_, _ = v.metadata(body)
			}
		}
		v.end()
	})
}

func writeCorpus(t *testing.T, target string, entries [][]any) {
	t.Helper()
	dir := filepath.Join("testdata", "fuzz", target)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, args := range entries {
		var b strings.Builder
		b.WriteString("go test fuzz v1\n")
		for _, a := range args {
			switch v := a.(type) {
			case string:
				fmt.Fprintf(&b, "string(%q)\n", v)
			case []byte:
				fmt.Fprintf(&b, "[]byte(%q)\n", v)
			case uint32:
				fmt.Fprintf(&b, "uint32(%d)\n", v)
			default:
				t.Fatalf("corpus: unsupported %T", a)
			}
		}
		sum := sha256.Sum256([]byte(b.String()))
		if err := os.WriteFile(filepath.Join(dir, "seed-"+hex.EncodeToString(sum[:8])), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestWriteFuzzCorpus(t *testing.T) {
	if !*updateCorpus {
		t.Skip("run with -update-corpus to rewrite testdata/fuzz")
	}
	var r [][]any
	for _, s := range routeSeeds(t) {
		r = append(r, []any{s[0], s[1], []byte(s[2])})
	}
	writeCorpus(t, "FuzzHTTPRoutes", r)
	var st [][]any
	for _, s := range streamSeeds(t) {
		st = append(st, []any{s[0], s[1], uint32(40)})
	}
	writeCorpus(t, "FuzzStreamMessages", st)
	var j [][]any
	for _, v := range jpegVectors(t) {
		j = append(j, []any{v.data})
	}
	writeCorpus(t, "FuzzCheckJPEG", j)
}
