package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/traceai-go/traceai/explorer/store/internal/record"
)

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
	case "failed":
		return int64(s.ErrorTraces)
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
	if strings.HasPrefix(name, evalSortPrefix) {
		return s.evalSort
	}
	return s.SessionID
}

func sessionSort(f SessionFilter) (string, sortCol, bool, error) {
	name, desc := string(f.Sort), f.Desc
	switch {
	case name == "" && f.Q != "":
		name, desc = "relevance", true
	case name == "":
		name, desc = "end", true
	case name == "relevance" && f.Q == "":
		return "", sortCol{}, false, &FilterError{"sort", "relevance needs q"}
	}
	if ev, ok := SessionSort(name).Eval(); ok {
		col, err := evalSortCol(ev, "sessions", "session_id", desc)
		return name, col, desc, err
	}
	col, ok := sessionSortCols[SessionSort(name)]
	if !ok {
		return "", col, false, &FilterError{"sort", fmt.Sprintf("unknown sort %q (one of %s, eval:<name>)", name, joinSorts(SessionSorts))}
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
			from += s.hitsJoin()
			p.args = append(p.args, hits.json())
			extra = []any{&score, &doc}
		}
	}
	var evSort float64
	if col.join != "" {
		from += col.join
		p.args = append(p.args, col.joinArg)
		extra = append(extra, &evSort)
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
	if f.PromptTemplate != "" {
		if f.PromptVersion != "" {
			p.add("EXISTS (SELECT 1 FROM traces pt WHERE pt.session_id = sessions.session_id AND pt.prompt_template = ? AND pt.prompt_version = ?)", f.PromptTemplate, f.PromptVersion)
		} else {
			p.add("EXISTS (SELECT 1 FROM traces pt WHERE pt.session_id = sessions.session_id AND pt.prompt_template = ?)", f.PromptTemplate)
		}
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
	if err := p.timeRange("end_ns >= ?", f.Since, "start_ns < ?", f.Until); err != nil {
		return nil, "", err
	}
	if err := evalFilter(&p, f); err != nil {
		return nil, "", err
	}
	if f.HasErrors != nil {
		if *f.HasErrors {
			p.add("error_traces > 0")
		} else {
			p.add("error_traces = 0")
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
	if col.join != "" {
		cols += ", " + col.expr
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
		ss.evalSort = evSort
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
	rows, err := s.reads(ctx).QueryContext(ctx, `SELECT `+col+`, name, label, count(*), count(score), coalesce(sum(score), 0)
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
	// One read transaction: the summary, the turns and the evaluations of
	// one state, not of a write (or a retention) that committed between
	// two of the reads.
	tx, err := s.rdb.BeginTx(ctx, s.readTx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	ctx = context.WithValue(ctx, readTxKey{}, tx)
	sum, err := scanSession(s.reads(ctx).QueryRowContext(ctx, `SELECT `+sessionCols+` FROM sessions WHERE session_id = ?`, id))
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
	d := &SessionDetail{Summary: list[0], Turns: []Turn{}, Metadata: map[string]any{}}
	rows, err := s.reads(ctx).QueryContext(ctx, `SELECT trace_id, start_ns, end_ns, input, output, input_tokens,
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
		t.Broken = t.Error || t.Refused || t.Empty
		t.Warning = !t.Broken && (t.Retries > 0 || t.Slow)
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
	mrows, err := s.reads(ctx).QueryContext(ctx, `SELECT key, value, kind FROM session_meta WHERE session_id = ?`, id)
	if err != nil {
		return nil, err
	}
	defer mrows.Close()
	for mrows.Next() {
		var k, v, kind string
		if err := mrows.Scan(&k, &v, &kind); err != nil {
			return nil, err
		}
		d.Metadata[k] = metadataValue(v, record.MetaKind(kind))
	}
	return d, mrows.Err()
}

func (s *Store) evaluations(ctx context.Context, where string, args ...any) ([]Evaluation, error) {
	rows, err := s.reads(ctx).QueryContext(ctx, `SELECT name, score, label, explanation, span_id, trace_id,
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

// readTxKey carries in a context the transaction a Get method reads in, so
// that the helpers it calls (evalAggs, evaluations) read in it too rather
// than on another pooled connection.
type readTxKey struct{}

// queryer is a pool or a transaction.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// reads is where the queries of ctx read: its read transaction, if any.
func (s *Store) reads(ctx context.Context) queryer {
	if tx, ok := ctx.Value(readTxKey{}).(*sql.Tx); ok {
		return tx
	}
	return s.rdb
}
