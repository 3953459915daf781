package figrpc_test

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/baggage"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"

	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/fi/semconv"
	"github.com/traceai-go/traceai/instrumentation/figrpc"
)

func captureErrors(t *testing.T) func() []error {
	var mu sync.Mutex
	var errs []error
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}))
	t.Cleanup(func() { otel.SetErrorHandler(otel.ErrorHandlerFunc(func(error) {})) })
	return func() []error {
		mu.Lock()
		defer mu.Unlock()
		return append([]error(nil), errs...)
	}
}

// dialAs connects to addr while the client believes it talks to target,
// with otelgrpc's client handler propagating the context baggage.
func dialAs(t *testing.T, w *world, target, addr string, opts ...figrpc.Option) grpc_health_v1.HealthClient {
	conn, err := grpc.NewClient(target, append(figrpc.DialOptions(opts...),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithStatsHandler(otelgrpc.NewClientHandler(otelgrpc.WithTracerProvider(w.tp), otelgrpc.WithPropagators(w.prop))),
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "tcp", addr)
		}))...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return grpc_health_v1.NewHealthClient(conn)
}

// TestGRPCNoIDsToOtherTargets: a call to a target outside the allow-list
// carries no ids, even ones put into the context baggage or outgoing
// metadata by hand; an allowed target gets them.
func TestGRPCNoIDsToOtherTargets(t *testing.T) {
	w := newWorld(t)
	wire := &wireMD{}
	_, addr := startC(t, w, wire)
	ctx := fi.UsingAttributes(context.Background(), fi.Attributes{SessionID: "s-1", UserID: "u-1"})
	m, _ := baggage.NewMemberRaw("user.id", "by-hand")
	keep, _ := baggage.NewMemberRaw("tenant", "blue")
	bag, _ := baggage.New(m, keep)
	ctx = baggage.ContextWithBaggage(ctx, bag)
	ctx = metadata.AppendToOutgoingContext(ctx, "baggage", "session.id=by-hand-too")

	for _, tc := range []struct {
		target  string
		opts    []figrpc.Option
		allowed bool
	}{
		{"passthrough:///llm.example.com:443", nil, false},
		{"passthrough:api.openai.com:443", []figrpc.Option{figrpc.WithUserPropagation(true)}, false},
		{"passthrough:///rag.internal:9000", []figrpc.Option{figrpc.WithAllowedHosts("rag.internal"), figrpc.WithUserPropagation(true)}, true},
		{"passthrough:///" + addr, []figrpc.Option{figrpc.WithLoopback(false)}, false},
		{addr, []figrpc.Option{figrpc.WithUserPropagation(true)}, true},
	} {
		t.Run(tc.target, func(t *testing.T) {
			if _, err := dialAs(t, w, tc.target, addr, tc.opts...).Check(ctx, &grpc_health_v1.HealthCheckRequest{}); err != nil {
				t.Fatal(err)
			}
			got := wire.last().Get("baggage")
			b, _ := baggage.Parse(strings.Join(got, ","))
			if b.Member("tenant").Value() != "blue" {
				t.Errorf("other baggage lost: %q", got)
			}
			if tc.allowed {
				if b.Member("session.id").Value() != "s-1" || b.Member("user.id").Value() != "u-1" {
					t.Errorf("allowed target got baggage %q", got)
				}
				return
			}
			if b.Member("session.id").Key() != "" || b.Member("user.id").Key() != "" || strings.Contains(strings.Join(got, ","), "by-hand") {
				t.Errorf("target %s got ids: baggage %q", tc.target, got)
			}
		})
	}
}

