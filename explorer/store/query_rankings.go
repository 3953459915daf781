package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// Rankings returns the best or worst sessions or users by a metric.
func (s *Store) Rankings(ctx context.Context, q RankingQuery) (*Ranking, error) {
	if q.By == "" {
		q.By = "session"
	}
	if q.Order == "" {
		q.Order = "worst"
	}
	if q.Metric == "" {
		m, err := s.defaultRankingMetric(ctx)
		if err != nil {
			return nil, err
		}
		q.Metric = m
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
	if err := p.timeRange("x."+endCol+" >= ?", q.Since, "x."+startCol+" < ?", q.Until); err != nil {
		return nil, err
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
		query = `SELECT e.` + idCol + ` AS id, avg(e.score) AS v, count(*) AS n FROM evaluations e JOIN ` + table + ` x ON x.` + idCol + ` = e.` + idCol +
			p.sql() + ` GROUP BY e.` + idCol
	} else {
		var val, samples string
		switch q.Metric {
		case "error_rate":
			val, samples = "x.error_rate", "x.traces"
			p.add("x.traces > 0") // a rate of no turns is nothing to rank
		case "latency_p95":
			val, samples = "x.p95_ms", "x.llm_calls"
			p.add("x.llm_calls > 0")
		case "tokens":
			val, samples = "x.total_tokens", "x.traces"
			p.add("x.traces > 0")
		case "cost":
			val, samples = "x.cost", "x.llm_calls"
			p.add("x.llm_calls > 0")
		default:
			return nil, &FilterError{"metric", `must be error_rate, latency_p95, tokens, cost or eval:<name>`}
		}
		query = `SELECT x.` + idCol + ` AS id, ` + val + ` AS v, ` + samples + ` AS n FROM ` + table + ` x` + p.sql()
	}
	// When every row has the same value, any order would be arbitrary:
	// list none and say so.
	var lo, hi *float64
	var n int64
	if err := s.rdb.QueryRowContext(ctx, `SELECT min(v), max(v), count(*) FROM (`+query+`) AS r`, p.args...).Scan(&lo, &hi, &n); err != nil {
		return nil, err
	}
	if n > 1 && lo != nil && hi != nil && *lo == *hi {
		return &Ranking{By: q.By, Metric: q.Metric, Order: q.Order, Rows: []RankingRow{}, Tied: true, TiedValue: *lo}, nil
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
	return column[string](ctx, s.rdb, q, args...)
}

// column reads the one column of q's rows, through db (the read pool or
// a transaction).
func column[T any](ctx context.Context, db queryer, q string, args ...any) ([]T, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		var v T
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// defaultRankingMetric is the evaluation scored most often, when there is
// one (what the team judged is the best sign of a good or bad
// conversation), else the error rate.
func (s *Store) defaultRankingMetric(ctx context.Context) (string, error) {
	var name string
	err := s.rdb.QueryRowContext(ctx, `SELECT name FROM evaluations WHERE score IS NOT NULL GROUP BY name ORDER BY count(*) DESC, name LIMIT 1`).Scan(&name)
	switch {
	case err == sql.ErrNoRows:
		return "error_rate", nil
	case err != nil:
		return "", err
	}
	return "eval:" + name, nil
}
