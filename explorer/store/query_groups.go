package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// The dashboard's figures are computed from the traces rows (one per turn,
// summarized at ingest) and the evaluations rows, never from spans. The SQL
// is plain enough to run unchanged on PostgreSQL.

// turnSQL returns the parts of a query over the turns f keeps (traces t):
// the group key's expression, the join it needs, the conditions and their
// arguments (the join's first).
func turnSQL(f TurnFilter, by string) (key, join string, where []string, args []any, err error) {
	key = "''"
	switch {
	case by == "":
	case by == GroupByModel:
		key = "t.model"
	case by == GroupByUser:
		key = "t.user_id"
	case by == GroupByPromptTemplate:
		key = "t.prompt_template"
	case by == GroupByPromptTemplateVersion:
		key = "CASE WHEN t.prompt_template = '' THEN '' ELSE t.prompt_template || ':' || t.prompt_version END"
	case by == GroupBySpanKind:
		key = "t.span_kinds" // expanded by Groups, a group per kind
	case by == GroupByTag:
		key, join = "g.tag", " JOIN session_tags g ON g.session_id = t.session_id"
	case strings.HasPrefix(by, GroupByMetadataPrefix) && len(by) > len(GroupByMetadataPrefix):
		key, join = "g.value", " JOIN session_meta g ON g.session_id = t.session_id AND g.key = ?"
		args = append(args, strings.TrimPrefix(by, GroupByMetadataPrefix))
	default:
		return "", "", nil, nil, &FilterError{"by", fmt.Sprintf("unknown dimension %q (one of model, user, tag, prompt_template, prompt_template_version, span_kind, metadata:<key>)", by)}
	}
	where = []string{"t.eval_only = 0"}
	add := func(cond string, a ...any) { where = append(where, cond); args = append(args, a...) }
	if !f.Since.IsZero() {
		add("t.start_ns >= ?", f.Since.UnixNano())
	}
	if !f.Until.IsZero() {
		add("t.start_ns < ?", f.Until.UnixNano())
	}
	if f.UserID != "" {
		add("t.user_id = ?", f.UserID)
	}
	if f.Model != "" {
		add("t.model = ?", f.Model)
	}
	if f.Tag != "" {
		add("EXISTS (SELECT 1 FROM session_tags x WHERE x.session_id = t.session_id AND x.tag = ?)", f.Tag)
	}
	if f.MetadataKey != "" {
		if f.MetadataValue != "" {
			add("EXISTS (SELECT 1 FROM session_meta x WHERE x.session_id = t.session_id AND x.key = ? AND x.value = ?)", f.MetadataKey, f.MetadataValue)
		} else {
			add("EXISTS (SELECT 1 FROM session_meta x WHERE x.session_id = t.session_id AND x.key = ?)", f.MetadataKey)
		}
	}
	return key, join, where, args, nil
}

// turn is what the dashboard reads of a traces row.
type turn struct {
	key, traceID, session, user string
	start, end, errors          int64
	failed                      bool
	in, out, total              int64
	cost                        float64
}

// turnEval is an evaluation of a turn.
type turnEval struct {
	key, traceID, spanID, name, label string
	start                             int64
	score                             sql.NullFloat64
}

