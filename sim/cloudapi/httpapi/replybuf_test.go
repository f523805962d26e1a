package httpapi

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/fleetsim/fleetsim/sim/cloudapi"
)

// TestReplyLongerThanReadBuffer: a client connection reads replies
// through a replyBufSize buffer; a reply whose header line and body are
// many times longer still decodes whole.
func TestReplyLongerThanReadBuffer(t *testing.T) {
	for _, n := range []int{0, replyBufSize - 1, 3 * replyBufSize, 40 * replyBufSize} {
		pad := strings.Repeat("x", n)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Pad", pad)
			w.Header().Set("Content-Type", ContentJSON)
			w.Write([]byte(`{"pad":"` + pad + `","kind":"full-time","valid":true,"version":7}`))
		}))
		c, err := New(srv.URL, Options{Dial: nil})
		if err != nil {
			t.Fatal(err)
		}
		p, err := c.QueryPlan(context.Background(), "cam-1", 0, 0)
		if err != nil || p.Version != 7 || !p.Valid || p.Kind != cloudapi.PlanFullTime {
			t.Errorf("%d bytes of padding: plan %+v, %v", n, p, err)
		}
		c.CloseIdle()
		srv.Close()
	}
}
