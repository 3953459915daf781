package pgstore

import (
	"context"
	"errors"
	"fmt"

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

// collect reads a batch result's rows of one text column.
func collect(br pgx.BatchResults) ([]string, error) {
	rows, err := br.Query()
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

// windowQuery reads the LLM latencies of the latest turns of a session or
// user (col), whose p50 and p95 the rows hold, as the SQLite store's
// windows.
func windowQuery(col string) string {
	return `SELECT llm_ms FROM traces WHERE ` + col + ` = $1 AND llm_ms != '' ORDER BY start_ns DESC LIMIT $2`
}

// sessionRow is what a sessions row is computed from.
type sessionRow struct {
	a                 agg
	user, first, last string
	windows           []string
	models, tags      []string
}

// refreshSessions computes the sessions' rows again from their traces, in
// two round trips (the reads, then the writes); the caller holds the
// sessions' locks.
func refreshSessions(ctx context.Context, tx pgx.Tx, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	var reads pgx.Batch
	for _, id := range ids {
		reads.Queue(`SELECT `+aggCols+` FROM traces WHERE session_id = $1 AND eval_only = 0`, id)
		reads.Queue(`SELECT user_id FROM traces WHERE session_id = $1 AND user_id != '' ORDER BY start_ns DESC LIMIT 1`, id)
		reads.Queue(`SELECT input FROM traces WHERE session_id = $1 AND input != '' AND eval_only = 0 ORDER BY start_ns LIMIT 1`, id)
		reads.Queue(`SELECT output FROM traces WHERE session_id = $1 AND output != '' AND eval_only = 0 ORDER BY start_ns DESC LIMIT 1`, id)
		reads.Queue(windowQuery("session_id"), id, record.PercentileWindow())
		reads.Queue(`SELECT model FROM session_models WHERE session_id = $1 ORDER BY model LIMIT 50`, id)
		reads.Queue(`SELECT tag FROM session_tags WHERE session_id = $1 ORDER BY tag LIMIT 100`, id)
	}
	rows := make([]sessionRow, len(ids))
	br := tx.SendBatch(ctx, &reads)
	for i := range ids {
		r := &rows[i]
		err := r.a.scan(br.QueryRow())
		if err == nil {
			err = optional(br.QueryRow(), &r.user)
		}
		if err == nil {
			err = optional(br.QueryRow(), &r.first)
		}
		if err == nil {
			err = optional(br.QueryRow(), &r.last)
		}
		if err == nil {
			r.windows, err = collect(br)
		}
		if err == nil {
			r.models, err = collect(br)
		}
		if err == nil {
			r.tags, err = collect(br)
		}
		if err != nil {
			br.Close()
			return fmt.Errorf("session %s: %w", ids[i], err)
		}
	}
	if err := br.Close(); err != nil {
		return err
	}
	var writes pgx.Batch
	for i, id := range ids {
		r := &rows[i]
		a := &r.a
		if a.traces == 0 {
			writes.Queue(`DELETE FROM sessions WHERE session_id = $1`, id)
			continue
		}
		p50, p95 := record.Percentiles(r.windows)
		writes.Queue(`INSERT INTO sessions (session_id, user_id, traces, spans, llm_calls, errors,
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
			id, r.user, a.traces, a.spans, a.llm, a.errors, a.errTraces, a.errorRate(), a.in, a.out, a.total,
			a.cost, a.unpriced, r.first, r.last, a.start, a.end, float64(a.end-a.start)/1e6, p50, p95,
			record.JSONList(r.models), record.JSONList(r.tags))
	}
	return tx.SendBatch(ctx, &writes).Close()
}

// refreshUsers computes the users' rows again from their traces, in two
// round trips; the caller holds the users' locks.
func refreshUsers(ctx context.Context, tx pgx.Tx, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	var reads pgx.Batch
	for _, id := range ids {
		reads.Queue(`SELECT `+aggCols+` FROM traces WHERE user_id = $1 AND eval_only = 0`, id)
		reads.Queue(`SELECT count(DISTINCT session_id) FROM traces WHERE user_id = $1 AND session_id != '' AND eval_only = 0`, id)
		reads.Queue(windowQuery("user_id"), id, record.PercentileWindow())
		reads.Queue(`SELECT DISTINCT model FROM traces WHERE user_id = $1 AND model != '' ORDER BY model LIMIT 50`, id)
	}
	type userRow struct {
		a        agg
		sessions int64
		windows  []string
		models   []string
	}
	rows := make([]userRow, len(ids))
	br := tx.SendBatch(ctx, &reads)
	for i := range ids {
		r := &rows[i]
		err := r.a.scan(br.QueryRow())
		if err == nil {
			err = br.QueryRow().Scan(&r.sessions)
		}
		if err == nil {
			r.windows, err = collect(br)
		}
		if err == nil {
			r.models, err = collect(br)
		}
		if err != nil {
			br.Close()
			return fmt.Errorf("user %s: %w", ids[i], err)
		}
	}
	if err := br.Close(); err != nil {
		return err
	}
	var writes pgx.Batch
	for i, id := range ids {
		r := &rows[i]
		a := &r.a
		if a.traces == 0 {
			writes.Queue(`DELETE FROM users WHERE user_id = $1`, id)
			continue
		}
		p50, p95 := record.Percentiles(r.windows)
		writes.Queue(`INSERT INTO users (user_id, sessions, traces, spans, llm_calls, errors, error_traces,
		error_rate, input_tokens, output_tokens, total_tokens, cost, unpriced, first_ns, last_ns, p50_ms, p95_ms, models)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18)
		ON CONFLICT (user_id) DO UPDATE SET sessions = excluded.sessions, traces = excluded.traces,
		spans = excluded.spans, llm_calls = excluded.llm_calls, errors = excluded.errors,
		error_traces = excluded.error_traces, error_rate = excluded.error_rate, input_tokens = excluded.input_tokens,
		output_tokens = excluded.output_tokens, total_tokens = excluded.total_tokens, cost = excluded.cost,
		unpriced = excluded.unpriced, first_ns = excluded.first_ns, last_ns = excluded.last_ns,
		p50_ms = excluded.p50_ms, p95_ms = excluded.p95_ms, models = excluded.models`,
			id, r.sessions, a.traces, a.spans, a.llm, a.errors, a.errTraces, a.errorRate(), a.in, a.out,
			a.total, a.cost, a.unpriced, a.start, a.end, p50, p95, record.JSONList(r.models))
	}
	return tx.SendBatch(ctx, &writes).Close()
}
