package fi_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"sort"
	"strings"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/fi/semconv"
)

// exampleProvider is what an application sets up once: a provider with the
// fi span processor. A recorder stands in for the exporter so the examples
// can print what would be exported.
func exampleProvider() (*sdktrace.TracerProvider, *tracetest.SpanRecorder) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithSpanProcessor(fi.NewSpanProcessor()),
		sdktrace.WithSpanProcessor(rec),
	)
	return tp, rec
}

// printSpans prints each ended span's name and attributes, keys sorted.
func printSpans(rec *tracetest.SpanRecorder) {
	for _, s := range rec.Ended() {
		fmt.Println(s.Name())
		kvs := append([]attribute.KeyValue(nil), s.Attributes()...)
		sort.Slice(kvs, func(i, j int) bool { return kvs[i].Key < kvs[j].Key })
		for _, kv := range kvs {
			v := kv.Value.Emit()
			if kv.Value.Type() == attribute.STRINGSLICE {
				v = fmt.Sprintf("%q", kv.Value.AsStringSlice())
			}
			fmt.Printf("  %s: %s\n", kv.Key, v)
		}
	}
}

// Every span started from a context made by UsingSession carries session.id
// and gen_ai.conversation.id, whichever tracer starts it.
func ExampleUsingSession() {
	tp, rec := exampleProvider()
	tracer := tp.Tracer("my-app")

	ctx := fi.UsingSession(context.Background(), "my-session-id")
	_, span := tracer.Start(ctx, "handle message")
	span.End()

	printSpans(rec)
	// Output:
	// handle message
	//   gen_ai.conversation.id: my-session-id
	//   session.id: my-session-id
}

func ExampleUsingUser() {
	tp, rec := exampleProvider()
	ctx := fi.UsingUser(context.Background(), "my-user-id")
	_, span := tp.Tracer("my-app").Start(ctx, "handle message")
	span.End()

	printSpans(rec)
	// Output:
	// handle message
	//   user.id: my-user-id
}

// Metadata is written as the Python SDK writes it: JSON with ", " and ": ",
// keys sorted.
func ExampleUsingMetadata() {
	tp, rec := exampleProvider()
	ctx := fi.UsingMetadata(context.Background(), map[string]any{
		"key-1": "value_1",
		"key-2": 2.0,
		"plan":  map[string]any{"tier": "pro", "seats": 3},
	})
	_, span := tp.Tracer("my-app").Start(ctx, "op")
	span.End()

	printSpans(rec)
	// Output:
	// op
	//   metadata: {"key-1": "value_1", "key-2": 2.0, "plan": {"seats": 3, "tier": "pro"}}
}

func ExampleUsingTags() {
	tp, rec := exampleProvider()
	ctx := fi.UsingTags(context.Background(), "tag_1", "tag_2")
	_, span := tp.Tracer("my-app").Start(ctx, "op")
	span.End()

	printSpans(rec)
	// Output:
	// op
	//   tag.tags: ["tag_1" "tag_2"]
}

func ExampleUsingPromptTemplate() {
	tp, rec := exampleProvider()
	ctx := fi.UsingPromptTemplate(context.Background(), fi.PromptTemplate{
		Template:  "Please describe the weather forecast for {city} on {date}",
		Label:     "production",
		Version:   "v1.0",
		Variables: map[string]any{"city": "Johannesburg", "date": "July 11"},
	})
	_, span := tp.Tracer("my-app").Start(ctx, "op")
	span.End()

	printSpans(rec)
	// Output:
	// op
	//   gen_ai.prompt.template.label: production
	//   gen_ai.prompt.template.name: Please describe the weather forecast for {city} on {date}
	//   gen_ai.prompt.template.variables: {"city": "Johannesburg", "date": "July 11"}
	//   gen_ai.prompt.template.version: v1.0
}

// A false IsSimulatorTrace is recorded: only nil means "not given".
func ExampleUsingSimulatorAttributes() {
	tp, rec := exampleProvider()
	isSim := false
	ctx := fi.UsingSimulatorAttributes(context.Background(), fi.SimulatorAttributes{
		RunTestID: "run-1", IsSimulatorTrace: &isSim,
	})
	_, span := tp.Tracer("my-app").Start(ctx, "op")
	span.End()

	printSpans(rec)
	// Output:
	// op
	//   fi.simulator.is_simulator_trace: false
	//   fi.simulator.run_test_id: run-1
}

