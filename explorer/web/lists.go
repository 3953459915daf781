package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/traceai-go/traceai/explorer/store"
)

// column is one header of a sortable table.
type column struct {
	Label  string
	Title  string
	Key    string // sort key, "" when the column does not sort
	URL    string
	Active bool
	Desc   bool
	Num    bool
}

// chip is an active filter with a link that removes it.
type chip struct {
	Label, Value, RemoveURL string
}

// preset is a quick time range.
type preset struct {
	Label, URL string
	Active     bool
}

type option struct {
	Value, Label string
	Selected     bool
}

// listView is a sortable, paginated table of sessions or users.
type listView struct {
	Columns  []column
	NextURL  string
	FirstURL string
	Paged    bool // not on the first page
	Chips    []chip
	Presets  []preset
	Form     url.Values
	Limits   []option
	HasErr   []option
	Models   []option
	Tags     []option
	Evals    []option
	ClearURL string
	Action   string
	HideUser bool
	Full     bool // all session filters, not just time and errors
	Now      time.Time
}

var rangePresets = []struct {
	Key   string
	Label string
	D     time.Duration
}{
	{"15m", "15 min", 15 * time.Minute},
	{"1h", "1 hour", time.Hour},
	{"24h", "24 hours", 24 * time.Hour},
	{"7d", "7 days", 7 * 24 * time.Hour},
	{"30d", "30 days", 30 * 24 * time.Hour},
}

var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02"}

// parseTime accepts what the JSON API does (RFC 3339, a date, Unix seconds,
// a duration back from now such as "24h") and the form's datetime-local
// value, read as UTC.
func parseTime(v string, now time.Time) (time.Time, bool) {
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, v); err == nil {
			return t.UTC(), true
		}
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > 0 {
		return time.Unix(n, 0).UTC(), true
	}
	if d, err := time.ParseDuration(v); err == nil && d > 0 {
		return now.Add(-d).UTC(), true
	}
	return time.Time{}, false
}

// formError is a bad query parameter, answered with 400.
type formError struct{ param, msg string }

func (e *formError) Error() string { return "invalid " + e.param + ": " + e.msg }

// commonFilter reads the parameters shared by the lists.
type commonFilter struct {
	since, until time.Time
	hasErrors    *bool
	sort         string
	desc         bool
	limit        int
	cursor       string
}

func readCommon[S ~string](q url.Values, now time.Time, sorts []S, defSort S, defDesc bool) (commonFilter, error) {
	var c commonFilter
	var err error
	if c.since, c.until, err = readTimes(q, now); err != nil {
		return c, err
	}
	switch q.Get("has_errors") {
	case "":
	case "1", "true", "yes":
		b := true
		c.hasErrors = &b
	case "0", "false", "no":
		b := false
		c.hasErrors = &b
	default:
		return c, &formError{"has_errors", "want true or false"}
	}
	c.sort = q.Get("sort")
	if c.sort != "" && !slices.Contains(sorts, S(c.sort)) && !isEvalSort(c.sort) {
		return c, &formError{"sort", "unknown column " + strconv.Quote(c.sort)}
	}
	if c.sort == "" {
		c.sort = string(defSort)
	}
	switch q.Get("order") {
	case "":
		c.desc = q.Get("sort") != "" || defDesc
	case "desc":
		c.desc = true
	case "asc":
	default:
		return c, &formError{"order", "want asc or desc"}
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > store.MaxLimit {
			return c, &formError{"limit", "want 1.." + strconv.Itoa(store.MaxLimit)}
		}
		c.limit = n
	} else {
		c.limit = store.DefaultLimit
	}
	c.cursor = q.Get("cursor")
	return c, nil
}

// readTimes reads the time filter: range (a preset), or since, and until.
func readTimes(q url.Values, now time.Time) (since, until time.Time, err error) {
	if r := q.Get("range"); r != "" {
		ok := false
		for _, p := range rangePresets {
			if p.Key == r {
				since, ok = now.Add(-p.D).UTC(), true
			}
		}
		if !ok {
			return since, until, &formError{"range", "use one of 15m, 1h, 24h, 7d, 30d"}
		}
	} else if v := q.Get("since"); v != "" {
		t, ok := parseTime(v, now)
		if !ok {
			return since, until, &formError{"since", "want a time like 2026-01-02T15:04 (UTC)"}
		}
		since = t
	}
	if v := q.Get("until"); v != "" {
		t, ok := parseTime(v, now)
		if !ok {
			return since, until, &formError{"until", "want a time like 2026-01-02T15:04 (UTC)"}
		}
		until = t
	}
	return since, until, nil
}

