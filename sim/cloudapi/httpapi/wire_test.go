package httpapi

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fleetsim/fleetsim/sim/cloudapi"
)

// sliceVector is one set of slice headers and what parsing it gives.
type sliceVector struct {
	name    string
	header  map[string]string
	want    cloudapi.SliceUpload
	wantErr string // substring; "" means success
}

var t0 = time.Date(2026, 1, 1, 0, 0, 10, 500, time.UTC)

func goodSliceHeader() map[string]string {
	return map[string]string{
		HeaderSliceSeq: "7", HeaderSliceFormat: "ts", "Content-Type": ContentTS,
		HeaderSliceUTCStart: "2026-01-01T00:00:10.0000005Z", HeaderSliceUTCEnd: "2026-01-01T00:00:20Z",
		HeaderSlicePTSFirst: "0", HeaderSlicePTSLast: "9933333333",
		HeaderSliceSeqFirst: "150", HeaderSliceSeqLast: "299", HeaderEventID: "3", HeaderSliceBackfill: "1",
		HeaderSliceAudio: "157", HeaderSliceAudioFirst: "160", HeaderSliceAudioLast: "316",
	}
}

func with(h map[string]string, k, v string) map[string]string {
	out := make(map[string]string, len(h))
	for a, b := range h {
		out[a] = b
	}
	if v == "" {
		delete(out, k)
	} else {
		out[k] = v
	}
	return out
}

var goodSlice = cloudapi.SliceUpload{Seq: 7, Format: cloudapi.FormatTS, UTCStart: t0,
	UTCEnd: time.Date(2026, 1, 1, 0, 0, 20, 0, time.UTC), PTSFirst: 0, PTSLast: 9933333333,
	FrameSeqFirst: 150, FrameSeqLast: 299, EventID: 3, Backfill: true,
	AudioFrames: 157, AudioSeqFirst: 160, AudioSeqLast: 316}

var sliceVectors = []sliceVector{
	{name: "good", header: goodSliceHeader(), want: goodSlice},
	{name: "fmp4", header: with(with(goodSliceHeader(), HeaderSliceFormat, "fmp4"), "Content-Type", ContentMP4),
		want: func() cloudapi.SliceUpload { s := goodSlice; s.Format = cloudapi.FormatFMP4; return s }()},
	{name: "no event no backfill", header: with(with(goodSliceHeader(), HeaderEventID, ""), HeaderSliceBackfill, ""),
		want: func() cloudapi.SliceUpload { s := goodSlice; s.EventID, s.Backfill = 0, false; return s }()},
	{name: "missing seq", header: with(goodSliceHeader(), HeaderSliceSeq, ""), wantErr: "X-Slice-Seq: missing"},
	{name: "negative seq", header: with(goodSliceHeader(), HeaderSliceSeq, "-1"), wantErr: "unsigned"},
	{name: "missing format", header: with(goodSliceHeader(), HeaderSliceFormat, ""), wantErr: "X-Slice-Format: missing"},
	{name: "bad format", header: with(goodSliceHeader(), HeaderSliceFormat, "flv"), wantErr: "want ts or fmp4"},
	{name: "content type mismatch", header: with(goodSliceHeader(), "Content-Type", ContentMP4), wantErr: "Content-Type"},
	{name: "missing start", header: with(goodSliceHeader(), HeaderSliceUTCStart, ""), wantErr: "Utc-Start: missing"},
	{name: "bad start", header: with(goodSliceHeader(), HeaderSliceUTCStart, "yesterday"), wantErr: "RFC 3339"},
	{name: "end before start", header: with(goodSliceHeader(), HeaderSliceUTCEnd, "2026-01-01T00:00:00Z"), wantErr: "before"},
	{name: "bad pts", header: with(goodSliceHeader(), HeaderSlicePTSFirst, "1.5"), wantErr: "nanoseconds"},
	{name: "missing pts last", header: with(goodSliceHeader(), HeaderSlicePTSLast, ""), wantErr: "missing"},
	{name: "frames reversed", header: with(goodSliceHeader(), HeaderSliceSeqLast, "10"), wantErr: "less than"},
	{name: "bad event", header: with(goodSliceHeader(), HeaderEventID, "x"), wantErr: "X-Event-Id"},
	{name: "huge event", header: with(goodSliceHeader(), HeaderEventID, "99999999"), wantErr: "X-Event-Id"},
	{name: "no audio", header: with(with(with(goodSliceHeader(), HeaderSliceAudio, ""), HeaderSliceAudioFirst, ""), HeaderSliceAudioLast, ""),
		want: func() cloudapi.SliceUpload {
			s := goodSlice
			s.AudioFrames, s.AudioSeqFirst, s.AudioSeqLast = 0, 0, 0
			return s
		}()},
	{name: "audio range mismatch", header: with(goodSliceHeader(), HeaderSliceAudioLast, "400"), wantErr: "exactly"},
	{name: "audio first missing", header: with(goodSliceHeader(), HeaderSliceAudioFirst, ""), wantErr: "Audio-First: missing"},
	{name: "audio count bad", header: with(goodSliceHeader(), HeaderSliceAudio, "-3"), wantErr: "Audio-Frames"},
	{name: "too many frames", header: with(goodSliceHeader(), HeaderSliceSeqLast, "99999999"), wantErr: "more than"},
	{name: "bad backfill", header: with(goodSliceHeader(), HeaderSliceBackfill, "yes"), wantErr: "want 0 or 1"},
}