// UsingAttributes is the Go form of traceAI's using_attributes: everything
// in one scope.
func ExampleUsingAttributes() {
	tp, rec := exampleProvider()
	ctx := fi.UsingAttributes(context.Background(), fi.Attributes{
		SessionID: "my-session-id",
		UserID:    "my-user-id",
		Metadata:  map[string]any{"key-1": "value_1"},
		Tags:      []string{"tag_1", "tag_2"},
		PromptTemplate: &fi.PromptTemplate{
			Template:  "Please describe the weather forecast for {city}",
			Version:   "v1.0",
			Variables: map[string]any{"city": "Johannesburg"},
		},
	})
	_, span := tp.Tracer("my-app").Start(ctx, "op")
	span.End()

	printSpans(rec)
	// Output:
	// op
	//   gen_ai.conversation.id: my-session-id
	//   gen_ai.prompt.template.name: Please describe the weather forecast for {city}
	//   gen_ai.prompt.template.variables: {"city": "Johannesburg"}
	//   gen_ai.prompt.template.version: v1.0
	//   metadata: {"key-1": "value_1"}
	//   session.id: my-session-id
	//   tag.tags: ["tag_1" "tag_2"]
	//   user.id: my-user-id
}

// Scopes nest: an inner scope overrides only the fields it sets.
func ExampleUsingAttributes_nested() {
	tp, rec := exampleProvider()
	tracer := tp.Tracer("my-app")

	ctx := fi.UsingAttributes(context.Background(), fi.Attributes{SessionID: "session-1", UserID: "user-1"})
	inner := fi.UsingUser(ctx, "user-2") // keeps session-1
	_, span := tracer.Start(inner, "inner")
	span.End()
	_, span = tracer.Start(ctx, "outer")
	span.End()

	for _, s := range rec.Ended() {
		a := map[attribute.Key]string{}
		for _, kv := range s.Attributes() {
			a[kv.Key] = kv.Value.Emit()
		}
		fmt.Println(s.Name(), a[semconv.SessionID], a[semconv.UserID])
	}
	// Output:
	// inner session-1 user-2
	// outer session-1 user-1
}

// WrapSession is the decorator form: it wraps a function so that it runs
// inside the session.
func ExampleWrapSession() {
	tp, rec := exampleProvider()
	tracer := tp.Tracer("my-app")

	handle := fi.WrapSession("my-session-id", func(ctx context.Context) error {
		_, span := tracer.Start(ctx, "handle")
		defer span.End()
		return nil
	})
	if err := handle(context.Background()); err != nil {
		fmt.Println(err)
	}

	printSpans(rec)
	// Output:
	// handle
	//   gen_ai.conversation.id: my-session-id
	//   session.id: my-session-id
}

func ExampleWrapUser() {
	tp, rec := exampleProvider()
	tracer := tp.Tracer("my-app")

	// Decorators compose like Python's stacked decorators.
	handle := fi.WrapSession("s-1", fi.WrapUser("u-1", func(ctx context.Context) error {
		_, span := tracer.Start(ctx, "handle")
		span.End()
		return nil
	}))
	_ = handle(context.Background())

	printSpans(rec)
	// Output:
	// handle
	//   gen_ai.conversation.id: s-1
	//   session.id: s-1
	//   user.id: u-1
}

func ExampleWrapAttributes() {
	tp, rec := exampleProvider()
	tracer := tp.Tracer("my-app")

	handle := fi.WrapAttributes(fi.Attributes{UserID: "u-1", Tags: []string{"beta"}}, func(ctx context.Context) error {
		_, span := tracer.Start(ctx, "handle")
		span.End()
		return errors.New("failed")
	})
	fmt.Println("error:", handle(context.Background()))

	printSpans(rec)
	// Output:
	// error: failed
	// handle
	//   tag.tags: ["beta"]
	//   user.id: u-1
}

// Empty ids are bad input: nothing is set, and the OpenTelemetry error
// handler hears about it.
func ExampleUsingSession_emptyID() {
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) { fmt.Println("otel error:", err) }))
	defer otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) { log.Print(err) }))

	ctx := fi.UsingSession(context.Background(), "")
	fmt.Printf("session: %q\n", fi.SessionID(ctx))
	// Output:
	// otel error: fi: invalid context attribute: session id is empty; not set
	// session: ""
}