// withParams returns path?q with the given parameters set ("" deletes).
func withParams(path string, q url.Values, kv ...string) string {
	v := url.Values{}
	for k, vs := range q {
		v[k] = slices.Clone(vs)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			v.Del(kv[i])
		} else {
			v.Set(kv[i], kv[i+1])
		}
	}
	if e := v.Encode(); e != "" {
		return path + "?" + e
	}
	return path
}

// ascFirst are the sort keys whose natural first click is ascending.
var ascFirst = map[string]bool{"session_id": true, "user_id": true}

func columns(path string, q url.Values, cur string, desc bool, defs []column) []column {
	out := make([]column, len(defs))
	for i, c := range defs {
		if c.Key != "" {
			c.Active = c.Key == cur
			c.Desc = c.Active && desc
			order := "desc"
			if c.Active {
				if desc {
					order = "asc"
				}
			} else if ascFirst[c.Key] || isEvalSort(c.Key) {
				order = "asc"
			}
			c.URL = withParams(path, q, "sort", c.Key, "order", order, "cursor", "")
			if c.Title == "" {
				c.Title = "Sort by " + strings.ToLower(c.Label)
			}
		}
		out[i] = c
	}
	return out
}

var sessionColumns = []column{
	{Label: "Session", Key: "session_id"},
	{Label: "User", Key: "user_id"},
	{Label: "Conversation", Title: "First input and last output"},
	{Label: "Turns", Key: "traces", Num: true},
	{Label: "Start", Key: "start"},
	{Label: "Duration", Key: "duration", Num: true},
	{Label: "Tokens", Key: "tokens", Num: true},
	{Label: "Cost", Key: "cost", Num: true, Title: "Sort by estimated cost (USD); + means some models are unpriced"},
	{Label: "Failed", Key: "failed", Num: true, Title: "Sort by failed turns (amber: errors that were retried and recovered)"},
	{Label: "p50", Key: "latency_p50", Num: true, Title: "Sort by median LLM latency"},
	{Label: "p95", Key: "latency_p95", Num: true, Title: "Sort by 95th percentile LLM latency"},
}

var userColumns = []column{
	{Label: "User", Key: "user_id"},
	{Label: "Sessions", Key: "sessions", Num: true},
	{Label: "Turns", Key: "traces", Num: true},
	{Label: "Tokens", Key: "tokens", Num: true},
	{Label: "Cost", Key: "cost", Num: true},
	{Label: "Errors", Key: "errors", Num: true},
	{Label: "Error rate", Key: "error_rate", Num: true, Title: "Sort by share of turns with an error"},
	{Label: "p95", Key: "latency_p95", Num: true, Title: "Sort by 95th percentile LLM latency"},
	{Label: "First seen", Key: "first_seen"},
	{Label: "Last seen", Key: "last_seen"},
}

// filterParams are the parameters the filter form and chips manage.
var chipLabels = []struct{ Param, Label string }{
	{"q", "search"}, {"in", "in"}, {"user_id", "user"}, {"tag", "tag"}, {"model", "model"},
	{"metadata_key", "metadata"}, {"metadata_value", "value"},
	{"range", "last"}, {"since", "since"}, {"until", "until"}, {"has_errors", "errors"},
	{"eval", "evaluation"}, {"eval_below", "below"},
}

func (s *server) listChrome(path string, q url.Values, lv *listView, now time.Time) {
	lv.Now = now
	lv.Action = path
	lv.Form = q
	lv.ClearURL = path
	if q.Get("sort") != "" || q.Get("order") != "" {
		lv.ClearURL = withParams(path, url.Values{}, "sort", q.Get("sort"), "order", q.Get("order"))
	}
	for _, c := range chipLabels {
		v := q.Get(c.Param)
		if v == "" {
			continue
		}
		if c.Param == "has_errors" {
			if v == "1" || v == "true" || v == "yes" {
				v = "yes"
			} else {
				v = "no"
			}
		}
		lv.Chips = append(lv.Chips, chip{Label: c.Label, Value: v, RemoveURL: withParams(path, q, c.Param, "", "cursor", "")})
	}
	for _, p := range rangePresets {
		lv.Presets = append(lv.Presets, preset{Label: p.Label, Active: q.Get("range") == p.Key,
			URL: withParams(path, q, "range", p.Key, "since", "", "cursor", "")})
	}
	cur := q.Get("limit")
	for _, n := range []string{"25", "50", "100", "200"} {
		lv.Limits = append(lv.Limits, option{Value: n, Label: n + " rows", Selected: cur == n || (cur == "" && n == strconv.Itoa(store.DefaultLimit))})
	}
	he := q.Get("has_errors")
	lv.HasErr = []option{
		{Value: "", Label: "Any", Selected: he == ""},
		{Value: "true", Label: "With errors", Selected: he == "true" || he == "1" || he == "yes"},
		{Value: "false", Label: "Without errors", Selected: he == "false" || he == "0" || he == "no"},
	}
	if q.Get("cursor") != "" {
		lv.Paged = true
		lv.FirstURL = withParams(path, q, "cursor", "")
	}
}

