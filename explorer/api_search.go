package explorer

import (
	"net/http"
	"strings"

	"github.com/traceai-go/traceai/explorer/store"
)

// list reads a comma-separated parameter.
func (p *params) list(k string) []string {
	s := p.q.Get(k)
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

var searchParams = []string{"q", "in", "session_id", "user_id", "limit", "cursor"}

// search answers /api/search: the turns matching q, best first.
func (a *api) search(w http.ResponseWriter, r *http.Request) {
	p := newParams(r, searchParams...)
	q := store.TurnQuery{
		Q:         p.str("q"),
		In:        p.list("in"),
		SessionID: p.str("session_id"),
		UserID:    p.str("user_id"),
		Limit:     p.int("limit"),
		Cursor:    p.str("cursor"),
	}
	if p.err != nil {
		a.fail(w, r, p.err)
		return
	}
	if q.Q == "" {
		a.fail(w, r, &store.FilterError{Param: "q", Msg: "required"})
		return
	}
	hits, next, err := a.st.SearchTurns(r.Context(), q)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Turns []store.TurnHit `json:"turns"`
		Next  string          `json:"next"`
	}{hits, next})
}
