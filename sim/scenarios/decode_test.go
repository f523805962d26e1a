package scenarios

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/sim/units"
)

const minimal = `name: m
duration: 1m
profiles: {cam: {}}
fleet: [{group: g, count: 1, profile: cam}]
`

// Defaults are applied after validation: every value below was not written.
func TestDefaults(t *testing.T) {
	s, err := Load("m.yaml", []byte(minimal+"timeline: [{at: 10s, reboot: {}}]\n"), testOptions())
	if err != nil {
		t.Fatal(err)
	}
	p, g := s.Profiles["cam"], s.Fleet[0]
	for _, c := range []struct {
		name      string
		got, want any
	}{
		{"seed", s.Seed, uint64(1)},
		{"target", s.Target.Kind, TargetEmbedded},
		{"auth", s.Target.Auth.Scheme, "none"},
		{"channels", p.Channels, 1},
		{"codec", p.Video.Codec, "h264"},
		{"resolution", p.Video.Resolution, Resolution{640, 360}},
		{"fps", p.Video.FPS, 15},
		{"gop (2 s of frames)", p.Video.GOP, 30},
		{"bitrate", p.Video.Bitrate, 512 * units.Kbps},
		{"ip ratio", p.Video.IPRatio, 10.0},
		{"audio", p.Audio.Codec, "aac"},
		{"sample rate", p.Audio.SampleRate, 16000},
		{"audio bitrate", p.Audio.Bitrate, 32 * units.Kbps},
		{"sdk", p.SDK.Kind, SDKCloudStorage},
		{"format", p.SDK.Format, "ts"},
		{"max gop size", p.SDK.MaxGopSize, 800 * units.KiB},
		{"slice", p.SDK.SliceDuration.D(), 10 * time.Second},
		{"upload timeout", p.SDK.UploadTimeout.D(), 6 * time.Second},
		{"reply timeout", p.SDK.ReplyTimeout.D(), 5 * time.Second},
		{"idle", p.SDK.IdlePause.D(), 120 * time.Second},
		{"backfill window", p.SDK.BackfillWindow.D(), 30 * time.Minute},
		{"watermarks off", p.SDK.Watermarks, (*Watermarks)(nil)},
		{"pool", p.SDK.PoolSize, units.MiB},
		{"mtu", p.LiveView.MTU, 1200 * units.Byte},
		{"plan", g.Plan, PlanMix{{"full-time", 1}}},
		{"plan poll", g.PlanPoll.D(), 30 * time.Minute},
		{"backfill", g.Backfill.Enabled, true},
		{"backfill rate", g.Backfill.Rate, 640 * units.Kbps},
		{"skew", g.ClockSkew, Fixed(0)},
		{"no motion", g.Motion, (*Motion)(nil)},
		{"reconnect", g.Reconnect.Max.D(), time.Minute},
		{"fraction", s.Timeline[0].Fraction, units.Ratio(1)},
		{"reboot downtime", s.Timeline[0].Reboot.Downtime, Fixed(30 * time.Second)},
	} {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, c.got, c.want)
		}
	}
	// explicit values are kept, and G.711 forces 8 kHz / 64k
	s, err = Load("m.yaml", []byte(minimal+"networks: {}\n"), Options{Set: []string{
		"profiles.cam={video: {fps: 25}, audio: {codec: g711a}, sdk: {watermarks: {low: 1%, warn: 2%, high: 3%}}}",
		"fleet.0.motion={rate: 6/h}", "fleet.0.backfill.enabled=false"}})
	if err != nil {
		t.Fatal(err)
	}
	p, g = s.Profiles["cam"], s.Fleet[0]
	if p.Video.GOP != 50 || p.Audio.SampleRate != 8000 || p.Audio.Bitrate != 64*units.Kbps || p.SDK.Watermarks.High != 0.03 ||
		g.Motion.Hold.D() != 12*time.Second || g.Motion.Cap.D() != 360*time.Second || g.Motion.Duration != Fixed(20*time.Second) || g.Backfill.Enabled {
		t.Errorf("explicit values or dependent defaults wrong: %+v %+v %+v", p.Video, p.Audio, g.Motion)
	}
}

// Every default tag decodes (setDefault panics otherwise).
func TestDefaultsDecode(t *testing.T) {
	seen := map[reflect.Type]bool{}
	var walk func(reflect.Type)
	walk = func(t0 reflect.Type) {
		for t0.Kind() == reflect.Pointer || t0.Kind() == reflect.Slice || t0.Kind() == reflect.Map {
			t0 = t0.Elem()
		}
		if t0.Kind() != reflect.Struct || seen[t0] {
			return
		}
		seen[t0] = true
		for _, f := range fieldsOf(t0) {
			if def, ok := f.tag.Lookup("default"); ok {
				v := reflect.New(f.typ).Elem()
				setDefault(v, def, f.name)
				if v.IsZero() && def != "0s" && def != "false" {
					t.Errorf("%s.%s: default %q decodes to zero", t0.Name(), f.name, def)
				}
			}
			walk(f.typ)
		}
	}
	walk(reflect.TypeFor[Scenario]())
	if len(seen) < 15 {
		t.Errorf("walked %d types", len(seen))
	}
}

