package explorer

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/traceai-go/traceai/explorer/store"
)

// api serves the JSON API under /api/.
type api struct {
	st  store.Backend
	log *slog.Logger
	mux *http.ServeMux
}

func newAPI(st store.Backend, log *slog.Logger) http.Handler {
	a := &api{st: st, log: log, mux: http.NewServeMux()}
	a.mux.HandleFunc("GET /api/sessions", a.sessions)
	a.mux.HandleFunc("GET /api/sessions/{id}", a.session)
	a.mux.HandleFunc("GET /api/users", a.users)
	a.mux.HandleFunc("GET /api/users/{id}", a.user)
	a.mux.HandleFunc("GET /api/traces/{id}", a.trace)
	a.mux.HandleFunc("GET /api/rankings", a.rankings)
	a.mux.HandleFunc("GET /api/overview", a.overview)
	a.mux.HandleFunc("GET /api/search", a.search)
	a.mux.HandleFunc("GET /api/groups", a.groups)
	a.mux.HandleFunc("GET /api/timeseries", a.timeseries)
	a.mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such API endpoint: "+r.URL.Path)
	})
	return a
}

func (a *api) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeError(w, http.StatusMethodNotAllowed, "the API is read-only: use GET")
		return
	}
	a.mux.ServeHTTP(w, r)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "encoding the answer: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	w.Write(b)
	w.Write([]byte("\n"))
}

func writeError(w http.ResponseWriter, code int, msg string) {
	b, _ := json.Marshal(map[string]string{"error": msg})
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	w.Write(b)
	w.Write([]byte("\n"))
}

// fail answers a store error: 400 for a bad filter, 404 for a missing item,
// otherwise 503 with Retry-After (logged, details hidden): the database
// could not answer, and a client may ask again.
func (a *api) fail(w http.ResponseWriter, r *http.Request, err error) {
	var fe *store.FilterError
	switch {
	case errors.As(err, &fe):
		writeError(w, http.StatusBadRequest, fe.Error())
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, "not found")
	case r.Context().Err() != nil:
		// The client went away.
	default:
		a.log.Error("traceai explorer: API query failed", "path", r.URL.Path, "err", err)
		w.Header().Set("Retry-After", retryAfterSeconds)
		writeError(w, http.StatusServiceUnavailable, "query failed: the database could not answer; try again")
	}
}

// params reads query parameters, rejecting unknown and repeated ones.
type params struct {
	q   url.Values
	err error
}

func newParams(r *http.Request, allowed ...string) *params {
	p := &params{q: r.URL.Query()}
	for k, v := range p.q {
		ok := false
		for _, a := range allowed {
			if k == a {
				ok = true
			}
		}
		if !ok {
			p.err = &store.FilterError{Param: k, Msg: "unknown parameter (accepted: " + strings.Join(allowed, ", ") + ")"}
			return p
		}
		if len(v) > 1 {
			p.err = &store.FilterError{Param: k, Msg: "given more than once"}
			return p
		}
	}
	return p
}

func (p *params) str(k string) string { return p.q.Get(k) }

func (p *params) int(k string) int {
	s := p.q.Get(k)
	if s == "" || p.err != nil {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		p.err = &store.FilterError{Param: k, Msg: fmt.Sprintf("%q is not a number", s)}
	}
	return n
}

func (p *params) bool(k string) *bool {
	s := p.q.Get(k)
	if s == "" || p.err != nil {
		return nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		p.err = &store.FilterError{Param: k, Msg: fmt.Sprintf("%q is not true or false", s)}
		return nil
	}
	return &b
}