// scanTurns calls fn for every turn f keeps, with its key under by.
func scanTurns(ctx context.Context, q queryer, f TurnFilter, by string, fn func(*turn)) error {
	key, join, where, args, err := turnSQL(f, by)
	if err != nil {
		return err
	}
	rows, err := q.QueryContext(ctx, `SELECT `+key+`, t.trace_id, t.session_id, t.user_id, t.start_ns, t.end_ns,
		t.errors, t.failed, t.input_tokens, t.output_tokens, t.total_tokens, t.cost
		FROM traces t`+join+` WHERE `+strings.Join(where, " AND "), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	var t turn
	for rows.Next() {
		var failed int64
		if err := rows.Scan(&t.key, &t.traceID, &t.session, &t.user, &t.start, &t.end, &t.errors, &failed,
			&t.in, &t.out, &t.total, &t.cost); err != nil {
			return err
		}
		t.failed = failed != 0
		fn(&t)
	}
	return rows.Err()
}

// scanTurnEvals calls fn for every evaluation of a turn f keeps (the turn
// judged, or the evaluation's own trace when it names none).
func scanTurnEvals(ctx context.Context, q queryer, f TurnFilter, by string, fn func(*turnEval)) error {
	key, join, where, args, err := turnSQL(f, by)
	if err != nil {
		return err
	}
	rows, err := q.QueryContext(ctx, `SELECT `+key+`, e.trace_id, e.span_id, e.name, e.label, e.score, t.start_ns
		FROM evaluations e JOIN traces t ON t.trace_id = CASE WHEN e.target_trace_id <> '' THEN e.target_trace_id ELSE e.trace_id END`+join+`
		WHERE `+strings.Join(where, " AND "), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	var e turnEval
	for rows.Next() {
		if err := rows.Scan(&e.key, &e.traceID, &e.spanID, &e.name, &e.label, &e.score, &e.start); err != nil {
			return err
		}
		fn(&e)
	}
	return rows.Err()
}

// acc accumulates the figures of a set of turns.
type acc struct {
	sessions, users        idSet
	traces, errors, failed int64
	spans                  int64 // of the group's span kind (GroupBySpanKind)
	in, out, total         int64
	cost                   float64
	durations              []float64
	// hist, when set, takes the durations instead (rollup.go): the
	// percentiles are then within histAccuracy.
	hist  *latHist
	evals map[string]*evalAcc
}

type evalAcc struct {
	count, scored int
	sum           float64
	labels        map[string]int
}

func newAcc() *acc {
	return &acc{}
}

func (a *acc) add(t *turn) {
	a.addTurn(t, t.errors > 0)
	ms := float64(t.end-t.start) / 1e6
	if a.hist != nil {
		a.hist.add(ms)
		return
	}
	a.durations = append(a.durations, ms)
}

// addKind adds a turn to the group of one of its span kinds: its spans of
// that kind, errored or not, their durations, and their share of the
// turn's tokens and cost (all of them for a turn stored without shares).
func (a *acc) addKind(t *turn, k *kindSum) {
	part := *t
	if k.tokens {
		part.in, part.out, part.total, part.cost = k.in, k.out, k.total, k.cost
	}
	a.addTurn(&part, k.errs > 0)
	a.spans += int64(k.spans)
	if a.hist != nil {
		for _, v := range k.ms {
			a.hist.add(v)
		}
		return
	}
	a.durations = append(a.durations, k.ms...)
}

func (a *acc) addTurn(t *turn, errored bool) {
	if t.session != "" {
		a.sessions.add(t.session)
	}
	if t.user != "" {
		a.users.add(t.user)
	}
	a.traces++
	if errored {
		a.errors++
	}
	if t.failed {
		a.failed++
	}
	a.in += t.in
	a.out += t.out
	a.total += t.total
	a.cost += t.cost
}

func (a *acc) addEval(e *turnEval) {
	if a.evals == nil {
		a.evals = map[string]*evalAcc{}
	}
	ea := a.evals[e.name]
	if ea == nil {
		ea = &evalAcc{labels: map[string]int{}}
		a.evals[e.name] = ea
	}
	ea.count++
	if e.score.Valid {
		ea.scored++
		ea.sum += e.score.Float64
	}
	if e.label != "" {
		ea.labels[e.label]++
	}
}

func (a *acc) stats(key string) GroupStats {
	g := GroupStats{Key: key, Sessions: int64(a.sessions.len()), Traces: a.traces, Spans: a.spans, Errors: a.errors,
		Failed: a.failed, InputTokens: a.in, OutputTokens: a.out, TotalTokens: a.total, Cost: a.cost,
		Evaluations: map[string]EvalAggregate{}}
	if a.traces > 0 {
		g.ErrorRate = float64(a.errors) / float64(a.traces)
		g.BrokenRate = float64(a.failed) / float64(a.traces)
	}
	if a.hist != nil {
		q := a.hist.quantiles(0.50, 0.95)
		g.P50LatencyMS, g.P95LatencyMS = q[0], q[1]
	} else {
		sort.Float64s(a.durations)
		g.P50LatencyMS, g.P95LatencyMS = percentile(a.durations, 0.50), percentile(a.durations, 0.95)
	}
	for name, ea := range a.evals {
		agg := EvalAggregate{Count: ea.count, Labels: ea.labels}
		if ea.scored > 0 {
			m := ea.sum / float64(ea.scored)
			agg.Mean = &m
		}
		g.Evaluations[name] = agg
	}
	return g
}

// groupAccs accumulates turns per group of one dimension.
type groupAccs struct {
	byKind bool // a turn goes to each of its span kinds (span_kinds)
	m      map[string]*acc
}

func newGroupAccs(by string) *groupAccs {
	return &groupAccs{byKind: by == GroupBySpanKind, m: map[string]*acc{}}
}

func (g *groupAccs) get(key string) *acc {
	a := g.m[key]
	if a == nil {
		a = newAcc()
		g.m[key] = a
	}
	return a
}

// addTurn adds a turn to its group, or to the group of each kind of span
// it holds.
func (g *groupAccs) addTurn(t *turn) {
	if !g.byKind {
		g.get(t.key).add(t)
		return
	}
	eachSpanKind(t.key, func(k *kindSum) { g.get(k.kind).addKind(t, k) })
}

// addEval adds an evaluation to the groups of its turn, which its turn
// made.
func (g *groupAccs) addEval(e *turnEval) {
	if !g.byKind {
		if a := g.m[e.key]; a != nil {
			a.addEval(e)
		}
		return
	}
	eachSpanKind(e.key, func(k *kindSum) {
		if a := g.m[k.kind]; a != nil {
			a.addEval(e)
		}
	})
}

// Value returns the figure named like a GroupStats JSON field ("traces",
// "broken_rate", "latency_p95", ...) or "eval:<name>" (the mean score).
// It reports false for a name it does not know, and for a rate, a latency
// or a mean without samples.
func (g *GroupStats) Value(metric string) (float64, bool) {
	if name, ok := strings.CutPrefix(metric, "eval:"); ok {
		if e, ok := g.Evaluations[name]; ok && e.Mean != nil {
			return *e.Mean, true
		}
		return 0, false
	}
	switch metric {
	case "sessions":
		return float64(g.Sessions), true
	case "traces":
		return float64(g.Traces), true
	case "spans":
		return float64(g.Spans), true
	case "errors":
		return float64(g.Errors), true
	case "failed":
		return float64(g.Failed), true
	case "tokens":
		return float64(g.TotalTokens), true
	case "cost":
		return g.Cost, true
	}
	if g.Traces == 0 {
		return 0, false
	}
	switch metric {
	case "error_rate":
		return g.ErrorRate, true
	case "broken_rate":
		return g.BrokenRate, true
	case "latency_p50":
		return g.P50LatencyMS, true
	case "latency_p95":
		return g.P95LatencyMS, true
	}
	return 0, false
}

// GroupSorts are the accepted GroupQuery.Sort values, besides "eval:<name>".
var GroupSorts = []string{"key", "sessions", "traces", "spans", "errors", "error_rate", "failed", "broken_rate",
	"latency_p50", "latency_p95", "tokens", "cost"}

// Groups returns the figures of the turns f keeps, per group of q.By, and
// their total. A *FilterError reports a bad query.
func (s *Store) Groups(ctx context.Context, q GroupQuery) (*Groups, error) {
	limit, err := clampLimit(q.Limit)
	if err != nil {
		return nil, err
	}
	sortKey, desc := q.Sort, q.Desc
	if sortKey == "" {
		sortKey, desc = "traces", true
	}
	if !slices.Contains(GroupSorts, sortKey) && !strings.HasPrefix(sortKey, "eval:") {
		return nil, &FilterError{"sort", fmt.Sprintf("unknown sort %q (one of %s, eval:<name>)", sortKey, strings.Join(GroupSorts, ", "))}
	}
	if q.By == "" {
		return nil, &FilterError{"by", "required (one of model, user, tag, prompt_template, prompt_template_version, span_kind, metadata:<key>)"}
	}
	groups := newGroupAccs(q.By)
	total := newAcc()
	seen := map[string]bool{}
	// Tags and metadata join the turns to their sessions' values: a turn
	// comes once per value, or not at all, so the total is read apart.
	joined := q.By == GroupByTag || strings.HasPrefix(q.By, GroupByMetadataPrefix)
	seenEval := map[[2]string]bool{}
	sink := turnSink{
		turn: func(t *turn) {
			groups.addTurn(t)
			if !joined && !seen[t.traceID] {
				seen[t.traceID] = true
				total.add(t)
			}
		},
		eval: func(e *turnEval) {
			groups.addEval(e)
			if id := [2]string{e.traceID, e.spanID}; !joined && !seenEval[id] {
				seenEval[id] = true
				total.addEval(e)
			}
		},
		row: func(r *hourRow, isTotal bool) error {
			if isTotal {
				return total.addRow(r, groupParts)
			}
			return groups.get(r.key).addRow(r, groupParts)
		},
	}
	// The turns of a clean hour come from its rollups, the total's from
	// the rows of every turn; a scanned turn is counted in the total once
	// whatever its groups.
	p, usable := planRollup(q.TurnFilter, q.By, true, !joined)
	if err := s.readTurns(ctx, q.TurnFilter, q.By, p, usable, sink); err != nil {
		return nil, err
	}
	if joined {
		// A turn of a session without a tag (or without the metadata key)
		// is in no group, and in the total all the same.
		p, usable := planRollup(q.TurnFilter, "", false, true)
		err := s.readTurns(ctx, q.TurnFilter, "", p, usable, turnSink{
			turn: total.add,
			eval: total.addEval,
			row:  func(r *hourRow, _ bool) error { return total.addRow(r, groupParts) },
		})
		if err != nil {
			return nil, err
		}
	}
	out := &Groups{By: q.By, Groups: make([]GroupStats, 0, len(groups.m)), Total: total.stats("")}
	for k, a := range groups.m {
		out.Groups = append(out.Groups, a.stats(k))
	}
	slices.SortFunc(out.Groups, func(a, b GroupStats) int {
		if sortKey != "key" {
			va, oka := a.Value(sortKey)
			vb, okb := b.Value(sortKey)
			switch {
			case oka != okb: // groups without the value go last either way
				if oka {
					return -1
				}
				return 1
			case va != vb:
				if desc {
					return cmp.Compare(vb, va)
				}
				return cmp.Compare(va, vb)
			}
		} else if a.Key != b.Key {
			if desc {
				return strings.Compare(b.Key, a.Key)
			}
			return strings.Compare(a.Key, b.Key)
		}
		return strings.Compare(a.Key, b.Key)
	})
	if len(out.Groups) > limit {
		out.Groups = out.Groups[:limit]
	}
	return out, nil
}
