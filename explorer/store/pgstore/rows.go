package pgstore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/traceai-go/traceai/explorer/internal/textquery"
	"github.com/traceai-go/traceai/explorer/store/internal/record"
)

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// putTraces writes the traces rows and their search documents, and moves
// the evaluations of a stored trace with its session and user.
func putTraces(ctx context.Context, tx pgx.Tx, ids []string, sums map[string]*record.Trace, old map[string][2]string) error {
	var sessions []string
	for _, id := range ids {
		if tr := sums[id]; tr.Text[5] != "" && tr.Session != "" {
			sessions = append(sessions, tr.Session)
		}
	}
	last := map[string]string{}
	if len(sessions) > 0 {
		rows, err := tx.Query(ctx, `SELECT DISTINCT ON (session_id) session_id, system FROM turn_text
			WHERE session_id = ANY($1) AND system != '' ORDER BY session_id, rowid DESC`, sessions)
		if err != nil {
			return fmt.Errorf("search documents: %w", err)
		}
		var sid, sys string
		if _, err := pgx.ForEachRow(rows, []any{&sid, &sys}, func() error {
			last[sid] = sys
			return nil
		}); err != nil {
			return fmt.Errorf("search documents: %w", err)
		}
	}
	seen := map[string]string{}
	var batch pgx.Batch
	for _, id := range ids {
		tr := sums[id]
		batch.Queue(`INSERT INTO traces (trace_id, session_id, user_id, start_ns, end_ns, root_name, spans,
			llm_calls, errors, error_message, input_tokens, output_tokens, total_tokens, cost, unpriced, model,
			input, output, retries, refused, empty, llm_ms, eval_only, failed)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23,$24)
			ON CONFLICT (trace_id) DO UPDATE SET session_id = excluded.session_id, user_id = excluded.user_id,
			start_ns = excluded.start_ns, end_ns = excluded.end_ns, root_name = excluded.root_name,
			spans = excluded.spans, llm_calls = excluded.llm_calls, errors = excluded.errors,
			error_message = excluded.error_message, input_tokens = excluded.input_tokens,
			output_tokens = excluded.output_tokens, total_tokens = excluded.total_tokens, cost = excluded.cost,
			unpriced = excluded.unpriced, model = excluded.model, input = excluded.input, output = excluded.output,
			retries = excluded.retries, refused = excluded.refused, empty = excluded.empty, llm_ms = excluded.llm_ms,
			eval_only = excluded.eval_only, failed = excluded.failed`,
			id, tr.Session, tr.User, tr.Start, tr.End, tr.RootName, tr.Spans, tr.LLMCalls, tr.Errors, tr.ErrorMessage,
			tr.InputTokens, tr.OutputTokens, tr.TotalTokens, tr.Cost, tr.Unpriced, tr.Model, tr.Input, tr.Output,
			tr.Retries, b2i(tr.Refused), b2i(tr.Empty), tr.LLMMS, b2i(tr.EvalOnly), b2i(tr.Failed))
		t := &tr.Text
		if sys := t[5]; sys != "" && tr.Session != "" {
			// As the SQLite store: a new turn leaves out the system
			// prompt its session's last document holds.
			prev, ok := seen[tr.Session]
			if !ok {
				prev = last[tr.Session]
			}
			if _, existed := old[id]; !existed && prev == sys {
				t[5] = ""
			} else {
				seen[tr.Session] = sys
			}
		}
		if empty(t) || tr.EvalOnly {
			batch.Queue(`DELETE FROM turn_text WHERE trace_id = $1`, id)
		} else {
			batch.Queue(`INSERT INTO turn_text (trace_id, session_id, start_ns, input, output, "user", assistant, tool, system, folded)
				VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) ON CONFLICT (trace_id) DO UPDATE SET session_id = excluded.session_id,
				start_ns = excluded.start_ns, input = excluded.input, output = excluded.output, "user" = excluded."user",
				assistant = excluded.assistant, tool = excluded.tool, system = excluded.system, folded = excluded.folded`,
				id, tr.Session, tr.Start, t[0], t[1], t[2], t[3], t[4], t[5], textquery.Fold(strings.Join(t[:], "\n")))
		}
		batch.Queue(`UPDATE traces SET search_doc = coalesce((SELECT rowid FROM turn_text WHERE trace_id = $1), 0)
			WHERE trace_id = $1`, id)
		if _, existed := old[id]; existed {
			// Evaluations of this trace's spans follow its session and user.
			batch.Queue(`UPDATE evaluations SET session_id = $1, user_id = $2 WHERE target_trace_id = $3
				AND (session_id != $1 OR user_id != $2)`, tr.Session, tr.User, id)
		}
	}
	if err := tx.SendBatch(ctx, &batch).Close(); err != nil {
		return fmt.Errorf("write traces: %w", err)
	}
	return nil
}

func empty(t *[6]string) bool {
	for _, s := range t {
		if s != "" {
			return false
		}
	}
	return true
}

// findTarget looks for an evaluation's target span in the trace it links
// it in, then in its own trace, as the SQLite store does.
func findTarget(ctx context.Context, tx pgx.Tx, linked, own, spanID string) (trace, session, user string, found bool, err error) {
	for i, id := range []string{linked, own} {
		if id == "" || (i == 1 && id == linked) {
			continue
		}
		err := tx.QueryRow(ctx, `SELECT session_id, user_id FROM traces WHERE trace_id = $1
			AND EXISTS (SELECT 1 FROM spans WHERE trace_id = $1 AND span_id = $2)`, id, spanID).Scan(&session, &user)
		if errors.Is(err, pgx.ErrNoRows) {
			continue
		}
		if err != nil {
			return "", "", "", false, err
		}
		return id, session, user, true, nil
	}
	return "", "", "", false, nil
}