// TestGRPCUntrustedAndInvalid: the server handler refuses untrusted baggage
// and invalid ids, reports the latter, and serves the RPC.
func TestGRPCUntrustedAndInvalid(t *testing.T) {
	long := strings.Repeat("x", fi.MaxIDLength+1)
	for _, tc := range []struct {
		name    string
		opts    []figrpc.Option
		md      []string
		want    string
		wantErr string
	}{
		{"trusted baggage", nil, []string{"baggage", "session.id=b-1"}, "b-1", ""},
		{"untrusted baggage", []figrpc.Option{figrpc.WithTrustedBaggage(false)}, []string{"baggage", "session.id=evil"}, "", ""},
		{"untrusted baggage, metadata key", []figrpc.Option{figrpc.WithTrustedBaggage(false)}, []string{"baggage", "session.id=evil", "x-session-id", "m-1"}, "m-1", ""},
		{"custom key", []figrpc.Option{figrpc.WithExtractors(figrpc.FromMetadata("Conversation", ""), figrpc.FromBaggage())}, []string{"conversation", "c-1", "x-session-id", "m-1"}, "c-1", ""},
		{"extractor", []figrpc.Option{figrpc.WithExtractors(figrpc.FromFunc(func(md metadata.MD) (string, string) { return "e-" + md.Get("tenant")[0], "" }), figrpc.FromMetadata(figrpc.DefaultSessionKey, figrpc.DefaultUserKey), figrpc.FromBaggage())}, []string{"tenant", "t", "x-session-id", "m-1"}, "e-t", ""},
		{"too long", nil, []string{"x-session-id", long}, "", "over the 1024-byte limit"},
		{"too long in baggage, metadata fallback", nil, []string{"x-session-id", long, "baggage", "session.id=b-2"}, "b-2", "over the 1024-byte limit"},
		{"panicking extractor", []figrpc.Option{figrpc.WithExtractors(figrpc.FromFunc(func(metadata.MD) (string, string) { panic("boom") }))}, []string{"x-session-id", "m-1"}, "", "boom"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			errs := captureErrors(t)
			w := newWorld(t)
			hc, addr := startC(t, w, &wireMD{}, tc.opts...)
			conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			ctx := metadata.AppendToOutgoingContext(context.Background(), tc.md...)
			if _, err := grpc_health_v1.NewHealthClient(conn).Check(ctx, &grpc_health_v1.HealthCheckRequest{}); err != nil {
				t.Fatal(err)
			}
			hc.mu.Lock()
			got, bag := hc.session, hc.bag
			hc.mu.Unlock()
			if got != tc.want {
				t.Errorf("session %.30q, want %q", got, tc.want)
			}
			if strings.Contains(bag, "session.id") {
				t.Errorf("handler context baggage still has ids: %q", bag)
			}
			var server string
			for _, s := range w.waitSpans(t, 2) {
				if s.Name() != "C.work" {
					server, _ = attr(s, semconv.SessionID)
				}
			}
			if server != tc.want {
				t.Errorf("server span session.id %q, want %q", server, tc.want)
			}
			es := errs()
			if tc.wantErr == "" && len(es) > 0 {
				t.Errorf("unexpected errors %v", es)
			}
			if tc.wantErr != "" && (len(es) == 0 || !strings.Contains(es[0].Error(), tc.wantErr)) {
				t.Errorf("errors %v, want %q", es, tc.wantErr)
			}
		})
	}
}

// TestGRPCStreaming: the stream interceptor and the server handler carry
// the ids for streaming RPCs too.
func TestGRPCStreaming(t *testing.T) {
	w := newWorld(t)
	wire := &wireMD{}
	hc, addr := startC(t, w, wire)
	for _, tc := range []struct {
		target  string
		allowed bool
	}{{addr, true}, {"passthrough:///api.openai.com:443", false}} {
		client := dialAs(t, w, tc.target, addr, figrpc.WithUserPropagation(true))
		ctx := fi.UsingAttributes(context.Background(), fi.Attributes{SessionID: "st-1", UserID: "su-1"})
		stream, err := client.Watch(ctx, &grpc_health_v1.HealthCheckRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := stream.Recv(); err != nil {
			t.Fatal(err)
		}
		hc.mu.Lock()
		s, u := hc.session, hc.user
		hc.mu.Unlock()
		if tc.allowed && (s != "st-1" || u != "su-1") || !tc.allowed && (s != "" || u != "") {
			t.Errorf("%s: server saw session %q user %q", tc.target, s, u)
		}
		if !tc.allowed && len(wire.last().Get("baggage")) != 0 {
			t.Errorf("%s: baggage %q", tc.target, wire.last().Get("baggage"))
		}
	}
}
