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
	// Column arrays: one statement writes each table.
	var c traceCols
	var docs docCols
	var gone, moved []string
	var movedSess, movedUser []string
	for _, id := range ids {
		tr := sums[id]
		c.add(id, tr)
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
			gone = append(gone, id)
		} else {
			docs.add(id, tr)
		}
		if _, existed := old[id]; existed {
			moved, movedSess, movedUser = append(moved, id), append(movedSess, tr.Session), append(movedUser, tr.User)
		}
	}
	var batch pgx.Batch
	batch.Queue(`DELETE FROM turn_text WHERE trace_id = ANY($1)`, gone)
	// Documents are numbered in the order of ids (unnest's), as SQLite's.
	batch.Queue(`INSERT INTO turn_text (trace_id, session_id, start_ns, input, output, "user", assistant, tool, system, folded)
		SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[],
		$8::text[], $9::text[], $10::text[])
		ON CONFLICT (trace_id) DO UPDATE SET session_id = excluded.session_id,
		start_ns = excluded.start_ns, input = excluded.input, output = excluded.output, "user" = excluded."user",
		assistant = excluded.assistant, tool = excluded.tool, system = excluded.system, folded = excluded.folded`,
		docs.id, docs.session, docs.start, docs.text[0], docs.text[1], docs.text[2], docs.text[3], docs.text[4],
		docs.text[5], docs.folded)
	batch.Queue(`INSERT INTO traces (trace_id, session_id, user_id, start_ns, end_ns, root_name, spans,
		llm_calls, errors, error_message, input_tokens, output_tokens, total_tokens, cost, unpriced, model,
		input, output, retries, refused, empty, llm_ms, eval_only, failed, prompt_template, prompt_version, span_kinds, search_doc)
		SELECT v.*, coalesce(d.rowid, 0) FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[],
		$6::text[], $7::bigint[], $8::bigint[], $9::bigint[], $10::text[], $11::bigint[], $12::bigint[], $13::bigint[],
		$14::float8[], $15::bigint[], $16::text[], $17::text[], $18::text[], $19::bigint[], $20::bigint[], $21::bigint[],
		$22::text[], $23::smallint[], $24::smallint[], $25::text[], $26::text[], $27::text[]) AS v(id)
		LEFT JOIN turn_text d ON d.trace_id = v.id
		ON CONFLICT (trace_id) DO UPDATE SET session_id = excluded.session_id, user_id = excluded.user_id,
		start_ns = excluded.start_ns, end_ns = excluded.end_ns, root_name = excluded.root_name,
		spans = excluded.spans, llm_calls = excluded.llm_calls, errors = excluded.errors,
		error_message = excluded.error_message, input_tokens = excluded.input_tokens,
		output_tokens = excluded.output_tokens, total_tokens = excluded.total_tokens, cost = excluded.cost,
		unpriced = excluded.unpriced, model = excluded.model, input = excluded.input, output = excluded.output,
		retries = excluded.retries, refused = excluded.refused, empty = excluded.empty, llm_ms = excluded.llm_ms,
		eval_only = excluded.eval_only, failed = excluded.failed, prompt_template = excluded.prompt_template,
		prompt_version = excluded.prompt_version, span_kinds = excluded.span_kinds, search_doc = excluded.search_doc`,
		c.id, c.session, c.user, c.start, c.end, c.root, c.spans, c.llm, c.errs, c.errMsg, c.in, c.out, c.total,
		c.cost, c.unpriced, c.model, c.input, c.output, c.retries, c.refused, c.empty, c.llmMS, c.evalOnly, c.failed,
		c.prompt, c.promptVer, c.kinds)
	if len(moved) > 0 {
		// Evaluations of a stored trace's spans follow its session and
		// user.
		batch.Queue(`UPDATE evaluations e SET session_id = v.s, user_id = v.u
			FROM unnest($1::text[], $2::text[], $3::text[]) AS v(t, s, u)
			WHERE e.target_trace_id = v.t AND (e.session_id != v.s OR e.user_id != v.u)`, moved, movedSess, movedUser)
	}
	if err := tx.SendBatch(ctx, &batch).Close(); err != nil {
		return fmt.Errorf("write traces: %w", err)
	}
	return nil
}

