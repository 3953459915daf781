package fimcp_test

import (
	"context"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

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
