package traceai_test

import (
	"context"
	"io"
	"testing"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/traceai-go/traceai"
	"github.com/traceai-go/traceai/fi"
)

// Register leaves the global provider alone unless asked (as Python's
// register does); an evaluation recorded without a provider then goes to
// the provider Register built instead of the no-op global, where it was
// lost without a word.
func TestRecordEvaluationUsesRegisteredProvider(t *testing.T) {
	clearExportEnv(t)
	prev := otel.GetTracerProvider()
	otel.SetTracerProvider(noop.NewTracerProvider())
	t.Cleanup(func() { otel.SetTracerProvider(prev) })

	exp := tracetest.NewInMemoryExporter()
	tp, err := traceai.Register(context.Background(), traceai.WithExporter(exp), traceai.WithBatch(false), traceai.WithOutput(io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	defer tp.Shutdown(context.Background())
	ctx := fi.UsingSession(context.Background(), "sess-eval")
	ctx, turn := tp.Tracer("app").Start(ctx, "turn")
	if err := fi.RecordEvaluation(ctx, fi.Evaluation{Name: "helpfulness", Score: fi.Score(0.8)}); err != nil {
		t.Fatal(err)
	}
	turn.End()
	var eval sdktrace.ReadOnlySpan
	for _, s := range exp.GetSpans().Snapshots() {
		if s.Name() == "evaluation helpfulness" {
			eval = s
		}
	}
	if eval == nil {
		t.Fatalf("no evaluation span exported; got %d spans", len(exp.GetSpans()))
	}
	if eval.Parent().SpanID() != turn.SpanContext().SpanID() {
		t.Error("the evaluation is not a child of the turn it judges")
	}
	found := false
	for _, a := range eval.Attributes() {
		found = found || (a.Key == "session.id" && a.Value.AsString() == "sess-eval")
	}
	if !found {
		t.Error("the evaluation lacks the context's session.id")
	}
}
