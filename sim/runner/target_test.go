package runner

import (
	"strings"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/media/ingestauth"
	"github.com/fleetsim/fleetsim/sim/scenarios"
)

const pushFleet = `
name: ext
seed: 11
duration: 10s
target: {kind: rtmp, url: "rtmp://127.0.0.1:1935/live/{group}-{device}", probe: 30%%%s}
profiles:
  p:
    video: {codec: h264, resolution: 640x360, fps: 15, gop: 30, bitrate: 512k}
    sdk: {kind: rtmp-push%s}
fleet:
  - {group: g, count: 20, profile: p}
`

func pushScenario(t *testing.T, auth, sdk string) *scenarios.Scenario {
	t.Helper()
	return load(t, strings.Replace(strings.Replace(pushFleet, "%%%s", "%"+auth, 1), "rtmp-push%s", "rtmp-push"+sdk, 1))
}

// TestCheckExternalRefuses: what an external target cannot run is
// refused before anything starts, with the reason.
func TestCheckExternalRefuses(t *testing.T) {
	env := func(k string) string { return map[string]string{"INGEST_KEY": "k3y"}[k] }
	for _, tc := range []struct {
		name, auth, sdk string
		getenv          func(string) string
		want            string
	}{
		{name: "ok", getenv: env},
		{name: "signed ok", auth: ", auth: {scheme: kingsoft, key_env: INGEST_KEY}", getenv: env},
		{name: "key unset", auth: ", auth: {scheme: tencent, key_env: INGEST_KEY}", getenv: func(string) string { return "" },
			want: "INGEST_KEY is unset"},
		{name: "token server", sdk: ", connect: sn", getenv: env, want: `connect mode "sn"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc := pushScenario(t, tc.auth, tc.sdk)
			err := checkExternal(sc, tc.getenv)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want %q", err, tc.want)
			}
		})
	}
	// an HTTP target needs a base URL and cloud-storage devices
	sc := pushScenario(t, "", "")
	sc.Target.Kind = "http"
	if err := checkExternal(sc, env); err == nil || !strings.Contains(err.Error(), "needs the API's base URL") {
		t.Fatalf("http with an rtmp URL: %v", err)
	}
	sc.Target.URL = "http://127.0.0.1:8080"
	if err := checkExternal(sc, env); err == nil || !strings.Contains(err.Error(), "cannot use an HTTP target") {
		t.Fatalf("http with push devices: %v", err)
	}
	sc.Profiles["p"].SDK.Kind = scenarios.SDKCloudStorage
	if err := checkExternal(sc, env); err != nil {
		t.Fatalf("http with cloud-storage devices: %v", err)
	}
	sc = pushScenario(t, "", "")
	sc.Profiles["p"].SDK.Kind = scenarios.SDKCloudStorage
	if err := checkExternal(sc, env); err == nil || !strings.Contains(err.Error(), "cannot use an RTMP target") {
		t.Fatalf("cloud-storage: %v", err)
	}
}

// TestProbedIsSeededAndExact: the probed share is round(probe × fleet),
// the same for the same seed, another for another seed; 100% is all.
func TestProbedIsSeededAndExact(t *testing.T) {
	sc := pushScenario(t, "", "")
	plan := scenarios.NewFleetPlan(sc)
	a, b := probed(sc, plan), probed(sc, plan)
	if len(a) != 6 {
		t.Fatalf("%d probed of 20 at 30%%", len(a))
	}
	for i := range a {
		if !b[i] {
			t.Fatal("probed set differs for the same seed")
		}
	}
	sc2 := pushScenario(t, "", "")
	sc2.Seed = 12
	c := probed(sc2, scenarios.NewFleetPlan(sc2))
	same := 0
	for i := range c {
		if a[i] {
			same++
		}
	}
	if same == len(a) {
		t.Fatal("another seed probes the same devices")
	}
	sc.Target.Probe = 1
	if n := len(probed(sc, plan)); n != 20 {
		t.Fatalf("100%%: %d probed", n)
	}
	sc.Target.Probe = 0
	if n := len(probed(sc, plan)); n != 0 {
		t.Fatalf("0%%: %d probed", n)
	}
}

func TestPublishURLAndSigner(t *testing.T) {
	sc := pushScenario(t, "", "")
	d := &scenarios.NewFleetPlan(sc).Devices[3]
	if got, want := publishURL(sc.Target, d), "rtmp://127.0.0.1:1935/live/g-"+d.ID; got != want {
		t.Fatalf("url %q, want %q", got, want)
	}
	env := func(string) string { return "k3y" }
	exp := time.Unix(1_800_000_000, 0)
	for _, tc := range []struct {
		scheme string
		want   ingestauth.Signer
	}{
		{"kingsoft", ingestauth.Kingsoft{Key: "k3y"}},
		{"tencent", ingestauth.Tencent{Key: "k3y"}},
	} {
		s := signer(scenarios.Auth{Scheme: tc.scheme, KeyEnv: "K"}, env)
		if got, want := s.Sign("cam", exp).Encode(), tc.want.Sign("cam", exp).Encode(); got != want {
			t.Errorf("%s: %q, want %q", tc.scheme, got, want)
		}
	}
	if got := signer(scenarios.Auth{Scheme: "token", KeyEnv: "K"}, env).Sign("cam", exp).Encode(); got != "token=k3y" {
		t.Errorf("token: %q", got)
	}
	if signer(scenarios.Auth{Scheme: "none"}, env) != nil || signer(scenarios.Auth{}, env) != nil {
		t.Error("scheme none signs")
	}
	// a Kingsoft signature verifies against the ingest's own check
	q := signer(scenarios.Auth{Scheme: "kingsoft", KeyEnv: "K"}, env).Sign(d.ID, exp)
	if err := (ingestauth.Kingsoft{Key: "k3y"}).Verify(d.ID, q, exp.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
}
