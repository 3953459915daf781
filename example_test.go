package traceai_test

import (
	"context"
	"fmt"
	"log"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/traceai-go/traceai"
	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/fi/semconv"
)

// Register with an in-memory exporter to show what reaches the wire: the
// context attributes, the masking and the project resource.
func ExampleRegister() {
	ctx := context.Background()
	mem := tracetest.NewInMemoryExporter()
	tp, err := traceai.Register(ctx,
		traceai.WithProjectName("support-bot"),
		traceai.WithProjectType(traceai.Observe),
		traceai.WithTraceConfig(fi.TraceConfig{HideInputs: true}), // or fi.NewTraceConfig() and set fields
		traceai.WithExporter(mem),                                 // omit to export over OTLP
	)
	if err != nil {
		log.Fatal(err)
	}
	defer tp.Shutdown(ctx)

	ctx = fi.UsingSession(ctx, "session-42")
	ctx = fi.UsingUser(ctx, "user-7")
	_, span := tp.Tracer("support").Start(ctx, "answer")
	span.SetAttributes(semconv.InputValue.String("my card number is ..."))
	span.End()

	_ = tp.ForceFlush(ctx)
	s := mem.GetSpans()[0]
	for _, kv := range s.Attributes {
		fmt.Println(kv.Key, "=", kv.Value.Emit())
	}
	for _, k := range []attribute.Key{traceai.ResourceProjectName, traceai.ResourceProjectType} {
		v, _ := s.Resource.Set().Value(k)
		fmt.Println(k, "=", v.Emit())
	}
	fmt.Println("status =", s.Status.Code)
	// Output:
	// session.id = session-42
	// gen_ai.conversation.id = session-42
	// user.id = user-7
	// input.value = __REDACTED__
	// project_name = support-bot
	// project_type = observe
	// status = Ok
}

// Send to Future AGI: with FI_API_KEY and FI_SECRET_KEY in the
// environment, spans go to https://api.futureagi.com/tracer/v1/traces.
func ExampleRegister_futureAGI() {
	ctx := context.Background()
	tp, err := traceai.Register(ctx,
		traceai.WithProjectName("support-bot"),
		traceai.WithProjectVersionName("v3"),
		traceai.WithEvalTags(traceai.EvalTag{
			Value:          semconv.SpanKindLLM,
			EvalName:       "toxicity",
			CustomEvalName: "toxicity-check",
			Mapping:        map[string]string{"output": "output.value"},
			Model:          "turing_small",
		}),
		traceai.WithSetGlobal(true),
	)
	if err != nil {
		log.Fatal(err)
	}
	defer tp.Shutdown(ctx) // flushes what is queued
}

// Send to any OTLP collector (Jaeger, Phoenix, an OpenTelemetry Collector)
// over gRPC. OTEL_EXPORTER_OTLP_ENDPOINT and OTEL_EXPORTER_OTLP_PROTOCOL
// do the same without code.
func ExampleRegister_otlpCollector() {
	ctx := context.Background()
	tp, err := traceai.Register(ctx,
		traceai.WithProjectName("support-bot"),
		traceai.WithTransport(traceai.TransportGRPC),
		traceai.WithEndpoint("localhost:4317"),
		traceai.WithHeaders(map[string]string{"x-tenant": "acme"}),
	)
	if err != nil {
		log.Fatal(err)
	}
	defer tp.Shutdown(ctx)
}

// Observe projects refuse eval tags and version names, as the reference
// does.
func ExampleWithProjectType() {
	_, err := traceai.Register(context.Background(),
		traceai.WithProjectType(traceai.Observe),
		traceai.WithProjectVersionName("v2"),
	)
	fmt.Println(err)
	// Output: traceai: invalid Register configuration: project version name not allowed for project type observe
}
