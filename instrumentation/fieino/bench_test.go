package fieino_test

import (
	"context"
	"testing"

	"github.com/cloudwego/eino/callbacks"
	"github.com/cloudwego/eino/components/model"
	"github.com/cloudwego/eino/components/prompt"
	"github.com/cloudwego/eino/compose"
	"github.com/cloudwego/eino/schema"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/instrumentation/fieino"
)

func benchProvider(b *testing.B) *sdktrace.TracerProvider {
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithSpanProcessor(fi.NewSpanProcessor()),
		sdktrace.WithBatcher(tracetest.NewNoopExporter()),
	)
	b.Cleanup(func() { tp.Shutdown(context.Background()) })
	return tp
}

// echoModel answers at once, so the benchmark measures Eino and tracing.
type echoModel struct{}

func (echoModel) Generate(_ context.Context, in []*schema.Message, _ ...model.Option) (*schema.Message, error) {
	return &schema.Message{Role: schema.Assistant, Content: "You said: " + in[len(in)-1].Content,
		ResponseMeta: &schema.ResponseMeta{Usage: &schema.TokenUsage{PromptTokens: 20, CompletionTokens: 5, TotalTokens: 25}}}, nil
}

func (m echoModel) Stream(ctx context.Context, in []*schema.Message, opts ...model.Option) (*schema.StreamReader[*schema.Message], error) {
	msg, err := m.Generate(ctx, in, opts...)
	if err != nil {
		return nil, err
	}
	return schema.StreamReaderFromArray([]*schema.Message{msg}), nil
}

// spanHandler is the floor: an SDK span per component run carrying the
// attributes fieino records for it (taken from a recorded run), without
// computing any of them.
type spanHandler struct {
	tracer trace.Tracer
	attrs  map[string][]attribute.KeyValue // by span name
}

type floorKey struct{}

func (h spanHandler) OnStart(ctx context.Context, info *callbacks.RunInfo, _ callbacks.CallbackInput) context.Context {
	name := info.Name
	if name == "" {
		name = info.Type + string(info.Component)
	}
	ctx, span := h.tracer.Start(ctx, name, trace.WithAttributes(h.attrs[name]...))
	return context.WithValue(ctx, floorKey{}, span)
}

func (h spanHandler) OnEnd(ctx context.Context, _ *callbacks.RunInfo, _ callbacks.CallbackOutput) context.Context {
	if s, ok := ctx.Value(floorKey{}).(trace.Span); ok {
		s.End()
	}
	return ctx
}

func (h spanHandler) OnError(ctx context.Context, info *callbacks.RunInfo, _ error) context.Context {
	return h.OnEnd(ctx, info, nil)
}

func (h spanHandler) OnStartWithStreamInput(ctx context.Context, info *callbacks.RunInfo, in *schema.StreamReader[callbacks.CallbackInput]) context.Context {
	in.Close()
	return h.OnStart(ctx, info, nil)
}

func (h spanHandler) OnEndWithStreamOutput(ctx context.Context, info *callbacks.RunInfo, out *schema.StreamReader[callbacks.CallbackOutput]) context.Context {
	out.Close()
	return h.OnEnd(ctx, info, nil)
}

// BenchmarkGraphRun is one run of a prompt -> model -> lambda chain: bare,
// with an SDK span per component run (the floor), and with fieino.
func BenchmarkGraphRun(b *testing.B) {
	chain := compose.NewChain[map[string]any, string]().
		AppendChatTemplate(prompt.FromMessages(schema.FString, schema.SystemMessage("You are a support bot."), schema.UserMessage("{question}"))).
		AppendChatModel(echoModel{}).
		AppendLambda(compose.InvokableLambda(func(_ context.Context, m *schema.Message) (string, error) { return m.Content, nil }))
	r, err := chain.Compile(context.Background(), compose.WithGraphName("SupportBot"))
	if err != nil {
		b.Fatal(err)
	}
	in := map[string]any{"question": "Where is my order 12345?"}
	run := func(b *testing.B, opts ...compose.Option) {
		ctx := fi.UsingAttributes(context.Background(), fi.Attributes{SessionID: "bench-session", UserID: "bench-user"})
		b.ReportAllocs()
		cpu := processCPU()
		for b.Loop() {
			if _, err := r.Invoke(ctx, in, opts...); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(processCPU()-cpu)/float64(b.N), "cpu-ns/op")
	}
	b.Run("bare", func(b *testing.B) { run(b) })
	b.Run("sdk-span", func(b *testing.B) {
		rec := tracetest.NewSpanRecorder()
		tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
		if _, err := r.Invoke(context.Background(), in, compose.WithCallbacks(fieino.NewHandler(fieino.WithTracerProvider(tp)))); err != nil {
			b.Fatal(err)
		}
		attrs := map[string][]attribute.KeyValue{}
		for _, s := range rec.Ended() {
			attrs[s.Name()] = s.Attributes()
		}
		if len(attrs) < 4 {
			b.Fatalf("recorded spans %v", attrs)
		}
		run(b, compose.WithCallbacks(spanHandler{benchProvider(b).Tracer("floor"), attrs}))
	})
	b.Run("instrumented", func(b *testing.B) {
		run(b, compose.WithCallbacks(fieino.NewHandler(fieino.WithTracerProvider(benchProvider(b)))))
	})
}
