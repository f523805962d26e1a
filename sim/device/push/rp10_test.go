package push

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/media/av"
	"github.com/fleetsim/fleetsim/media/ingestauth"
	"github.com/fleetsim/fleetsim/sim/clock"
	"github.com/fleetsim/fleetsim/sim/cloud"
	"github.com/fleetsim/fleetsim/sim/cloudapi/httpapi"
	"github.com/fleetsim/fleetsim/sim/units"
)

// TestRP10 connects to the mock cloud's ingest under each auth scheme:
// URLs signed by the SDK (Kingsoft t/k, Tencent txSecret/txTime) and the
// token of the token server (by device SN) pass; a wrong key, an expired
// signature and a missing token are refused at publish (0x06).
func TestRP10(t *testing.T) {
	cases := []struct {
		name   string
		auth   cloud.Auth
		signer ingestauth.Signer
		ttl    time.Duration
		bySN   bool
		want   Event
	}{
		{"kingsoft", cloud.Auth{Kind: cloud.AuthKingsoft, Key: "123456"}, ingestauth.Kingsoft{Key: "123456"}, 0, false, EventConnectSuccess},
		{"kingsoft-wrong-key", cloud.Auth{Kind: cloud.AuthKingsoft, Key: "123456"}, ingestauth.Kingsoft{Key: "654321"}, 0, false, EventPublishFailed},
		{"kingsoft-expired", cloud.Auth{Kind: cloud.AuthKingsoft, Key: "123456"}, ingestauth.Kingsoft{Key: "123456"}, -time.Minute, false, EventPublishFailed},
		{"kingsoft-unsigned", cloud.Auth{Kind: cloud.AuthKingsoft, Key: "123456"}, nil, 0, false, EventPublishFailed},
		{"tencent", cloud.Auth{Kind: cloud.AuthTencent, Key: "e12c46f2612d5106e2034781ab261ca3"}, ingestauth.Tencent{Key: "e12c46f2612d5106e2034781ab261ca3"}, 0, false, EventConnectSuccess},
		{"tencent-wrong-key", cloud.Auth{Kind: cloud.AuthTencent, Key: "e12c46f2612d5106e2034781ab261ca3"}, ingestauth.Tencent{Key: "x"}, 0, false, EventPublishFailed},
		{"token-server", cloud.Auth{Kind: cloud.AuthToken, URL: "self"}, nil, 0, true, EventConnectSuccess},
		{"token-missing", cloud.Auth{Kind: cloud.AuthToken, URL: "self"}, nil, 0, false, EventPublishFailed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			clk := clock.NewFake(time.Now().Truncate(time.Second))
			cl := cloud.New(cloud.Config{Auth: c.auth, RTPAddr: "off"}, clk, &obsLog{})
			if err := cl.Start(context.Background()); err != nil {
				t.Fatal(err)
			}
			defer cl.Close()
			sh := quickstart(t, av.H264)
			s := New(Deps{Clock: clk, Rand: rand.New(rand.NewPCG(1, 1)), Sink: &obsLog{}},
				Options{AudioConfig: sh.AudioConfig, Signer: c.signer, SignTTL: c.ttl})
			if err := s.Initialize(units.MiB, 2); err != nil {
				t.Fatal(err)
			}
			defer s.Uninitialize()
			cbs := &callbacks{}
			if c.bySN {
				tokens, err := httpapi.New(cl.BaseURL(), httpapi.Options{})
				if err != nil {
					t.Fatal(err)
				}
				_ = s.SetTokenServer(tokens)
				_, err = s.ConnectByDeviceSN("client", "secret", "cam-0001", cbs.cb)
				if err != nil {
					t.Fatal(err)
				}
			} else if _, err := s.Connect(cl.PublishURL("live", "cam-0001"), "", cbs.cb); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "outcome", func() bool { return len(cbs.events()) > 0 })
			if ev := cbs.events()[0]; ev != c.want {
				t.Errorf("outcome %v, want %v (cloud refusals %v)", ev, c.want, cl.Snapshot().RefusedByStatus)
			}
		})
	}
}