// putEvaluations stores the request's evaluation spans, resolved to their
// target when it is stored, then resolves the evaluations that waited for
// a span of the request's traces.
func putEvaluations(ctx context.Context, tx pgx.Tx, b *record.Batch, traceIDs []string) error {
	for i := range b.Spans {
		sp := &b.Spans[i]
		e := sp.Eval
		if e == nil {
			continue
		}
		target, session, user := "", sp.SessionID, sp.UserID
		if e.Target != "" {
			tt, ts, tu, found, err := findTarget(ctx, tx, e.Linked, sp.TraceID, e.Target)
			if err != nil {
				return fmt.Errorf("evaluation %s: %w", sp.SpanID, err)
			}
			if found {
				target = tt
				if ts != "" {
					session = ts
				}
				if tu != "" {
					user = tu
				}
			}
		} else {
			target = sp.TraceID
		}
		if _, err := tx.Exec(ctx, `INSERT INTO evaluations (span_id, trace_id, target_span_id, target_trace_id,
			target_linked_trace, session_id, user_id, name, score, label, explanation, time_ns)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12) ON CONFLICT (trace_id, span_id) DO UPDATE SET
			target_span_id = excluded.target_span_id, target_trace_id = excluded.target_trace_id,
			target_linked_trace = excluded.target_linked_trace, session_id = excluded.session_id,
			user_id = excluded.user_id, name = excluded.name, score = excluded.score, label = excluded.label,
			explanation = excluded.explanation, time_ns = excluded.time_ns`,
			sp.SpanID, sp.TraceID, e.Target, target, e.Linked, session, user, e.Name, e.Score, e.Label,
			e.Explanation, sp.EndNS); err != nil {
			return fmt.Errorf("evaluation %s: %w", sp.SpanID, err)
		}
	}
	rows, err := tx.Query(ctx, `SELECT trace_id, span_id, target_span_id, target_linked_trace FROM evaluations
		WHERE target_trace_id = '' AND target_span_id != '' AND (target_linked_trace = ANY($1) OR trace_id = ANY($1))`, traceIDs)
	if err != nil {
		return fmt.Errorf("pending evaluations: %w", err)
	}
	type wait struct{ trace, span, target, linked string }
	var w wait
	var waiting []wait
	if _, err := pgx.ForEachRow(rows, []any{&w.trace, &w.span, &w.target, &w.linked}, func() error {
		waiting = append(waiting, w)
		return nil
	}); err != nil {
		return fmt.Errorf("pending evaluations: %w", err)
	}
	for _, w := range waiting {
		target, session, user, found, err := findTarget(ctx, tx, w.linked, w.trace, w.target)
		if err != nil {
			return fmt.Errorf("pending evaluation %s: %w", w.span, err)
		}
		if !found {
			continue
		}
		if _, err := tx.Exec(ctx, `UPDATE evaluations SET target_trace_id = $1,
			session_id = CASE WHEN $2 != '' THEN $2 ELSE session_id END,
			user_id = CASE WHEN $3 != '' THEN $3 ELSE user_id END
			WHERE trace_id = $4 AND span_id = $5 AND target_trace_id = ''`, target, session, user, w.trace, w.span); err != nil {
			return fmt.Errorf("pending evaluation %s: %w", w.span, err)
		}
	}
	return nil
}

// putFacts writes the sessions' tags, models and metadata (the latest
// value of a key wins).
func putFacts(ctx context.Context, tx pgx.Tx, b *record.Batch) error {
	// In one order, as the locks: another writer may insert the same rows.
	slices.SortFunc(b.Tags, func(x, y [2]string) int { return cmp.Compare(x[0]+"\x00"+x[1], y[0]+"\x00"+y[1]) })
	slices.SortFunc(b.Models, func(x, y [2]string) int { return cmp.Compare(x[0]+"\x00"+x[1], y[0]+"\x00"+y[1]) })
	slices.SortStableFunc(b.Meta, func(x, y [3]string) int { return cmp.Compare(x[0]+"\x00"+x[1], y[0]+"\x00"+y[1]) })
	var batch pgx.Batch
	for _, f := range b.Tags {
		batch.Queue(`INSERT INTO session_tags (session_id, tag) VALUES ($1, $2) ON CONFLICT DO NOTHING`, f[0], f[1])
	}
	for _, f := range b.Models {
		batch.Queue(`INSERT INTO session_models (session_id, model) VALUES ($1, $2) ON CONFLICT DO NOTHING`, f[0], f[1])
	}
	for _, f := range b.Meta {
		batch.Queue(`INSERT INTO session_meta (session_id, key, value) VALUES ($1, $2, $3)
			ON CONFLICT (session_id, key) DO UPDATE SET value = excluded.value`, f[0], f[1], f[2])
	}
	if batch.Len() == 0 {
		return nil
	}
	if err := tx.SendBatch(ctx, &batch).Close(); err != nil {
		return fmt.Errorf("session facts: %w", err)
	}
	return nil
}
