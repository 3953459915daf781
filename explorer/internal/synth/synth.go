// Package synth makes realistic LLM chat traces for the explorer's tests and
// benchmarks: through the OpenTelemetry API with traceAI context attributes
// (Emit), or straight as OTLP protobuf for bulk loads (Batch).
package synth

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/fi/semconv"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

// Turn is one exchange of a conversation.
type Turn struct {
	User, Assistant string
	Model           string
	Latency         time.Duration
	InTokens        int64
	OutTokens       int64
	// Error fails the LLM call with this message (no answer).
	Error string
	// Retry records a failed first attempt followed by a retry.
	Retry bool
	// FinishReason, e.g. "content_filter".
	FinishReason string
}

// Conversation is one session of one user.
type Conversation struct {
	SessionID, UserID string
	Tags              []string
	Metadata          map[string]any
	Start             time.Time
	Turns             []Turn
	// Prompt, when its Template is set, is the prompt template of every turn.
	Prompt fi.PromptTemplate
}

// Emitted are the span contexts of one emitted turn.
type Emitted struct {
	Root, LLM trace.SpanContext
}

// Emit records the conversation through tp as the traceAI SDK would: each
// turn a trace with an AGENT root, an LLM child (and a failed attempt before
// it when Retry is set), under fi.UsingSession/UsingUser/UsingTags/
// UsingMetadata. tp must have fi.NewSpanProcessor registered for the
// session and user attributes to appear.
func Emit(ctx context.Context, tp trace.TracerProvider, c Conversation) []Emitted {
	tr := tp.Tracer("github.com/traceai-go/traceai/explorer/internal/synth")
	ctx = fi.UsingSession(ctx, c.SessionID)
	ctx = fi.UsingUser(ctx, c.UserID)
	if len(c.Tags) > 0 {
		ctx = fi.UsingTags(ctx, c.Tags...)
	}
	if len(c.Metadata) > 0 {
		ctx = fi.UsingMetadata(ctx, c.Metadata)
	}
	if c.Prompt.Template != "" {
		ctx = fi.UsingPromptTemplate(ctx, c.Prompt)
	}
	at := c.Start
	var history []Turn
	var out []Emitted
	for _, t := range c.Turns {
		rctx, root := tr.Start(ctx, "chat turn", trace.WithTimestamp(at),
			trace.WithAttributes(semconv.SpanKindAgent.Attribute(), semconv.InputValue.String(t.User)))
		llmStart := at.Add(time.Millisecond)
		if t.Retry {
			_, failed := tr.Start(rctx, "openai.chat", trace.WithTimestamp(llmStart), trace.WithSpanKind(trace.SpanKindClient),
				trace.WithAttributes(llmAttrs(history, t, 0)...))
			failed.SetStatus(codes.Error, "429 Too Many Requests")
			failed.End(trace.WithTimestamp(llmStart.Add(20 * time.Millisecond)))
			llmStart = llmStart.Add(25 * time.Millisecond)
		}
		_, llm := tr.Start(rctx, "openai.chat", trace.WithTimestamp(llmStart), trace.WithSpanKind(trace.SpanKindClient),
			trace.WithAttributes(llmAttrs(history, t, retryN(t))...))
		end := llmStart.Add(t.Latency)
		if t.Error != "" {
			llm.RecordError(errors.New(t.Error), trace.WithTimestamp(end))
			llm.SetStatus(codes.Error, t.Error)
			root.SetStatus(codes.Error, t.Error)
		} else {
			llm.SetAttributes(outAttrs(t)...)
			llm.SetStatus(codes.Ok, "")
			root.SetAttributes(semconv.OutputValue.String(t.Assistant))
			root.SetStatus(codes.Ok, "")
		}
		llm.End(trace.WithTimestamp(end))
		root.End(trace.WithTimestamp(end.Add(time.Millisecond)))
		out = append(out, Emitted{Root: root.SpanContext(), LLM: llm.SpanContext()})
		history = append(history, t)
		at = end.Add(5 * time.Second)
	}
	return out
}

func retryN(t Turn) int64 {
	if t.Retry {
		return 1
	}
	return 0
}

func llmAttrs(history []Turn, t Turn, attempt int64) []attribute.KeyValue {
	model := t.Model
	if model == "" {
		model = "gpt-4o-mini"
	}
	kv := []attribute.KeyValue{
		semconv.SpanKindLLM.Attribute(),
		semconv.GenAIProviderName.String("openai"),
		semconv.GenAIRequestModel.String(model),
		semconv.InputMessageKey(0, semconv.MessageRole).String("system"),
		semconv.InputMessageKey(0, semconv.MessageContent).String("You are a helpful assistant."),
	}
	i := 1
	for _, h := range history {
		kv = append(kv,
			semconv.InputMessageKey(i, semconv.MessageRole).String("user"),
			semconv.InputMessageKey(i, semconv.MessageContent).String(h.User),
			semconv.InputMessageKey(i+1, semconv.MessageRole).String("assistant"),
			semconv.InputMessageKey(i+1, semconv.MessageContent).String(h.Assistant))
		i += 2
	}
	kv = append(kv,
		semconv.InputMessageKey(i, semconv.MessageRole).String("user"),
		semconv.InputMessageKey(i, semconv.MessageContent).String(t.User))
	if attempt > 0 {
		kv = append(kv, semconv.LLMRetryAttempt.Int64(attempt))
	}
	return kv
}