// ContextAttributes returns what a context would stamp, for code that
// builds spans or log records by hand.
func ExampleContextAttributes() {
	ctx := fi.UsingUser(fi.UsingSession(context.Background(), "s-1"), "u-1")
	for _, kv := range fi.ContextAttributes(ctx) {
		fmt.Printf("%s=%s\n", kv.Key, kv.Value.Emit())
	}
	fmt.Println(fi.SessionID(ctx), fi.UserID(ctx))
	// Output:
	// session.id=s-1
	// gen_ai.conversation.id=s-1
	// user.id=u-1
	// s-1 u-1
}

// SuppressTracing turns off traceAI spans for a piece of work, such as a
// health-check call to the model.
func ExampleSuppressTracing() {
	tp, rec := exampleProvider()
	tracer := fi.NewTracer(fi.WithTracerProvider(tp), fi.WithTraceConfig(fi.TraceConfig{}))

	ctx := fi.SuppressTracing(context.Background())
	out, _ := fi.Chain(ctx, tracer, "health check", "ping", func(context.Context) (string, error) {
		return "pong", nil
	})
	fmt.Println(out, fi.IsTracingSuppressed(ctx), len(rec.Ended()))
	// Output:
	// pong true 0
}

// NewSpanProcessor goes on the provider before the exporting processor, so
// that exported spans already carry the attributes.
func ExampleNewSpanProcessor() {
	exporter := tracetest.NewInMemoryExporter() // e.g. otlptracehttp.New(ctx)
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithSpanProcessor(fi.NewSpanProcessor()),
		sdktrace.WithSyncer(exporter), // sdktrace.WithBatcher(exporter) in production
	)
	defer func() { _ = tp.Shutdown(context.Background()) }()

	ctx := fi.UsingSession(context.Background(), "s-1")
	_, span := tp.Tracer("my-app").Start(ctx, "op")
	span.End()

	for _, s := range exporter.GetSpans() {
		fmt.Println(s.Name, s.Attributes[0].Key, s.Attributes[0].Value.Emit())
	}
	// Output:
	// op session.id s-1
}

// With PII redaction, the processor redacts what it stamps: a user id that
// is an e-mail address is exported as <EMAIL_ADDRESS>.
func ExampleNewSpanProcessor_piiRedaction() {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithSpanProcessor(fi.NewSpanProcessor(fi.WithTraceConfig(fi.TraceConfig{PIIRedaction: true}))),
		sdktrace.WithSpanProcessor(rec),
	)
	ctx := fi.UsingUser(context.Background(), "john@example.com")
	_, span := tp.Tracer("my-app").Start(ctx, "op")
	span.End()

	printSpans(rec)
	// Output:
	// op
	//   user.id: <EMAIL_ADDRESS>
}

// Chain runs a function inside a CHAIN span with its input and output
// recorded; Tool does the same for a TOOL span.
func ExampleChain() {
	tp, rec := exampleProvider()
	tracer := fi.NewTracer(fi.WithTracerProvider(tp), fi.WithTraceConfig(fi.TraceConfig{}))
	ctx := fi.UsingSession(context.Background(), "s-1")

	answer, err := fi.Chain(ctx, tracer, "answer question", "What is 2+2?", func(ctx context.Context) (string, error) {
		return "4", nil
	})
	fmt.Println(answer, err)

	printSpans(rec)
	// Output:
	// 4 <nil>
	// answer question
	//   gen_ai.conversation.id: s-1
	//   gen_ai.span.kind: CHAIN
	//   input.mime_type: text/plain
	//   input.value: What is 2+2?
	//   output.mime_type: text/plain
	//   output.value: 4
	//   session.id: s-1
}

