package cloud

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/sim/clock"
	"github.com/fleetsim/fleetsim/sim/cloudapi"
	"github.com/fleetsim/fleetsim/sim/cloudapi/httpapi"
	"github.com/fleetsim/fleetsim/sim/observe"
	"github.com/google/go-cmp/cmp"
)

// wholeParser hides MediaSliceParser's streaming: the cloud reads every
// body whole first (the path before streaming, kept for fMP4).
type wholeParser struct{ MediaSliceParser }

var _ SliceParser = wholeParser{}

// byteContent is a cloudapi.Content over bytes, read in small pieces (as a
// camera's muxer on demand produces them).
type byteContent []byte

func (b byteContent) Size() int64     { return int64(len(b)) }
func (b byteContent) Open() io.Reader { return &pieceReader{b: b} }

type pieceReader struct{ b []byte }

func (r *pieceReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), 1000)], r.b)
	r.b = r.b[n:]
	return n, nil
}

// sliceUploads is the table of uploads, in order, the streamed and the
// whole-body paths must answer alike: stored, retried, overlapping,
// refused on content, past the window, without a plan.
func sliceUploads(t *testing.T, m *testMedia) []cloudapi.SliceUpload {
	truncated := sliceFor(t, m, "cam-7", 3, 60, 30, 4, 6)
	truncated.Body = truncated.Body[:len(truncated.Body)/2+1]
	notIDR := sliceFor(t, m, "cam-7", 4, 91, 20, 6, 8)
	wrongCount := sliceFor(t, m, "cam-7", 5, 120, 30, 8, 10)
	wrongCount.FrameSeqLast += 5
	wrongAudio := sliceFor(t, m, "cam-7", 10, 270, 30, 22, 24)
	wrongAudio.AudioFrames--
	garbage := sliceFor(t, m, "cam-7", 6, 150, 30, 10, 12)
	garbage.Body = bytes.Repeat([]byte{0x47, 1, 2, 3}, 47*10)
	empty := sliceFor(t, m, "cam-7", 11, 300, 30, 24, 26)
	empty.Body = nil
	backfillOld := sliceFor(t, m, "cam-7", 7, 180, 30, 0, 2)
	backfillOld.Backfill = true
	backfillOld.UTCStart, backfillOld.UTCEnd = at(-3600), at(-3598)
	backfillNew := sliceFor(t, m, "cam-7", 8, 210, 30, 3000, 3002)
	backfillNew.Backfill = true
	good := sliceFor(t, m, "cam-7", 1, 0, 30, 0, 2)
	noPlan := sliceFor(t, m, "cam-9", 1, 0, 30, 0, 2)
	return []cloudapi.SliceUpload{good, good, sliceFor(t, m, "cam-7", 2, 30, 30, 1, 3), truncated, notIDR,
		wrongCount, wrongAudio, garbage, empty, backfillOld, backfillNew, noPlan}
}

type uploadResult struct {
	Receipt cloudapi.SliceReceipt
	Code    string
	Obs     []observe.Observation
}

// runUploads sends the table to a fresh cloud and returns each answer with
// the observations it caused.
func runUploads(t *testing.T, parser SliceParser, uploads []cloudapi.SliceUpload, content bool) []uploadResult {
	clk := clock.NewFake(clock.Epoch().Add(time.Hour))
	rec := &recorder{}
	c := startCloud(t, Config{RTMPAddr: "off", RTPAddr: "off", SliceParser: parser}, clk, rec)
	c.SetPlan("cam-7", 0, cloudapi.Plan{Kind: cloudapi.PlanFullTime, Valid: true})
	c.SetPlan("cam-9", 0, cloudapi.Plan{Kind: cloudapi.PlanNone})
	cl := newClient(t, c)
	var out []uploadResult
	for _, s := range uploads {
		if content {
			s.Content, s.Body = byteContent(s.Body), nil
		}
		n0 := len(rec.all())
		r, err := cl.UploadSlice(context.Background(), s)
		var ce *cloudapi.Error
		code := ""
		if errors.As(err, &ce) {
			code = ce.Code
		} else if err != nil {
			t.Fatalf("slice %d: %v", s.Seq, err)
		}
		clk.Advance(time.Second)
		out = append(out, uploadResult{Receipt: r, Code: code, Obs: rec.all()[n0:]})
	}
	return out
}

// TestSliceStreamAnswersAsWhole: verified as it arrives, every upload of
// the table gets the answer and the observations (fates, reasons,
// latencies, overwrites) that reading it whole first gives — sent as a
// Body or as a streamed Content.
func TestSliceStreamAnswersAsWhole(t *testing.T) {
	m := newTestMedia(t)
	uploads := sliceUploads(t, m)
	whole := runUploads(t, wholeParser{}, uploads, false)
	// the table covers every answer
	codes := map[string]int{}
	for _, r := range whole {
		codes[r.Code]++
	}
	for _, c := range []string{"", cloudapi.CodeBadSlice, cloudapi.CodeNotIDR, cloudapi.CodeExpired, cloudapi.CodeNoService} {
		if codes[c] == 0 {
			t.Fatalf("no upload of the table answered %q: %v", c, codes)
		}
	}
	for _, content := range []bool{false, true} {
		t.Run(fmt.Sprintf("content=%v", content), func(t *testing.T) {
			streamed := runUploads(t, MediaSliceParser{}, uploads, content)
			if d := cmp.Diff(whole, streamed); d != "" {
				t.Fatalf("streamed answers differ from whole (-whole +streamed):\n%s", d)
			}
		})
	}
}

