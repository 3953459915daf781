package fihttp

import (
	"net/http"

	"github.com/traceai-go/traceai/internal/idbaggage"
)

// Transport is an http.RoundTripper that writes the fi session (and user)
// id into the W3C baggage of requests to allowed hosts and removes them from
// requests to all other hosts.
type Transport struct {
	base  http.RoundTripper
	hosts *idbaggage.Hosts
	user  bool
}

// NewTransport wraps base (http.DefaultTransport when nil). It works on
// either side of otelhttp.NewTransport: inside it (recommended,
// otelhttp.NewTransport(fihttp.NewTransport(base))) it has the last word on
// the header otelhttp injected; outside it, it rewrites the context baggage
// otelhttp's propagator reads. Either way, a non-allowed host never gets
// session.id or user.id baggage.
func NewTransport(base http.RoundTripper, opts ...Option) *Transport {
	cfg := newConfig(opts)
	if base == nil {
		base = http.DefaultTransport
	}
	return &Transport{base: base, hosts: idbaggage.NewHosts(cfg.loopback, cfg.hosts...), user: cfg.user}
}

// Allowed reports whether a request to hostport would carry the ids.
func (t *Transport) Allowed(hostport string) bool { return t.hosts.Allowed(hostport) }

// RoundTrip implements http.RoundTripper. It does not modify r; when the
// baggage changes it sends a clone.
func (t *Transport) RoundTrip(r *http.Request) (*http.Response, error) {
	allowed := r.URL != nil && t.hosts.Allowed(r.URL.Host) && (r.Host == "" || t.hosts.Allowed(r.Host))
	ctx, h, changed := idbaggage.Outgoing(r.Context(), r.Header[baggageHeader], allowed, t.user)
	if !changed {
		return t.base.RoundTrip(r)
	}
	r2 := r.Clone(ctx)
	if h == nil {
		delete(r2.Header, baggageHeader)
	} else {
		r2.Header[baggageHeader] = h
	}
	return t.base.RoundTrip(r2)
}

// CloseIdleConnections closes the idle connections of the base transport,
// if it has any, so http.Client.CloseIdleConnections reaches it.
func (t *Transport) CloseIdleConnections() {
	if c, ok := t.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}
