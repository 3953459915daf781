package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// colType is how a sort column's values are compared in a cursor.
type colType int

const (
	colInt colType = iota
	colFloat
	colText
)

type sortCol struct {
	expr string
	typ  colType
}

var sessionSortCols = map[string]sortCol{
	"start":       {"start_ns", colInt},
	"end":         {"end_ns", colInt},
	"duration":    {"duration_ms", colFloat},
	"traces":      {"traces", colInt},
	"spans":       {"spans", colInt},
	"errors":      {"errors", colInt},
	"error_rate":  {"error_rate", colFloat},
	"tokens":      {"total_tokens", colInt},
	"cost":        {"cost", colFloat},
	"latency_p50": {"p50_ms", colFloat},
	"latency_p95": {"p95_ms", colFloat},
	"session_id":  {"session_id", colText},
	"user_id":     {"user_id", colText},
	"relevance":   {"m_score", colFloat}, // with a search only
}

var userSortCols = map[string]sortCol{
	"last_seen":   {"last_ns", colInt},
	"first_seen":  {"first_ns", colInt},
	"sessions":    {"sessions", colInt},
	"traces":      {"traces", colInt},
	"errors":      {"errors", colInt},
	"error_rate":  {"error_rate", colFloat},
	"tokens":      {"total_tokens", colInt},
	"cost":        {"cost", colFloat},
	"latency_p95": {"p95_ms", colFloat},
	"user_id":     {"user_id", colText},
}

// cursor is the keyset position after the last row of a page.
type cursor struct {
	Sort string `json:"s"`
	Desc bool   `json:"d"`
	Val  string `json:"v"`
	ID   string `json:"k"`
}

func encodeCursor(c cursor) string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s, sortName string, desc bool) (*cursor, error) {
	if s == "" {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, &FilterError{"cursor", "not a cursor returned by this server"}
	}
	var c cursor
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, &FilterError{"cursor", "not a cursor returned by this server"}
	}
	if c.Sort != sortName || c.Desc != desc {
		return nil, &FilterError{"cursor", "cursor was made for another sort order"}
	}
	return &c, nil
}

func cursorArg(c *cursor, typ colType) (any, error) {
	switch typ {
	case colInt:
		n, err := strconv.ParseInt(c.Val, 10, 64)
		if err != nil {
			return nil, &FilterError{"cursor", "bad position"}
		}
		return n, nil
	case colFloat:
		f, err := strconv.ParseFloat(c.Val, 64)
		if err != nil {
			return nil, &FilterError{"cursor", "bad position"}
		}
		return f, nil
	}
	return c.Val, nil
}

func cursorVal(v any) string {
	switch v := v.(type) {
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	case string:
		return v
	}
	return fmt.Sprint(v)
}

func clampLimit(n int) (int, error) {
	switch {
	case n == 0:
		return DefaultLimit, nil
	case n < 0 || n > MaxLimit:
		return 0, &FilterError{"limit", fmt.Sprintf("must be between 1 and %d", MaxLimit)}
	}
	return n, nil
}

// page builds the ORDER BY / keyset part of a list query.
type page struct {
	where []string
	args  []any
}

func (p *page) add(cond string, args ...any) {
	p.where = append(p.where, cond)
	p.args = append(p.args, args...)
}

func (p *page) keyset(col sortCol, idCol string, c *cursor, desc bool) error {
	if c == nil {
		return nil
	}
	v, err := cursorArg(c, col.typ)
	if err != nil {
		return err
	}
	op := ">"
	if desc {
		op = "<"
	}
	if col.expr == idCol {
		p.add(idCol+" "+op+" ?", c.ID)
		return nil
	}
	p.add("("+col.expr+" "+op+" ? OR ("+col.expr+" = ? AND "+idCol+" "+op+" ?))", v, v, c.ID)
	return nil
}

func (p *page) sql() string {
	if len(p.where) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(p.where, " AND ")
}

func order(col sortCol, idCol string, desc bool) string {
	dir := " ASC"
	if desc {
		dir = " DESC"
	}
	if col.expr == idCol {
		return " ORDER BY " + idCol + dir
	}
	return " ORDER BY " + col.expr + dir + ", " + idCol + dir
}

const sessionCols = `session_id, user_id, traces, spans, llm_calls, errors, error_traces, error_rate,
	input_tokens, output_tokens, total_tokens, cost, unpriced, first_input, last_output, start_ns, end_ns,
	duration_ms, p50_ms, p95_ms, models, tags`

type scanner interface{ Scan(...any) error }

