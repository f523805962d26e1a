package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

const (
	vRun    = `{"type":"run","schema_version":1,"scenario":"v","seed":1,"shard":{"index":0,"count":1},"started":"2026-01-01T00:00:00Z","window_ms":10000,"lag_limit_ms":50,"worst_devices":10,"planned":2,"groups":[{"name":"g","planned":2,"devices":[[0,1]]}],"thresholds":[{"name":"frames.loss_ratio","condition":"< 1%"}]}`
	vWindow = `{"type":"window","index":0,"start":"2026-01-01T00:00:00Z","end":"2026-01-01T00:00:10Z","connected":2,"groups":{"g":{"counters":{"frames.sent":10,"frames.delivered":9,"frames.lost_network":1},"labels":{"frames.lost_by_reason/connection_lost":1},"max_us":{"ingest":90100},"hist_us":{"ingest":[50016,4,40032,5]}}}}`
	vDev0   = `{"type":"device","device":0,"group":"g","sent":5,"delivered":4,"lost_network":1,"loss_ratio":0.2,"connected":true}`
	vDev1   = `{"type":"device","device":1,"group":"g","sent":5,"delivered":5,"connected":true}`
	vEnd    = `{"type":"end","finished":"2026-01-01T00:00:10Z","interrupted":false,"generator":{"cpu_seconds":1.5,"peak_rss_bytes":1000}}`
)

func lines(ls ...string) string { return strings.Join(ls, "\n") + "\n" }

// resultsVectors drive the reader tests and seed FuzzReadResults.
var resultsVectors = []struct {
	name    string
	in      string
	errPart string // "" = reads
	sent    int64
	warn    string
}{
	{"complete", lines(vRun, vWindow, vDev0, vDev1, vEnd), "", 10, ""},
	{"no end line: killed", lines(vRun, vWindow), "", 10, "no end line"},
	{"last line cut", lines(vRun, vWindow) + vEnd[:30], "", 10, "cut short"},
	{"no trailing newline", lines(vRun, vWindow, vDev0, vDev1) + vEnd, "", 10, ""},
	{"blank lines", lines(vRun, "", vWindow, "  ", vEnd), "", 10, ""},
	{"empty", "", "no run line", 0, ""},
	{"window first", lines(vWindow), "want the run line", 0, ""},
	{"bad json in the middle", lines(vRun, `{"type":"window",`, vEnd), "2:", 0, ""},
	{"unknown type", lines(vRun, `{"type":"frame"}`), "unknown line type", 0, ""},
	{"two run lines", lines(vRun, vRun), "second run line", 0, ""},
	{"line after end", lines(vRun, vEnd, vWindow), "after the end line", 0, ""},
	{"schema 2", lines(strings.Replace(vRun, `"schema_version":1`, `"schema_version":2`, 1)), "schema_version 2", 0, ""},
	{"shard out of range", lines(strings.Replace(vRun, `"index":0,"count":1`, `"index":3,"count":2`, 1)), "shard 3/2", 0, ""},
	{"zero window", lines(strings.Replace(vRun, `"window_ms":10000`, `"window_ms":0`, 1)), "window_ms", 0, ""},
	{"unknown counter", lines(vRun, strings.Replace(vWindow, "frames.sent", "frames.snet", 1)), "unknown counter", 0, ""},
	{"negative counter", lines(vRun, strings.Replace(vWindow, `"frames.sent":10`, `"frames.sent":-10`, 1)), "negative", 0, ""},
	{"odd histogram", lines(vRun, strings.Replace(vWindow, `[50016,4,40032,5]`, `[50016,4,90048]`, 1)), "odd number", 0, ""},
	{"histogram out of range", lines(vRun, strings.Replace(vWindow, `[50016,4,40032,5]`, `[50016,4,9999999999999,5]`, 1)), "out of range", 0, ""},
	{"bad label", lines(vRun, strings.Replace(vWindow, `frames.lost_by_reason/connection_lost`, `nolabel`, 1)), "labelled count", 0, ""},
	{"negative window index", lines(vRun, strings.Replace(vWindow, `"index":0`, `"index":-1`, 1)), "out of range", 0, ""},
	{"huge window index", lines(vRun, strings.Replace(vWindow, `"index":0`, `"index":999999999999`, 1)), "out of range", 0, ""},
	{"negative device", lines(vRun, vWindow, strings.Replace(vDev0, `"device":0`, `"device":-4`, 1)), "out of range", 0, ""},
	{"two end lines", lines(vRun, vEnd, vEnd), "after the end line", 0, ""},
	{"end with procs", lines(vRun, vWindow, vDev0, vDev1, strings.Replace(vEnd, `"peak_rss_bytes":1000`, `"peak_rss_bytes":1000,"procs":2`, 1)), "", 10, ""},
	{"negative procs", lines(vRun, strings.Replace(vEnd, `"peak_rss_bytes":1000`, `"peak_rss_bytes":1000,"procs":-1`, 1)), "out of range", 0, ""},
	{"huge procs", lines(vRun, strings.Replace(vEnd, `"peak_rss_bytes":1000`, `"peak_rss_bytes":1000,"procs":9223372036854775807`, 1)), "out of range", 0, ""},
	{"null group", lines(vRun, `{"type":"window","index":0,"groups":{"g":null}}`), "null", 0, ""},
	{"window ends before start", lines(vRun, strings.Replace(vWindow, `"end":"2026-01-01T00:00:10Z"`, `"end":"2025-01-01T00:00:10Z"`, 1)), "ends before", 0, ""},
}