func outAttrs(t Turn) []attribute.KeyValue {
	model := t.Model
	if model == "" {
		model = "gpt-4o-mini"
	}
	kv := []attribute.KeyValue{
		semconv.GenAIResponseModel.String(model),
		semconv.GenAIUsageInputTokens.Int64(t.InTokens),
		semconv.GenAIUsageOutputTokens.Int64(t.OutTokens),
		semconv.GenAIUsageTotalTokens.Int64(t.InTokens + t.OutTokens),
		semconv.OutputMessageKey(0, semconv.MessageRole).String("assistant"),
		semconv.OutputMessageKey(0, semconv.MessageContent).String(t.Assistant),
	}
	if t.FinishReason != "" {
		kv = append(kv, semconv.GenAIResponseFinishReasons.StringSlice([]string{t.FinishReason}))
	}
	return kv
}

// EmitEvaluation records an EVALUATOR span judging target, with the
// gen_ai.evaluation.* keys, in its own trace and linked to target (as an
// offline evaluator would).
func EmitEvaluation(ctx context.Context, tp trace.TracerProvider, target trace.SpanContext, name string, score *float64, label string, at time.Time) trace.SpanContext {
	tr := tp.Tracer("github.com/traceai-go/traceai/explorer/internal/synth")
	kv := []attribute.KeyValue{
		semconv.SpanKindEvaluator.Attribute(),
		semconv.GenAIEvaluationName.String(name),
		semconv.GenAIEvaluationTargetSpanID.String(target.SpanID().String()),
	}
	if score != nil {
		kv = append(kv, semconv.GenAIEvaluationScoreValue.Float64(*score))
	}
	if label != "" {
		kv = append(kv, semconv.GenAIEvaluationScoreLabel.String(label))
	}
	_, sp := tr.Start(ctx, "evaluation "+name, trace.WithNewRoot(), trace.WithTimestamp(at), trace.WithAttributes(kv...),
		trace.WithLinks(trace.Link{SpanContext: target}))
	sp.End(trace.WithTimestamp(at.Add(time.Millisecond)))
	return sp.SpanContext()
}

// BatchOptions shape a bulk load.
type BatchOptions struct {
	Sessions        int
	Users           int
	TurnsPerSession int
	// SpansPerTurn is at least 2 (AGENT root + LLM); extra spans are TOOL
	// and RETRIEVER children.
	SpansPerTurn int
	Start        time.Time
	// Over, when set, spreads the sessions' starts evenly over this long
	// from Start (otherwise a session starts 7 s after the one before).
	Over time.Duration
	Seed uint64
}