func choices(all []string, cur string) []option {
	out := []option{{Value: "", Label: "Any", Selected: cur == ""}}
	found := cur == ""
	for _, v := range all {
		out = append(out, option{Value: v, Label: v, Selected: v == cur})
		found = found || v == cur
	}
	if !found {
		out = append(out, option{Value: cur, Label: cur, Selected: true})
	}
	return out
}

type sessionsData struct {
	List listView
	Rows []sessionRow
}

func (s *server) sessions(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	now := s.cfg.now()
	ov := s.overview(r.Context())
	defSort, defDesc := listDefault(ov.EvaluationNames, store.SessionsByEnd)
	c, err := readCommon(q, now, store.SessionSorts, defSort, defDesc)
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, err.Error())
		return
	}
	f := store.SessionFilter{
		UserID: q.Get("user_id"), Tag: q.Get("tag"), Model: q.Get("model"),
		MetadataKey: q.Get("metadata_key"), MetadataValue: q.Get("metadata_value"),
		PromptTemplate: q.Get("prompt_template"), PromptVersion: q.Get("prompt_version"),
		Since: c.since, Until: c.until, HasErrors: c.hasErrors,
		Sort: store.SessionSort(c.sort), Desc: c.desc, Limit: c.limit, Cursor: c.cursor,
	}
	searchFilter(q, &f, &c)
	if err := evalFilter(q, &f); err != nil {
		s.fail(w, r, http.StatusBadRequest, err.Error())
		return
	}
	if f.MetadataValue != "" && f.MetadataKey == "" {
		s.fail(w, r, http.StatusBadRequest, "invalid metadata_value: give metadata_key too")
		return
	}
	rows, next, err := s.q.ListSessions(r.Context(), f)
	if err != nil {
		s.queryError(w, r, err, "Sessions")
		return
	}
	d := sessionsData{Rows: sessionRows(rows, now, ov.EvaluationNames)}
	searchRows(d.Rows, rows, q)
	d.List.Columns = columns("/", q, c.sort, c.desc, append(slices.Clip(sessionColumns), evalColumns(ov.EvaluationNames)...))
	s.listChrome("/", q, &d.List, now)
	d.List.Full = true
	d.List.Models = choices(ov.Models, f.Model)
	d.List.Tags = choices(ov.Tags, f.Tag)
	d.List.Evals = choices(ov.EvaluationNames, f.Eval)
	if next != "" {
		d.List.NextURL = withParams("/", q, "cursor", next, "sort", c.sort, "order", orderParam(c.desc))
	}
	s.render(w, r, http.StatusOK, "sessions", page{Title: "Sessions", Nav: "sessions", Overview: ov, Data: d})
}

type usersData struct {
	List  listView
	Rows  []store.UserSummary
	Evals [][]string // per row, the means of the evaluation columns
	// P95Unit is the unit of the p95 column.
	P95Unit durUnit
}

func (s *server) users(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	now := s.cfg.now()
	ov := s.overview(r.Context())
	defSort, defDesc := listDefault(ov.EvaluationNames, store.UsersByLastSeen)
	c, err := readCommon(q, now, store.UserSorts, defSort, defDesc)
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, err.Error())
		return
	}
	f := store.UserFilter{Since: c.since, Until: c.until, HasErrors: c.hasErrors,
		Sort: store.UserSort(c.sort), Desc: c.desc, Limit: c.limit, Cursor: c.cursor}
	rows, next, err := s.q.ListUsers(r.Context(), f)
	if err != nil {
		s.queryError(w, r, err, "Users")
		return
	}
	d := usersData{Rows: rows, Evals: make([][]string, len(rows))}
	var p95s []float64
	for i := range rows {
		d.Evals[i] = evalCells(rows[i].Evaluations, ov.EvaluationNames)
		if rows[i].LLMCalls > 0 {
			p95s = append(p95s, rows[i].P95LatencyMS)
		}
	}
	d.P95Unit = unitFor(p95s...)
	d.List.Columns = columns("/users", q, c.sort, c.desc, append(slices.Clip(userColumns), evalColumns(ov.EvaluationNames)...))
	s.listChrome("/users", q, &d.List, now)
	if next != "" {
		d.List.NextURL = withParams("/users", q, "cursor", next, "sort", c.sort, "order", orderParam(c.desc))
	}
	s.render(w, r, http.StatusOK, "users", page{Title: "Users", Nav: "users", Data: d})
}

type userData struct {
	U     *store.UserDetail
	List  listView
	Rows  []sessionRow
	Evals []evalAgg
}

