package figrpc_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/stats"

	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/fi/semconv"
	"github.com/traceai-go/traceai/instrumentation/figrpc"
	"github.com/traceai-go/traceai/instrumentation/fihttp"
)

// world is one tracer provider (fi span processor + recorder) shared by
// every service of a test, as if each exported to the same backend.
type world struct {
	rec  *tracetest.SpanRecorder
	tp   *sdktrace.TracerProvider
	prop propagation.TextMapPropagator
}

func newWorld(t *testing.T) *world {
	t.Helper()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithSpanProcessor(fi.NewSpanProcessor()),
		sdktrace.WithSpanProcessor(rec),
	)
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return &world{rec: rec, tp: tp, prop: propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})}
}

func (w *world) tracer() trace.Tracer { return w.tp.Tracer("test") }

// waitSpans waits until n spans ended (gRPC server spans end after the
// client has its answer).
func (w *world) waitSpans(t *testing.T, n int) []sdktrace.ReadOnlySpan {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		s := w.rec.Ended()
		if len(s) >= n || time.Now().After(deadline) {
			if len(s) != n {
				for _, sp := range s {
					t.Logf("span %q kind=%v attrs=%v", sp.Name(), sp.SpanKind(), sp.Attributes())
				}
				t.Fatalf("got %d ended spans, want %d", len(s), n)
			}
			return s
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func attr(s sdktrace.ReadOnlySpan, k attribute.Key) (string, bool) {
	for _, kv := range s.Attributes() {
		if kv.Key == k {
			return kv.Value.AsString(), true
		}
	}
	return "", false
}

// wireMD records the metadata of incoming RPCs as they came off the wire,
// before figrpc sees them.
type wireMD struct {
	mu  sync.Mutex
	got []metadata.MD
}

func (r *wireMD) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context {
	md, _ := metadata.FromIncomingContext(ctx)
	r.mu.Lock()
	r.got = append(r.got, md.Copy())
	r.mu.Unlock()
	return ctx
}
func (r *wireMD) HandleRPC(context.Context, stats.RPCStats) {}
func (r *wireMD) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context {
	return ctx
}
func (r *wireMD) HandleConn(context.Context, stats.ConnStats) {}

func (r *wireMD) last() metadata.MD {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.got) == 0 {
		return nil
	}
	return r.got[len(r.got)-1]
}

// healthC is service C: a gRPC health service that does some traced work.
type healthC struct {
	grpc_health_v1.UnimplementedHealthServer
	w       *world
	mu      sync.Mutex
	session string
	user    string
	bag     string
}

func (h *healthC) Check(ctx context.Context, _ *grpc_health_v1.HealthCheckRequest) (*grpc_health_v1.HealthCheckResponse, error) {
	_, span := h.w.tracer().Start(ctx, "C.work")
	span.End()
	h.mu.Lock()
	h.session, h.user = fi.SessionID(ctx), fi.UserID(ctx)
	h.bag = baggage.FromContext(ctx).String()
	h.mu.Unlock()
	return &grpc_health_v1.HealthCheckResponse{Status: grpc_health_v1.HealthCheckResponse_SERVING}, nil
}

func (h *healthC) Watch(_ *grpc_health_v1.HealthCheckRequest, stream grpc.ServerStreamingServer[grpc_health_v1.HealthCheckResponse]) error {
	ctx := stream.Context()
	h.mu.Lock()
	h.session, h.user = fi.SessionID(ctx), fi.UserID(ctx)
	h.bag = baggage.FromContext(ctx).String()
	h.mu.Unlock()
	return stream.Send(&grpc_health_v1.HealthCheckResponse{Status: grpc_health_v1.HealthCheckResponse_SERVING})
}

// startC starts service C and returns its address.
func startC(t *testing.T, w *world, wire *wireMD, opts ...figrpc.Option) (*healthC, string) {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	opts = append(opts, figrpc.WithStatsHandler(otelgrpc.NewServerHandler(
		otelgrpc.WithTracerProvider(w.tp), otelgrpc.WithPropagators(w.prop))))
	srv := grpc.NewServer(
		grpc.StatsHandler(wire),
		grpc.StatsHandler(figrpc.NewServerHandler(opts...)),
	)
	hc := &healthC{w: w}
	grpc_health_v1.RegisterHealthServer(srv, hc)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return hc, lis.Addr().String()
}

func dialC(t *testing.T, w *world, addr string, opts ...figrpc.Option) grpc_health_v1.HealthClient {
	t.Helper()
	conn, err := grpc.NewClient(addr, append(figrpc.DialOptions(opts...),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithStatsHandler(otelgrpc.NewClientHandler(otelgrpc.WithTracerProvider(w.tp), otelgrpc.WithPropagators(w.prop))),
	)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return grpc_health_v1.NewHealthClient(conn)
}

// serverHandler wraps h as every HTTP service of these tests is wrapped:
// fihttp outside otelhttp, so the server span carries the ids.
func (w *world) serverHandler(name string, h http.Handler, opts ...fihttp.Option) http.Handler {
	return fihttp.NewHandler(otelhttp.NewHandler(h, name,
		otelhttp.WithTracerProvider(w.tp), otelhttp.WithPropagators(w.prop),
		otelhttp.WithSpanNameFormatter(func(string, *http.Request) string { return name })), opts...)
}

func (w *world) clientTransport(name string, base http.RoundTripper, opts ...fihttp.Option) http.RoundTripper {
	return otelhttp.NewTransport(fihttp.NewTransport(base, opts...),
		otelhttp.WithTracerProvider(w.tp), otelhttp.WithPropagators(w.prop),
		otelhttp.WithSpanNameFormatter(func(string, *http.Request) string { return name }))
}

// wireHeaders records request headers as they came off the wire.
type wireHeaders struct {
	mu  sync.Mutex
	got []http.Header
}

func (r *wireHeaders) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.got = append(r.got, req.Header.Clone())
		r.mu.Unlock()
		h.ServeHTTP(w, req)
	})
}

