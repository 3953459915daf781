package fibedrock_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/instrumentation/fibedrock"
)

// benchProvider is a provider as traceai.Register builds one: the fi span
// processor, then a batch processor in front of an exporter that drops
// the spans, so that the benchmarks measure the pipeline, not an export.
func benchProvider(b *testing.B) *sdktrace.TracerProvider {
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithSpanProcessor(fi.NewSpanProcessor()),
		sdktrace.WithBatcher(tracetest.NewNoopExporter()),
	)
	b.Cleanup(func() { tp.Shutdown(context.Background()) })
	return tp
}

func benchCtx() context.Context {
	return fi.UsingAttributes(context.Background(), fi.Attributes{
		SessionID: "bench-session", UserID: "bench-user",
		Tags: []string{"bench"}, Metadata: map[string]any{"plan": "pro"},
	})
}

// spanOnly wraps each request in an SDK span carrying attrs and does
// nothing else: the floor under any instrumentation that records a span.
func spanOnly(tp trace.TracerProvider, attrs []attribute.KeyValue) http.RoundTripper {
	tracer := tp.Tracer("floor")
	return rtFunc(func(r *http.Request) (*http.Response, error) {
		ctx, span := tracer.Start(r.Context(), "bedrock.converse", trace.WithAttributes(attrs...))
		defer span.End()
		return http.DefaultTransport.RoundTrip(r.WithContext(ctx))
	})
}

// recordedAttrs are the attributes the instrumentation records for the
// benchmark's call.
func recordedAttrs(b *testing.B, url string, call func(*bedrockruntime.Client) error) []attribute.KeyValue {
	tp, sr := recorder()
	if err := call(client(url, fibedrock.NewTransport(nil, fibedrock.WithTracerProvider(tp)), 1)); err != nil {
		b.Fatal(err)
	}
	return sr.Ended()[0].Attributes()
}

func benchVariants(b *testing.B, url string, call func(*bedrockruntime.Client) error) {
	run := func(b *testing.B, rt http.RoundTripper) {
		c := client(url, rt, 1)
		b.ReportAllocs()
		for b.Loop() {
			if err := call(c); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("bare", func(b *testing.B) { run(b, http.DefaultTransport) })
	b.Run("sdk-span", func(b *testing.B) { run(b, spanOnly(benchProvider(b), recordedAttrs(b, url, call))) })
	b.Run("instrumented", func(b *testing.B) {
		run(b, fibedrock.NewTransport(nil, fibedrock.WithTracerProvider(benchProvider(b))))
	})
}

// BenchmarkConverseRoundTrip is one Converse call (system prompt, text,
// two images, a tool call and its result, tools) through the real
// bedrockruntime client to a local stand-in: bare, inside an SDK span with
// the same attributes and no parsing (the floor), and instrumented.
func BenchmarkConverseRoundTrip(b *testing.B) {
	resp := fixture(b, "converse_response.json")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body.Close()
		w.Header().Set("Content-Type", "application/json")
		w.Write(resp)
	}))
	defer srv.Close()
	in := converseInput(claudeProfile)
	benchVariants(b, srv.URL, func(c *bedrockruntime.Client) error {
		_, err := c.Converse(benchCtx(), in)
		return err
	})
}

// BenchmarkConverseStreamRoundTrip is the same with ConverseStream, read
// to its end through the SDK's event reader.
func BenchmarkConverseStreamRoundTrip(b *testing.B) {
	stream := converseStream(b, "converse_stream.jsonl")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body.Close()
		w.Header().Set("Content-Type", "application/vnd.amazon.eventstream")
		w.Write(stream)
	}))
	defer srv.Close()
	in := &bedrockruntime.ConverseStreamInput{ModelId: aws.String(claudeProfile), Messages: converseInput(claudeProfile).Messages,
		System: converseInput(claudeProfile).System}
	benchVariants(b, srv.URL, func(c *bedrockruntime.Client) error {
		out, err := c.ConverseStream(benchCtx(), in)
		if err != nil {
			return err
		}
		for range out.GetStream().Events() {
		}
		out.GetStream().Close()
		return out.GetStream().Err()
	})
}
