package web

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/traceai-go/traceai/explorer/store"
	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/fi/semconv"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// t0 is the start of the fixture's first session; the test clock is an hour
// later.
var t0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

const (
	xssImg    = `<img src=x onerror="document.title='pwned'">`
	xssScript = `<script>document.body.setAttribute('data-pwned','1')</script>`
	// xssID is a session id that would break out of an attribute or path.
	xssID = `s"/><script>alert(1)</script>?#x`
)

type turnSpec struct {
	user, assistant string
	model           string
	latency         time.Duration
	in, out         int64
	err             string // LLM call fails
	retry           bool   // a failed attempt precedes the call
	finish          string
	tool            bool // a TOOL span under the root
}

type convSpec struct {
	session, user string
	tags          []string
	metadata      map[string]any
	start         time.Time
	turns         []turnSpec
}

type emitted struct{ root, llm trace.SpanContext }

// emit records c through the OpenTelemetry SDK with the traceAI span
// processor, the way an instrumented service would: each turn one trace, an
// AGENT root with an LLM child (and a TOOL child when asked).
func emit(ctx context.Context, tp trace.TracerProvider, c convSpec) []emitted {
	tr := tp.Tracer("github.com/traceai-go/traceai/explorer/web/test")
	ctx = fi.UsingSession(ctx, c.session)
	ctx = fi.UsingUser(ctx, c.user)
	if len(c.tags) > 0 {
		ctx = fi.UsingTags(ctx, c.tags...)
	}
	if len(c.metadata) > 0 {
		ctx = fi.UsingMetadata(ctx, c.metadata)
	}
	at := c.start
	var out []emitted
	for _, t := range c.turns {
		model := t.model
		if model == "" {
			model = "gpt-4o-mini"
		}
		rctx, root := tr.Start(ctx, "chat turn", trace.WithTimestamp(at),
			trace.WithAttributes(semconv.SpanKindAgent.Attribute(), semconv.InputValue.String(t.user)))
		llmStart := at.Add(time.Millisecond)
		in := []attribute.KeyValue{
			semconv.SpanKindLLM.Attribute(),
			semconv.GenAIRequestModel.String(model),
			semconv.InputMessageKey(0, semconv.MessageRole).String("system"),
			semconv.InputMessageKey(0, semconv.MessageContent).String("You are a helpful assistant."),
			semconv.InputMessageKey(1, semconv.MessageRole).String("user"),
			semconv.InputMessageKey(1, semconv.MessageContent).String(t.user),
		}
		if t.retry {
			_, failed := tr.Start(rctx, "openai.chat", trace.WithTimestamp(llmStart),
				trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(in...))
			failed.SetStatus(codes.Error, "429 Too Many Requests")
			failed.End(trace.WithTimestamp(llmStart.Add(20 * time.Millisecond)))
			llmStart = llmStart.Add(25 * time.Millisecond)
			in = append(in, semconv.LLMRetryAttempt.Int64(1))
		}
		_, llm := tr.Start(rctx, "openai.chat", trace.WithTimestamp(llmStart),
			trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(in...))
		end := llmStart.Add(t.latency)
		if t.err != "" {
			llm.RecordError(errors.New(t.err), trace.WithTimestamp(end))
			llm.SetStatus(codes.Error, t.err)
			root.SetStatus(codes.Error, t.err)
		} else {
			kv := []attribute.KeyValue{
				semconv.GenAIResponseModel.String(model),
				semconv.GenAIUsageInputTokens.Int64(t.in),
				semconv.GenAIUsageOutputTokens.Int64(t.out),
				semconv.OutputMessageKey(0, semconv.MessageRole).String("assistant"),
				semconv.OutputMessageKey(0, semconv.MessageContent).String(t.assistant),
			}
			if t.finish != "" {
				kv = append(kv, semconv.GenAIResponseFinishReasons.StringSlice([]string{t.finish}))
			}
			llm.SetAttributes(kv...)
			llm.SetStatus(codes.Ok, "")
			root.SetAttributes(semconv.OutputValue.String(t.assistant))
		}
		llm.End(trace.WithTimestamp(end))
		if t.tool {
			_, tool := tr.Start(rctx, "lookup_weather", trace.WithTimestamp(end.Add(time.Millisecond)),
				trace.WithAttributes(semconv.SpanKindTool.Attribute(), semconv.InputValue.String(`{"city":"Paris"}`)))
			tool.End(trace.WithTimestamp(end.Add(40 * time.Millisecond)))
			end = end.Add(41 * time.Millisecond)
		}
		root.End(trace.WithTimestamp(end.Add(time.Millisecond)))
		out = append(out, emitted{root.SpanContext(), llm.SpanContext()})
		at = end.Add(5 * time.Second)
	}
	return out
}