func ExampleTool() {
	tp, rec := exampleProvider()
	tracer := fi.NewTracer(fi.WithTracerProvider(tp), fi.WithTraceConfig(fi.TraceConfig{}))

	weather := fi.ToolInfo{
		Name:        "get_weather",
		Description: "Current weather for a city",
		Parameters:  map[string]any{"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}}},
	}
	_, _ = fi.Tool(context.Background(), tracer, weather, map[string]any{"city": "Paris"},
		func(ctx context.Context) (map[string]any, error) {
			return map[string]any{"temp_c": 21.0}, nil
		})

	printSpans(rec)
	// Output:
	// get_weather
	//   gen_ai.span.kind: TOOL
	//   gen_ai.tool.description: Current weather for a city
	//   gen_ai.tool.name: get_weather
	//   gen_ai.tool.parameters: {"properties": {"city": {"type": "string"}}, "type": "object"}
	//   input.mime_type: application/json
	//   input.value: {"city": "Paris"}
	//   output.mime_type: application/json
	//   output.value: {"temp_c": 21.0}
}

// Tracer.Start gives full control; errors are recorded with RecordError.
func ExampleTracer_Start() {
	tp, rec := exampleProvider()
	tracer := fi.NewTracer(fi.WithTracerProvider(tp), fi.WithTraceConfig(fi.TraceConfig{}))

	_, span := tracer.Start(context.Background(), "retrieve", semconv.SpanKindRetriever)
	span.SetInput(map[string]any{"query": "weather"})
	span.RecordError(errors.New("index unavailable"))
	span.End()

	printSpans(rec)
	s := rec.Ended()[0]
	fmt.Println(s.Status().Code, s.Status().Description)
	// Output:
	// retrieve
	//   gen_ai.span.kind: RETRIEVER
	//   input.mime_type: application/json
	//   input.value: {"query": "weather"}
	// Error errors.errorString: index unavailable
}

// NewTraceConfig reads the FI_* environment variables; fields set
// afterwards override them. Masked values never reach a span.
func ExampleNewTraceConfig() {
	cfg := fi.NewTraceConfig()
	cfg.HideInputs = true
	cfg.HideOutputText = true
	tp, rec := exampleProvider()
	tracer := fi.NewTracer(fi.WithTracerProvider(tp), fi.WithTraceConfig(cfg))

	_, span := tracer.Start(context.Background(), "llm", semconv.SpanKindLLM)
	span.SetInput("my secret question")
	span.SetAttributes(semconv.OutputMessageKey(0, semconv.MessageContent).String("the answer"))
	span.End()

	printSpans(rec)
	// Output:
	// llm
	//   gen_ai.output.messages.0.message.content: __REDACTED__
	//   gen_ai.span.kind: LLM
	//   input.value: __REDACTED__
}

func ExampleRedactPII() {
	fmt.Println(fi.RedactPII("Email john@acme.com, SSN 123-45-6789, IP 10.0.0.1"))
	fmt.Println(strings.Repeat("-", 3))
	fmt.Println(fi.RedactPII("Call (555) 123-4567 or use key sk_live_ABCDEFGHIJKLMNOPQRSTUVWX"))
	// Output:
	// Email <EMAIL_ADDRESS>, SSN <SSN>, IP <IP_ADDRESS>
	// ---
	// Call <PHONE_NUMBER> or use key <API_KEY>
}

// Agent runs a function inside an AGENT span; a map input is recorded as
// JSON.
func ExampleAgent() {
	tp, rec := exampleProvider()
	tracer := fi.NewTracer(fi.WithTracerProvider(tp), fi.WithTraceConfig(fi.TraceConfig{}))

	plan, _ := fi.Agent(context.Background(), tracer, "planner", map[string]any{"goal": "book a table"},
		func(ctx context.Context) ([]string, error) {
			return []string{"search", "reserve"}, nil
		})
	fmt.Println(plan)

	printSpans(rec)
	// Output:
	// [search reserve]
	// planner
	//   gen_ai.span.kind: AGENT
	//   input.mime_type: application/json
	//   input.value: {"goal": "book a table"}
	//   output.mime_type: application/json
	//   output.value: ["search", "reserve"]
}

// Run takes any span kind and hands the function its span, for attributes
// only the function knows.
func ExampleRun() {
	tp, rec := exampleProvider()
	tracer := fi.NewTracer(fi.WithTracerProvider(tp), fi.WithTraceConfig(fi.TraceConfig{}))

	_, err := fi.Run(context.Background(), tracer, semconv.SpanKindRetriever, "search docs", "refund policy",
		func(ctx context.Context, span *fi.Span) (int, error) {
			span.SetAttributes(semconv.RetrievalDocumentKey(0, semconv.DocumentID).String("doc-7"))
			return 0, errors.New("index offline")
		})
	fmt.Println("error:", err)

	printSpans(rec)
	fmt.Println(rec.Ended()[0].Status().Code)
	// Output:
	// error: index offline
	// search docs
	//   gen_ai.span.kind: RETRIEVER
	//   input.mime_type: text/plain
	//   input.value: refund policy
	//   retrieval.documents.0.document.id: doc-7
	// Error
}
