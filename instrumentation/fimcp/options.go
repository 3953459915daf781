package fimcp

import (
	"net/url"

	"go.opentelemetry.io/otel/trace"

	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/internal/idbaggage"
)

// ScopeName is the instrumentation scope of the spans made by this package.
const ScopeName = "github.com/traceai-go/traceai/instrumentation/fimcp"

// Option configures ClientMiddleware and ServerMiddleware.
type Option interface{ apply(*config) }

type config struct {
	tp     trace.TracerProvider
	cfg    fi.TraceConfig
	cfgSet bool
	user   bool
	noIDs  bool
	// endpoint and hosts decide, for an HTTP transport, whether the ids
	// may go to the server at all.
	endpoint string
	hosts    []string
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// WithTracerProvider sets the provider of the spans; the default is the
// global one.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return optionFunc(func(c *config) { c.tp = tp })
}

// WithTraceConfig sets what the spans may record (inputs, outputs, PII
// redaction); the default is fi.NewTraceConfig(), which reads the FI_HIDE_*
// environment variables.
func WithTraceConfig(cfg fi.TraceConfig) Option {
	return optionFunc(func(c *config) { c.cfg, c.cfgSet = cfg, true })
}

// WithUserPropagation sets whether the user id crosses the MCP boundary
// (default false: a user id is personal data). On ClientMiddleware it sends
// the context's user id in the request's _meta baggage; on ServerMiddleware
// it accepts one. Both sides must opt in. The session id always crosses.
func WithUserPropagation(enabled bool) Option {
	return optionFunc(func(c *config) { c.user = enabled })
}

// WithIDPropagation sets whether ClientMiddleware sends the session id (and
// the user id, see WithUserPropagation) in _meta baggage; the default is
// true. Turn it off for servers that should not learn the ids, such as a
// third party's streamable HTTP server: the middleware cannot see which
// transport a session uses. The trace context is sent either way.
func WithIDPropagation(enabled bool) Option {
	return optionFunc(func(c *config) { c.noIDs = !enabled })
}

// WithEndpoint names the URL of the server a client reaches over HTTP
// (streamable HTTP or SSE). The session and user ids then go in _meta only
// when its host is allowed: loopback addresses and the hosts given to
// WithAllowedHosts, the rule fihttp applies to headers. Without it the
// middleware takes the transport for one that stays on the machine
// (in-memory, stdio, a command) and sends them. The trace context is sent
// either way.
func WithEndpoint(rawURL string) Option {
	return optionFunc(func(c *config) { c.endpoint = rawURL })
}

// WithAllowedHosts adds hosts the ids may be sent to over HTTP, with the
// patterns of fihttp.WithAllowedHosts: host names or IP addresses (any
// port), host:port, "*.domain" for subdomains, or CIDR prefixes. It only
// matters with WithEndpoint. List only your own services.
func WithAllowedHosts(patterns ...string) Option {
	return optionFunc(func(c *config) { c.hosts = append(c.hosts, patterns...) })
}

func newConfig(opts []Option) config {
	var c config
	for _, o := range opts {
		if o != nil {
			o.apply(&c)
		}
	}
	if c.endpoint != "" && !endpointAllowed(c.endpoint, c.hosts) {
		c.noIDs = true
	}
	return c
}

// endpointAllowed reports whether the ids may go to the server at rawURL.
// A URL that does not parse, or has no host, is not allowed.
func endpointAllowed(rawURL string, hosts []string) bool {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return false
	}
	return idbaggage.NewHosts(true, hosts...).Allowed(u.Host)
}

func (c config) tracer() *fi.Tracer {
	topts := []fi.TracerOption{fi.WithTracerProvider(c.tp), fi.WithInstrumentationName(ScopeName)}
	if c.cfgSet {
		topts = append(topts, fi.WithTraceConfig(c.cfg))
	}
	return fi.NewTracer(topts...)
}