func (r *wireHeaders) all() []http.Header {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]http.Header(nil), r.got...)
}

func get(t *testing.T, ctx context.Context, c *http.Client, url string, hdr map[string]string) string {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	return string(b)
}

func baggageMember(h []string, key string) (string, bool) {
	b, _ := baggage.Parse(strings.Join(h, ","))
	m := b.Member(key)
	return m.Value(), m.Key() != ""
}

// TestSessionAcrossThreeServices runs A -(HTTP)-> B -(gRPC)-> C on loopback.
// A opens the session (and user); every span of A's scope, of B and of C
// must carry the same ids. With user propagation off, B and C get the
// session only.
func TestSessionAcrossThreeServices(t *testing.T) {
	for _, propagateUser := range []bool{true, false} {
		t.Run(fmt.Sprintf("user=%v", propagateUser), func(t *testing.T) {
			w := newWorld(t)
			cWire := &wireMD{}
			hc, cAddr := startC(t, w, cWire)
			health := dialC(t, w, cAddr, figrpc.WithUserPropagation(propagateUser))

			bWire := &wireHeaders{}
			var bInner http.Header
			bMux := http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
				bInner = r.Header.Clone()
				ctx, span := w.tracer().Start(r.Context(), "B.work")
				defer span.End()
				if _, err := health.Check(ctx, &grpc_health_v1.HealthCheckRequest{}); err != nil {
					http.Error(rw, err.Error(), 500)
					return
				}
				fmt.Fprint(rw, "B ok")
			})
			b := httptest.NewServer(bWire.wrap(w.serverHandler("B", bMux)))
			defer b.Close()

			toB := &http.Client{Transport: w.clientTransport("A->B", nil, fihttp.WithUserPropagation(propagateUser))}
			aMux := http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
				ctx := fi.UsingAttributes(r.Context(), fi.Attributes{SessionID: "sess-42", UserID: "user-7"})
				ctx, span := w.tracer().Start(ctx, "A.work")
				defer span.End()
				fmt.Fprint(rw, get(t, ctx, toB, b.URL+"/retrieve", nil))
			})
			a := httptest.NewServer(w.serverHandler("A", aMux))
			defer a.Close()

			if got := get(t, context.Background(), http.DefaultClient, a.URL+"/chat", nil); got != "B ok" {
				t.Fatalf("A answered %q", got)
			}
			spans := w.waitSpans(t, 8)

			// On the wire: A -> B baggage, B -> C metadata.
			bh := bWire.all()
			if len(bh) != 1 {
				t.Fatalf("B got %d requests", len(bh))
			}
			if v, _ := baggageMember(bh[0].Values("Baggage"), "session.id"); v != "sess-42" {
				t.Errorf("A->B baggage %q: session.id = %q", bh[0].Values("Baggage"), v)
			}
			if v, ok := baggageMember(bh[0].Values("Baggage"), "user.id"); ok != propagateUser || propagateUser && v != "user-7" {
				t.Errorf("A->B baggage %q: user.id = %q, %v", bh[0].Values("Baggage"), v, ok)
			}
			if bInner.Get("Baggage") != "" {
				t.Errorf("B's handler still sees baggage %q; ids should have moved to the fi scope", bInner.Get("Baggage"))
			}
			md := cWire.last()
			if v, _ := baggageMember(md.Get("baggage"), "session.id"); v != "sess-42" {
				t.Errorf("B->C metadata baggage %q: session.id = %q", md.Get("baggage"), v)
			}
			if _, ok := baggageMember(md.Get("baggage"), "user.id"); ok != propagateUser {
				t.Errorf("B->C metadata baggage %q: user.id present = %v", md.Get("baggage"), ok)
			}
			if hc.session != "sess-42" || (hc.user == "user-7") != propagateUser {
				t.Errorf("C handler context: session %q user %q", hc.session, hc.user)
			}
			if hc.bag != "" {
				t.Errorf("C handler context baggage %q, want ids removed", hc.bag)
			}

			traceID := spans[0].SpanContext().TraceID()
			service := map[string]string{}
			for _, s := range spans {
				if s.SpanContext().TraceID() != traceID {
					t.Errorf("span %q in another trace", s.Name())
				}
				var svc string
				switch {
				case s.Name() == "A":
					// A's server span starts before A's handler opens the session.
					if _, ok := attr(s, semconv.SessionID); ok {
						t.Errorf("A server span has session.id")
					}
					continue
				case s.Name() == "A.work" || s.Name() == "A->B":
					svc = "A"
				case s.Name() == "B" || s.Name() == "B.work" ||
					s.Name() == "grpc.health.v1.Health/Check" && s.SpanKind() == trace.SpanKindClient:
					svc = "B"
				case s.Name() == "C.work" || s.Name() == "grpc.health.v1.Health/Check" && s.SpanKind() == trace.SpanKindServer:
					svc = "C"
				default:
					t.Fatalf("unexpected span %q (%v)", s.Name(), s.SpanKind())
				}
				service[s.Name()+"/"+s.SpanKind().String()] = svc
				if v, _ := attr(s, semconv.SessionID); v != "sess-42" {
					t.Errorf("%s span %q: session.id = %q, want sess-42", svc, s.Name(), v)
				}
				if v, _ := attr(s, semconv.GenAIConversationID); v != "sess-42" {
					t.Errorf("%s span %q: gen_ai.conversation.id = %q, want sess-42", svc, s.Name(), v)
				}
				u, ok := attr(s, semconv.UserID)
				wantUser := svc == "A" || propagateUser
				if ok != wantUser || wantUser && u != "user-7" {
					t.Errorf("%s span %q: user.id = %q (present %v), want present %v", svc, s.Name(), u, ok, wantUser)
				}
			}
			if len(service) != 7 {
				t.Errorf("classified %d spans, want 7: %v", len(service), service)
			}
		})
	}
}