// time accepts RFC 3339 (2026-03-01T10:00:00Z), a date (2026-03-01, UTC),
// Unix seconds, or a duration back from now ("24h", "90m").
func (p *params) time(k string, now time.Time) time.Time {
	s := p.q.Get(k)
	if s == "" || p.err != nil {
		return time.Time{}
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 {
		return time.Unix(n, 0).UTC()
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return now.Add(-d)
	}
	p.err = &store.FilterError{Param: k, Msg: fmt.Sprintf("%q is not an RFC 3339 time, a date, Unix seconds or a duration", s)}
	return time.Time{}
}

// order reads order=asc|desc.
func (p *params) desc(k string) bool {
	switch s := p.q.Get(k); s {
	case "", "asc":
		return false
	case "desc":
		return true
	default:
		if p.err == nil {
			p.err = &store.FilterError{Param: k, Msg: `must be "asc" or "desc"`}
		}
	}
	return false
}

var sessionParams = []string{"user_id", "tag", "since", "until", "has_errors", "model", "metadata_key",
	"metadata_value", "prompt_template", "prompt_version", "sort", "order", "limit", "cursor", "q", "in", "eval", "eval_below"}

func sessionFilter(p *params) store.SessionFilter {
	now := time.Now()
	f := store.SessionFilter{
		UserID:         p.str("user_id"),
		Tag:            p.str("tag"),
		Since:          p.time("since", now),
		Until:          p.time("until", now),
		HasErrors:      p.bool("has_errors"),
		Model:          p.str("model"),
		MetadataKey:    p.str("metadata_key"),
		MetadataValue:  p.str("metadata_value"),
		PromptTemplate: p.str("prompt_template"),
		PromptVersion:  p.str("prompt_version"),
		Sort:           store.SessionSort(p.str("sort")),
		Desc:           p.desc("order"),
		Limit:          p.int("limit"),
		Cursor:         p.str("cursor"),
		Q:              p.str("q"),
		In:             p.list("in"),
		Eval:           p.str("eval"),
		EvalBelow:      p.float("eval_below"),
	}
	if f.Sort != "" && p.str("order") == "" {
		f.Desc = true // a chosen metric sorts biggest first unless asked otherwise
	}
	return f
}

func (a *api) sessions(w http.ResponseWriter, r *http.Request) {
	p := newParams(r, sessionParams...)
	f := sessionFilter(p)
	if p.err != nil {
		a.fail(w, r, p.err)
		return
	}
	list, next, err := a.st.ListSessions(r.Context(), f)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Sessions []store.SessionSummary `json:"sessions"`
		Next     string                 `json:"next"`
	}{list, next})
}

func (a *api) session(w http.ResponseWriter, r *http.Request) {
	p := newParams(r, "q", "in")
	if p.err != nil {
		a.fail(w, r, p.err)
		return
	}
	d, err := a.st.GetSession(r.Context(), r.PathValue("id"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if p.str("q") == "" && p.str("in") == "" {
		writeJSON(w, http.StatusOK, d)
		return
	}
	// With q, the turns that match (the replay marks them).
	ms, err := a.st.SessionMatches(r.Context(), r.PathValue("id"), p.str("q"), p.list("in"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		*store.SessionDetail
		Matches []store.TextMatch `json:"matches"`
	}{d, ms})
}

var userParams = []string{"since", "until", "has_errors", "sort", "order", "limit", "cursor"}

func (a *api) users(w http.ResponseWriter, r *http.Request) {
	p := newParams(r, userParams...)
	now := time.Now()
	f := store.UserFilter{
		Since:     p.time("since", now),
		Until:     p.time("until", now),
		HasErrors: p.bool("has_errors"),
		Sort:      store.UserSort(p.str("sort")),
		Desc:      p.desc("order"),
		Limit:     p.int("limit"),
		Cursor:    p.str("cursor"),
	}
	if f.Sort != "" && p.str("order") == "" {
		f.Desc = true
	}
	if p.err != nil {
		a.fail(w, r, p.err)
		return
	}
	list, next, err := a.st.ListUsers(r.Context(), f)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Users []store.UserSummary `json:"users"`
		Next  string              `json:"next"`
	}{list, next})
}

func (a *api) user(w http.ResponseWriter, r *http.Request) {
	p := newParams(r, sessionParams...)
	f := sessionFilter(p)
	if p.err != nil {
		a.fail(w, r, p.err)
		return
	}
	if f.UserID != "" {
		a.fail(w, r, &store.FilterError{Param: "user_id", Msg: "the user is given in the path"})
		return
	}
	d, err := a.st.GetUser(r.Context(), r.PathValue("id"), f)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

var traceIDRe = regexp.MustCompile(`^[0-9a-fA-F]{32}$`)

func (a *api) trace(w http.ResponseWriter, r *http.Request) {
	if p := newParams(r); p.err != nil {
		a.fail(w, r, p.err)
		return
	}
	id := r.PathValue("id")
	if !traceIDRe.MatchString(id) {
		writeError(w, http.StatusBadRequest, "invalid trace id: want 32 hex digits")
		return
	}
	d, err := a.st.GetTrace(r.Context(), id)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

func (a *api) rankings(w http.ResponseWriter, r *http.Request) {
	p := newParams(r, "by", "metric", "order", "limit", "since", "until")
	now := time.Now()
	q := store.RankingQuery{
		By:     p.str("by"),
		Metric: p.str("metric"),
		Order:  p.str("order"),
		Limit:  p.int("limit"),
		Since:  p.time("since", now),
		Until:  p.time("until", now),
	}
	if p.err != nil {
		a.fail(w, r, p.err)
		return
	}
	res, err := a.st.Rankings(r.Context(), q)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (a *api) overview(w http.ResponseWriter, r *http.Request) {
	if p := newParams(r); p.err != nil {
		a.fail(w, r, p.err)
		return
	}
	o, err := a.st.Overview(r.Context())
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, o)
}
