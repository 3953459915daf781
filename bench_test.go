package traceai_test

import (
	"context"
	"io"
	"testing"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/traceai-go/traceai"
	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/fi/semconv"
)

// benchRegisterSpans measures the request path: one span with two
// attributes, started and ended inside a session and user scope. Drops
// (the queue was full) are reported per span as dropped/op.
func benchRegisterSpans(b *testing.B, tp *sdktrace.TracerProvider, rcv ...*receiver) {
	errs := handleErrors(b)
	ctx := fi.UsingUser(fi.UsingSession(context.Background(), "session-42"), "user-7")
	tr := tp.Tracer("bench")
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		_, span := tr.Start(ctx, "handle")
		span.SetAttributes(semconv.InputValue.String("hello"), semconv.GenAIRequestModel.String("gpt-4o"))
		span.End()
		n++
	}
	b.StopTimer()
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = tp.Shutdown(sctx)
	b.ReportMetric(float64(errs.dropped())/float64(n), "dropped/op")
	if len(rcv) > 0 {
		b.ReportMetric(float64(len(rcv[0].spans()))/float64(n), "received/op")
	}
}

// Baseline: the SDK alone, batching to an exporter that does nothing.
func BenchmarkRegisterSpanBaseline(b *testing.B) {
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(tracetest.NewNoopExporter()))
	benchRegisterSpans(b, tp)
}

// Baseline with a real exporter: the SDK's BatchSpanProcessor and the
// OTLP/HTTP exporter sending to a live local receiver (the SDK does not
// report its drops, so dropped/op reads 0 here).
func BenchmarkRegisterSpanBaselineLiveReceiver(b *testing.B) {
	rcv := newHTTPReceiver(b)
	exp, err := otlptracehttp.New(context.Background(), otlptracehttp.WithEndpointURL(rcv.URL+"/v1/traces"))
	if err != nil {
		b.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp))
	benchRegisterSpans(b, tp, rcv)
}

// Register's pipeline (context attributes, bounded queue, masking) with an
// exporter that does nothing.
func BenchmarkRegisterSpanNoopExporter(b *testing.B) {
	tp, err := traceai.Register(context.Background(), traceai.WithExporter(tracetest.NewNoopExporter()), traceai.WithOutput(io.Discard))
	if err != nil {
		b.Fatal(err)
	}
	benchRegisterSpans(b, tp)
}

// The real OTLP/HTTP batch exporter sending to a live local receiver.
func BenchmarkRegisterSpanLiveReceiver(b *testing.B) {
	rcv := newHTTPReceiver(b)
	tp, err := traceai.Register(context.Background(), traceai.WithEndpoint(rcv.URL), traceai.WithOutput(io.Discard))
	if err != nil {
		b.Fatal(err)
	}
	benchRegisterSpans(b, tp, rcv)
}

// The real OTLP/HTTP batch exporter with nothing listening.
func BenchmarkRegisterSpanUnreachable(b *testing.B) {
	tp, err := traceai.Register(context.Background(), traceai.WithEndpoint("http://"+closedAddr(b)), traceai.WithOutput(io.Discard))
	if err != nil {
		b.Fatal(err)
	}
	benchRegisterSpans(b, tp)
}

// A collector that accepts connections and never answers.
func BenchmarkRegisterSpanHangingReceiver(b *testing.B) {
	rcv := newHTTPReceiver(b)
	rcv.hangRequests()
	tp, err := traceai.Register(context.Background(), traceai.WithEndpoint(rcv.URL), traceai.WithOutput(io.Discard))
	if err != nil {
		b.Fatal(err)
	}
	benchRegisterSpans(b, tp)
}
