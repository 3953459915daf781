// Package web serves the session explorer's HTML pages: the sessions list,
// a session replayed as a chat, users, a trace's span waterfall and rankings.
//
// Pages are rendered on the server with html/template, so everything taken
// from spans (prompts, outputs, ids, attribute values) is escaped as text.
// Styles, script and the favicon are embedded and served under /static/; no
// page carries inline script or style, and every answer sets a strict
// Content-Security-Policy.
package web

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/traceai-go/traceai/explorer/store"
)

// Querier is what the pages read: any store backend.
type Querier = store.Reader

// ContentSecurityPolicy is the policy sent with every answer of the handler.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// Option configures New.
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	logger      *slog.Logger
	now         func() time.Time
	overviewTTL time.Duration
	title       string
}

// WithLogger sets the logger for errors met while serving pages
// (default slog.Default()).
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(c *config) {
		if l != nil {
			c.logger = l
		}
	})
}

// WithTitle sets the name shown in the header and the page titles
// (default "traceAI explorer").
func WithTitle(title string) Option {
	return optionFunc(func(c *config) {
		if title != "" {
			c.title = title
		}
	})
}

// WithOverviewTTL sets how long the store-wide counts shown in the header and
// the filter choices (models, tags, evaluation names) are cached
// (default 5s; 0 disables the cache).
func WithOverviewTTL(d time.Duration) Option {
	return optionFunc(func(c *config) { c.overviewTTL = d })
}

// withClock is for tests: relative times ("3m ago") and time-range presets.
func withClock(now func() time.Time) Option {
	return optionFunc(func(c *config) { c.now = now })
}

type server struct {
	q   Querier
	cfg config
	mux *http.ServeMux

	ovMu   sync.Mutex
	ov     *store.Overview
	ovTime time.Time
}

// New returns the handler of the explorer's pages:
//
//	/                 sessions list (filters, sort, cursor pagination)
//	/sessions/{id}    a session replayed as a chat, broken turns marked
//	/users            users list
//	/users/{id}       a user and their sessions
//	/traces/{id}      a trace's span waterfall; ?span=ID selects a span
//	/rankings         best and worst sessions or users by a metric
//	/dashboard        figures over time and per group, against the period before
//	/static/...       embedded CSS, JS and icon
//
// Mount it at the root of a server; the JSON API lives elsewhere.
func New(q Querier, opts ...Option) http.Handler {
	cfg := newConfig(opts)
	s := &server{q: q, cfg: cfg, mux: http.NewServeMux()}
	s.mux.HandleFunc("GET /{$}", s.sessions)
	s.mux.HandleFunc("GET /sessions", func(w http.ResponseWriter, r *http.Request) {
		u := *r.URL
		u.Path = "/"
		http.Redirect(w, r, u.String(), http.StatusMovedPermanently)
	})
	s.mux.HandleFunc("GET /sessions/{id}", s.session)
	s.mux.HandleFunc("GET /users", s.users)
	s.mux.HandleFunc("GET /users/{id}", s.user)
	s.mux.HandleFunc("GET /traces/{id}", s.trace)
	s.mux.HandleFunc("GET /rankings", s.rankings)
	s.mux.HandleFunc("GET /dashboard", s.dashboard)
	s.mux.Handle("GET /static/", staticHandler())
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, http.StatusNotFound, "No page here.")
	})
	return s
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", ContentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	s.mux.ServeHTTP(w, r)
}

// overview returns the cached store-wide counts; on error it logs and returns
// an empty overview, since pages can do without it.
func (s *server) overview(ctx context.Context) *store.Overview {
	s.ovMu.Lock()
	defer s.ovMu.Unlock()
	if s.ov != nil && s.cfg.overviewTTL > 0 && time.Since(s.ovTime) < s.cfg.overviewTTL {
		return s.ov
	}
	ov, err := s.q.Overview(ctx)
	if err != nil || ov == nil {
		if err != nil && !errors.Is(err, context.Canceled) {
			s.cfg.logger.Warn("traceai explorer: overview failed", "err", err)
		}
		if s.ov != nil {
			return s.ov
		}
		return &store.Overview{}
	}
	s.ov, s.ovTime = ov, time.Now()
	return ov
}

// queryError answers err from the store: 404, 400, or 503 with
// Retry-After (the database could not answer; reloading may work).
func (s *server) queryError(w http.ResponseWriter, r *http.Request, err error, what string) {
	var fe *store.FilterError
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.fail(w, r, http.StatusNotFound, what+" not found.")
	case errors.As(err, &fe):
		s.fail(w, r, http.StatusBadRequest, fe.Error())
	case errors.Is(err, context.Canceled):
		// The client went away.
	default:
		s.cfg.logger.Error("traceai explorer: page failed", "path", r.URL.Path, "err", err)
		w.Header().Set("Retry-After", "3")
		s.fail(w, r, http.StatusServiceUnavailable, "The store could not answer: "+err.Error())
	}
}

// newConfig applies the options, in order, over the defaults; a nil
// option is skipped.
func newConfig(opts []Option) config {
	c := config{logger: slog.Default(), now: time.Now, overviewTTL: 5 * time.Second, title: "traceAI explorer"}
	for _, o := range opts {
		if o != nil {
			o.apply(&c)
		}
	}
	return c
}
