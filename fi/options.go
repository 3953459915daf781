package fi

import (
	"go.opentelemetry.io/otel/trace"
)

// SharedOption is an option accepted by NewSpanProcessor and NewTracer
// alike.
type SharedOption interface {
	SpanProcessorOption
	TracerOption
}

type traceConfigOption struct{ cfg TraceConfig }

// WithTraceConfig sets the masking and PII configuration. Without it,
// NewTracer uses NewTraceConfig(), the environment's configuration, and
// NewSpanProcessor redacts nothing. traceai.Register takes its own
// traceai.WithTraceConfig.
func WithTraceConfig(cfg TraceConfig) SharedOption { return traceConfigOption{cfg} }

func (o traceConfigOption) applySpanProcessor(p *SpanProcessor) { p.pii = o.cfg.PIIRedaction }
func (o traceConfigOption) applyTracer(t *tracerConfig)         { t.cfg, t.cfgSet = o.cfg, true }

// TracerOption configures NewTracer.
type TracerOption interface {
	applyTracer(*tracerConfig)
}

type tracerOptionFunc func(*tracerConfig)

func (f tracerOptionFunc) applyTracer(c *tracerConfig) { f(c) }

// WithTracerProvider sets the provider NewTracer takes its tracer from;
// the default is the global provider at the time of the call.
func WithTracerProvider(tp trace.TracerProvider) TracerOption {
	return tracerOptionFunc(func(c *tracerConfig) { c.tp = tp })
}

// WithInstrumentationName sets the instrumentation scope name of the tracer
// (default "github.com/traceai-go/traceai/fi").
func WithInstrumentationName(name string) TracerOption {
	return tracerOptionFunc(func(c *tracerConfig) { c.name = name })
}
