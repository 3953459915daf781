package web

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/fi/semconv"
)

// The trace page's header and the session's turn count a turn's tokens
// the same way: over its LLM calls, not again on a parent span that
// repeats their usage. Here two calls of 100+20 and 50+10 tokens under an
// agent span reporting their sum: 180, not 360.
func TestTraceAndTurnTokensAgree(t *testing.T) {
	ctx := context.Background()
	st, tp := tempStore(t)
	tr := tp.Tracer("test")
	usage := func(in, out int64) []attribute.KeyValue {
		return []attribute.KeyValue{semconv.GenAIUsageInputTokens.Int64(in), semconv.GenAIUsageOutputTokens.Int64(out)}
	}
	rctx, root := tr.Start(fi.UsingSession(ctx, "two-calls"), "agent", trace.WithTimestamp(t0),
		trace.WithAttributes(append(usage(150, 30), semconv.SpanKindAgent.Attribute(), semconv.InputValue.String("plan a trip"))...))
	for i, u := range [][2]int64{{100, 20}, {50, 10}} {
		at := t0.Add(time.Duration(i+1) * time.Second)
		_, llm := tr.Start(rctx, "chat", trace.WithTimestamp(at), trace.WithAttributes(append(usage(u[0], u[1]),
			semconv.SpanKindLLM.Attribute(), semconv.GenAIRequestModel.String("gpt-4o-mini"))...))
		llm.End(trace.WithTimestamp(at.Add(500 * time.Millisecond)))
	}
	root.SetAttributes(semconv.OutputValue.String("Rome, then Florence."))
	root.End(trace.WithTimestamp(t0.Add(3 * time.Second)))
	h := New(st, withClock(func() time.Time { return t0.Add(time.Hour) }), WithOverviewTTL(0))
	tid := root.SpanContext().TraceID().String()
	contains(t, "trace header", mustGet(t, h, "/traces/"+tid), `title="150 in · 30 out, over the LLM calls">180 tokens</span>`)
	contains(t, "session turn", mustGet(t, h, "/sessions/two-calls"), `title="150 in · 30 out">180 tokens</span>`)
	td, err := st.GetTrace(ctx, tid)
	if err != nil || td.InputTokens != 150 || td.OutputTokens != 30 || td.TotalTokens != 180 {
		t.Errorf("GetTrace tokens %d/%d/%d, %v; want 150/30/180", td.InputTokens, td.OutputTokens, td.TotalTokens, err)
	}
}