func toHeader(m map[string]string) http.Header {
	h := http.Header{}
	for k, v := range m {
		h.Set(k, v)
	}
	return h
}

func TestParseSliceHeader(t *testing.T) {
	for _, v := range sliceVectors {
		t.Run(v.name, func(t *testing.T) {
			got, err := ParseSliceHeader(toHeader(v.header))
			if v.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), v.wantErr) {
					t.Fatalf("err = %v, want containing %q", err, v.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(v.want, got); d != "" {
				t.Fatalf("(-want +got)\n%s", d)
			}
		})
	}
}

// TestSliceHeaderRoundTrip: what SetSliceHeader writes, ParseSliceHeader reads back.
func TestSliceHeaderRoundTrip(t *testing.T) {
	for _, v := range sliceVectors {
		if v.wantErr != "" {
			continue
		}
		t.Run(v.name, func(t *testing.T) {
			h := http.Header{}
			SetSliceHeader(h, &v.want)
			got, err := ParseSliceHeader(h)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(v.want, got); d != "" {
				t.Fatalf("(-want +got)\n%s", d)
			}
		})
	}
}

func FuzzParseSliceHeader(f *testing.F) {
	keys := []string{HeaderSliceSeq, HeaderSliceFormat, "Content-Type", HeaderSliceUTCStart, HeaderSliceUTCEnd,
		HeaderSlicePTSFirst, HeaderSlicePTSLast, HeaderSliceSeqFirst, HeaderSliceSeqLast, HeaderEventID, HeaderSliceBackfill, HeaderSliceAudio, HeaderSliceAudioFirst, HeaderSliceAudioLast}
	for _, v := range sliceVectors {
		vals := make([]string, len(keys))
		for i, k := range keys {
			vals[i] = v.header[k]
		}
		f.Add(strings.Join(vals, "\n"))
	}
	f.Fuzz(func(t *testing.T, s string) {
		vals := strings.Split(s, "\n")
		h := http.Header{}
		for i, k := range keys {
			if i < len(vals) {
				h.Set(k, vals[i])
			}
		}
		got, err := ParseSliceHeader(h)
		if err != nil {
			return
		}
		// what parses must survive a round trip unchanged
		h2 := http.Header{}
		SetSliceHeader(h2, &got)
		again, err := ParseSliceHeader(h2)
		if err != nil {
			t.Fatalf("round trip of %+v: %v", got, err)
		}
		if !again.UTCStart.Equal(got.UTCStart) || again.Seq != got.Seq || again.FrameSeqLast != got.FrameSeqLast {
			t.Fatalf("round trip changed %+v into %+v", got, again)
		}
	})
}

// jsonVector is one JSON body for a route and whether it is accepted.
type jsonVector struct {
	name    string
	kind    string // "event", "token", "plan"
	body    string
	wantErr string
}