func TestMergeKeysAndAliases(t *testing.T) {
	src := `name: merge
duration: 1m
profiles:
  base: &base
    video: {codec: h265, fps: 20}
    audio: {codec: none}
  derived:
    <<: *base
    video: {fps: 10}
fleet:
  - &grp {group: a, count: 2, profile: derived}
  - {<<: *grp, group: b}
`
	s, err := Load("merge.yaml", []byte(src), testOptions())
	if err != nil {
		t.Fatal(err)
	}
	d := s.Profiles["derived"]
	if d.Audio.Codec != "none" || d.Video.FPS != 10 || d.Video.Codec != "h264" {
		t.Errorf("merge: explicit video replaces the merged one, audio is merged: %+v %+v", d.Video, d.Audio)
	}
	if s.Fleet[1].Name != "b" || s.Fleet[1].Count != 2 || s.Fleet[1].Profile != "derived" {
		t.Errorf("merged group %+v", s.Fleet[1])
	}
}

func TestLoadProblems(t *testing.T) {
	for _, tc := range []struct {
		name, src, want string
	}{
		{"two documents", minimal + "---\nname: x\n", "x.yaml:1:1: found invalid YAML (more than one YAML document"},
		{"not a mapping", "- a\n- b\n", `x.yaml:1:1: found a list; expected a mapping with keys`},
		{"scalar document", "hello\n", `x.yaml:1:1: found "hello"; expected a mapping`},
		{"null value", minimal + "ramp:\nseed:\n", `x.yaml:6:6: seed: found nothing; expected a non-negative integer`},
		{"float count", strings.Replace(minimal, "count: 1", "count: 1.5", 1), `fleet.0.count: found "1.5"; expected an integer`},
		{"empty profile value", strings.Replace(minimal, "{cam: {}}", "{cam: }", 1), "profiles.cam: found nothing; expected a device profile"},
		{"key not scalar", minimal + "? [a]\n: 1\n", "found a list as a key; expected a plain name"},
		{"huge", strings.Repeat("#", MaxFileSize+1), "larger than 1 MiB"},
		{"timeline entry null", minimal + "timeline: [~]\n", "timeline.0: found nothing; expected a timeline entry"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load("x.yaml", []byte(tc.src), testOptions())
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("loaded; want %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got\n%v\nwant %q", err, tc.want)
			}
		})
	}
}

func TestLoadFileErrors(t *testing.T) {
	for _, path := range []string{"no/such/file.yaml", "."} {
		_, err := LoadFile(path, testOptions())
		var se *Error
		if !errors.As(err, &se) || !strings.HasPrefix(err.Error(), path+": ") {
			t.Errorf("LoadFile(%q): %v", path, err)
		}
	}
}

func TestGetenvChecksAuthKey(t *testing.T) {
	src := minimal + "target: {kind: rtmp, url: 'rtmp://127.0.0.1/live/{device}', auth: {scheme: kingsoft, key_env: INGEST_KEY}}\n"
	src = strings.Replace(src, "profiles: {cam: {}}", "profiles: {cam: {sdk: {kind: rtmp-push}}}", 1)
	opt := testOptions()
	if _, err := Load("x.yaml", []byte(src), opt); err != nil {
		t.Fatalf("without Getenv (validate): %v", err)
	}
	opt.Getenv = func(string) string { return "" }
	if _, err := Load("x.yaml", []byte(src), opt); err == nil || !strings.Contains(err.Error(), "INGEST_KEY unset or empty") {
		t.Errorf("unset key: %v", err)
	}
	opt.Getenv = func(string) string { return "123456" }
	if _, err := Load("x.yaml", []byte(src), opt); err != nil {
		t.Errorf("set key: %v", err)
	}
}

func TestIsLoopback(t *testing.T) {
	for host, want := range map[string]bool{
		"127.0.0.1": true, "127.8.9.10": true, "::1": true, "localhost": true, "LOCALHOST": true, "cam.localhost": true,
		"10.0.0.1": false, "192.168.1.2": false, "example.com": false, "": false, "0.0.0.0": false, "::": false, "128.0.0.1": false,
	} {
		if IsLoopback(host) != want {
			t.Errorf("IsLoopback(%q) = %v", host, !want)
		}
	}
}

func TestDidYouMean(t *testing.T) {
	cands := []string{"fps", "gop", "bitrate", "max_gop_size", "motion", "duration"}
	for got, want := range map[string]string{
		"fsp": "fps", "bitrat": "bitrate", "max_gop": "max_gop_size", "motoin": "motion", "duraton": "duration",
		"Duration": "duration", "xyzzy": "", "a": "",
	} {
		s := didYouMean(got, cands)
		if want == "" && s != "" || want != "" && s != ` (did you mean "`+want+`"?)` {
			t.Errorf("didYouMean(%q) = %q, want %q", got, s, want)
		}
	}
	for _, c := range []struct {
		a, b string
		d    int
	}{{"", "", 0}, {"abc", "abc", 0}, {"abc", "acb", 1}, {"kitten", "sitting", 3}, {"", "abc", 3}} {
		if got := editDistance(c.a, c.b); got != c.d {
			t.Errorf("editDistance(%q, %q) = %d, want %d", c.a, c.b, got, c.d)
		}
	}
}
