package fieino

import (
	"strings"

	"go.opentelemetry.io/otel/trace"

	"github.com/traceai-go/traceai/fi"
)

// Option configures NewHandler.
type Option interface{ apply(*config) }

type config struct {
	tp         trace.TracerProvider
	cfg        fi.TraceConfig
	cfgSet     bool
	modelSpans bool
	agentNames map[string]bool
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

// WithModelSpans sets whether chat model runs get LLM spans (default
// true). Pass false when the model's HTTP client is already traced by a
// provider package such as fiopenai: its LLM span, with the provider's
// exact request and usage, then sits where the model's span would have
// been, under the graph node, and no call is counted twice.
func WithModelSpans(enabled bool) Option {
	return optionFunc(func(c *config) { c.modelSpans = enabled })
}

// WithAgentNames names graphs whose spans are AGENT spans rather than
// CHAIN spans. Graphs named "ReActAgent" (Eino's ReAct agent) or ending in
// "Agent" are agents without it.
func WithAgentNames(names ...string) Option {
	return optionFunc(func(c *config) {
		for _, n := range names {
			c.agentNames[n] = true
		}
	})
}

func newConfig(opts []Option) config {
	c := config{modelSpans: true, agentNames: map[string]bool{}}
	for _, o := range opts {
		if o != nil {
			o.apply(&c)
		}
	}
	return c
}

func (c *config) isAgent(name string) bool {
	const suffix = "agent"
	return c.agentNames[name] || len(name) >= len(suffix) && strings.EqualFold(name[len(name)-len(suffix):], suffix)
}
