package pgstore_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/traceai-go/traceai/explorer"
	"github.com/traceai-go/traceai/internal/pgtest"
)

func do(t *testing.T, method, url string, body []byte) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, bytes.NewReader(body))
	if body != nil {
		req.Header.Set("Content-Type", "application/x-protobuf")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, resp.Header.Get("Retry-After")
}

// TestServePostgresFault: the explorer on a postgres:// --db (through
// explorer.WithDB, as traceai serve) answers 503 with Retry-After on the
// OTLP receiver and the API while the database is unreachable, and 200
// again once it is back, without a restart; what it acknowledged is
// stored.
func TestServePostgresFault(t *testing.T) {
	dsn := pgtest.DSN(t)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	p := newProxy(t, u.Host)
	u.Host = p.addr
	x, err := explorer.New(explorer.WithDB(u.String()), explorer.WithLogger(slog.New(slog.DiscardHandler)),
		explorer.WithHTTPAddr("127.0.0.1:0"), explorer.WithOTLPHTTPAddr("127.0.0.1:0"), explorer.WithOTLPGRPCAddr("127.0.0.1:0"))
	if err != nil {
		t.Fatal(err)
	}
	if err := x.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		x.Shutdown(ctx)
	})
	reqs := corpus(t, 5)
	body := func(i int) []byte {
		b, err := proto.Marshal(&coltracepb.ExportTraceServiceRequest{ResourceSpans: reqs[i]})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if code, _ := do(t, "POST", x.OTLPHTTPEndpoint()+"/v1/traces", body(0)); code != http.StatusOK {
		t.Fatalf("export: %d", code)
	}
	p.down()
	if code, ra := do(t, "POST", x.OTLPHTTPEndpoint()+"/v1/traces", body(1)); code != http.StatusServiceUnavailable || ra == "" {
		t.Errorf("export while the database is unreachable: %d, Retry-After %q", code, ra)
	}
	for _, path := range []string{"/api/sessions", "/api/overview", "/api/users"} {
		if code, ra := do(t, "GET", x.UIURL()+path, nil); code != http.StatusServiceUnavailable || ra == "" {
			t.Errorf("GET %s while the database is unreachable: %d, Retry-After %q", path, code, ra)
		}
	}
	p.up()
	if code, _ := do(t, "POST", x.OTLPHTTPEndpoint()+"/v1/traces", body(1)); code != http.StatusOK {
		t.Errorf("export after the database is back: %d", code)
	}
	for _, path := range []string{"/api/sessions", "/api/overview", "/api/users"} {
		if code, _ := do(t, "GET", x.UIURL()+path, nil); code != http.StatusOK {
			t.Errorf("GET %s after the database is back: %d", path, code)
		}
	}
	// What was acknowledged is there: the same as SQLite given the two
	// requests.
	sq := openSQLite(t)
	for _, i := range []int{0, 1} {
		if _, err := sq.Ingest(context.Background(), reqs[i]); err != nil {
			t.Fatal(err)
		}
	}
	oa, ea := sq.Overview(context.Background())
	ob, eb := x.Store().Overview(context.Background())
	same(t, "overview", oa, ob, ea, eb)
}