// evalWhy is the explanation of alice's first evaluation: long enough to
// be cut short in its chip.
var evalWhy = "The answer names the capital but ignores the follow-up question " + strings.Repeat("and repeats itself ", 40) + "END-OF-WHY"

func emitEval(ctx context.Context, tp trace.TracerProvider, target trace.SpanContext, name string, score float64, label string, at time.Time, explanation ...string) {
	tr := tp.Tracer("github.com/traceai-go/traceai/explorer/web/test")
	attrs := []attribute.KeyValue{
		semconv.SpanKindEvaluator.Attribute(),
		semconv.GenAIEvaluationName.String(name),
		semconv.GenAIEvaluationTargetSpanID.String(target.SpanID().String()),
		semconv.GenAIEvaluationScoreValue.Float64(score),
		semconv.GenAIEvaluationScoreLabel.String(label),
	}
	if len(explanation) > 0 {
		attrs = append(attrs, semconv.GenAIEvaluationExplanation.String(explanation[0]))
	}
	_, sp := tr.Start(ctx, "evaluation "+name, trace.WithNewRoot(), trace.WithTimestamp(at), trace.WithAttributes(attrs...),
		trace.WithLinks(trace.Link{SpanContext: target}))
	sp.End(trace.WithTimestamp(at.Add(time.Millisecond)))
}

// fixture is a real store on a temp file with three sessions:
//
//	chat-alice: 5 turns; turn 2 carries the XSS payloads, turn 3 fails,
//	            turn 4 was retried, turn 5 is slow; tagged "vip", plan=pro.
//	chat-bob:   2 clean turns on claude, the second with a tool call.
//	xssID:      1 turn, its id itself hostile.
type fixture struct {
	st    *store.Store
	alice []emitted
	bob   []emitted
}

// tempStore opens a store in the test's temporary directory, closed when
// the test ends, and a provider exporting to it as each span ends.
func tempStore(t testing.TB) (*store.Store, *sdktrace.TracerProvider) {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "spans.db"), store.WithSynchronous("NORMAL"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st, sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(fi.NewSpanProcessor()), sdktrace.WithSyncer(st.Exporter()))
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	ctx := context.Background()
	st, tp := tempStore(t)
	f := &fixture{st: st}
	f.alice = emit(ctx, tp, convSpec{
		session: "chat-alice", user: "alice", tags: []string{"vip"}, metadata: map[string]any{"plan": "pro"},
		start: t0,
		turns: []turnSpec{
			{user: "What is the capital of France?", assistant: "Paris is the capital of France.", latency: 500 * time.Millisecond, in: 20, out: 8},
			{user: "Render this: " + xssImg, assistant: "Sure: " + xssScript, latency: 450 * time.Millisecond, in: 30, out: 12},
			{user: "And of Germany?", latency: 600 * time.Millisecond, in: 25, err: "upstream 500: internal error"},
			{user: "Germany, again?", assistant: "Berlin.", latency: 520 * time.Millisecond, in: 40, out: 3, retry: true},
			{user: "Thanks, bye", assistant: "Goodbye!", latency: 9 * time.Second, in: 45, out: 3},
		},
	})
	f.bob = emit(ctx, tp, convSpec{
		session: "chat-bob", user: "bob", start: t0.Add(10 * time.Minute),
		turns: []turnSpec{
			{user: "Write a haiku about the sea", assistant: "Waves fold into foam\nsalt wind carries gull voices\nthe tide keeps its time", model: "claude-sonnet-4-20250514", latency: 900 * time.Millisecond, in: 100, out: 20},
			{user: "What is the weather in Paris?", assistant: "Sunny, 21°C.", model: "claude-sonnet-4-20250514", latency: 800 * time.Millisecond, in: 150, out: 10, tool: true},
		},
	})
	emit(ctx, tp, convSpec{
		session: xssID, user: `u"><img src=x onerror=alert(2)>`, start: t0.Add(20 * time.Minute),
		turns: []turnSpec{{user: "hi", assistant: "hello", latency: 300 * time.Millisecond, in: 5, out: 2}},
	})
	emitEval(ctx, tp, f.alice[0].llm, "helpfulness", 0.2, "bad", t0.Add(30*time.Minute), evalWhy)
	emitEval(ctx, tp, f.bob[0].llm, "helpfulness", 0.9, "good", t0.Add(30*time.Minute))
	return f
}

// handler serves the fixture with the clock an hour after t0 and no
// overview cache, so every page reads the store.
func (f *fixture) handler() *server {
	return New(f.st, withClock(func() time.Time { return t0.Add(time.Hour) }), WithOverviewTTL(0)).(*server)
}
