package pgstore

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/traceai-go/traceai/explorer/store/internal/record"
)

// The sums of a session's or user's turns (traces that are not eval-only),
// as the SQLite store's aggregates hold them.
const aggCols = `count(*), coalesce(sum(spans),0)::bigint, coalesce(sum(llm_calls),0)::bigint,
	coalesce(sum(errors),0)::bigint, coalesce(sum(failed),0)::bigint, coalesce(sum(input_tokens),0)::bigint,
	coalesce(sum(output_tokens),0)::bigint, coalesce(sum(total_tokens),0)::bigint, coalesce(sum(cost),0),
	coalesce(sum(unpriced),0)::bigint, coalesce(min(start_ns),0), coalesce(max(end_ns),0)`

type agg struct {
	traces, spans, llm, errors, errTraces int64
	in, out, total                        int64
	cost                                  float64
	unpriced                              int64
	start, end                            int64
}

func (a *agg) scan(row pgx.Row) error {
	return row.Scan(&a.traces, &a.spans, &a.llm, &a.errors, &a.errTraces, &a.in, &a.out, &a.total,
		&a.cost, &a.unpriced, &a.start, &a.end)
}

func (a *agg) errorRate() float64 {
	if a.traces == 0 {
		return 0
	}
	return float64(a.errTraces) / float64(a.traces)
}

func strs(ctx context.Context, tx pgx.Tx, q string, args ...any) ([]string, error) {
	rows, err := tx.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// optional scans one value, leaving dst as it is when there is no row.
func optional(row pgx.Row, dst any) error {
	if err := row.Scan(dst); err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return err
	}
	return nil
}

// percentiles are p50 and p95 of the LLM latencies of the latest turns of
// a session or user (col), as the SQLite store's windows hold them.
func percentiles(ctx context.Context, tx pgx.Tx, col, id string) (p50, p95 float64, err error) {
	lists, err := strs(ctx, tx, `SELECT llm_ms FROM traces WHERE `+col+` = $1 AND llm_ms != ''
		ORDER BY start_ns DESC LIMIT $2`, id, record.PercentileWindow())
	if err != nil {
		return 0, 0, err
	}
	p50, p95 = record.Percentiles(lists)
	return p50, p95, nil
}

// refreshSession computes a session's row again from its traces; the
// caller holds the session's lock.
func refreshSession(ctx context.Context, tx pgx.Tx, id string) error {
	var a agg
	if err := a.scan(tx.QueryRow(ctx, `SELECT `+aggCols+` FROM traces WHERE session_id = $1 AND eval_only = 0`, id)); err != nil {
		return err
	}
	if a.traces == 0 {
		_, err := tx.Exec(ctx, `DELETE FROM sessions WHERE session_id = $1`, id)
		return err
	}
	var user, first, last string
	if err := optional(tx.QueryRow(ctx, `SELECT user_id FROM traces WHERE session_id = $1 AND user_id != ''
		ORDER BY start_ns DESC LIMIT 1`, id), &user); err != nil {
		return err
	}
	if err := optional(tx.QueryRow(ctx, `SELECT input FROM traces WHERE session_id = $1 AND input != ''
		AND eval_only = 0 ORDER BY start_ns LIMIT 1`, id), &first); err != nil {
		return err
	}
	if err := optional(tx.QueryRow(ctx, `SELECT output FROM traces WHERE session_id = $1 AND output != ''
		AND eval_only = 0 ORDER BY start_ns DESC LIMIT 1`, id), &last); err != nil {
		return err
	}
	p50, p95, err := percentiles(ctx, tx, "session_id", id)
	if err != nil {
		return err
	}
	models, err := strs(ctx, tx, `SELECT model FROM session_models WHERE session_id = $1 ORDER BY model LIMIT 50`, id)
	if err != nil {
		return err
	}
	tags, err := strs(ctx, tx, `SELECT tag FROM session_tags WHERE session_id = $1 ORDER BY tag LIMIT 100`, id)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO sessions (session_id, user_id, traces, spans, llm_calls, errors,
		error_traces, error_rate, input_tokens, output_tokens, total_tokens, cost, unpriced, first_input,
		last_output, start_ns, end_ns, duration_ms, p50_ms, p95_ms, models, tags)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22)
		ON CONFLICT (session_id) DO UPDATE SET user_id = excluded.user_id, traces = excluded.traces,
		spans = excluded.spans, llm_calls = excluded.llm_calls, errors = excluded.errors,
		error_traces = excluded.error_traces, error_rate = excluded.error_rate, input_tokens = excluded.input_tokens,
		output_tokens = excluded.output_tokens, total_tokens = excluded.total_tokens, cost = excluded.cost,
		unpriced = excluded.unpriced, first_input = excluded.first_input, last_output = excluded.last_output,
		start_ns = excluded.start_ns, end_ns = excluded.end_ns, duration_ms = excluded.duration_ms,
		p50_ms = excluded.p50_ms, p95_ms = excluded.p95_ms, models = excluded.models, tags = excluded.tags`,
		id, user, a.traces, a.spans, a.llm, a.errors, a.errTraces, a.errorRate(), a.in, a.out, a.total,
		a.cost, a.unpriced, first, last, a.start, a.end, float64(a.end-a.start)/1e6, p50, p95,
		record.JSONList(models), record.JSONList(tags))
	return err
}

// refreshUser computes a user's row again from their traces; the caller
// holds the user's lock.
func refreshUser(ctx context.Context, tx pgx.Tx, id string) error {
	var a agg
	if err := a.scan(tx.QueryRow(ctx, `SELECT `+aggCols+` FROM traces WHERE user_id = $1 AND eval_only = 0`, id)); err != nil {
		return err
	}
	if a.traces == 0 {
		_, err := tx.Exec(ctx, `DELETE FROM users WHERE user_id = $1`, id)
		return err
	}
	var sessions int64
	if err := tx.QueryRow(ctx, `SELECT count(DISTINCT session_id) FROM traces WHERE user_id = $1
		AND session_id != '' AND eval_only = 0`, id).Scan(&sessions); err != nil {
		return err
	}
	p50, p95, err := percentiles(ctx, tx, "user_id", id)
	if err != nil {
		return err
	}
	models, err := strs(ctx, tx, `SELECT DISTINCT model FROM traces WHERE user_id = $1 AND model != '' ORDER BY model LIMIT 50`, id)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO users (user_id, sessions, traces, spans, llm_calls, errors, error_traces,
		error_rate, input_tokens, output_tokens, total_tokens, cost, unpriced, first_ns, last_ns, p50_ms, p95_ms, models)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18)
		ON CONFLICT (user_id) DO UPDATE SET sessions = excluded.sessions, traces = excluded.traces,
		spans = excluded.spans, llm_calls = excluded.llm_calls, errors = excluded.errors,
		error_traces = excluded.error_traces, error_rate = excluded.error_rate, input_tokens = excluded.input_tokens,
		output_tokens = excluded.output_tokens, total_tokens = excluded.total_tokens, cost = excluded.cost,
		unpriced = excluded.unpriced, first_ns = excluded.first_ns, last_ns = excluded.last_ns,
		p50_ms = excluded.p50_ms, p95_ms = excluded.p95_ms, models = excluded.models`,
		id, sessions, a.traces, a.spans, a.llm, a.errors, a.errTraces, a.errorRate(), a.in, a.out,
		a.total, a.cost, a.unpriced, a.start, a.end, p50, p95, record.JSONList(models))
	return err
}
