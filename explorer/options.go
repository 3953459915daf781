package explorer

import (
	"log/slog"
	"time"

	"github.com/traceai-go/traceai/explorer/store"
)

type config struct {
	dbPath         string
	httpAddr       string
	otlpHTTPAddr   string
	otlpGRPCAddr   string
	logger         *slog.Logger
	maxBodyBytes   int64
	maxReqSpans    int   // WithMaxSpansPerRequest
	maxInFlight    int64 // WithMaxBytesInFlight
	storeOptions   []store.Option
	authToken      string
	insecureNoAuth bool
	backend        store.Backend // WithBackend
	retain         time.Duration // WithRetention
	maxSpans       int64         // WithMaxSpans
	retainEvery    time.Duration // tests: the retention interval
}

// Option configures New.
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// newConfig applies the options, in order, over the defaults; a nil
// option is skipped, and so is an empty or zero value.
func newConfig(opts []Option) config {
	c := config{
		dbPath:       DefaultDBPath,
		httpAddr:     DefaultHTTPAddr,
		otlpHTTPAddr: DefaultOTLPHTTPAddr,
		otlpGRPCAddr: DefaultOTLPGRPCAddr,
		logger:       slog.Default(),
		maxBodyBytes: DefaultMaxBodyBytes,
		maxReqSpans:  DefaultMaxSpansPerRequest,
		maxInFlight:  DefaultMaxBytesInFlight,
	}
	for _, o := range opts {
		if o != nil {
			o.apply(&c)
		}
	}
	return c
}

// WithDBPath sets the SQLite database file, created if missing (default
// DefaultDBPath). It is WithDB for a path.
func WithDBPath(path string) Option {
	return WithDB(path)
}

// WithDB sets the span database: a postgres:// or postgresql:// URL for
// PostgreSQL, anything else an SQLite file path (default DefaultDBPath).
// See OpenBackend.
func WithDB(dsn string) Option {
	return optionFunc(func(c *config) {
		if dsn != "" {
			c.dbPath = dsn
		}
	})
}

// WithBackend makes the explorer use b, opened by the caller, instead of
// opening WithDB's database; once New succeeds, Shutdown closes it. Tests
// use it to put a backend in front of the real one (a fault, a delay).
func WithBackend(b store.Backend) Option {
	return optionFunc(func(c *config) {
		if b != nil {
			c.backend = b
		}
	})
}

// WithHTTPAddr sets the address serving the web pages and the JSON API
// (default DefaultHTTPAddr; Off for none).
func WithHTTPAddr(addr string) Option {
	return optionFunc(func(c *config) {
		if addr != "" {
			c.httpAddr = addr
		}
	})
}

// WithOTLPHTTPAddr sets the address serving OTLP/HTTP at /v1/traces
// (default DefaultOTLPHTTPAddr; Off for none). When it equals the HTTP
// address, one server answers both; the pages' server accepts /v1/traces
// either way.
func WithOTLPHTTPAddr(addr string) Option {
	return optionFunc(func(c *config) {
		if addr != "" {
			c.otlpHTTPAddr = addr
		}
	})
}

// WithOTLPGRPCAddr sets the address serving the OTLP/gRPC TraceService
// (default DefaultOTLPGRPCAddr; Off for none).
func WithOTLPGRPCAddr(addr string) Option {
	return optionFunc(func(c *config) {
		if addr != "" {
			c.otlpGRPCAddr = addr
		}
	})
}

// WithLogger sets the logger of operational messages (default
// slog.Default()).
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(c *config) {
		if l != nil {
			c.logger = l
		}
	})
}

// WithMaxBodyBytes bounds an OTLP request (HTTP body before and after
// decompression, gRPC message); larger requests get 413 /
// ResourceExhausted (default DefaultMaxBodyBytes).
func WithMaxBodyBytes(n int64) Option {
	return optionFunc(func(c *config) {
		if n > 0 {
			c.maxBodyBytes = n
		}
	})
}

// WithMaxSpansPerRequest bounds the spans of one OTLP request; a request
// with more gets 413 / ResourceExhausted, which exporters do not retry
// (default DefaultMaxSpansPerRequest).
func WithMaxSpansPerRequest(n int) Option {
	return optionFunc(func(c *config) {
		if n > 0 {
			c.maxReqSpans = n
		}
	})
}

// WithMaxBytesInFlight bounds the memory OTLP requests being read, decoded
// and stored may hold at once, estimated from their bytes and spans; a
// request beyond it gets 503 with Retry-After / Unavailable, which
// exporters retry, and a request that alone needs more gets 413 /
// ResourceExhausted (default DefaultMaxBytesInFlight).
func WithMaxBytesInFlight(n int64) Option {
	return optionFunc(func(c *config) {
		if n > 0 {
			c.maxInFlight = n
		}
	})
}

// WithStoreOptions adds options passed to store.Open.
func WithStoreOptions(opts ...store.Option) Option {
	return optionFunc(func(c *config) { c.storeOptions = append(c.storeOptions, opts...) })
}

// WithAuthToken makes every listener require token: "Authorization:
// Bearer TOKEN" on the API and OTLP/HTTP, the "authorization" metadata on
// OTLP/gRPC, the header or a sign-in cookie on the pages (default none).
func WithAuthToken(token string) Option {
	return optionFunc(func(c *config) { c.authToken = token })
}

// WithInsecureNoAuth allows listening on a non-loopback address without an
// auth token, which New refuses otherwise (default false).
func WithInsecureNoAuth(allow bool) Option {
	return optionFunc(func(c *config) { c.insecureNoAuth = allow })
}
