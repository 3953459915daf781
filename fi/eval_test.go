package fi_test

import (
	"context"
	"errors"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/fi/semconv"
)

func TestRecordEvaluationTargetsSpanInContext(t *testing.T) {
	tp, rec := newProvider(t)
	tr := fi.NewTracer(fi.WithTracerProvider(tp))
	ctx := fi.UsingAttributes(context.Background(), fi.Attributes{SessionID: "s-1", UserID: "u-1"})
	ctx, llm := tr.Start(ctx, "chat", semconv.SpanKindLLM)
	err := fi.RecordEvaluation(ctx, fi.Evaluation{Name: "helpfulness", Score: fi.Score(0.75), Label: "helpful", Explanation: "answered"},
		fi.WithTracerProvider(tp))
	llm.End()
	if err != nil {
		t.Fatal(err)
	}
	ev := ended(t, rec, "evaluation helpfulness")
	a := attrs(ev)
	want := map[string]any{
		string(semconv.GenAISpanKind):               "EVALUATOR",
		string(semconv.GenAIEvaluationName):         "helpfulness",
		string(semconv.GenAIEvaluationScoreLabel):   "helpful",
		string(semconv.GenAIEvaluationExplanation):  "answered",
		string(semconv.GenAIEvaluationTargetSpanID): llm.SpanContext().SpanID().String(),
		string(semconv.SessionID):                   "s-1",
		string(semconv.UserID):                      "u-1",
	}
	for k, v := range want {
		if got := a[attribute.Key(k)].AsInterface(); got != v {
			t.Errorf("%s = %v, want %v", k, got, v)
		}
	}
	if got := a[semconv.GenAIEvaluationScoreValue]; got.Type().String() != "FLOAT64" || got.AsFloat64() != 0.75 {
		t.Errorf("score = %v (%s), want float 0.75", got.AsInterface(), got.Type())
	}
	if ev.Parent().SpanID() != llm.SpanContext().SpanID() || ev.SpanContext().TraceID() != llm.SpanContext().TraceID() {
		t.Errorf("evaluation is not a child of its target in the same trace")
	}
	if len(ev.Links()) != 0 {
		t.Errorf("links = %v, want none for a target in the same trace", ev.Links())
	}
}

func TestRecordEvaluationExplicitTargetLabelOnly(t *testing.T) {
	tp, rec := newProvider(t)
	tr := fi.NewTracer(fi.WithTracerProvider(tp))
	_, target := tr.Start(context.Background(), "turn", semconv.SpanKindAgent)
	target.End()
	err := fi.RecordEvaluation(context.Background(), fi.Evaluation{Name: "resolution", Label: "resolved", Target: target.SpanContext()},
		fi.WithTracerProvider(tp))
	if err != nil {
		t.Fatal(err)
	}
	ev := ended(t, rec, "evaluation resolution")
	a := attrs(ev)
	if _, ok := a[semconv.GenAIEvaluationScoreValue]; ok {
		t.Error("score set for a label-only evaluation")
	}
	if _, ok := a[semconv.GenAIEvaluationExplanation]; ok {
		t.Error("explanation set though empty")
	}
	if got := a[semconv.GenAIEvaluationTargetSpanID].AsString(); got != target.SpanContext().SpanID().String() || len(got) != 16 {
		t.Errorf("target = %q", got)
	}
	if len(ev.Links()) != 1 || ev.Links()[0].SpanContext.SpanID() != target.SpanContext().SpanID() {
		t.Errorf("links = %v, want the target", ev.Links())
	}
}

func TestRecordEvaluationNoTarget(t *testing.T) {
	tp, rec := newProvider(t)
	if err := fi.RecordEvaluation(context.Background(), fi.Evaluation{Name: "x", Score: fi.Score(0)}, fi.WithTracerProvider(tp)); err != nil {
		t.Fatal(err)
	}
	a := attrs(ended(t, rec, "evaluation x"))
	if _, ok := a[semconv.GenAIEvaluationTargetSpanID]; ok {
		t.Error("target set without any span")
	}
	if v, ok := a[semconv.GenAIEvaluationScoreValue]; !ok || v.AsFloat64() != 0 {
		t.Error("zero score dropped")
	}
}

func TestRecordEvaluationRequiresName(t *testing.T) {
	tp, rec := newProvider(t)
	errs := captureErrors(t)
	ctx := trace.ContextWithSpanContext(context.Background(), trace.SpanContext{})
	err := fi.RecordEvaluation(ctx, fi.Evaluation{Score: fi.Score(1)}, fi.WithTracerProvider(tp))
	if !errors.Is(err, fi.ErrEvaluationName) {
		t.Fatalf("err = %v", err)
	}
	if h := errs.all(); len(h) != 1 || !errors.Is(h[0], fi.ErrEvaluationName) {
		t.Errorf("otel.Handle got %v", h)
	}
	if n := len(rec.Ended()); n != 0 {
		t.Errorf("%d spans recorded", n)
	}
}

// With no provider given, none set globally and none built by Register, an
// evaluation cannot be recorded: the loss is reported, not silent.
func TestRecordEvaluationWithoutProviderReported(t *testing.T) {
	prev, prevHandler := otel.GetTracerProvider(), otel.GetErrorHandler()
	otel.SetTracerProvider(noop.NewTracerProvider())
	var reported []error
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) { reported = append(reported, err) }))
	t.Cleanup(func() { otel.SetTracerProvider(prev); otel.SetErrorHandler(prevHandler) })

	if err := fi.RecordEvaluation(context.Background(), fi.Evaluation{Name: "tone", Label: "ok"}); err != nil {
		t.Fatal(err)
	}
	if len(reported) != 1 || !errors.Is(reported[0], fi.ErrNoProvider) {
		t.Errorf("reported %v, want fi.ErrNoProvider", reported)
	}
}
