package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/traceai-go/traceai/explorer/store"
)

// searchFilter reads the search box (q) and its parts (in) into f. A search
// sorts by relevance unless a sort is chosen.
func searchFilter(q url.Values, f *store.SessionFilter, c *commonFilter) {
	f.Q = q.Get("q")
	// The box's "incl. system prompts" means nothing without a search.
	if in := q.Get("in"); in != "" && f.Q != "" {
		f.In = strings.Split(in, ",")
	}
	if f.Q != "" && q.Get("sort") == "" {
		f.Sort, f.Desc = "relevance", true
		c.sort, c.desc = "relevance", true
	}
}

// searchRows gives the rows of a search their snippet, and links them to the
// replay with the search, scrolled to the first matching turn.
func searchRows(rows []sessionRow, list []store.SessionSummary, q url.Values) {
	search := q.Get("q")
	if search == "" {
		return
	}
	v := url.Values{"q": {search}}
	if in := q.Get("in"); in != "" {
		v.Set("in", in)
	}
	for i := range rows {
		if i < len(list) {
			rows[i].Match = list[i].Match
		}
		rows[i].URL += "?" + v.Encode() + "#first-match"
	}
}

// partLabels names the parts of a turn a search matched.
var partLabels = map[string]string{
	"input": "user", "output": "assistant", "user": "user message",
	"assistant": "assistant message", "tool": "tool", "system": "system prompt",
}

func partLabel(p string) string {
	if l, ok := partLabels[p]; ok {
		return l
	}
	return p
}

// markMatches marks the turns of a session page matching its search (q and
// in), the first with the anchor the sessions list links to.
func (s *server) markMatches(r *http.Request, d *sessionData) error {
	q := r.URL.Query()
	d.Search = q.Get("q")
	if d.Search == "" {
		return nil
	}
	var in []string
	if v := q.Get("in"); v != "" {
		in = strings.Split(v, ",")
	}
	ms, err := s.q.SessionMatches(r.Context(), d.S.Summary.SessionID, d.Search, in)
	if err != nil {
		return err
	}
	byTrace := map[string]*store.TextMatch{}
	for i := range ms {
		byTrace[ms[i].TraceID] = &ms[i]
	}
	for i := range d.Turns {
		t := &d.Turns[i]
		if t.Match = byTrace[t.TraceID]; t.Match != nil {
			t.FirstMatch = len(d.Matched) == 0
			d.Matched = append(d.Matched, *t)
		}
	}
	return nil
}
