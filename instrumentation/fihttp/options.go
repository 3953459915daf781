package fihttp

import (
	"net/http"

	"github.com/traceai-go/traceai/internal/idbaggage"
)

// config holds the settings of both sides: NewHandler and Middleware read
// the extractors and the baggage trust, NewTransport the hosts and the
// user opt-in. An option of one side is ignored by the other, as otelhttp
// does, so one list of options can configure a service's both ends.
type config struct {
	sources        []idbaggage.Source[*http.Request] // the extractors, in order
	trustedBaggage bool
	hosts          []string
	loopback       bool
	user           bool
}

// Option configures NewHandler, Middleware and NewTransport.
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// newConfig applies the options, in order, over the defaults; a nil
// option is skipped.
func newConfig(opts []Option) config {
	c := config{
		sources:        sources(FromHeader(DefaultSessionHeader, DefaultUserHeader), FromBaggage()),
		trustedBaggage: true,
		loopback:       true,
	}
	for _, o := range opts {
		if o != nil {
			o.apply(&c)
		}
	}
	return c
}

// WithExtractors replaces the handler's sources of ids, tried in order
// (default FromHeader(DefaultSessionHeader, DefaultUserHeader) then
// FromBaggage()).
func WithExtractors(ex ...Extractor) Option {
	return optionFunc(func(c *config) { c.sources = sources(ex...) })
}

// WithTrustedBaggage sets whether the handler believes ids in incoming W3C
// baggage (default true). A public edge, where the client is not one of
// your own services, should pass false: client-supplied session.id and
// user.id baggage members are then dropped without use and without
// reaching any further service. Other baggage members are kept.
func WithTrustedBaggage(trusted bool) Option {
	return optionFunc(func(c *config) { c.trustedBaggage = trusted })
}

// WithAllowedHosts adds destinations the transport sends the ids to: host
// names or IP addresses (any port), host:port, "*.domain" for subdomains,
// or CIDR prefixes. List only your own services, never a third-party API.
func WithAllowedHosts(patterns ...string) Option {
	return optionFunc(func(c *config) { c.hosts = append(c.hosts, patterns...) })
}

// WithLoopback sets whether the transport sends the ids to localhost and
// loopback addresses (default true).
func WithLoopback(allowed bool) Option {
	return optionFunc(func(c *config) { c.loopback = allowed })
}

// WithUserPropagation sets whether the transport sends the user id along
// with the session id (default false: a user id is personal data, and it
// should cross a service boundary only when you decide so).
func WithUserPropagation(enabled bool) Option {
	return optionFunc(func(c *config) { c.user = enabled })
}

// Errors wrapped by what the package reports to otel.Handle when it refuses
// an id (empty, over fi.MaxIDLength bytes, invalid UTF-8, control
// characters) or a baggage list (over the W3C limit of 8192 bytes). Match
// them with errors.Is.
var (
	ErrInvalidID      = idbaggage.ErrInvalidID
	ErrInvalidBaggage = idbaggage.ErrInvalidBaggage
)

func sources(ex ...Extractor) []idbaggage.Source[*http.Request] {
	out := make([]idbaggage.Source[*http.Request], len(ex))
	for i, e := range ex {
		out[i] = idbaggage.Source[*http.Request]{Name: e.name, Baggage: e.baggage, Fn: e.fn}
	}
	return out
}
