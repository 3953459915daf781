package fibedrock

import (
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/trace"

	"github.com/traceai-go/traceai/fi"
)

// Option configures the instrumentation.
type Option interface{ apply(*config) }

type config struct {
	tp  trace.TracerProvider
	cfg fi.TraceConfig
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// WithTracerProvider sets the provider of the spans; the default, and what
// a nil tp keeps, is the global provider.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return optionFunc(func(c *config) {
		if tp != nil {
			c.tp = tp
		}
	})
}

// WithTraceConfig sets what the spans may record; the default is
// fi.NewTraceConfig(), which reads the FI_HIDE_* environment variables.
func WithTraceConfig(cfg fi.TraceConfig) Option {
	return optionFunc(func(c *config) { c.cfg = cfg })
}

// newConfig applies the defaults, then opts; nil options are skipped.
func newConfig(opts []Option) config {
	c := config{tp: otel.GetTracerProvider(), cfg: fi.NewTraceConfig()}
	for _, o := range opts {
		if o != nil {
			o.apply(&c)
		}
	}
	return c
}