// Batch generates the whole load as OTLP, calling yield with batches of
// batchSize spans (traces are never split across batches). It is fast
// enough to feed a million spans.
func Batch(o BatchOptions, batchSize int, yield func([]*tracepb.ResourceSpans) error) error {
	if o.SpansPerTurn < 2 {
		o.SpansPerTurn = 2
	}
	if o.Users <= 0 {
		o.Users = 1
	}
	if o.Start.IsZero() {
		o.Start = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	rng := rand.New(rand.NewPCG(o.Seed, 42))
	res := &resourcepb.Resource{Attributes: []*commonpb.KeyValue{
		str("service.name", "synth-chatbot"), str("project_name", "bench"),
	}}
	var spans []*tracepb.Span
	flush := func() error {
		if len(spans) == 0 {
			return nil
		}
		rs := []*tracepb.ResourceSpans{{Resource: res, ScopeSpans: []*tracepb.ScopeSpans{{
			Scope: &commonpb.InstrumentationScope{Name: "synth"}, Spans: spans}}}}
		spans = nil
		return yield(rs)
	}
	models := []string{"gpt-4o-mini", "gpt-4o", "claude-sonnet-4-20250514", "gemini-2.5-flash"}
	// Ids are random, as OpenTelemetry's are (deterministic for a seed):
	// the store's indexes of ids see random inserts.
	var idc uint64
	newID := func(n int) []byte {
		idc++
		b := make([]byte, n)
		binary.BigEndian.PutUint64(b[n-8:], mix(idc^o.Seed))
		if n == 16 {
			binary.BigEndian.PutUint64(b[:8], mix(idc+o.Seed<<32))
		}
		return b
	}
	for s := 0; s < o.Sessions; s++ {
		sid := fmt.Sprintf("sess-%06d", s)
		uid := fmt.Sprintf("user-%04d", s%o.Users)
		model := models[s%len(models)]
		at := o.Start.Add(time.Duration(s) * 7 * time.Second)
		if o.Over > 0 {
			at = o.Start.Add(time.Duration(int64(o.Over) / int64(o.Sessions) * int64(s)))
		}
		ctxAttrs := []*commonpb.KeyValue{str(string(semconv.SessionID), sid), str(string(semconv.UserID), uid),
			strs(string(semconv.TagTags), "synth", fmt.Sprintf("cohort-%d", s%5)),
			str(string(semconv.Metadata), fmt.Sprintf(`{"plan": "%s", "region": "eu"}`, []string{"free", "pro"}[s%2]))}
		for t := 0; t < o.TurnsPerSession; t++ {
			if len(spans)+o.SpansPerTurn > batchSize {
				if err := flush(); err != nil {
					return err
				}
			}
			tid := newID(16)
			rootID := newID(8)
			user := fmt.Sprintf("Question %d of session %s: how do I configure the exporter for batch size %d?", t, sid, rng.IntN(1000))
			answer := fmt.Sprintf("To configure it, set the batch size to %d and restart. Anything else?", rng.IntN(1000))
			lat := time.Duration(300+rng.IntN(1500)) * time.Millisecond
			failed := rng.IntN(40) == 0
			status := &tracepb.Status{Code: tracepb.Status_STATUS_CODE_OK}
			if failed {
				status = &tracepb.Status{Code: tracepb.Status_STATUS_CODE_ERROR, Message: "upstream 500"}
			}
			start := uint64(at.UnixNano())
			end := uint64(at.Add(lat + 2*time.Millisecond).UnixNano())
			root := &tracepb.Span{TraceId: tid, SpanId: rootID, Name: "chat turn", Kind: tracepb.Span_SPAN_KIND_SERVER,
				StartTimeUnixNano: start, EndTimeUnixNano: end, Status: status,
				Attributes: append(append([]*commonpb.KeyValue{}, ctxAttrs...),
					str(string(semconv.GenAISpanKind), "AGENT"), str(string(semconv.InputValue), user),
					str(string(semconv.OutputValue), answer))}
			spans = append(spans, root)
			in, out := int64(200+rng.IntN(800)), int64(50+rng.IntN(300))
			llmAttrs := append(append([]*commonpb.KeyValue{}, ctxAttrs...),
				str(string(semconv.GenAISpanKind), "LLM"), str(string(semconv.GenAIProviderName), "openai"),
				str(string(semconv.GenAIRequestModel), model),
				str(string(semconv.InputMessageKey(0, semconv.MessageRole)), "system"),
				str(string(semconv.InputMessageKey(0, semconv.MessageContent)), "You are a helpful assistant for our SDK."),
				str(string(semconv.InputMessageKey(1, semconv.MessageRole)), "user"),
				str(string(semconv.InputMessageKey(1, semconv.MessageContent)), user),
				str(string(semconv.OutputMessageKey(0, semconv.MessageRole)), "assistant"),
				str(string(semconv.OutputMessageKey(0, semconv.MessageContent)), answer),
				i64(string(semconv.GenAIUsageInputTokens), in), i64(string(semconv.GenAIUsageOutputTokens), out),
				i64(string(semconv.GenAIUsageTotalTokens), in+out),
				str(string(semconv.GenAIRequestParameters), `{"model": "`+model+`", "temperature": 0.2}`))
			spans = append(spans, &tracepb.Span{TraceId: tid, SpanId: newID(8), ParentSpanId: rootID, Name: "openai.chat",
				Kind: tracepb.Span_SPAN_KIND_CLIENT, StartTimeUnixNano: start + 1e6, EndTimeUnixNano: end - 1e6,
				Status: status, Attributes: llmAttrs})
			for k := 2; k < o.SpansPerTurn; k++ {
				kind := "TOOL"
				if k%2 == 1 {
					kind = "RETRIEVER"
				}
				spans = append(spans, &tracepb.Span{TraceId: tid, SpanId: newID(8), ParentSpanId: rootID,
					Name: "step " + kind, Kind: tracepb.Span_SPAN_KIND_INTERNAL, StartTimeUnixNano: start + 5e5,
					EndTimeUnixNano: start + 9e5, Status: &tracepb.Status{Code: tracepb.Status_STATUS_CODE_OK},
					Attributes: append(append([]*commonpb.KeyValue{}, ctxAttrs...), str(string(semconv.GenAISpanKind), kind),
						str(string(semconv.InputValue), `{"query": "exporter batch size"}`),
						str(string(semconv.OutputValue), `{"result": "ok"}`))})
			}
			at = at.Add(lat + 3*time.Second)
		}
	}
	return flush()
}

func str(k, v string) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v}}}
}

func i64(k string, v int64) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: v}}}
}

func strs(k string, vs ...string) *commonpb.KeyValue {
	a := &commonpb.ArrayValue{}
	for _, v := range vs {
		a.Values = append(a.Values, &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v}})
	}
	return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_ArrayValue{ArrayValue: a}}}
}

// mix scrambles a counter into a random-looking id (SplitMix64's finalizer).
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
