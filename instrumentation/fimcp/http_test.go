package fimcp_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/fi/semconv"
	"github.com/traceai-go/traceai/instrumentation/fimcp"
)

// TestStreamableHTTP: over the streamable HTTP transport the _meta context
// crosses too, and both sides record the transport's MCP session id.
func TestStreamableHTTP(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(fi.NewSpanProcessor()), sdktrace.WithSpanProcessor(rec))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	s := &seen{byArg: map[string][2]string{}}
	server := newServer(tp, s, []fimcp.Option{fimcp.WithTracerProvider(tp)})
	hs := httptest.NewServer(mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server }, nil))
	defer hs.Close()

	client := mcp.NewClient(&mcp.Implementation{Name: "agent", Version: "1"}, nil)
	client.AddSendingMiddleware(fimcp.ClientMiddleware(fimcp.WithTracerProvider(tp)))
	cs, err := client.Connect(context.Background(), &mcp.StreamableClientTransport{Endpoint: hs.URL, HTTPClient: hs.Client()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cs.Close() }()
	ctx := fi.UsingSession(context.Background(), "sess-http")
	if _, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "lookup", Arguments: map[string]any{"order": "H1"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "broken"}); err != nil {
		t.Fatal(err)
	}
	cli := one(t, rec, "tools/call lookup", trace.SpanKindClient)
	srv := one(t, rec, "tools/call lookup", trace.SpanKindServer)
	if srv.Parent().SpanID() != cli.SpanContext().SpanID() {
		t.Error("server span is not the client span's child")
	}
	ca, sa := attrs(cli), attrs(srv)
	if sa[semconv.SessionID] != "sess-http" || s.get("H1")[0] != "sess-http" {
		t.Errorf("server session.id %q, handler %q", sa[semconv.SessionID], s.get("H1")[0])
	}
	if ca["mcp.session.id"] == "" || ca["mcp.session.id"] != sa["mcp.session.id"] {
		t.Errorf("mcp.session.id client %q server %q", ca["mcp.session.id"], sa["mcp.session.id"])
	}
	if b := one(t, rec, "tools/call broken", trace.SpanKindServer); b.Status().Code != codes.Error {
		t.Errorf("broken over HTTP: %+v", b.Status())
	}
}

// TestStreamableHTTPEndpoint: over real HTTP, a client that names its
// server's URL sends the session only when the host is allowed. The
// third-party case names a host that is not loopback while the bytes still
// reach the local test server, so what arrives is what would have left.
func TestStreamableHTTPEndpoint(t *testing.T) {
	for _, tc := range []struct {
		name     string
		endpoint func(local string) string
		hosts    []string
		want     string
	}{
		{"loopback server", func(local string) string { return local }, nil, "sess-ep"},
		{"third party", func(string) string { return "https://tools.example.com/mcp" }, nil, ""},
		{"third party listed", func(string) string { return "https://tools.example.com/mcp" }, []string{"tools.example.com"}, "sess-ep"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := tracetest.NewSpanRecorder()
			tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(fi.NewSpanProcessor()), sdktrace.WithSpanProcessor(rec))
			defer func() { _ = tp.Shutdown(context.Background()) }()
			s := &seen{byArg: map[string][2]string{}}
			server := newServer(tp, s, []fimcp.Option{fimcp.WithTracerProvider(tp)})
			hs := httptest.NewServer(mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server }, nil))
			defer hs.Close()

			client := mcp.NewClient(&mcp.Implementation{Name: "agent", Version: "1"}, nil)
			client.AddSendingMiddleware(fimcp.ClientMiddleware(fimcp.WithTracerProvider(tp),
				fimcp.WithEndpoint(tc.endpoint(hs.URL)), fimcp.WithAllowedHosts(tc.hosts...)))
			cs, err := client.Connect(context.Background(), &mcp.StreamableClientTransport{Endpoint: hs.URL, HTTPClient: hs.Client()}, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = cs.Close() }()
			ctx := fi.UsingSession(context.Background(), "sess-ep")
			if _, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "lookup", Arguments: map[string]any{"order": "E7"}}); err != nil {
				t.Fatal(err)
			}
			cli := one(t, rec, "tools/call lookup", trace.SpanKindClient)
			srv := one(t, rec, "tools/call lookup", trace.SpanKindServer)
			if srv.Parent().SpanID() != cli.SpanContext().SpanID() {
				t.Error("trace context did not cross")
			}
			if got := attrs(srv)[semconv.SessionID]; got != tc.want || s.get("E7")[0] != tc.want {
				t.Errorf("server span session %q, handler %q, want %q", got, s.get("E7")[0], tc.want)
			}
			if got := attrs(cli)[semconv.SessionID]; got != "sess-ep" {
				t.Errorf("client span session %q: the caller's own span keeps it", got)
			}
		})
	}
}
