package explorer_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/traceai-go/traceai/explorer"
	"github.com/traceai-go/traceai/explorer/internal/spanconv"
	"github.com/traceai-go/traceai/explorer/internal/synth"
	"github.com/traceai-go/traceai/explorer/store"
	"github.com/traceai-go/traceai/fi"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

var errFault = errors.New("disk I/O error (injected)")

// faulty is a backend whose writes and reads fail while down is set, as a
// database that went away and came back.
type faulty struct {
	store.Backend
	down atomic.Bool
}

func (f *faulty) err() error {
	if f.down.Load() {
		return errFault
	}
	return nil
}

func (f *faulty) Ingest(ctx context.Context, rs []*tracepb.ResourceSpans) (int, error) {
	if err := f.err(); err != nil {
		return 0, err
	}
	return f.Backend.Ingest(ctx, rs)
}

func (f *faulty) IngestEncoded(ctx context.Context, rs []*tracepb.ResourceSpans, enc [][]byte) (int, error) {
	if err := f.err(); err != nil {
		return 0, err
	}
	return f.Backend.IngestEncoded(ctx, rs, enc)
}

func (f *faulty) ListSessions(ctx context.Context, q store.SessionFilter) ([]store.SessionSummary, string, error) {
	if err := f.err(); err != nil {
		return nil, "", err
	}
	return f.Backend.ListSessions(ctx, q)
}

func (f *faulty) Overview(ctx context.Context) (*store.Overview, error) {
	if err := f.err(); err != nil {
		return nil, err
	}
	return f.Backend.Overview(ctx)
}

// TestStorageFault503 takes the database away: OTLP/HTTP, the API and the
// pages answer 503 with Retry-After, OTLP/gRPC Unavailable with RetryInfo;
// when it is back, the same requests succeed without a restart.
func TestStorageFault503(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "f.db"))
	if err != nil {
		t.Fatal(err)
	}
	fb := &faulty{Backend: st}
	x := start(t, explorer.WithBackend(fb))

	mem := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(fi.NewSpanProcessor()), sdktrace.WithSyncer(mem))
	synth.Emit(context.Background(), tp, conversation("sess-fault", "u", t0))
	req := &coltracepb.ExportTraceServiceRequest{ResourceSpans: spanconv.ToProto(mem.GetSpans().Snapshots())}
	body, err := proto.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := grpc.NewClient(x.OTLPGRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := coltracepb.NewTraceServiceClient(conn)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	fb.down.Store(true)
	resp, b := postResp(t, x.OTLPHTTPEndpoint()+"/v1/traces", body)
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "3" {
		t.Errorf("OTLP/HTTP during the fault: %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	var s spb.Status
	if err := proto.Unmarshal(b, &s); err != nil || codes.Code(s.Code) != codes.Unavailable {
		t.Errorf("OTLP/HTTP status body: %v %v", &s, err)
	}
	_, err = client.Export(ctx, req)
	gs := status.Convert(err)
	if gs.Code() != codes.Unavailable {
		t.Errorf("OTLP/gRPC during the fault: %v", err)
	}
	var delay time.Duration
	for _, d := range gs.Details() {
		if ri, ok := d.(*errdetails.RetryInfo); ok {
			delay = ri.GetRetryDelay().AsDuration()
		}
	}
	if delay != 3*time.Second {
		t.Errorf("OTLP/gRPC RetryInfo delay %v, want 3s", delay)
	}
	for _, path := range []string{"/api/sessions", "/api/overview", "/"} {
		r, _ := getResp(t, x.UIURL()+path)
		if r.StatusCode != http.StatusServiceUnavailable || r.Header.Get("Retry-After") != "3" {
			t.Errorf("GET %s during the fault: %d, Retry-After %q", path, r.StatusCode, r.Header.Get("Retry-After"))
		}
	}
	if n := dbCount(t, st.Path(), `SELECT count(*) FROM spans`); n != 0 {
		t.Fatalf("%d spans stored during the fault", n)
	}

	fb.down.Store(false)
	if resp, b := postResp(t, x.OTLPHTTPEndpoint()+"/v1/traces", body); resp.StatusCode != http.StatusOK {
		t.Errorf("OTLP/HTTP after the fault: %d %s", resp.StatusCode, b)
	}
	if _, err := client.Export(ctx, req); err != nil {
		t.Errorf("OTLP/gRPC after the fault: %v", err)
	}
	for _, path := range []string{"/api/sessions", "/api/overview", "/"} {
		if r, b := getResp(t, x.UIURL()+path); r.StatusCode != http.StatusOK || r.Header.Get("Retry-After") != "" {
			t.Errorf("GET %s after the fault: %d %.200s", path, r.StatusCode, b)
		}
	}
	// Sent twice (HTTP, gRPC): stored once.
	if got, want := dbCount(t, st.Path(), `SELECT count(*) FROM spans`), len(mem.GetSpans()); got != want {
		t.Errorf("%d spans stored after the fault, want %d", got, want)
	}
}

func postResp(t *testing.T, url string, body []byte) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-protobuf")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func getResp(t *testing.T, url string) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// Deleting the database file under a running explorer: OTLP answers 503
// with Retry-After (exporters keep the spans) instead of acknowledging
// spans into an unlinked file.
func TestDatabaseDeleted503(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gone.db")
	x := start(t, explorer.WithDBPath(path))
	mem := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(fi.NewSpanProcessor()), sdktrace.WithSyncer(mem))
	synth.Emit(context.Background(), tp, conversation("sess-gone", "u", t0))
	body, err := proto.Marshal(&coltracepb.ExportTraceServiceRequest{ResourceSpans: spanconv.ToProto(mem.GetSpans().Snapshots())})
	if err != nil {
		t.Fatal(err)
	}
	if resp, b := postResp(t, x.OTLPHTTPEndpoint()+"/v1/traces", body); resp.StatusCode != http.StatusOK {
		t.Fatalf("before: %d %q", resp.StatusCode, b)
	}
	status := func(path string) int {
		resp, err := http.Get(x.UIURL() + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, p := range []string{"/api/health", "/", "/api/sessions"} {
		if c := status(p); c != http.StatusOK {
			t.Errorf("before: %s answers %d", p, c)
		}
	}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Remove(path + suffix)
	}
	// The pages and the API look at the file at most once a second.
	deadline := time.Now().Add(5 * time.Second)
	for status("/api/health") != http.StatusServiceUnavailable && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	for _, p := range []string{"/api/health", "/", "/api/sessions", "/dashboard"} {
		if c := status(p); c != http.StatusServiceUnavailable {
			t.Errorf("after the file was deleted: %s answers %d, want 503", p, c)
		}
	}
	// No read made a new, empty database at the path meanwhile.
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a file is at the deleted database's path: %v", err)
	}
	resp, b := postResp(t, x.OTLPHTTPEndpoint()+"/v1/traces", body)
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" || !bytes.Contains(b, []byte("deleted or replaced")) {
		t.Errorf("after the file was deleted: %d, Retry-After %q, %q", resp.StatusCode, resp.Header.Get("Retry-After"), b)
	}
}
