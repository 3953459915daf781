package fimcp_test

import (
	"context"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/fi/semconv"
	"github.com/traceai-go/traceai/instrumentation/fimcp"
)

// BenchmarkToolCall measures one tools/call over the in-memory transport:
// bare (no tracing), sdk-span (the floor: one bare SDK span with similar
// attributes around the call, same provider) and instrumented (fimcp on
// both sides).
func BenchmarkToolCall(b *testing.B) {
	args := map[string]any{"order": "A17"}
	ctx := fi.UsingSession(context.Background(), "sess-bench")
	run := func(b *testing.B, f *fixture, wrap func(context.Context, func(context.Context) error) error) {
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			err := wrap(ctx, func(ctx context.Context) error {
				_, err := f.session.CallTool(ctx, &mcp.CallToolParams{Name: "lookup", Arguments: args})
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	direct := func(ctx context.Context, fn func(context.Context) error) error { return fn(ctx) }
	b.Run("bare", func(b *testing.B) { run(b, newFixture(b, nil, nil), direct) })
	b.Run("sdk-span", func(b *testing.B) {
		f := newFixture(b, nil, nil)
		tr := f.tp.Tracer("floor")
		run(b, f, func(ctx context.Context, fn func(context.Context) error) error {
			ctx, span := tr.Start(ctx, "tools/call lookup", trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(
				semconv.GenAISpanKind.String("TOOL"), semconv.GenAIToolName.String("lookup"),
				semconv.InputValue.String(`{"order":"A17"}`), semconv.InputMimeType.String("application/json"),
				attribute.String("mcp.method.name", "tools/call")))
			err := fn(ctx)
			span.SetAttributes(semconv.OutputValue.String("order A17 shipped"), semconv.OutputMimeType.String("text/plain"))
			span.End()
			return err
		})
	})
	b.Run("instrumented", func(b *testing.B) { run(b, newFixture(b, []fimcp.Option{}, []fimcp.Option{}), direct) })
}