func TestReadResultsVectors(t *testing.T) {
	for _, v := range resultsVectors {
		t.Run(v.name, func(t *testing.T) {
			r, err := ReadResults(Input{Name: "r.jsonl", R: strings.NewReader(v.in)})
			if v.errPart != "" {
				if err == nil || !strings.Contains(err.Error(), v.errPart) {
					t.Fatalf("error %v, want one containing %q", err, v.errPart)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.Frames.Sent != v.sent {
				t.Errorf("sent %d, want %d", r.Frames.Sent, v.sent)
			}
			if w := strings.Join(r.Warnings, "\n"); v.warn != "" && !strings.Contains(w, v.warn) || v.warn == "" && w != "" {
				t.Errorf("warnings %q, want %q", w, v.warn)
			}
		})
	}
}

// generator.procs is the shards' sum of the cores each used.
func TestReadResultsProcs(t *testing.T) {
	end := func(procs string) string {
		return strings.Replace(vEnd, `"peak_rss_bytes":1000`, `"peak_rss_bytes":1000`+procs, 1)
	}
	one, err := ReadResults(Input{Name: "r.jsonl", R: strings.NewReader(lines(vRun, vWindow, vDev0, vDev1, end(`,"procs":2`)))})
	if err != nil {
		t.Fatal(err)
	}
	if one.Generator.Procs != 2 {
		t.Errorf("procs %d, want 2", one.Generator.Procs)
	}
	old, err := ReadResults(Input{Name: "r.jsonl", R: strings.NewReader(lines(vRun, vWindow, vDev0, vDev1, end("")))})
	if err != nil {
		t.Fatal(err)
	}
	if old.Generator.Procs != 0 {
		t.Errorf("procs %d from an end line without them, want 0", old.Generator.Procs)
	}
}

// The hand-written vector gives the numbers it says.
func TestReadResultsCompleteVector(t *testing.T) {
	r, err := ReadResults(Input{Name: "r.jsonl", R: strings.NewReader(lines(vRun, vWindow, vDev0, vDev1, vEnd))})
	if err != nil {
		t.Fatal(err)
	}
	s := r.LatencyMs.Ingest
	if s.Count != 9 || *s.Max != 90.1 || *s.P50 > 90.1 || *s.P50 < 90.0 || r.Frames.InFlight != 0 || *r.Frames.LossRatio != 0.1 {
		t.Fatalf("ingest %+v frames %+v", s, r.Frames)
	}
	if r.Pass || len(r.Thresholds) != 1 || r.Thresholds[0].OK {
		t.Fatalf("loss 10%% against < 1%% must fail: %+v", r.Thresholds)
	}
	if len(r.WorstDevices.ByLoss) != 1 || r.WorstDevices.ByLoss[0].Device != 0 || r.Devices.Connected != 2 {
		t.Fatalf("worst %+v connected %d", r.WorstDevices, r.Devices.Connected)
	}
}

func FuzzReadResults(f *testing.F) {
	for _, v := range resultsVectors {
		f.Add([]byte(v.in))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ReadResults(Input{Name: "fuzz", R: bytes.NewReader(data)})
		if err != nil {
			return
		}
		if _, err := json.Marshal(r); err != nil {
			t.Fatalf("report does not marshal: %v", err)
		}
		var buf bytes.Buffer
		if err := WriteTerminal(&buf, r, TerminalOptions{}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestWriteResultsCorpus(t *testing.T) {
	if !*update {
		t.Skip("run with -update to rewrite the committed fuzz corpus")
	}
	var entries [][]string
	for _, v := range resultsVectors {
		entries = append(entries, []string{"bytes:" + v.in})
	}
	writeCorpus(t, "FuzzReadResults", entries)
}
