package fimcp_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/instrumentation/fimcp"
)

type lookupIn struct {
	Order string `json:"order"`
}

// seen records what tool handlers saw in their context.
type seen struct {
	mu    sync.Mutex
	byArg map[string][2]string // order -> session, user
}

func (s *seen) put(order, sid, uid string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.byArg[order] = [2]string{sid, uid}
}

func (s *seen) get(order string) [2]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.byArg[order]
}

type fixture struct {
	tp      *sdktrace.TracerProvider
	rec     *tracetest.SpanRecorder
	session *mcp.ClientSession
	seen    *seen
}

// newFixture connects a real go-sdk client and server over in-memory
// transports; both share one provider, whose fi.NewSpanProcessor stamps the
// context ids on spans that other tracers start (the handler's own span).
// A nil option list leaves that side uninstrumented.
func newFixture(t testing.TB, clientOpts, serverOpts []fimcp.Option) *fixture {
	t.Helper()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(fi.NewSpanProcessor()), sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	s := &seen{byArg: map[string][2]string{}}

	server := newServer(tp, s, serverOpts)
	client := mcp.NewClient(&mcp.Implementation{Name: "agent", Version: "1"}, nil)
	if clientOpts != nil {
		client.AddSendingMiddleware(fimcp.ClientMiddleware(append([]fimcp.Option{fimcp.WithTracerProvider(tp)}, clientOpts...)...))
	}
	ct, st := mcp.NewInMemoryTransports()
	ss, err := server.Connect(context.Background(), st, nil)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := client.Connect(context.Background(), ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cs.Close(); _ = ss.Wait() })
	return &fixture{tp: tp, rec: rec, session: cs, seen: s}
}

func attrs(s sdktrace.ReadOnlySpan) map[attribute.Key]string {
	m := map[attribute.Key]string{}
	for _, kv := range s.Attributes() {
		m[kv.Key] = kv.Value.Emit()
	}
	return m
}

// spansNamed returns the ended spans called name, by span kind.
func spansNamed(rec *tracetest.SpanRecorder, name string) map[trace.SpanKind][]sdktrace.ReadOnlySpan {
	out := map[trace.SpanKind][]sdktrace.ReadOnlySpan{}
	for _, s := range rec.Ended() {
		if s.Name() == name {
			out[s.SpanKind()] = append(out[s.SpanKind()], s)
		}
	}
	return out
}

func one(t *testing.T, rec *tracetest.SpanRecorder, name string, kind trace.SpanKind) sdktrace.ReadOnlySpan {
	t.Helper()
	got := spansNamed(rec, name)[kind]
	if len(got) != 1 {
		var names []string
		for _, s := range rec.Ended() {
			names = append(names, fmt.Sprintf("%s/%s", s.Name(), s.SpanKind()))
		}
		t.Fatalf("want one %s span %q, got %d; spans: %v", kind, name, len(got), names)
	}
	return got[0]
}

// newServer returns the test server: tools lookup (records the ids its
// context carries and starts a span of its own), broken (isError), fails
// (handler error) and slow (waits for cancellation), a resource and a prompt.
func newServer(tp *sdktrace.TracerProvider, s *seen, serverOpts []fimcp.Option) *mcp.Server {
	handlerTracer := tp.Tracer("handler")
	server := mcp.NewServer(&mcp.Implementation{Name: "orders", Version: "1"}, nil)
	mcp.AddTool(server, &mcp.Tool{Name: "lookup", Description: "look up an order"},
		func(ctx context.Context, _ *mcp.CallToolRequest, in lookupIn) (*mcp.CallToolResult, any, error) {
			_, span := handlerTracer.Start(ctx, "db.query")
			span.End()
			s.put(in.Order, fi.SessionID(ctx), fi.UserID(ctx))
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "order " + in.Order + " shipped"}}}, nil, nil
		})
	server.AddTool(&mcp.Tool{Name: "broken", InputSchema: map[string]any{"type": "object"}},
		func(context.Context, *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return &mcp.CallToolResult{IsError: true, Content: []mcp.Content{&mcp.TextContent{Text: "order database is down"}}}, nil
		})
	server.AddTool(&mcp.Tool{Name: "fails", InputSchema: map[string]any{"type": "object"}},
		func(context.Context, *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return nil, errors.New("handler exploded")
		})
	server.AddTool(&mcp.Tool{Name: "slow", InputSchema: map[string]any{"type": "object"}},
		func(ctx context.Context, _ *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			<-ctx.Done()
			return nil, ctx.Err()
		})
	server.AddResource(&mcp.Resource{URI: "file:///faq.txt", Name: "faq", MIMEType: "text/plain"},
		func(context.Context, *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
			return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{{URI: "file:///faq.txt", Text: "returns within 30 days"}}}, nil
		})
	server.AddPrompt(&mcp.Prompt{Name: "greet"},
		func(_ context.Context, req *mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
			return &mcp.GetPromptResult{Messages: []*mcp.PromptMessage{{Role: "user", Content: &mcp.TextContent{Text: "hello " + req.Params.Arguments["name"]}}}}, nil
		})
	if serverOpts != nil {
		server.AddReceivingMiddleware(fimcp.ServerMiddleware(append([]fimcp.Option{fimcp.WithTracerProvider(tp)}, serverOpts...)...))
	}
	return server
}