// failAfter gives data, then fails with err (a broken link, a client that
// gave up) or, with err nil, ends early (io.EOF).
type failAfter struct {
	data []byte
	err  error
	all  []byte // data as given (for tests that count what was read)
}

func (f *failAfter) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		if f.err == nil {
			return 0, io.EOF
		}
		return 0, f.err
	}
	n := copy(p[:min(len(p), 1448)], f.data)
	f.data = f.data[n:]
	return n, nil
}

// TestSliceStreamBodyBreaks: a body that stops before its declared length
// is a 408 with no fate — whether its bytes so far were good or already
// bad content, at any point of the slice — and the same slice sent whole
// afterwards is stored and delivered.
func TestSliceStreamBodyBreaks(t *testing.T) {
	m := newTestMedia(t)
	good := sliceFor(t, m, "cam-7", 1, 0, 30, 0, 2)
	bad := good
	bad.Body = append([]byte(nil), good.Body...)
	copy(bad.Body[188*3:], bytes.Repeat([]byte{0xAB}, 188)) // content error early
	n := int64(len(good.Body))
	for _, tc := range []struct {
		name string
		s    cloudapi.SliceUpload
		cut  int64
		err  error
	}{
		{"good, link breaks mid-body", good, n / 2, errors.New("connection reset")},
		{"good, ends early", good, n - 1, nil},
		{"good, nothing arrives", good, 0, nil},
		{"bad content, link breaks after it", bad, n / 2, errors.New("read timeout")},
		{"bad content, ends early", bad, n - 188, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := clock.NewFake(clock.Epoch().Add(time.Hour))
			rec := &recorder{}
			c := New(Config{RTMPAddr: "off", RTPAddr: "off"}, clk, rec)
			c.SetPlan("cam-7", 0, cloudapi.Plan{Kind: cloudapi.PlanFullTime, Valid: true})
			s := tc.s
			_, e := c.storeSliceStream(&s, MediaSliceParser{}, &failAfter{data: s.Body[:tc.cut], err: tc.err}, n, nil)
			if e == nil || e.status != http.StatusRequestTimeout || e.code != cloudapi.CodeUnavailable {
				t.Fatalf("answer %+v, want 408 %s", e, cloudapi.CodeUnavailable)
			}
			if obs := rec.all(); len(obs) != 0 {
				t.Fatalf("a body that broke gave %d observations: %+v", len(obs), obs[0])
			}
			s.Body = good.Body
			rc, e := c.storeSliceStream(&s, MediaSliceParser{}, bytes.NewReader(s.Body), n, nil)
			if e != nil || !rc.Stored || rc.Frames != 30 {
				t.Fatalf("whole resend: %+v %v", rc, e)
			}
			// (sliceFor's video carries no stamps: rejected no_stamp)
			if got := rec.count(observe.FrameDelivered, "") + rec.count(observe.FrameRejected, ReasonNoStamp); got != 30+s.AudioFrames {
				t.Fatalf("%d frames with a fate after the resend, want %d", got, 30+s.AudioFrames)
			}
		})
	}
}

// TestSliceStreamTruncatedOverTCP: a client that declares a length and
// closes its side after half the body gets a 408 over the wire, and the
// slice's frames no fate.
func TestSliceStreamTruncatedOverTCP(t *testing.T) {
	clk := clock.NewFake(clock.Epoch().Add(time.Hour))
	rec := &recorder{}
	c := startCloud(t, Config{RTMPAddr: "off", RTPAddr: "off"}, clk, rec)
	m := newTestMedia(t)
	s := sliceFor(t, m, "cam-7", 1, 0, 30, 0, 2)
	h := http.Header{}
	httpapi.SetSliceHeader(h, &s)
	conn, err := net.Dial("tcp", c.BaseURL()[len("http://"):])
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var req bytes.Buffer
	fmt.Fprintf(&req, "POST /v1/devices/cam-7/channels/0/slices HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n", len(s.Body))
	_ = h.Write(&req)
	req.WriteString("\r\n")
	req.Write(s.Body[:len(s.Body)/2])
	if _, err := conn.Write(req.Bytes()); err != nil {
		t.Fatal(err)
	}
	_ = conn.(*net.TCPConn).CloseWrite()
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestTimeout {
		t.Fatalf("status %d, want 408", resp.StatusCode)
	}
	if obs := rec.all(); len(obs) != 0 {
		t.Fatalf("%d observations for a truncated body", len(obs))
	}
	if snap := c.Snapshot(); snap.SlicesStored != 0 {
		t.Fatalf("snapshot %+v", snap)
	}
}
