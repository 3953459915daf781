package traceai

import (
	"context"
	"sync"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/traceai-go/traceai/fi/semconv"
)

// EnvMaxActiveSpansTracked bounds how many open spans simple (unbatched)
// export tracks for leak reporting, as in the reference (default 100).
const EnvMaxActiveSpansTracked = "FI_MAX_ACTIVE_SPANS_TRACKED"

// leakTracker is the reference SimpleSpanProcessor's leak tracking: it
// remembers up to max open spans and, at Shutdown, ends those the
// application never ended, marked gen_ai.span.leaked = true, so that they
// are exported rather than lost. It sits before the exporting processor.
type leakTracker struct {
	max   int
	mu    sync.Mutex
	spans map[trace.SpanID]sdktrace.ReadWriteSpan
}

func newLeakTracker() *leakTracker {
	return &leakTracker{max: envPositive(EnvMaxActiveSpansTracked, 100), spans: map[trace.SpanID]sdktrace.ReadWriteSpan{}}
}

func (l *leakTracker) OnStart(_ context.Context, s sdktrace.ReadWriteSpan) {
	if !s.IsRecording() {
		return
	}
	l.mu.Lock()
	if len(l.spans) < l.max {
		l.spans[s.SpanContext().SpanID()] = s
	}
	l.mu.Unlock()
}

func (l *leakTracker) OnEnd(s sdktrace.ReadOnlySpan) {
	l.mu.Lock()
	delete(l.spans, s.SpanContext().SpanID())
	l.mu.Unlock()
}

func (l *leakTracker) Shutdown(context.Context) error {
	l.mu.Lock()
	open := make([]sdktrace.ReadWriteSpan, 0, len(l.spans))
	for _, s := range l.spans {
		open = append(open, s)
	}
	clear(l.spans)
	l.mu.Unlock()
	for _, s := range open {
		if s.IsRecording() {
			s.SetAttributes(semconv.SpanLeaked.Bool(true))
			s.End()
		}
	}
	return nil
}

func (l *leakTracker) ForceFlush(context.Context) error { return nil }
