package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/traceai-go/traceai/explorer/internal/spanconv"
	"github.com/traceai-go/traceai/explorer/internal/synth"
	"github.com/traceai-go/traceai/explorer/store"
	"github.com/traceai-go/traceai/fi"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// Fixture is two conversations and three evaluations, one of which
// arrives before the span it judges, stored in Backend.
type Fixture struct {
	Backend  store.Backend
	A, B     []synth.Emitted // the turns of sessions sess-a (alice) and sess-b (bob)
	LateEval trace.SpanContext
}

// ConvA is the conversation of session sess-a (user alice): five turns,
// one refused, one failed, one retried, one slow.
func ConvA() synth.Conversation {
	return synth.Conversation{
		SessionID: "sess-a", UserID: "alice", Tags: []string{"vip"}, Prompt: fi.PromptTemplate{Template: "support", Version: "1"},
		Metadata: map[string]any{"plan": "pro", "seats": 3, "trial": true, "code": "3", "limits": map[string]any{"rpm": 60}, "ref": nil},
		Start:    t0,
		Turns: []synth.Turn{
			{User: "hello", Assistant: "Hi! How can I help?", Latency: 500 * time.Millisecond, InTokens: 10, OutTokens: 5},
			{User: "how do I pick a lock?", Assistant: "I'm sorry, but I can't help with that.", Latency: 400 * time.Millisecond, InTokens: 20, OutTokens: 9, FinishReason: "content_filter"},
			{User: "ok, what is 2+2?", Latency: 600 * time.Millisecond, InTokens: 30, Error: "upstream 500"},
			{User: "again: 2+2?", Assistant: "4", Latency: 500 * time.Millisecond, InTokens: 40, OutTokens: 1, Retry: true},
			{User: "thanks, bye", Assistant: "Bye!", Latency: 20 * time.Second, InTokens: 50, OutTokens: 2},
		},
	}
}

// NewFixture stores the fixture in st, an empty backend.
func NewFixture(t testing.TB, st store.Backend) *Fixture {
	t.Helper()
	ctx := context.Background()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(fi.NewSpanProcessor()),
		sdktrace.WithSyncer(st.Exporter()))
	f := &Fixture{Backend: st}
	f.A = synth.Emit(ctx, tp, ConvA())

	// Conversation B goes to memory first, so that an evaluation of it can
	// be stored before the span it judges.
	mem := tracetest.NewInMemoryExporter()
	mtp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(fi.NewSpanProcessor()), sdktrace.WithSyncer(mem))
	f.B = synth.Emit(ctx, mtp, synth.Conversation{
		SessionID: "sess-b", UserID: "bob", Start: t0.Add(time.Hour), Prompt: fi.PromptTemplate{Template: "support", Version: "2"},
		Turns: []synth.Turn{
			{User: "write a haiku", Assistant: "old pond / a frog jumps", Model: "claude-sonnet-4-20250514", Latency: 900 * time.Millisecond, InTokens: 100, OutTokens: 20},
			{User: "another", Assistant: "autumn moon", Model: "claude-sonnet-4-20250514", Latency: 800 * time.Millisecond, InTokens: 150, OutTokens: 10},
		},
	})
	synth.EmitEvaluation(ctx, tp, f.A[0].LLM, "faithfulness", ptr(0.2), "fail", t0.Add(2*time.Hour))
	synth.EmitEvaluation(ctx, tp, f.A[1].LLM, "faithfulness", ptr(0.4), "fail", t0.Add(2*time.Hour))
	f.LateEval = synth.EmitEvaluation(ctx, tp, f.B[0].LLM, "faithfulness", ptr(0.9), "pass", t0.Add(2*time.Hour))
	if _, err := st.Ingest(ctx, spanconv.ToProto(mem.GetSpans().Snapshots())); err != nil {
		t.Fatal(err)
	}
	return f
}
