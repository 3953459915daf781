package fi_test

import (
	"context"
	"testing"

	"go.opentelemetry.io/contrib/processors/baggagecopy"
	"go.opentelemetry.io/otel/baggage"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/fi/semconv"
)

// The span benchmarks compare ways of getting session.id,
// gen_ai.conversation.id and user.id onto a span. Every one runs on a
// provider with the fi span processor installed and nothing that exports, so
// they measure the span's life (start, attributes, end) and nothing else.

func benchTracer(b *testing.B, extra ...sdktrace.SpanProcessor) trace.Tracer {
	b.Helper()
	opts := []sdktrace.TracerProviderOption{sdktrace.WithSpanProcessor(fi.NewSpanProcessor())}
	for _, p := range extra {
		opts = append(opts, sdktrace.WithSpanProcessor(p))
	}
	tp := sdktrace.NewTracerProvider(opts...)
	b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return tp.Tracer("bench")
}

func runSpans(b *testing.B, ctx context.Context, tr trace.Tracer) {
	b.ReportAllocs()
	for b.Loop() {
		_, span := tr.Start(ctx, "op")
		span.End()
	}
}

const (
	benchSession = "session-0123456789"
	benchUser    = "user-0123456789"
)

// BenchmarkSpanCallerAttrs is the floor: no scope; the caller sets the three
// attributes on the span itself.
func BenchmarkSpanCallerAttrs(b *testing.B) {
	tr := benchTracer(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		_, span := tr.Start(ctx, "op")
		span.SetAttributes(
			semconv.SessionID.String(benchSession),
			semconv.GenAIConversationID.String(benchSession),
			semconv.UserID.String(benchUser),
		)
		span.End()
	}
}

// BenchmarkSpanSessionUser starts the same span inside a session and user
// scope opened once; the processor stamps the attributes.
func BenchmarkSpanSessionUser(b *testing.B) {
	tr := benchTracer(b)
	ctx := fi.UsingUser(fi.UsingSession(context.Background(), benchSession), benchUser)
	runSpans(b, ctx, tr)
}

// BenchmarkSpanAttributesNested5 starts the span inside UsingAttributes
// scopes nested five deep, each giving a session and a user (the innermost
// win), with an unrelated context value between every two, so the lookup
// cannot rely on the scope being the outermost value.
func BenchmarkSpanAttributesNested5(b *testing.B) {
	tr := benchTracer(b)
	type other struct{ int }
	ctx := context.Background()
	for i := range 5 {
		ctx = context.WithValue(ctx, other{i}, i)
		ctx = fi.UsingAttributes(ctx, fi.Attributes{SessionID: benchSession, UserID: benchUser})
	}
	runSpans(b, ctx, tr)
}

// BenchmarkSpanBaggageCopy gets the same attributes the way
// go.opentelemetry.io/contrib/processors/baggagecopy does: from baggage.
func BenchmarkSpanBaggageCopy(b *testing.B) {
	tr := benchTracer(b, baggagecopy.NewSpanProcessor(baggagecopy.AllowAllMembers))
	var members []baggage.Member
	for _, kv := range [][2]string{
		{string(semconv.SessionID), benchSession},
		{string(semconv.GenAIConversationID), benchSession},
		{string(semconv.UserID), benchUser},
	} {
		m, err := baggage.NewMember(kv[0], kv[1])
		if err != nil {
			b.Fatal(err)
		}
		members = append(members, m)
	}
	bag, err := baggage.New(members...)
	if err != nil {
		b.Fatal(err)
	}
	ctx := baggage.ContextWithBaggage(context.Background(), bag)
	runSpans(b, ctx, tr)
}

// BenchmarkSpanAttributesFull is informative: a scope carrying every context
// attribute (session, user, metadata, tags, prompt template, simulator), so
// 13 attributes are stamped instead of 3.
func BenchmarkSpanAttributesFull(b *testing.B) {
	tr := benchTracer(b)
	ctx := fi.UsingAttributes(context.Background(), fullAttributes())
	runSpans(b, ctx, tr)
}

// BenchmarkSpanNoScope is informative: the processor installed, no scope, no
// attributes: the cost of a bare span.
func BenchmarkSpanNoScope(b *testing.B) {
	tr := benchTracer(b)
	runSpans(b, context.Background(), tr)
}

// BenchmarkTracerStartSessionUser is informative: the same span started by
// fi.Tracer (which stamps the attributes itself and adds gen_ai.span.kind)
// on the same provider.
func BenchmarkTracerStartSessionUser(b *testing.B) {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(fi.NewSpanProcessor()))
	b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	tr := fi.NewTracer(fi.WithTracerProvider(tp), fi.WithTraceConfig(fi.TraceConfig{}))
	ctx := fi.UsingUser(fi.UsingSession(context.Background(), benchSession), benchUser)
	b.ReportAllocs()
	for b.Loop() {
		_, span := tr.Start(ctx, "op", semconv.SpanKindChain)
		span.End()
	}
}

func fullAttributes() fi.Attributes {
	yes := true
	return fi.Attributes{
		SessionID: benchSession,
		UserID:    benchUser,
		Metadata:  map[string]any{"tenant": "acme", "tier": 2},
		Tags:      []string{"prod", "chat"},
		PromptTemplate: &fi.PromptTemplate{
			Template: "Answer {question}", Label: "production", Version: "v3",
			Variables: map[string]any{"question": "why?"},
		},
		Simulator: &fi.SimulatorAttributes{
			RunTestID: "run-1", TestExecutionID: "exec-1", CallExecutionID: "call-1", IsSimulatorTrace: &yes,
		},
	}
}

// BenchmarkSpanSessionUserPII is informative: SessionUser with PII
// redaction on in the processor. Redaction runs once per scope, not per span.
func BenchmarkSpanSessionUserPII(b *testing.B) {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(
		fi.NewSpanProcessor(fi.WithTraceConfig(fi.TraceConfig{PIIRedaction: true}))))
	b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	ctx := fi.UsingUser(fi.UsingSession(context.Background(), benchSession), "user@example.com")
	runSpans(b, ctx, tp.Tracer("bench"))
}
