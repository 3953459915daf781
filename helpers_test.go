package traceai_test

import (
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/traceai-go/traceai"
)

// received is one export request as it arrived on the wire.
type received struct {
	path    string
	headers map[string]string // lower-case names
	req     *coltracepb.ExportTraceServiceRequest
}

// receiver is a local OTLP collector (HTTP and gRPC) that records what it
// is sent and can be made to fail or hang.
type receiver struct {
	mu      sync.Mutex
	got     []received
	hits    atomic.Int64
	status  atomic.Int32 // HTTP status to answer; 0 means 200
	fails   atomic.Int32 // with limited, answer status only this many times, then 200
	limited atomic.Bool
	hang    chan struct{} // when non-nil, requests wait for it to close

	URL  string // HTTP base URL
	Addr string // gRPC host:port

	coltracepb.UnimplementedTraceServiceServer
}

func (r *receiver) record(path string, h map[string]string, req *coltracepb.ExportTraceServiceRequest) {
	r.mu.Lock()
	r.got = append(r.got, received{path, h, req})
	r.mu.Unlock()
}

func (r *receiver) requests() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

// spans returns every span received, with its request.
func (r *receiver) spans() []*tracepb.Span {
	var out []*tracepb.Span
	for _, g := range r.requests() {
		for _, rs := range g.req.ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				out = append(out, ss.Spans...)
			}
		}
	}
	return out
}

func (r *receiver) wait(ctx context.Context) bool {
	if r.hang == nil {
		return true
	}
	select {
	case <-r.hang:
		return true
	case <-ctx.Done():
		return false
	}
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.hits.Add(1)
	if !r.wait(req.Context()) {
		return
	}
	if st := r.status.Load(); st != 0 && (!r.limited.Load() || r.fails.Add(-1) >= 0) {
		w.Header().Set("Retry-After", "0")
		http.Error(w, "nope", int(st))
		return
	}
	var body io.Reader = req.Body
	if req.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(req.Body)
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		body = zr
	}
	data, err := io.ReadAll(body)
	if err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	msg := &coltracepb.ExportTraceServiceRequest{}
	unmarshal := proto.Unmarshal
	if req.Header.Get("Content-Type") == "application/json" {
		unmarshal = protojson.Unmarshal
	}
	if err := unmarshal(data, msg); err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	h := map[string]string{}
	for k, v := range req.Header {
		h[strings.ToLower(k)] = strings.Join(v, ",")
	}
	r.record(req.URL.Path, h, msg)
	out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

// Export implements the OTLP/gRPC trace service.
func (r *receiver) Export(ctx context.Context, req *coltracepb.ExportTraceServiceRequest) (*coltracepb.ExportTraceServiceResponse, error) {
	r.hits.Add(1)
	if !r.wait(ctx) {
		return nil, ctx.Err()
	}
	md, _ := metadata.FromIncomingContext(ctx)
	h := map[string]string{}
	for k, v := range md {
		h[k] = strings.Join(v, ",")
	}
	r.record("", h, req)
	return &coltracepb.ExportTraceServiceResponse{}, nil
}

// newHTTPReceiver starts an OTLP/HTTP receiver for the test.
func newHTTPReceiver(t testing.TB) *receiver {
	t.Helper()
	r := &receiver{}
	srv := httptest.NewServer(r)
	r.URL = srv.URL
	t.Cleanup(func() {
		r.release()
		srv.Close()
	})
	return r
}

// newGRPCReceiver starts an OTLP/gRPC receiver for the test.
func newGRPCReceiver(t testing.TB) *receiver {
	t.Helper()
	r := &receiver{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer()
	coltracepb.RegisterTraceServiceServer(s, r)
	go func() { _ = s.Serve(ln) }()
	r.Addr = ln.Addr().String()
	t.Cleanup(func() {
		r.release()
		s.Stop()
	})
	return r
}

func (r *receiver) hangRequests() { r.hang = make(chan struct{}) }

func (r *receiver) release() {
	if r.hang != nil {
		select {
		case <-r.hang:
		default:
			close(r.hang)
		}
	}
}

// closedAddr returns a loopback address nothing listens on.
func closedAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func anyString(v *commonpb.AnyValue) string {
	if v == nil {
		return "<nil>"
	}
	switch x := v.Value.(type) {
	case *commonpb.AnyValue_StringValue:
		return x.StringValue
	default:
		return v.String()
	}
}

func kvMap(kvs []*commonpb.KeyValue) map[string]*commonpb.AnyValue {
	m := map[string]*commonpb.AnyValue{}
	for _, kv := range kvs {
		m[kv.Key] = kv.Value
	}
	return m
}

// handled collects what reaches otel.Handle during one test.
type handled struct {
	mu   sync.Mutex
	errs []error
}

func (h *handled) Handle(err error) {
	h.mu.Lock()
	h.errs = append(h.errs, err)
	h.mu.Unlock()
}

func (h *handled) all() []error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]error(nil), h.errs...)
}

// dropped sums the DroppedSpansError reports.
func (h *handled) dropped() uint64 {
	var n uint64
	for _, err := range h.all() {
		var d *traceai.DroppedSpansError
		if errors.As(err, &d) {
			n += d.Dropped
		}
	}
	return n
}

var currentHandled atomic.Pointer[handled]

// handleErrors routes otel.Handle to a fresh collector for the test. Tests
// using it must not run in parallel.
func handleErrors(t testing.TB) *handled {
	h := &handled{}
	currentHandled.Store(h)
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		if h := currentHandled.Load(); h != nil {
			h.Handle(err)
		}
	}))
	t.Cleanup(func() { currentHandled.CompareAndSwap(h, nil) })
	return h
}

// clearExportEnv unsets every variable Register reads, for the test.
func clearExportEnv(t *testing.T) {
	for _, k := range []string{
		"FI_API_KEY", "FI_SECRET_KEY", "FI_BASE_URL", "FI_GRPC_URL", "FI_COLLECTOR_ENDPOINT",
		"FI_GRPC_COLLECTOR_ENDPOINT", "FI_PROJECT_NAME", "FI_PROJECT_VERSION_NAME",
		"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_HEADERS",
		"OTEL_EXPORTER_OTLP_TRACES_HEADERS", "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
		"OTEL_EXPORTER_OTLP_INSECURE", "OTEL_EXPORTER_OTLP_TRACES_INSECURE", "OTEL_SERVICE_NAME",
		"OTEL_RESOURCE_ATTRIBUTES", "OTEL_BSP_MAX_QUEUE_SIZE", "OTEL_BSP_SCHEDULE_DELAY",
		"OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "OTEL_BSP_EXPORT_TIMEOUT", "OTEL_EXPORTER_OTLP_COMPRESSION",
		"OTEL_EXPORTER_OTLP_TRACES_COMPRESSION",
	} {
		t.Setenv(k, "") // restores the old value after the test
		os.Unsetenv(k)
	}
}

// within fails the test if fn does not return before d: the proof that a
// path does not block, without timing it.
func within(t *testing.T, d time.Duration, what string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("%s did not return within %v", what, d)
	}
}
