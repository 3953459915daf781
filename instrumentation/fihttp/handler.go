package fihttp

import (
	"fmt"
	"net/http"

	"go.opentelemetry.io/otel"

	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/internal/idbaggage"
)

// Default header names read by the default extractors.
const (
	DefaultSessionHeader = "X-Session-Id"
	DefaultUserHeader    = "X-User-Id"
)

// An Extractor is one source of session and user ids in a request.
// Extractors are tried in order; for each id the first valid value wins.
type Extractor struct {
	name    string
	baggage bool
	fn      func(*http.Request) (sessionID, userID string)
}

// FromHeader reads the ids from request headers. An empty name skips that id.
func FromHeader(sessionHeader, userHeader string) Extractor {
	return Extractor{name: "header", fn: func(r *http.Request) (string, string) {
		return headerValue(r, sessionHeader), headerValue(r, userHeader)
	}}
}

func headerValue(r *http.Request, name string) string {
	if name == "" {
		return ""
	}
	return r.Header.Get(name)
}

// FromCookie reads the ids from cookies. An empty name skips that id.
func FromCookie(sessionCookie, userCookie string) Extractor {
	return Extractor{name: "cookie", fn: func(r *http.Request) (string, string) {
		return cookieValue(r, sessionCookie), cookieValue(r, userCookie)
	}}
}

func cookieValue(r *http.Request, name string) string {
	if name == "" {
		return ""
	}
	c, err := r.Cookie(name)
	if err != nil {
		return ""
	}
	return c.Value
}

// FromQuery reads the ids from URL query parameters. An empty name skips
// that id.
func FromQuery(sessionParam, userParam string) Extractor {
	return Extractor{name: "query parameter", fn: func(r *http.Request) (string, string) {
		if r.URL == nil || r.URL.RawQuery == "" {
			return "", ""
		}
		q := r.URL.Query()
		var s, u string
		if sessionParam != "" {
			s = q.Get(sessionParam)
		}
		if userParam != "" {
			u = q.Get(userParam)
		}
		return s, u
	}}
}

// FromBaggage reads the session.id and user.id members of the W3C baggage
// header, as written by NewTransport or figrpc in the calling service. It
// yields nothing when the handler has WithTrustedBaggage(false).
func FromBaggage() Extractor { return Extractor{name: "baggage", baggage: true} }

// FromFunc reads the ids with fn, for example from an authenticated
// principal. Return "" for an id the request does not carry.
func FromFunc(fn func(*http.Request) (sessionID, userID string)) Extractor {
	return Extractor{name: "extractor func", fn: fn}
}

type handler struct {
	next http.Handler
	cfg  config
}

// NewHandler wraps next so that each request's context carries the session
// and user ids read from the request (see Option). Invalid ids (empty, over
// fi.MaxIDLength bytes, invalid UTF-8, control characters) are reported to
// otel.Handle and ignored; the request is served either way.
func NewHandler(next http.Handler, opts ...Option) http.Handler {
	return &handler{next: next, cfg: newConfig(opts)}
}

// Middleware returns NewHandler as a middleware, for routers that chain
// func(http.Handler) http.Handler.
func Middleware(opts ...Option) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler { return NewHandler(next, opts...) }
}

// ServeHTTP serves r, with the ids in its context, through the next handler.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.next.ServeHTTP(w, h.prepare(r))
}

// prepare returns r with the ids in its context and stripped from its
// baggage. A panic in an extractor is reported and r is served unchanged.
func (h *handler) prepare(r *http.Request) (out *http.Request) {
	defer func() {
		if p := recover(); p != nil {
			otel.Handle(fmt.Errorf("fihttp: recovered from panic while reading session ids: %v", p))
			out = r
		}
	}()
	bSession, bUser, rest, changed := idbaggage.Extract(r.Header[baggageHeader])
	sid, uid := idbaggage.Pick(r, h.cfg.sources, h.cfg.trustedBaggage, bSession, bUser)
	ctx := idbaggage.StripContext(r.Context())
	if sid != "" || uid != "" {
		ctx = fi.UsingAttributes(ctx, fi.Attributes{SessionID: sid, UserID: uid})
	}
	if ctx == r.Context() && !changed {
		return r
	}
	r2 := r.WithContext(ctx)
	if changed {
		r2.Header = r.Header.Clone()
		if rest == nil {
			delete(r2.Header, baggageHeader)
		} else {
			r2.Header[baggageHeader] = rest
		}
	}
	return r2
}

// baggageHeader is the canonical form of idbaggage.Header; indexing the map
// with it saves canonicalising the name on every request.
const baggageHeader = "Baggage"
