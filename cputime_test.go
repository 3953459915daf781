//go:build cputime && linux

package traceai_test

import (
	"context"
	"io"
	"runtime"
	"sort"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/traceai-go/traceai"
	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/fi/semconv"
)

func rusage(who int) time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(who, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestRegisterSpanCostCPUTime measures the span benchmarks of the Register
// pipeline in CPU time instead of wall time, so load from other processes
// does not drown the comparison: "thread" is the request path alone (the
// goroutine creating spans, locked to its thread), "process" is every CPU
// cycle the process spent per span, background export (and, for the live
// cases, the in-process receiver) included. Opt-in:
//
//	go test -tags cputime -run TestRegisterSpanCostCPUTime -v ./fi
func TestRegisterSpanCostCPUTime(t *testing.T) {
	const n, rounds = 20000, 6
	handleErrors(t)
	type scenario struct {
		name string
		make func(t *testing.T) *sdktrace.TracerProvider
	}
	register := func(t *testing.T, opts ...traceai.Option) *sdktrace.TracerProvider {
		tp, err := traceai.Register(context.Background(), append(opts, traceai.WithOutput(io.Discard))...)
		if err != nil {
			t.Fatal(err)
		}
		return tp
	}
	scenarios := []scenario{
		{"baseline: SDK batcher, no-op exporter", func(t *testing.T) *sdktrace.TracerProvider {
			return sdktrace.NewTracerProvider(sdktrace.WithBatcher(tracetest.NewNoopExporter()))
		}},
		{"baseline: SDK batcher, OTLP/HTTP to live receiver", func(t *testing.T) *sdktrace.TracerProvider {
			rcv := newHTTPReceiver(t)
			exp, err := otlptracehttp.New(context.Background(), otlptracehttp.WithEndpointURL(rcv.URL+"/v1/traces"))
			if err != nil {
				t.Fatal(err)
			}
			return sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp))
		}},
		{"SDK batcher + fi.NewSpanProcessor, live receiver", func(t *testing.T) *sdktrace.TracerProvider {
			rcv := newHTTPReceiver(t)
			exp, err := otlptracehttp.New(context.Background(), otlptracehttp.WithEndpointURL(rcv.URL+"/v1/traces"))
			if err != nil {
				t.Fatal(err)
			}
			return sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(fi.NewSpanProcessor()), sdktrace.WithBatcher(exp))
		}},
		{"Register, no-op exporter", func(t *testing.T) *sdktrace.TracerProvider {
			return register(t, traceai.WithExporter(tracetest.NewNoopExporter()))
		}},
		{"Register, OTLP/HTTP to live receiver", func(t *testing.T) *sdktrace.TracerProvider {
			return register(t, traceai.WithEndpoint(newHTTPReceiver(t).URL))
		}},
		{"Register, collector unreachable", func(t *testing.T) *sdktrace.TracerProvider {
			return register(t, traceai.WithEndpoint("http://"+closedAddr(t)))
		}},
		{"Register, collector hanging", func(t *testing.T) *sdktrace.TracerProvider {
			rcv := newHTTPReceiver(t)
			rcv.hangRequests()
			return register(t, traceai.WithEndpoint(rcv.URL))
		}},
	}
	median := func(d []time.Duration) time.Duration {
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		return (d[len(d)/2-1] + d[len(d)/2]) / 2
	}
	// Rounds interleave the scenarios so that drift in the machine's load
	// spreads over all of them; round 0 warms up and is discarded.
	thread := make([][]time.Duration, len(scenarios))
	process := make([][]time.Duration, len(scenarios))
	for r := range rounds + 1 {
		for i, sc := range scenarios {
			tp := sc.make(t)
			ctx := fi.UsingUser(fi.UsingSession(context.Background(), "session-42"), "user-7")
			tr := tp.Tracer("bench")
			runtime.GC()
			runtime.LockOSThread()
			p0, t0 := rusage(syscall.RUSAGE_SELF), rusage(1) // 1 = RUSAGE_THREAD
			for range n {
				_, span := tr.Start(ctx, "handle")
				span.SetAttributes(semconv.InputValue.String("hello"), semconv.GenAIRequestModel.String("gpt-4o"))
				span.End()
			}
			t1 := rusage(1)
			runtime.UnlockOSThread()
			sctx, cancel := context.WithTimeout(context.Background(), time.Second)
			_ = tp.Shutdown(sctx) // the export work is part of the process cost
			cancel()
			p1 := rusage(syscall.RUSAGE_SELF)
			if r > 0 {
				thread[i] = append(thread[i], (t1-t0)/n)
				process[i] = append(process[i], (p1-p0)/n)
			}
		}
	}
	th0, pr0 := median(thread[0]), median(process[0])
	for i, sc := range scenarios {
		th, pr := median(thread[i]), median(process[i])
		t.Logf("%-50s thread %6v/span (x%.2f)   process %6v/span (x%.2f)", sc.name,
			th, float64(th)/float64(th0), pr, float64(pr)/float64(pr0))
	}
}
