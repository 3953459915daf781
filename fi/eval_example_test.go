package fi_test

import (
	"context"
	"fmt"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/fi/semconv"
)

// An LLM judge scores the answer of one turn; the evaluation points at the
// turn's span and carries the conversation's session and user.
func ExampleRecordEvaluation() {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	tracer := fi.NewTracer(fi.WithTracerProvider(tp))

	ctx := fi.UsingAttributes(context.Background(), fi.Attributes{SessionID: "session-42", UserID: "alice"})
	ctx, turn := tracer.Start(ctx, "support turn", semconv.SpanKindAgent)
	// ... the turn calls the model and answers ...
	_ = fi.RecordEvaluation(ctx, fi.Evaluation{
		Name:        "helpfulness",
		Score:       fi.Score(0.9),
		Label:       "helpful",
		Explanation: "answered with the order status",
	}, fi.WithTracerProvider(tp))
	turn.End()

	ev := exp.GetSpans()[0]
	for _, kv := range ev.Attributes {
		switch kv.Key {
		case semconv.GenAISpanKind, semconv.GenAIEvaluationName, semconv.GenAIEvaluationScoreValue,
			semconv.GenAIEvaluationScoreLabel, semconv.SessionID, semconv.UserID:
			fmt.Printf("%s = %s\n", kv.Key, kv.Value.Emit())
		}
	}
	fmt.Println("targets the turn:", ev.Parent.SpanID() == turn.SpanContext().SpanID())
	// Output:
	// gen_ai.evaluation.name = helpfulness
	// gen_ai.evaluation.score.value = 0.9
	// gen_ai.evaluation.score.label = helpful
	// gen_ai.span.kind = EVALUATOR
	// session.id = session-42
	// user.id = alice
	// targets the turn: true
}
