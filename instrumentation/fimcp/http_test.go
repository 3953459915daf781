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
