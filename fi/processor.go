package fi

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/traceai-go/traceai/internal/ctxattr"
)

// SpanProcessor stamps the context attributes (session.id, user.id,
// metadata, tags, prompt template, simulator ids) on every span started in a
// context that carries them, whichever tracer starts it: traceAI
// instrumentation, the application's own tracer, or third-party
// OpenTelemetry instrumentation such as otelhttp or otelsql.
//
// Install it on the provider before any exporting processor:
//
//	tp := sdktrace.NewTracerProvider(
//		sdktrace.WithSpanProcessor(fi.NewSpanProcessor()),
//		sdktrace.WithBatcher(exporter),
//	)
//
// traceai.Register installs it for you.
type SpanProcessor struct {
	pii bool
}

var _ sdktrace.SpanProcessor = (*SpanProcessor)(nil)

// SpanProcessorOption configures a SpanProcessor.
type SpanProcessorOption interface {
	applySpanProcessor(*SpanProcessor)
}

// NewSpanProcessor returns a processor that stamps context attributes on
// span start. With WithTraceConfig, its PII redaction applies to the
// stamped values (a user.id that is an e-mail address becomes
// <EMAIL_ADDRESS>), as in the Python reference.
func NewSpanProcessor(opts ...SpanProcessorOption) *SpanProcessor {
	p := &SpanProcessor{}
	for _, o := range opts {
		o.applySpanProcessor(p)
	}
	return p
}

// OnStart sets the context attributes of parent on s. Spans whose starter
// stamped them itself (traceAI instrumentation does, so that it works
// without this processor) are left alone, so no attribute is set twice.
//
// With PII redaction on, the processor also checks spans stamped by their
// starter: if the starter did not redact (its TraceConfig differs), the
// redacted values are set over the raw ones, so that personal data in
// context attributes never reaches an exporter whichever configuration
// instrumentation was given.
func (p *SpanProcessor) OnStart(parent context.Context, s sdktrace.ReadWriteSpan) {
	sc := ctxattr.From(parent)
	if sc == nil {
		return
	}
	if !p.pii {
		if kvs := sc.KeyValues(); len(kvs) > 0 && !sc.Stamped() {
			s.SetAttributes(kvs...)
		}
		return
	}
	kvs, changed := sc.Redacted(redactPIIAll)
	if len(kvs) == 0 {
		return
	}
	if !sc.Stamped() {
		s.SetAttributes(kvs...)
		return
	}
	if changed {
		p.fixStamped(s, kvs)
	}
}

// fixStamped sets those redacted context attributes that a stamped span
// carries unredacted.
func (p *SpanProcessor) fixStamped(s sdktrace.ReadWriteSpan, redacted []attribute.KeyValue) {
	have := s.Attributes()
	var fix []attribute.KeyValue
	for _, want := range redacted {
		for _, kv := range have {
			if kv.Key == want.Key {
				if kv.Value != want.Value {
					fix = append(fix, want)
				}
				break
			}
		}
	}
	if len(fix) > 0 {
		s.SetAttributes(fix...)
	}
}

// OnEnd does nothing: attributes are stamped at start so that samplers,
// other processors and exporters all see them.
func (p *SpanProcessor) OnEnd(sdktrace.ReadOnlySpan) {}

// Shutdown does nothing; the processor holds no resources.
func (p *SpanProcessor) Shutdown(context.Context) error { return nil }

// ForceFlush does nothing; the processor buffers nothing.
func (p *SpanProcessor) ForceFlush(context.Context) error { return nil }
