package fi

import (
	"context"
	"errors"
	"fmt"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/traceai-go/traceai/fi/semconv"
	"github.com/traceai-go/traceai/internal/registered"
)

// Evaluation is one judgement of a span: a numeric score, a label, or both,
// as produced by an LLM judge, a heuristic or a human reviewer.
type Evaluation struct {
	// Name identifies the evaluation (e.g. "helpfulness"); required.
	Name string
	// Score is the numeric result; nil means the evaluation has no score.
	// Use [Score] to take the address of a literal.
	Score *float64
	// Label is the categorical result (e.g. "resolved"); optional.
	Label string
	// Explanation says why; optional.
	Explanation string
	// Target is the evaluated span. When it is not valid, the span in the
	// context passed to RecordEvaluation is the target.
	Target trace.SpanContext
}

// Score returns a pointer to v, for Evaluation.Score.
func Score(v float64) *float64 { return &v }

// ErrEvaluationName is returned by RecordEvaluation for an evaluation
// without a name.
var ErrEvaluationName = errors.New("fi: evaluation without a name")

// RecordEvaluation records ev as an EVALUATOR span carrying the
// gen_ai.evaluation.* attributes, the evaluated span's id
// (gen_ai.evaluation.target_span_id, hex) and the context attributes
// (session, user, metadata, tags) of ctx. The span is a child of the span in
// ctx, so an evaluation of the current span stays in its trace; a Target in
// another trace is also linked.
//
// An evaluation without a name is not recorded: the error goes to
// otel.Handle and is returned.
func RecordEvaluation(ctx context.Context, ev Evaluation, opts ...TracerOption) error {
	if ev.Name == "" {
		otel.Handle(ErrEvaluationName)
		return ErrEvaluationName
	}
	target := ev.Target
	if !target.IsValid() {
		target = trace.SpanContextFromContext(ctx)
	}
	attrs := make([]attribute.KeyValue, 0, 5)
	attrs = append(attrs, semconv.GenAIEvaluationName.String(ev.Name))
	if ev.Score != nil {
		attrs = append(attrs, semconv.GenAIEvaluationScoreValue.Float64(*ev.Score))
	}
	if ev.Label != "" {
		attrs = append(attrs, semconv.GenAIEvaluationScoreLabel.String(ev.Label))
	}
	if ev.Explanation != "" {
		attrs = append(attrs, semconv.GenAIEvaluationExplanation.String(ev.Explanation))
	}
	if target.IsValid() {
		attrs = append(attrs, semconv.GenAIEvaluationTargetSpanID.String(target.SpanID().String()))
	}
	start := []trace.SpanStartOption{trace.WithAttributes(attrs...), trace.WithSpanKind(trace.SpanKindInternal)}
	if target.IsValid() && target.TraceID() != trace.SpanContextFromContext(ctx).TraceID() {
		start = append(start, trace.WithLinks(trace.Link{SpanContext: target}))
	}
	_, span := NewTracer(evalProvider(opts)...).Start(ctx, fmt.Sprintf("evaluation %s", ev.Name), semconv.SpanKindEvaluator, start...)
	span.End()
	return nil
}

// ErrNoProvider is reported through otel.Handle when RecordEvaluation has
// no provider to record with: none given, no SDK provider set globally,
// and none built by traceai.Register.
var ErrNoProvider = errors.New("fi: evaluation not recorded: no TracerProvider (pass fi.WithTracerProvider, or call traceai.Register)")

// evalProvider adds, when opts name no provider and the global one is not
// an SDK provider, the provider traceai.Register built: Register leaves the
// global provider alone unless asked, and an evaluation sent to the no-op
// global would be lost without a word.
func evalProvider(opts []TracerOption) []TracerOption {
	var c tracerConfig
	for _, o := range opts {
		o.applyTracer(&c)
	}
	if c.tp != nil {
		return opts
	}
	if _, ok := otel.GetTracerProvider().(*sdktrace.TracerProvider); ok {
		return opts
	}
	if tp := registered.Get(); tp != nil {
		return append(opts[:len(opts):len(opts)], WithTracerProvider(tp))
	}
	otel.Handle(ErrNoProvider)
	return opts
}