func scanSession(r scanner) (SessionSummary, error) {
	var s SessionSummary
	var unpriced, start, end int64
	var models, tags string
	err := r.Scan(&s.SessionID, &s.UserID, &s.Traces, &s.Spans, &s.LLMCalls, &s.Errors, &s.ErrorTraces,
		&s.ErrorRate, &s.InputTokens, &s.OutputTokens, &s.TotalTokens, &s.Cost, &unpriced, &s.FirstInput,
		&s.LastOutput, &start, &end, &s.DurationMS, &s.P50LatencyMS, &s.P95LatencyMS, &models, &tags)
	if err != nil {
		return s, err
	}
	s.CostComplete = unpriced == 0
	s.Start, s.End = nsTime(start), nsTime(end)
	s.Models, s.Tags = parseList(models), parseList(tags)
	s.Evaluations = map[string]EvalAggregate{}
	return s, nil
}

func parseList(s string) []string {
	out := []string{}
	_ = json.Unmarshal([]byte(s), &out)
	if out == nil {
		out = []string{}
	}
	return out
}

func (s *SessionSummary) sortValue(name string) any {
	switch name {
	case "start":
		return s.Start.UnixNano()
	case "end":
		return s.End.UnixNano()
	case "duration":
		return s.DurationMS
	case "traces":
		return int64(s.Traces)
	case "spans":
		return int64(s.Spans)
	case "errors":
		return int64(s.Errors)
	case "error_rate":
		return s.ErrorRate
	case "tokens":
		return s.TotalTokens
	case "cost":
		return s.Cost
	case "latency_p50":
		return s.P50LatencyMS
	case "latency_p95":
		return s.P95LatencyMS
	case "user_id":
		return s.UserID
	}
	return s.SessionID
}

func sessionSort(f SessionFilter) (string, sortCol, bool, error) {
	name, desc := f.Sort, f.Desc
	switch {
	case name == "" && f.Q != "":
		name, desc = "relevance", true
	case name == "":
		name, desc = "end", true
	case name == "relevance" && f.Q == "":
		return "", sortCol{}, false, &FilterError{"sort", "relevance needs q"}
	}
	col, ok := sessionSortCols[name]
	if !ok {
		return "", col, false, &FilterError{"sort", fmt.Sprintf("unknown sort %q (one of %s)", name, strings.Join(SessionSorts, ", "))}
	}
	return name, col, desc, nil
}

// ListSessions returns one page of sessions and the cursor of the next page
// ("" on the last page). A *FilterError reports a bad filter.
func (s *Store) ListSessions(ctx context.Context, f SessionFilter) ([]SessionSummary, string, error) {
	limit, err := clampLimit(f.Limit)
	if err != nil {
		return nil, "", err
	}
	name, col, desc, err := sessionSort(f)
	if err != nil {
		return nil, "", err
	}
	c, err := decodeCursor(f.Cursor, name, desc)
	if err != nil {
		return nil, "", err
	}
	sr, err := parseSearch(f.Q, f.In)
	if err != nil {
		return nil, "", err
	}
	var p page
	from, score, doc := ` FROM sessions`, 0.0, int64(0)
	var extra []any
	var hits *sessionHits
	if sr != nil {
		if hits, err = s.probeSessions(ctx, sr, name == "relevance"); err != nil {
			return nil, "", err
		}
		if !hits.common {
			from += sessionHitsJoin
			p.args = append(p.args, hits.json())
			extra = []any{&score, &doc}
		}
	}
	if f.UserID != "" {
		p.add("user_id = ?", f.UserID)
	}
	if f.Tag != "" {
		p.add("EXISTS (SELECT 1 FROM session_tags t WHERE t.session_id = sessions.session_id AND t.tag = ?)", f.Tag)
	}
	if f.Model != "" {
		p.add("EXISTS (SELECT 1 FROM session_models m WHERE m.session_id = sessions.session_id AND m.model = ?)", f.Model)
	}
	if f.MetadataKey != "" {
		if f.MetadataValue != "" {
			p.add("EXISTS (SELECT 1 FROM session_meta m WHERE m.session_id = sessions.session_id AND m.key = ? AND m.value = ?)", f.MetadataKey, f.MetadataValue)
		} else {
			p.add("EXISTS (SELECT 1 FROM session_meta m WHERE m.session_id = sessions.session_id AND m.key = ?)", f.MetadataKey)
		}
	} else if f.MetadataValue != "" {
		return nil, "", &FilterError{"metadata_value", "needs metadata_key"}
	}
	if !f.Since.IsZero() {
		p.add("end_ns >= ?", f.Since.UnixNano())
	}
	if !f.Until.IsZero() {
		p.add("start_ns < ?", f.Until.UnixNano())
	}
	if f.HasErrors != nil {
		if *f.HasErrors {
			p.add("errors > 0")
		} else {
			p.add("errors = 0")
		}
	}
	if hits != nil && hits.common {
		return s.scanSessions(ctx, sr, p, name, col, desc, c, limit)
	}
	if name == "relevance" && c != nil && strings.HasPrefix(c.Val, scanCursor) {
		return nil, "", errSearchChanged
	}
	if err := p.keyset(col, "session_id", c, desc); err != nil {
		return nil, "", err
	}
	cols := sessionCols
	if sr != nil {
		cols += ", m_score, m_doc"
	}
	q := `SELECT ` + cols + from + p.sql() + order(col, "session_id", desc) + ` LIMIT ?`
	rows, err := s.rdb.QueryContext(ctx, q, append(p.args, limit+1)...)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	out := []SessionSummary{}
	var scores []float64
	var docs []int64
	for rows.Next() {
		ss, err := scanSession(withExtra{rows, extra})
		if err != nil {
			return nil, "", err
		}
		out = append(out, ss)
		scores, docs = append(scores, score), append(docs, doc)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		last := &out[limit-1]
		v := last.sortValue(name)
		if name == "relevance" {
			v = scores[limit-1]
		}
		next = encodeCursor(cursor{Sort: name, Desc: desc, Val: cursorVal(v), ID: last.SessionID})
	}
	if sr != nil {
		if err := s.attachMatches(ctx, sr, out, docs[:len(out)]); err != nil {
			return nil, "", err
		}
	}
	if err := s.sessionEvals(ctx, out); err != nil {
		return nil, "", err
	}
	return out, next, nil
}