// traceCols are traces rows as column arrays.
type traceCols struct {
	id, session, user, root, errMsg, model, input, output, llmMS []string
	prompt, promptVer, kinds                                     []string
	start, end, spans, llm, errs, in, out, total, unpriced       []int64
	retries, refused, empty                                      []int64
	cost                                                         []float64
	evalOnly, failed                                             []int16
}

func (c *traceCols) add(id string, tr *record.Trace) {
	c.id, c.session, c.user = append(c.id, id), append(c.session, tr.Session), append(c.user, tr.User)
	c.start, c.end, c.root = append(c.start, tr.Start), append(c.end, tr.End), append(c.root, tr.RootName)
	c.spans, c.llm, c.errs = append(c.spans, tr.Spans), append(c.llm, tr.LLMCalls), append(c.errs, tr.Errors)
	c.errMsg, c.in, c.out = append(c.errMsg, tr.ErrorMessage), append(c.in, tr.InputTokens), append(c.out, tr.OutputTokens)
	c.total, c.cost, c.unpriced = append(c.total, tr.TotalTokens), append(c.cost, tr.Cost), append(c.unpriced, tr.Unpriced)
	c.model, c.input, c.output = append(c.model, tr.Model), append(c.input, tr.Input), append(c.output, tr.Output)
	c.retries, c.refused, c.empty = append(c.retries, tr.Retries), append(c.refused, b2i(tr.Refused)), append(c.empty, b2i(tr.Empty))
	c.llmMS, c.evalOnly, c.failed = append(c.llmMS, tr.LLMMS), append(c.evalOnly, int16(b2i(tr.EvalOnly))), append(c.failed, int16(b2i(tr.Failed)))
	c.prompt, c.promptVer = append(c.prompt, tr.PromptTemplate), append(c.promptVer, tr.PromptVersion)
	c.kinds = append(c.kinds, tr.SpanKinds)
}

// docCols are turn_text rows as column arrays.
type docCols struct {
	id, session, folded []string
	start               []int64
	text                [6][]string
}

func (d *docCols) add(id string, tr *record.Trace) {
	d.id, d.session, d.start = append(d.id, id), append(d.session, tr.Session), append(d.start, tr.Start)
	for i, s := range tr.Text {
		d.text[i] = append(d.text[i], s)
	}
	d.folded = append(d.folded, textquery.Fold(strings.Join(tr.Text[:], "\n")))
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
func putFacts(ctx context.Context, tx pgx.Tx, b *record.Batch) (tagged []string, err error) {
	// In one order, as the locks: another writer may insert the same rows.
	slices.SortFunc(b.Tags, func(x, y [2]string) int { return cmp.Compare(x[0]+"\x00"+x[1], y[0]+"\x00"+y[1]) })
	slices.SortFunc(b.Models, func(x, y [2]string) int { return cmp.Compare(x[0]+"\x00"+x[1], y[0]+"\x00"+y[1]) })
	slices.SortStableFunc(b.Meta, func(x, y record.Meta) int {
		return cmp.Compare(x.Session+"\x00"+x.Key, y.Session+"\x00"+y.Key)
	})
	var batch pgx.Batch
	for _, f := range b.Tags {
		batch.Queue(`INSERT INTO session_tags (session_id, tag) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING session_id`, f[0], f[1])
	}
	for _, f := range b.Models {
		batch.Queue(`INSERT INTO session_models (session_id, model) VALUES ($1, $2) ON CONFLICT DO NOTHING`, f[0], f[1])
	}
	for _, f := range b.Meta {
		batch.Queue(`INSERT INTO session_meta (session_id, key, value, kind) VALUES ($1, $2, $3, $4)
			ON CONFLICT (session_id, key) DO UPDATE SET value = excluded.value, kind = excluded.kind`, f.Session, f.Key, f.Value, string(f.Kind))
	}
	if batch.Len() == 0 {
		return nil, nil
	}
	br := tx.SendBatch(ctx, &batch)
	// The sessions given a new tag: the dashboard's rollups of their
	// earlier turns are stale.
	seen := map[string]bool{}
	for range b.Tags {
		var sid string
		switch err := br.QueryRow().Scan(&sid); {
		case errors.Is(err, pgx.ErrNoRows):
		case err != nil:
			br.Close()
			return nil, fmt.Errorf("session facts: %w", err)
		case !seen[sid]:
			seen[sid] = true
			tagged = append(tagged, sid)
		}
	}
	if err := br.Close(); err != nil {
		return nil, fmt.Errorf("session facts: %w", err)
	}
	return tagged, nil
}
