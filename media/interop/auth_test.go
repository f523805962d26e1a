package interop

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/fleetsim/fleetsim/internal/testpeer"
	"github.com/fleetsim/fleetsim/media/ingestauth"
	"github.com/fleetsim/fleetsim/media/rtmp"
)

// TestSignedPublishThroughNginx: RP10 end to end with a real ingest.
// nginx-rtmp asks an on_publish callback, which checks the Kingsoft t/k
// signature with ingestauth; our client publishes with a good, a
// tampered and an expired URL, and nginx's refusal reaches the client as a
// publish-stage failure.
func TestSignedPublishThroughNginx(t *testing.T) {
	auth := ingestauth.Kingsoft{Key: "123456"}
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	var verdicts []error
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		// nginx posts the stream name and the publish query's arguments.
		err := auth.Verify(r.PostForm.Get("name"), r.PostForm, now)
		mu.Lock()
		verdicts = append(verdicts, err)
		mu.Unlock()
		if err != nil {
			http.Error(w, err.Error(), http.StatusForbidden)
		}
	}))
	defer hook.Close()
	ng := testpeer.StartNginxRTMP(t, testpeer.NginxOptions{OnPublish: hook.URL + "/on_publish"})
	defer func() {
		if t.Failed() {
			log, _ := os.ReadFile(ng.ErrorLog)
			t.Logf("nginx error log:\n%s", log)
		}
	}()

	good := auth.Sign("cam7", now.Add(time.Hour))
	tampered := auth.Sign("cam7", now.Add(time.Hour))
	tampered.Set("k", "0000000000000000")
	expired := auth.Sign("cam7", now.Add(-time.Minute))
	tests := []struct {
		name  string
		query string
		stage rtmp.Stage
		cause error
	}{
		{"signed", good.Encode(), rtmp.StageSuccess, nil},
		{"tampered", tampered.Encode(), rtmp.StagePublish, ingestauth.ErrMismatch},
		{"expired", expired.Encode(), rtmp.StagePublish, ingestauth.ErrExpired},
		{"unsigned", "", rtmp.StagePublish, ingestauth.ErrMissing},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testCtx(t, 20*time.Second)
			url := ng.URL("live", "cam7")
			if tc.query != "" {
				url += "?" + tc.query
			}
			c, err := rtmp.Dial(ctx, url, rtmp.ClientConfig{})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			err = c.Publish(ctx)
			if got := rtmp.StageOf(err); got != tc.stage {
				t.Fatalf("stage %v (%v), want %v", got, err, tc.stage)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(verdicts) != i+1 {
				t.Fatalf("%d callbacks", len(verdicts))
			}
			if v := verdicts[i]; !errors.Is(v, tc.cause) || (tc.cause == nil) != (v == nil) {
				t.Errorf("callback verdict %v, want %v", v, tc.cause)
			}
		})
	}
}