// evalAggs loads evaluation aggregates grouped by col for the ids.
func (s *Store) evalAggs(ctx context.Context, col string, ids []string) (map[string]map[string]EvalAggregate, error) {
	out := map[string]map[string]EvalAggregate{}
	if len(ids) == 0 {
		return out, nil
	}
	ph := strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",")
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := s.rdb.QueryContext(ctx, `SELECT `+col+`, name, label, count(*), count(score), coalesce(sum(score), 0)
		FROM evaluations WHERE `+col+` IN (`+ph+`) GROUP BY `+col+`, name, label`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	type acc struct {
		n, scored int
		sum       float64
		labels    map[string]int
	}
	accs := map[[2]string]*acc{}
	for rows.Next() {
		var id, name, label string
		var n, scored int
		var sum float64
		if err := rows.Scan(&id, &name, &label, &n, &scored, &sum); err != nil {
			return nil, err
		}
		k := [2]string{id, name}
		a := accs[k]
		if a == nil {
			a = &acc{labels: map[string]int{}}
			accs[k] = a
		}
		a.n += n
		a.scored += scored
		a.sum += sum
		if label != "" {
			a.labels[label] += n
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for k, a := range accs {
		m := out[k[0]]
		if m == nil {
			m = map[string]EvalAggregate{}
			out[k[0]] = m
		}
		ea := EvalAggregate{Count: a.n, Labels: a.labels}
		if a.scored > 0 {
			mean := a.sum / float64(a.scored)
			ea.Mean = &mean
		}
		m[k[1]] = ea
	}
	return out, nil
}

func (s *Store) sessionEvals(ctx context.Context, ss []SessionSummary) error {
	ids := make([]string, len(ss))
	for i := range ss {
		ids[i] = ss[i].SessionID
	}
	aggs, err := s.evalAggs(ctx, "session_id", ids)
	if err != nil {
		return err
	}
	for i := range ss {
		if m := aggs[ss[i].SessionID]; m != nil {
			ss[i].Evaluations = m
		}
	}
	return nil
}

func (s *Store) userEvals(ctx context.Context, us []UserSummary) error {
	ids := make([]string, len(us))
	for i := range us {
		ids[i] = us[i].UserID
	}
	aggs, err := s.evalAggs(ctx, "user_id", ids)
	if err != nil {
		return err
	}
	for i := range us {
		if m := aggs[us[i].UserID]; m != nil {
			us[i].Evaluations = m
		}
	}
	return nil
}

// maxTurns bounds the turns returned by GetSession.
const maxTurns = 5000

// GetSession returns a session with its turns, or ErrNotFound.
func (s *Store) GetSession(ctx context.Context, id string) (*SessionDetail, error) {
	sum, err := scanSession(s.rdb.QueryRowContext(ctx, `SELECT `+sessionCols+` FROM sessions WHERE session_id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	list := []SessionSummary{sum}
	if err := s.sessionEvals(ctx, list); err != nil {
		return nil, err
	}
	d := &SessionDetail{Summary: list[0], Turns: []Turn{}, Metadata: map[string]string{}}
	rows, err := s.rdb.QueryContext(ctx, `SELECT trace_id, start_ns, end_ns, input, output, input_tokens,
		output_tokens, total_tokens, cost, model, spans, llm_calls, failed, error_message, retries, refused, empty
		FROM traces WHERE session_id = ? AND eval_only = 0 ORDER BY start_ns, trace_id LIMIT ?`, id, maxTurns+1)
	if err != nil {
		return nil, err
	}
	byTrace := map[string]int{}
	for rows.Next() {
		var t Turn
		var start, end int64
		var errs, refused, empty int
		if err := rows.Scan(&t.TraceID, &start, &end, &t.Input, &t.Output, &t.InputTokens, &t.OutputTokens,
			&t.Tokens, &t.Cost, &t.Model, &t.Spans, &t.LLMCalls, &errs, &t.ErrorMessage, &t.Retries,
			&refused, &empty); err != nil {
			rows.Close()
			return nil, err
		}
		t.Start, t.End = nsTime(start), nsTime(end)
		t.LatencyMS = float64(end-start) / 1e6
		t.Error, t.Refused, t.Empty = errs > 0, refused != 0, empty != 0
		if !t.Error {
			t.ErrorMessage = ""
		}
		t.Reasons = []string{}
		t.Evaluations = []Evaluation{}
		byTrace[t.TraceID] = len(d.Turns)
		d.Turns = append(d.Turns, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(d.Turns) > maxTurns {
		d.Turns = d.Turns[:maxTurns]
		d.Truncated = true
	}
	lat := make([]float64, len(d.Turns))
	for i := range d.Turns {
		lat[i] = d.Turns[i].LatencyMS
	}
	sort.Float64s(lat)
	d.MedianLatencyMS = percentile(lat, 0.5)
	for i := range d.Turns {
		t := &d.Turns[i]
		t.Slow = d.MedianLatencyMS > 0 && t.LatencyMS > 3*d.MedianLatencyMS
		for _, r := range []struct {
			on   bool
			name string
		}{{t.Error, "error"}, {t.Retries > 0, "retry"}, {t.Refused, "refused"}, {t.Empty, "empty"}, {t.Slow, "slow"}} {
			if r.on {
				t.Reasons = append(t.Reasons, r.name)
			}
		}
		t.Broken = len(t.Reasons) > 0
	}
	evals, err := s.evaluations(ctx, `session_id = ?`, id)
	if err != nil {
		return nil, err
	}
	for _, e := range evals {
		tid := e.TargetTraceID
		if tid == "" {
			tid = e.TraceID
		}
		if i, ok := byTrace[tid]; ok {
			d.Turns[i].Evaluations = append(d.Turns[i].Evaluations, e)
		}
	}
	mrows, err := s.rdb.QueryContext(ctx, `SELECT key, value FROM session_meta WHERE session_id = ?`, id)
	if err != nil {
		return nil, err
	}
	defer mrows.Close()
	for mrows.Next() {
		var k, v string
		if err := mrows.Scan(&k, &v); err != nil {
			return nil, err
		}
		d.Metadata[k] = v
	}
	return d, mrows.Err()
}

func (s *Store) evaluations(ctx context.Context, where string, args ...any) ([]Evaluation, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT name, score, label, explanation, span_id, trace_id,
		target_span_id, target_trace_id, session_id, user_id, time_ns FROM evaluations WHERE `+where+
		` ORDER BY time_ns, span_id LIMIT 10000`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Evaluation{}
	for rows.Next() {
		var e Evaluation
		var score sql.NullFloat64
		var ns int64
		if err := rows.Scan(&e.Name, &score, &e.Label, &e.Explanation, &e.SpanID, &e.TraceID,
			&e.TargetSpanID, &e.TargetTraceID, &e.SessionID, &e.UserID, &ns); err != nil {
			return nil, err
		}
		if score.Valid {
			v := score.Float64
			e.Score = &v
		}
		e.Time = nsTime(ns)
		out = append(out, e)
	}
	return out, rows.Err()
}

const userCols = `user_id, sessions, traces, spans, llm_calls, errors, error_traces, error_rate,
	input_tokens, output_tokens, total_tokens, cost, unpriced, first_ns, last_ns, p50_ms, p95_ms, models`

func scanUser(r scanner) (UserSummary, error) {
	var u UserSummary
	var unpriced, first, last int64
	var models string
	err := r.Scan(&u.UserID, &u.Sessions, &u.Traces, &u.Spans, &u.LLMCalls, &u.Errors, &u.ErrorTraces,
		&u.ErrorRate, &u.InputTokens, &u.OutputTokens, &u.TotalTokens, &u.Cost, &unpriced, &first, &last,
		&u.P50LatencyMS, &u.P95LatencyMS, &models)
	if err != nil {
		return u, err
	}
	u.CostComplete = unpriced == 0
	u.FirstSeen, u.LastSeen = nsTime(first), nsTime(last)
	u.Models = parseList(models)
	u.Evaluations = map[string]EvalAggregate{}
	return u, nil
}

func (u *UserSummary) sortValue(name string) any {
	switch name {
	case "last_seen":
		return u.LastSeen.UnixNano()
	case "first_seen":
		return u.FirstSeen.UnixNano()
	case "sessions":
		return int64(u.Sessions)
	case "traces":
		return int64(u.Traces)
	case "errors":
		return int64(u.Errors)
	case "error_rate":
		return u.ErrorRate
	case "tokens":
		return u.TotalTokens
	case "cost":
		return u.Cost
	case "latency_p95":
		return u.P95LatencyMS
	}
	return u.UserID
}

// ListUsers returns one page of users and the cursor of the next page.
func (s *Store) ListUsers(ctx context.Context, f UserFilter) ([]UserSummary, string, error) {
	limit, err := clampLimit(f.Limit)
	if err != nil {
		return nil, "", err
	}
	name, desc := f.Sort, f.Desc
	if name == "" {
		name, desc = "last_seen", true
	}
	col, ok := userSortCols[name]
	if !ok {
		return nil, "", &FilterError{"sort", fmt.Sprintf("unknown sort %q (one of %s)", name, strings.Join(UserSorts, ", "))}
	}
	c, err := decodeCursor(f.Cursor, name, desc)
	if err != nil {
		return nil, "", err
	}
	var p page
	if !f.Since.IsZero() {
		p.add("last_ns >= ?", f.Since.UnixNano())
	}
	if !f.Until.IsZero() {
		p.add("first_ns < ?", f.Until.UnixNano())
	}
	if f.HasErrors != nil {
		if *f.HasErrors {
			p.add("errors > 0")
		} else {
			p.add("errors = 0")
		}
	}
	if err := p.keyset(col, "user_id", c, desc); err != nil {
		return nil, "", err
	}
	rows, err := s.rdb.QueryContext(ctx, `SELECT `+userCols+` FROM users`+p.sql()+order(col, "user_id", desc)+` LIMIT ?`, append(p.args, limit+1)...)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	out := []UserSummary{}
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, "", err
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		last := &out[limit-1]
		next = encodeCursor(cursor{Sort: name, Desc: desc, Val: cursorVal(last.sortValue(name)), ID: last.UserID})
	}
	if err := s.userEvals(ctx, out); err != nil {
		return nil, "", err
	}
	return out, next, nil
}

// GetUser returns a user with one page of their sessions (f.UserID is set to
// id), or ErrNotFound.
func (s *Store) GetUser(ctx context.Context, id string, f SessionFilter) (*UserDetail, error) {
	u, err := scanUser(s.rdb.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE user_id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	list := []UserSummary{u}
	if err := s.userEvals(ctx, list); err != nil {
		return nil, err
	}
	f.UserID = id
	sessions, next, err := s.ListSessions(ctx, f)
	if err != nil {
		return nil, err
	}
	return &UserDetail{Summary: list[0], Sessions: sessions, Next: next}, nil
}

// maxTraceSpans bounds the spans returned by GetTrace: the earliest.
var maxTraceSpans = 10000

// earliestSpans returns the rowids of the n earliest spans (by start, then
// span id) among rowids, reading only those columns.
func earliestSpans(ctx context.Context, tx *sql.Tx, rowids []int64, n int) ([]int64, error) {
	type key struct {
		rowid, start int64
		spanID       string
	}
	var keys []key
	err := spansByRow(ctx, tx, "rowid, start_ns, span_id", rowids, func(rows *sql.Rows) error {
		var k key
		if err := rows.Scan(&k.rowid, &k.start, &k.spanID); err != nil {
			return err
		}
		keys = append(keys, k)
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(keys, func(a, b key) int { return startOrder(a.start, a.spanID, b.start, b.spanID) })
	out := make([]int64, 0, min(n, len(keys)))
	for _, k := range keys[:min(n, len(keys))] {
		out = append(out, k.rowid)
	}
	return out, nil
}

// spansByRow reads cols of the spans with the given rowids, calling scan
// for each row.
func spansByRow(ctx context.Context, tx *sql.Tx, cols string, rowids []int64, scan func(*sql.Rows) error) error {
	for len(rowids) > 0 {
		chunk := rowids[:min(len(rowids), 500)]
		rowids = rowids[len(chunk):]
		args := make([]any, len(chunk))
		for i, r := range chunk {
			args[i] = r
		}
		rows, err := tx.QueryContext(ctx, `SELECT `+cols+` FROM spans WHERE rowid IN (?`+
			strings.Repeat(",?", len(chunk)-1)+`)`, args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			if err := scan(rows); err != nil {
				rows.Close()
				return err
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

// GetTrace returns a trace with all its spans, or ErrNotFound.
func (s *Store) GetTrace(ctx context.Context, traceID string) (*TraceDetail, error) {
	traceID = strings.ToLower(traceID)
	// One read transaction: the trace's row and the spans it lists.
	tx, err := s.rdb.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var sess, user, spanRows string
	err = tx.QueryRowContext(ctx, `SELECT session_id, user_id, span_rows FROM traces WHERE trace_id = ?`, traceID).Scan(&sess, &user, &spanRows)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	type stored struct {
		start  int64
		spanID string
		scope  string
		rid    int64
		pb     *tracepb.Span
	}
	var found []stored
	resources := map[int64]*resourcepb.Resource{}
	rowids := parseRows(spanRows)
	if len(rowids) > maxTraceSpans {
		// Decode only the spans shown.
		if rowids, err = earliestSpans(ctx, tx, rowids, maxTraceSpans); err != nil {
			return nil, err
		}
	}
	err = spansByRow(ctx, tx, "start_ns, span_id, scope, resource_id, data", rowids, func(rows *sql.Rows) error {
		var st stored
		var data []byte
		if err := rows.Scan(&st.start, &st.spanID, &st.scope, &st.rid, &data); err != nil {
			return err
		}
		st.pb = &tracepb.Span{}
		if err := proto.Unmarshal(data, st.pb); err != nil {
			return fmt.Errorf("decode span: %w", err)
		}
		resources[st.rid] = nil
		found = append(found, st)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(found) == 0 {
		return nil, ErrNotFound
	}
	slices.SortFunc(found, func(a, b stored) int { return startOrder(a.start, a.spanID, b.start, b.spanID) })
	found = found[:min(len(found), maxTraceSpans)]
	for rid := range resources {
		var data []byte
		if err := tx.QueryRowContext(ctx, `SELECT data FROM resources WHERE id = ?`, rid).Scan(&data); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				continue
			}
			return nil, err
		}
		var r resourcepb.Resource
		if proto.Unmarshal(data, &r) == nil {
			resources[rid] = &r
		}
	}
	resAttrs := make(map[int64][]Attribute, len(resources))
	for rid, r := range resources {
		resAttrs[rid] = []Attribute{}
		if r != nil {
			resAttrs[rid] = attributes(r.GetAttributes())
		}
	}
	spans := make([]Span, 0, len(found))
	for _, st := range found {
		res := resources[st.rid]
		// The columns of the span list are what ingest extracts.
		row := extract(res.GetAttributes(), st.scope, st.pb)
		sp := Span{SpanKind: row.spanKind, SessionID: row.sessionID, UserID: row.userID, Model: row.model,
			InputTokens: row.inputTokens, OutputTokens: row.outputTokens, Cost: row.cost, Scope: st.scope,
			Resource: resAttrs[st.rid], InputMessages: row.inMsgs, OutputMessages: row.outMsgs}
		fillSpan(&sp, st.pb)
		spans = append(spans, sp)
	}
	d := &TraceDetail{TraceID: traceID, Spans: treeOrder(spans)}
	for i, sp := range d.Spans {
		if i == 0 || sp.Start.Before(d.Start) {
			d.Start = sp.Start
		}
		if sp.End.After(d.End) {
			d.End = sp.End
		}
	}
	d.DurationMS = float64(d.End.Sub(d.Start)) / float64(time.Millisecond)
	d.SessionID, d.UserID = sess, user
	if d.Evaluations, err = s.evaluations(ctx, `target_trace_id = ? OR trace_id = ?`, traceID, traceID); err != nil {
		return nil, err
	}
	return d, nil
}

var otelKinds = [...]string{"UNSPECIFIED", "INTERNAL", "SERVER", "CLIENT", "PRODUCER", "CONSUMER"}

func fillSpan(sp *Span, pb *tracepb.Span) {
	sp.TraceID = fmt.Sprintf("%x", pb.GetTraceId())
	sp.SpanID = fmt.Sprintf("%x", pb.GetSpanId())
	sp.ParentID = fmt.Sprintf("%x", pb.GetParentSpanId())
	sp.Name = pb.GetName()
	if k := int(pb.GetKind()); k >= 0 && k < len(otelKinds) {
		sp.Kind = otelKinds[k]
	}
	sp.Start = nsTime(int64(pb.GetStartTimeUnixNano()))
	sp.End = nsTime(int64(pb.GetEndTimeUnixNano()))
	if sp.End.Before(sp.Start) {
		sp.End = sp.Start
	}
	sp.DurationMS = float64(sp.End.Sub(sp.Start)) / float64(time.Millisecond)
	switch pb.GetStatus().GetCode() {
	case tracepb.Status_STATUS_CODE_OK:
		sp.StatusCode = "OK"
	case tracepb.Status_STATUS_CODE_ERROR:
		sp.StatusCode = "ERROR"
	default:
		sp.StatusCode = "UNSET"
	}
	sp.StatusMessage = pb.GetStatus().GetMessage()
	sp.Attributes = attributes(pb.GetAttributes())
	sp.Events = make([]Event, 0, len(pb.GetEvents()))
	for _, ev := range pb.GetEvents() {
		sp.Events = append(sp.Events, Event{Name: ev.GetName(), Time: nsTime(int64(ev.GetTimeUnixNano())), Attributes: attributes(ev.GetAttributes())})
	}
}

// treeOrder sorts spans depth first (children by start time) and sets Depth.
// Spans whose parent is missing are treated as roots.
func treeOrder(spans []Span) []Span {
	ids := make(map[string]bool, len(spans))
	for _, sp := range spans {
		ids[sp.SpanID] = true
	}
	children := map[string][]int{}
	var roots []int
	for i, sp := range spans {
		if sp.ParentID == "" || !ids[sp.ParentID] || sp.ParentID == sp.SpanID {
			roots = append(roots, i)
		} else {
			children[sp.ParentID] = append(children[sp.ParentID], i)
		}
	}
	out := make([]Span, 0, len(spans))
	seen := make([]bool, len(spans))
	var walk func(i, depth int)
	walk = func(i, depth int) {
		if seen[i] {
			return
		}
		seen[i] = true
		sp := spans[i]
		sp.Depth = depth
		out = append(out, sp)
		for _, c := range children[sp.SpanID] {
			walk(c, depth+1)
		}
	}
	for _, r := range roots {
		walk(r, 0)
	}
	// Cycles: anything not reached is shown flat.
	for i := range spans {
		if !seen[i] {
			walk(i, 0)
		}
	}
	return out
}

// Rankings returns the best or worst sessions or users by a metric.
func (s *Store) Rankings(ctx context.Context, q RankingQuery) (*Ranking, error) {
	if q.By == "" {
		q.By = "session"
	}
	if q.Order == "" {
		q.Order = "worst"
	}
	if q.Metric == "" {
		q.Metric = "error_rate"
	}
	if q.Limit == 0 {
		q.Limit = 10
	}
	if q.Limit < 0 || q.Limit > MaxLimit {
		return nil, &FilterError{"limit", fmt.Sprintf("must be between 1 and %d", MaxLimit)}
	}
	var table, idCol, startCol, endCol string
	switch q.By {
	case "session":
		table, idCol, startCol, endCol = "sessions", "session_id", "start_ns", "end_ns"
	case "user":
		table, idCol, startCol, endCol = "users", "user_id", "first_ns", "last_ns"
	default:
		return nil, &FilterError{"by", `must be "session" or "user"`}
	}
	if q.Order != "worst" && q.Order != "best" {
		return nil, &FilterError{"order", `must be "worst" or "best"`}
	}
	var p page
	if !q.Since.IsZero() {
		p.add("x."+endCol+" >= ?", q.Since.UnixNano())
	}
	if !q.Until.IsZero() {
		p.add("x."+startCol+" < ?", q.Until.UnixNano())
	}
	var query string
	highIsWorse := true
	if name, ok := strings.CutPrefix(q.Metric, "eval:"); ok {
		if name == "" {
			return nil, &FilterError{"metric", "eval: needs an evaluation name"}
		}
		highIsWorse = false
		p.add("e.name = ?", name)
		p.add("e.score IS NOT NULL")
		query = `SELECT e.` + idCol + `, avg(e.score), count(*) FROM evaluations e JOIN ` + table + ` x ON x.` + idCol + ` = e.` + idCol +
			p.sql() + ` GROUP BY e.` + idCol
	} else {
		var val, samples string
		switch q.Metric {
		case "error_rate":
			val, samples = "x.error_rate", "x.traces"
		case "latency_p95":
			val, samples = "x.p95_ms", "x.llm_calls"
			p.add("x.llm_calls > 0")
		case "tokens":
			val, samples = "x.total_tokens", "x.traces"
		case "cost":
			val, samples = "x.cost", "x.llm_calls"
			p.add("x.llm_calls > 0")
		default:
			return nil, &FilterError{"metric", `must be error_rate, latency_p95, tokens, cost or eval:<name>`}
		}
		query = `SELECT x.` + idCol + `, ` + val + `, ` + samples + ` FROM ` + table + ` x` + p.sql()
	}
	desc := (q.Order == "worst") == highIsWorse
	dir := " ASC"
	if desc {
		dir = " DESC"
	}
	query += ` ORDER BY 2` + dir + `, 1 ASC LIMIT ?`
	rows, err := s.rdb.QueryContext(ctx, query, append(p.args, q.Limit)...)
	if err != nil {
		return nil, err
	}
	r := &Ranking{By: q.By, Metric: q.Metric, Order: q.Order, Rows: []RankingRow{}}
	for rows.Next() {
		var row RankingRow
		if err := rows.Scan(&row.ID, &row.Value, &row.Samples); err != nil {
			rows.Close()
			return nil, err
		}
		row.Rank = len(r.Rows) + 1
		r.Rows = append(r.Rows, row)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// Attach the summaries.
	if q.By == "session" {
		list := make([]SessionSummary, 0, len(r.Rows))
		for _, row := range r.Rows {
			ss, err := scanSession(s.rdb.QueryRowContext(ctx, `SELECT `+sessionCols+` FROM sessions WHERE session_id = ?`, row.ID))
			if err != nil {
				return nil, err
			}
			list = append(list, ss)
		}
		if err := s.sessionEvals(ctx, list); err != nil {
			return nil, err
		}
		for i := range r.Rows {
			r.Rows[i].Session = &list[i]
		}
	} else {
		list := make([]UserSummary, 0, len(r.Rows))
		for _, row := range r.Rows {
			u, err := scanUser(s.rdb.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE user_id = ?`, row.ID))
			if err != nil {
				return nil, err
			}
			list = append(list, u)
		}
		if err := s.userEvals(ctx, list); err != nil {
			return nil, err
		}
		for i := range r.Rows {
			r.Rows[i].User = &list[i]
		}
	}
	return r, nil
}

// Overview counts what is stored.
func (s *Store) Overview(ctx context.Context) (*Overview, error) {
	o := &Overview{}
	// Sum the session aggregates (one row per session) plus the traces
	// without a session (an index range), rather than scanning every trace.
	var first, last int64
	for _, q := range []string{
		`SELECT coalesce(sum(traces),0), coalesce(sum(spans),0), coalesce(sum(errors),0),
		coalesce(sum(input_tokens),0), coalesce(sum(output_tokens),0), coalesce(sum(cost),0),
		coalesce(min(start_ns),0), coalesce(max(end_ns),0) FROM sessions`,
		`SELECT count(*), coalesce(sum(spans),0), coalesce(sum(errors),0),
		coalesce(sum(input_tokens),0), coalesce(sum(output_tokens),0), coalesce(sum(cost),0),
		coalesce(min(start_ns),0), coalesce(max(end_ns),0) FROM traces WHERE session_id = '' AND eval_only = 0`,
	} {
		var traces, spans, errs, in, out, f, l int64
		var cost float64
		if err := s.rdb.QueryRowContext(ctx, q).Scan(&traces, &spans, &errs, &in, &out, &cost, &f, &l); err != nil {
			return nil, err
		}
		o.Traces += traces
		o.Spans += spans
		o.Errors += errs
		o.InputTokens += in
		o.OutputTokens += out
		o.Cost += cost
		if f > 0 && (first == 0 || f < first) {
			first = f
		}
		if l > last {
			last = l
		}
	}
	o.First, o.Last = nsTime(first), nsTime(last)
	for _, c := range []struct {
		dst *int64
		q   string
	}{
		{&o.Sessions, `SELECT count(*) FROM sessions`},
		{&o.Users, `SELECT count(*) FROM users`},
		{&o.Evaluations, `SELECT count(*) FROM evaluations`},
	} {
		if err := s.rdb.QueryRowContext(ctx, c.q).Scan(c.dst); err != nil {
			return nil, err
		}
	}
	var err error
	if o.EvaluationNames, err = s.strings(ctx, `SELECT DISTINCT name FROM evaluations ORDER BY name LIMIT 200`); err != nil {
		return nil, err
	}
	if o.Models, err = s.strings(ctx, `SELECT DISTINCT model FROM session_models ORDER BY model LIMIT 200`); err != nil {
		return nil, err
	}
	if o.Tags, err = s.strings(ctx, `SELECT DISTINCT tag FROM session_tags ORDER BY tag LIMIT 500`); err != nil {
		return nil, err
	}
	return o, nil
}

func (s *Store) strings(ctx context.Context, q string, args ...any) ([]string, error) {
	rows, err := s.rdb.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
