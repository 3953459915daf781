package fimcp_test

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/fi/semconv"
	"github.com/traceai-go/traceai/instrumentation/fimcp"
)

// A panicking handler below either middleware still ends its span, marked
// as an error, and the panic reaches whoever recovers it, unchanged.
func TestPanicBelowMiddlewareEndsSpan(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	boom := func(context.Context, string, mcp.Request) (mcp.Result, error) { panic("boom") }
	mws := []mcp.Middleware{
		fimcp.ClientMiddleware(fimcp.WithTracerProvider(tp)),
		fimcp.ServerMiddleware(fimcp.WithTracerProvider(tp)),
	}
	reqs := []mcp.Request{
		&mcp.ClientRequest[*mcp.CallToolParams]{Params: &mcp.CallToolParams{Name: "t"}},
		&mcp.ServerRequest[*mcp.CallToolParamsRaw]{Params: &mcp.CallToolParamsRaw{Name: "t"}},
	}
	for i, mw := range mws {
		func() {
			defer func() {
				if p := recover(); p != "boom" {
					t.Errorf("middleware %d: recovered %v, want boom", i, p)
				}
			}()
			_, _ = mw(boom)(context.Background(), "tools/call", reqs[i])
		}()
	}
	ended := rec.Ended()
	if len(ended) != 2 {
		t.Fatalf("%d spans ended, want 2", len(ended))
	}
	for _, s := range ended {
		if s.Status().Code != codes.Error {
			t.Errorf("%s (%v): status %v, want Error", s.Name(), s.SpanKind(), s.Status())
		}
	}
}

// Arguments and results far larger than a span should hold are recorded
// cut to a bound on both sides, on a UTF-8 boundary, while the tool itself
// receives and returns every byte.
func TestLargeValuesClipped(t *testing.T) {
	f := newFixture(t, []fimcp.Option{}, []fimcp.Option{})
	big := strings.Repeat("é", 200<<10) // 400 KiB of two-byte runes
	res, err := f.session.CallTool(context.Background(), &mcp.CallToolParams{
		Name: "lookup", Arguments: map[string]any{"order": big},
	})
	if err != nil {
		t.Fatal(err)
	}
	text := res.Content[0].(*mcp.TextContent).Text
	if text != "order "+big+" shipped" {
		t.Fatalf("tool result changed: %d bytes", len(text))
	}
	for _, kind := range []trace.SpanKind{trace.SpanKindClient, trace.SpanKindServer} {
		a := attrs(one(t, f.rec, "tools/call lookup", kind))
		for _, k := range []string{string(semconv.InputValue), string(semconv.OutputValue)} {
			v := a[attribute.Key(k)]
			if len(v) < 32<<10 || len(v) > 64<<10+len("…") {
				t.Errorf("%v %s: %d bytes, want cut to at most 64 KiB", kind, k, len(v))
			}
			if !utf8.ValidString(v) || !strings.HasSuffix(v, "…") {
				t.Errorf("%v %s: not cut on a rune boundary with a mark", kind, k)
			}
		}
	}
}

// Over HTTP the ids go only to allowed hosts: loopback by default, others
// when listed, as fihttp decides for headers. The trace context always goes.
func TestEndpointAllowedHosts(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []fimcp.Option
		want string
	}{
		{"no endpoint", nil, "sess-1"},
		{"loopback", []fimcp.Option{fimcp.WithEndpoint("http://127.0.0.1:8080/mcp")}, "sess-1"},
		{"localhost", []fimcp.Option{fimcp.WithEndpoint("http://localhost/mcp")}, "sess-1"},
		{"third party", []fimcp.Option{fimcp.WithEndpoint("https://tools.example.com/mcp")}, ""},
		{"listed", []fimcp.Option{fimcp.WithEndpoint("https://tools.example.com/mcp"), fimcp.WithAllowedHosts("*.example.com")}, "sess-1"},
		{"not a URL", []fimcp.Option{fimcp.WithEndpoint("::not a url")}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, append([]fimcp.Option{}, tc.opts...), []fimcp.Option{})
			ctx := fi.UsingAttributes(context.Background(), fi.Attributes{SessionID: "sess-1"})
			if _, err := f.session.CallTool(ctx, &mcp.CallToolParams{Name: "lookup", Arguments: map[string]any{"order": "E1"}}); err != nil {
				t.Fatal(err)
			}
			cli := one(t, f.rec, "tools/call lookup", trace.SpanKindClient)
			srv := one(t, f.rec, "tools/call lookup", trace.SpanKindServer)
			if srv.SpanContext().TraceID() != cli.SpanContext().TraceID() {
				t.Error("trace context not sent")
			}
			if got := attrs(srv)[semconv.SessionID]; got != tc.want {
				t.Errorf("server span session %q, want %q", got, tc.want)
			}
		})
	}
}

// A tool name far longer than any real one (here for a tool the server does
// not have) is cut in the span name and gen_ai.tool.name on both sides, and
// the call still fails as the SDK answers it.
func TestLongToolNameClipped(t *testing.T) {
	f := newFixture(t, []fimcp.Option{}, []fimcp.Option{})
	long := strings.Repeat("n", 100<<10)
	res, err := f.session.CallTool(context.Background(), &mcp.CallToolParams{Name: long})
	if err == nil && (res == nil || !res.IsError) {
		t.Fatal("call to an unknown tool succeeded")
	}
	var n int
	for _, s := range f.rec.Ended() {
		if !strings.HasPrefix(s.Name(), "tools/call ") {
			continue
		}
		n++
		if len(s.Name()) > len("tools/call ")+256+len("…") {
			t.Errorf("%v span name is %d bytes", s.SpanKind(), len(s.Name()))
		}
		if v := attrs(s)[semconv.GenAIToolName]; len(v) > 256+len("…") || !strings.HasSuffix(v, "…") {
			t.Errorf("%v gen_ai.tool.name is %d bytes, not cut", s.SpanKind(), len(v))
		}
		if s.Status().Code != codes.Error {
			t.Errorf("%v span status %v, want Error", s.SpanKind(), s.Status())
		}
	}
	if n != 2 {
		t.Fatalf("%d tools/call spans, want client and server", n)
	}
}