func (s *server) user(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	q := r.URL.Query()
	now := s.cfg.now()
	ov := s.overview(r.Context())
	defSort, defDesc := listDefault(ov.EvaluationNames, store.SessionsByEnd)
	c, err := readCommon(q, now, store.SessionSorts, defSort, defDesc)
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, err.Error())
		return
	}
	f := store.SessionFilter{UserID: id, Since: c.since, Until: c.until, HasErrors: c.hasErrors,
		Sort: store.SessionSort(c.sort), Desc: c.desc, Limit: c.limit, Cursor: c.cursor}
	searchFilter(q, &f, &c)
	u, err := s.q.GetUser(r.Context(), id, f)
	if err != nil {
		s.queryError(w, r, err, "User")
		return
	}
	path := "/users/" + url.PathEscape(id)
	d := userData{U: u, Rows: sessionRows(u.Sessions, now, ov.EvaluationNames), Evals: evalAggs(u.Summary.Evaluations)}
	searchRows(d.Rows, u.Sessions, q)
	d.List.Columns = columns(path, q, c.sort, c.desc, append(withoutUser(sessionColumns), evalColumns(ov.EvaluationNames)...))
	s.listChrome(path, q, &d.List, now)
	d.List.HideUser = true
	if u.Next != "" {
		d.List.NextURL = withParams(path, q, "cursor", u.Next, "sort", c.sort, "order", orderParam(c.desc))
	}
	s.render(w, r, http.StatusOK, "user", page{Title: "User " + id, Nav: "users", Data: d})
}

func withoutUser(cols []column) []column {
	out := make([]column, 0, len(cols))
	for _, c := range cols {
		if c.Key != "user_id" {
			out = append(out, c)
		}
	}
	return out
}

// sessionRow is a sessions-table row formatted up front: the template then
// only places strings, which keeps a 50-row page cheap to render.
type sessionRow struct {
	URL, ID, IDShort         string
	Tags                     []string
	UserURL, User, UserShort string
	In, InTitle              string
	Out, OutTitle            string
	Turns                    string
	StartRFC, StartTitle     string
	StartAgo                 string
	Dur, Tok, TokTitle       string
	Cost                     string
	Errors, Failed           int
	ErrTitle                 string
	HasLLM                   bool
	P50, P95                 string
	Evals                    []string         // the means of the evaluation columns
	Match                    *store.TextMatch // the matching turn, on a search
}

func sessionRows(rows []store.SessionSummary, now time.Time, evals []string) []sessionRow {
	out := make([]sessionRow, len(rows))
	// One unit per column: every duration, every p50, every p95 alike.
	var durs, p50s, p95s []float64
	for i := range rows {
		durs = append(durs, rows[i].DurationMS)
		if rows[i].LLMCalls > 0 {
			p50s, p95s = append(p50s, rows[i].P50LatencyMS), append(p95s, rows[i].P95LatencyMS)
		}
	}
	durU, p50U, p95U := unitFor(durs...), unitFor(p50s...), unitFor(p95s...)
	for i := range rows {
		s := &rows[i]
		r := sessionRow{
			URL: "/sessions/" + url.PathEscape(s.SessionID), ID: s.SessionID, IDShort: clip(s.SessionID, 30),
			User: s.UserID, UserShort: clip(s.UserID, 24),
			In: clip(s.FirstInput, 90), InTitle: clip(s.FirstInput, 400),
			Out: clip(s.LastOutput, 90), OutTitle: clip(s.LastOutput, 400),
			Turns:    fmtInt(s.Traces),
			StartRFC: s.Start.UTC().Format(time.RFC3339Nano), StartTitle: fmtTime(s.Start) + " UTC", StartAgo: fmtAgo(now, s.Start),
			Dur: fmtDurIn(durU, s.DurationMS), Tok: fmtTokens(s.TotalTokens),
			TokTitle: fmtInt(s.InputTokens) + " in · " + fmtInt(s.OutputTokens) + " out",
			Cost:     fmtCost(s.Cost, s.CostComplete),
			Errors:   s.Errors, Failed: s.ErrorTraces,
			ErrTitle: strconv.Itoa(s.ErrorTraces) + " of " + strconv.Itoa(s.Traces) + " turns failed; " + strconv.Itoa(s.Errors) + " error spans (retried ones included)",
			HasLLM:   s.LLMCalls > 0, P50: fmtDurIn(p50U, s.P50LatencyMS), P95: fmtDurIn(p95U, s.P95LatencyMS),
			Evals: evalCells(s.Evaluations, evals),
		}
		if s.UserID != "" {
			r.UserURL = "/users/" + url.PathEscape(s.UserID)
		}
		for _, t := range s.Tags {
			r.Tags = append(r.Tags, clip(t, 20))
		}
		out[i] = r
	}
	return out
}