// TestSessionFromGatewayHeader: the session enters A as X-Session-Id; then
// even A's server span carries it, and B and C get it through baggage.
func TestSessionFromGatewayHeader(t *testing.T) {
	w := newWorld(t)
	_, cAddr := startC(t, w, &wireMD{})
	health := dialC(t, w, cAddr)
	b := httptest.NewServer(w.serverHandler("B", http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if _, err := health.Check(r.Context(), &grpc_health_v1.HealthCheckRequest{}); err != nil {
			t.Error(err)
		}
	})))
	defer b.Close()
	toB := &http.Client{Transport: w.clientTransport("A->B", nil)}
	a := httptest.NewServer(w.serverHandler("A", http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		get(t, r.Context(), toB, b.URL, nil)
	})))
	defer a.Close()
	get(t, context.Background(), http.DefaultClient, a.URL, map[string]string{"X-Session-Id": "from-header", "X-User-Id": "alice"})
	for _, s := range w.waitSpans(t, 6) {
		if v, _ := attr(s, semconv.SessionID); v != "from-header" {
			t.Errorf("span %q (%v): session.id %q", s.Name(), s.SpanKind(), v)
		}
		u, _ := attr(s, semconv.UserID)
		if a := s.Name() == "A" || s.Name() == "A->B"; (u == "alice") != a {
			t.Errorf("span %q (%v): user.id %q; want alice only in A (user propagation off)", s.Name(), s.SpanKind(), u)
		}
	}
}