var jsonVectors = []jsonVector{
	{"event ok", "event", `{"device":"cam-1","channel":0,"event_id":3,"start":"2026-01-01T00:00:00Z","end":"2026-01-01T00:00:12Z","info":"motion"}`, ""},
	{"event direct", "event", `{"device":"cam-1","channel":1,"event_id":1,"start":"2026-01-01T00:00:00Z","end":"2026-01-01T00:00:00Z","direct":true}`, ""},
	{"event unknown field", "event", `{"device":"cam-1","channel":0,"event_id":3,"start":"2026-01-01T00:00:00Z","end":"2026-01-01T00:00:12Z","x":1}`, "unknown field"},
	{"event end before start", "event", `{"device":"cam-1","channel":0,"event_id":3,"start":"2026-01-01T00:00:12Z","end":"2026-01-01T00:00:00Z"}`, "end before start"},
	{"event no times", "event", `{"device":"cam-1","channel":0,"event_id":3}`, "required"},
	{"event bad info", "event", `{"device":"cam-1","channel":0,"event_id":3,"start":"2026-01-01T00:00:00Z","end":"2026-01-01T00:00:12Z","info":"\u0001"}`, "printable"},
	{"event long info", "event", `{"device":"cam-1","channel":0,"event_id":3,"start":"2026-01-01T00:00:00Z","end":"2026-01-01T00:00:12Z","info":"` + strings.Repeat("a", 128) + `"}`, "at most 127"},
	{"event bad channel", "event", `{"device":"cam-1","channel":99,"event_id":3,"start":"2026-01-01T00:00:00Z","end":"2026-01-01T00:00:12Z"}`, "channel"},
	{"event trailing", "event", `{"device":"cam-1","channel":0,"event_id":3,"start":"2026-01-01T00:00:00Z","end":"2026-01-01T00:00:12Z"} {}`, "trailing"},
	{"event truncated", "event", `{"device":"cam-1","chan`, "json"},
	{"event bad device", "event", `{"device":"a/b","channel":0,"event_id":3,"start":"2026-01-01T00:00:00Z","end":"2026-01-01T00:00:12Z"}`, "device id"},
	{"token device token", "token", `{"device_sn":"cam-1","device_token":"abc"}`, ""},
	{"token client", "token", `{"device_sn":"cam-1","client_id":"c","client_secret":"s"}`, ""},
	{"token no secret", "token", `{"device_sn":"cam-1","client_id":"c"}`, "client_secret"},
	{"token nothing", "token", `{"device_sn":"cam-1"}`, "required"},
	{"token no sn", "token", `{"device_token":"abc"}`, "device_sn"},
	{"token not json", "token", `device_sn=cam-1`, "json"},
	{"plan ok", "plan", `{"kind":"event","valid":true}`, ""},
	{"plan trial", "plan", `{"kind":"free-trial","valid":true,"remaining_ns":60000000000}`, ""},
	{"plan bad kind", "plan", `{"kind":"gold","valid":true}`, "plan kind"},
	{"plan negative", "plan", `{"kind":"free-trial","valid":true,"remaining_ns":-1}`, "negative"},
}

// DecodeBody decodes and validates a body of one kind (the server's path).
func decodeBody(kind string, body []byte) error {
	switch kind {
	case "event":
		var e cloudapi.EventReport
		if err := DecodeJSON(body, &e); err != nil {
			return err
		}
		return ValidateEvent(&e)
	case "token":
		var r cloudapi.TokenRequest
		if err := DecodeJSON(body, &r); err != nil {
			return err
		}
		return ValidateToken(&r)
	default:
		var p PlanBody
		if err := DecodeJSON(body, &p); err != nil {
			return err
		}
		return ValidatePlan(&p)
	}
}

func TestDecodeBodies(t *testing.T) {
	for _, v := range jsonVectors {
		t.Run(v.name, func(t *testing.T) {
			err := decodeBody(v.kind, []byte(v.body))
			if v.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), v.wantErr) {
				t.Fatalf("err = %v, want containing %q", err, v.wantErr)
			}
		})
	}
}

