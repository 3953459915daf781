package figrpc

import (
	"strings"

	"github.com/traceai-go/traceai/internal/idbaggage"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/stats"
)

// An Extractor is one source of session and user ids in an RPC's incoming
// metadata. Extractors are tried in order; for each id the first valid
// value wins.
type Extractor struct {
	name    string
	baggage bool
	fn      func(metadata.MD) (sessionID, userID string)
}

// FromMetadata reads the ids from metadata keys (case-insensitive). An
// empty key skips that id.
func FromMetadata(sessionKey, userKey string) Extractor {
	sessionKey, userKey = strings.ToLower(sessionKey), strings.ToLower(userKey)
	return Extractor{name: "metadata", fn: func(md metadata.MD) (string, string) {
		return first(md, sessionKey), first(md, userKey)
	}}
}

// FromBaggage reads the session.id and user.id members of the W3C baggage
// entry, as written by the client interceptors or fihttp in the calling
// service. It yields nothing when the handler has WithTrustedBaggage(false).
func FromBaggage() Extractor { return Extractor{name: "baggage", baggage: true} }

// FromFunc reads the ids with fn, for example from an authenticated
// principal. Return "" for an id the RPC does not carry.
func FromFunc(fn func(md metadata.MD) (sessionID, userID string)) Extractor {
	return Extractor{name: "extractor func", fn: fn}
}

// config holds the settings of both sides: NewServerHandler reads the
// extractors, the baggage trust and the next handler, the client
// interceptors the hosts and the user opt-in. An option of one side is
// ignored by the other, as in fihttp.
type config struct {
	next           stats.Handler
	sources        []idbaggage.Source[metadata.MD] // the extractors, in order
	trustedBaggage bool
	hosts          []string
	loopback       bool
	user           bool
}

// Option configures NewServerHandler and the client interceptors.
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// newConfig applies the options, in order, over the defaults; a nil
// option is skipped.
func newConfig(opts []Option) config {
	c := config{
		sources:        sources(FromMetadata(DefaultSessionKey, DefaultUserKey), FromBaggage()),
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

// WithStatsHandler chains next after figrpc on the server: its TagRPC sees
// the context with the ids in place, so the spans it starts (otelgrpc's
// server span) carry them. All other stats.Handler methods are passed to
// next.
func WithStatsHandler(next stats.Handler) Option {
	return optionFunc(func(c *config) { c.next = next })
}

// WithExtractors replaces the server's sources of ids, tried in order
// (default FromMetadata(DefaultSessionKey, DefaultUserKey) then
// FromBaggage()).
func WithExtractors(ex ...Extractor) Option {
	return optionFunc(func(c *config) { c.sources = sources(ex...) })
}

// WithTrustedBaggage sets whether the server believes ids in incoming W3C
// baggage (default true). Pass false on a public edge: client-supplied
// session.id and user.id members are then dropped unused and not passed on.
func WithTrustedBaggage(trusted bool) Option {
	return optionFunc(func(c *config) { c.trustedBaggage = trusted })
}

// WithAllowedHosts adds targets the client sends the ids to: host names or
// IP addresses (any port), host:port, "*.domain" for subdomains, or CIDR
// prefixes. List only your own services, never a third-party API.
func WithAllowedHosts(patterns ...string) Option {
	return optionFunc(func(c *config) { c.hosts = append(c.hosts, patterns...) })
}

// WithLoopback sets whether the client sends the ids to localhost, loopback
// addresses and unix sockets (default true).
func WithLoopback(allowed bool) Option {
	return optionFunc(func(c *config) { c.loopback = allowed })
}

// WithUserPropagation sets whether the client sends the user id along with
// the session id (default false: a user id is personal data).
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

func sources(ex ...Extractor) []idbaggage.Source[metadata.MD] {
	out := make([]idbaggage.Source[metadata.MD], len(ex))
	for i, e := range ex {
		out[i] = idbaggage.Source[metadata.MD]{Name: e.name, Baggage: e.baggage, Fn: e.fn}
	}
	return out
}
