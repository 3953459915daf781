package fiopenai

import (
	"go.opentelemetry.io/otel/trace"

	"github.com/traceai-go/traceai/fi"
)

// Option configures the instrumentation.
type Option interface{ apply(*config) }

type config struct {
	tp     trace.TracerProvider
	cfg    fi.TraceConfig
	cfgSet bool
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// WithTracerProvider sets the provider of the spans; the default is the
// global one.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return optionFunc(func(c *config) { c.tp = tp })
}

// WithTraceConfig sets what the spans may record; the default is
// fi.NewTraceConfig(), which reads the FI_HIDE_* environment variables.
func WithTraceConfig(cfg fi.TraceConfig) Option {
	return optionFunc(func(c *config) { c.cfg, c.cfgSet = cfg, true })
}

func newConfig(opts []Option) config {
	var c config
	for _, o := range opts {
		if o != nil {
			o.apply(&c)
		}
	}
	return c
}