func TestDecodeJSONTooLarge(t *testing.T) {
	big := `{"device_sn":"` + strings.Repeat("a", MaxJSONBody) + `"}`
	if err := decodeBody("token", []byte(big)); err == nil || !strings.Contains(err.Error(), "exceeds") {
		t.Fatalf("err = %v", err)
	}
}

func FuzzDecodeBodies(f *testing.F) {
	for _, v := range jsonVectors {
		f.Add(v.kind, []byte(v.body))
	}
	f.Fuzz(func(t *testing.T, kind string, body []byte) {
		_ = decodeBody(kind, body) // must not panic
	})
}

func TestParseErrorReply(t *testing.T) {
	cases := []struct {
		status int
		body   string
		code   string
	}{
		{422, `{"code":"first_not_idr","message":"x"}`, cloudapi.CodeNotIDR},
		{503, `<html>bad gateway</html>`, cloudapi.CodeUnavailable},
		{410, ``, cloudapi.CodeExpired},
		{402, `{}`, cloudapi.CodeNoService},
		{413, `too big`, cloudapi.CodeTooLarge},
	}
	for _, c := range cases {
		e := ParseErrorReply(c.status, []byte(c.body))
		if e.Code != c.code || e.Status != c.status {
			t.Errorf("%d %q → %+v, want code %s", c.status, c.body, e, c.code)
		}
	}
	for _, code := range []string{cloudapi.CodeNoService, cloudapi.CodeBadRequest, cloudapi.CodeBadSlice, cloudapi.CodeNotIDR,
		cloudapi.CodeExpired, cloudapi.CodeUnauthorized, cloudapi.CodeNotFound, cloudapi.CodeTooLarge, cloudapi.CodeUnavailable} {
		st := StatusForCode(code)
		if st < 400 || st > 599 {
			t.Errorf("%s → status %d", code, st)
		}
	}
}

func TestValidDeviceAndChannel(t *testing.T) {
	for _, d := range []string{"cam-1", "A_b.c~9"} {
		if err := ValidDevice(d); err != nil {
			t.Errorf("%q: %v", d, err)
		}
	}
	for _, d := range []string{"", "a b", "a/b", "a%2f", strings.Repeat("x", MaxDeviceID+1), "é"} {
		if ValidDevice(d) == nil {
			t.Errorf("%q accepted", d)
		}
	}
	for _, c := range []string{"0", "15"} {
		if _, err := ParseChannel(c); err != nil {
			t.Errorf("%q: %v", c, err)
		}
	}
	for _, c := range []string{"", "-1", "16", "007", "x"} {
		if _, err := ParseChannel(c); err == nil {
			t.Errorf("channel %q accepted", c)
		}
	}
}

// TestSliceHeaderValues: SetSliceHeader gives every header one value
// under its canonical key, as Header.Set would, and the values sharing one
// backing array stay apart when one header gets another value.
func TestSliceHeaderValues(t *testing.T) {
	s := cloudapi.SliceUpload{Seq: 4, Format: cloudapi.FormatTS, UTCStart: time.Unix(100, 5), UTCEnd: time.Unix(110, 0),
		FrameSeqFirst: 1, FrameSeqLast: 150, AudioFrames: 3, AudioSeqFirst: 7, AudioSeqLast: 9, EventID: 2}
	h := http.Header{}
	SetSliceHeader(h, &s)
	want := http.Header{}
	for k, v := range h {
		if len(v) != 1 || http.CanonicalHeaderKey(k) != k {
			t.Fatalf("header %q: values %q", k, v)
		}
		want.Set(k, v[0])
	}
	h.Add(HeaderSliceSeq, "extra")
	for k, v := range want {
		if k != HeaderSliceSeq && h.Get(k) != v[0] {
			t.Fatalf("adding a value to %s changed %s: %q, was %q", HeaderSliceSeq, k, h.Get(k), v[0])
		}
	}
	got, err := ParseSliceHeader(want)
	if err != nil || got.Seq != s.Seq || got.AudioSeqLast != s.AudioSeqLast || !got.UTCStart.Equal(s.UTCStart) {
		t.Fatalf("parsed back %+v, %v", got, err)
	}
}
