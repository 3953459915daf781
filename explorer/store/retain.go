package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"
)

// Retention deletes whole traces (turns), oldest first, each call one
// short transaction of the single writer, so that ingest waits at most for
// one small batch. What a deleted trace leaves behind goes with it: its
// spans, its search document, the evaluations in it or of it, and the
// sessions and users rows are recomputed from the traces that remain (a
// session or user with none left is deleted, with the session's tags,
// models and metadata).

// DefaultRetainBatch is the number of traces one retention call deletes
// when its limit is 0 or less.
const DefaultRetainBatch = 64

// DeleteBefore deletes up to limit traces that started before t, and
// returns how many it deleted: 0 when none is left.
func (s *Store) DeleteBefore(ctx context.Context, t time.Time, limit int) (int, error) {
	cut := t.UnixNano()
	return s.retainBatch(ctx, limit, cut, func(q *retainQueue, n int) error {
		// From a covering index of the traces (it holds start_ns), not
		// the rows, in no order: every trace before t goes.
		return s.fillQueue(ctx, q, `SELECT rowid, trace_id, 0 FROM traces WHERE start_ns < ? LIMIT ?`, cut, n)
	})
}

// TrimToSpans deletes up to limit of the oldest traces while the store
// holds more than maxSpans spans, and returns how many it deleted: 0 when
// the store holds maxSpans spans or fewer. A trace goes whole, so the
// store may end a trace's spans below maxSpans. The spans are counted when
// the store looks for the oldest traces, once per retainQueueBatches calls:
// spans ingested meanwhile are trimmed at the next look.
func (s *Store) TrimToSpans(ctx context.Context, maxSpans int64, limit int) (int, error) {
	return s.retainBatch(ctx, limit, math.MaxInt64, func(q *retainQueue, n int) error {
		var total int64
		if err := s.rdb.QueryRowContext(ctx, `SELECT coalesce(sum(spans), 0) FROM traces`).Scan(&total); err != nil {
			return err
		}
		excess := total - max(maxSpans, 0)
		if excess <= 0 {
			return nil
		}
		if err := s.fillQueue(ctx, q, `SELECT rowid, trace_id, spans FROM traces ORDER BY start_ns LIMIT ?`, n); err != nil {
			return err
		}
		for i, e := range q.traces {
			if excess -= e.spans; excess <= 0 {
				q.traces = q.traces[:i+1]
				break
			}
		}
		return nil
	})
}

// retainQueueBatches is how many calls' worth of traces one look for
// traces to delete finds: looking scans an index or the traces table.
const retainQueueBatches = 16

// retainQueue holds the traces a look found and calls have not deleted
// yet, for the rule (cut) that found them.
type retainQueue struct {
	mu     sync.Mutex
	rule   int64 // the cut of DeleteBefore, math.MaxInt64 for TrimToSpans
	traces []queuedTrace
}

type queuedTrace struct {
	rowid int64
	id    string
	spans int64
}

// retainBatch deletes the next up to limit traces of the queue for cut,
// looking for more (fill) when it is empty.
func (s *Store) retainBatch(ctx context.Context, limit int, cut int64, fill func(*retainQueue, int) error) (int, error) {
	if limit <= 0 {
		limit = DefaultRetainBatch
	}
	q := &s.retainQ
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.rule != cut {
		q.rule, q.traces = cut, nil
	}
	for refilled := false; ; {
		if len(q.traces) == 0 {
			if refilled {
				return 0, nil
			}
			if err := fill(q, limit*retainQueueBatches); err != nil {
				return 0, fmt.Errorf("store: retention: %w", err)
			}
			refilled = true
			if len(q.traces) == 0 {
				return 0, nil
			}
		}
		batch := q.traces[:min(limit, len(q.traces))]
		q.traces = q.traces[len(batch):]
		n, err := s.deleteTraces(ctx, batch, cut)
		if err != nil || n > 0 {
			return n, err
		}
		// Those traces went or changed meanwhile: go on with the next.
	}
}

// fillQueue reads (rowid, trace_id, spans) rows into the queue.
func (s *Store) fillQueue(ctx context.Context, q *retainQueue, query string, args ...any) error {
	rows, err := s.rdb.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var e queuedTrace
		if err := rows.Scan(&e.rowid, &e.id, &e.spans); err != nil {
			return err
		}
		q.traces = append(q.traces, e)
	}
	return rows.Err()
}

// deleteTraces has the writer delete the queued traces that still are
// what was queued (same rowid and trace id) and started before cut
// (ingest may have moved a trace's start since it was queued).
func (s *Store) deleteTraces(ctx context.Context, traces []queuedTrace, cut int64) (int, error) {
	var n int
	req := &writeReq{done: make(chan error, 1), job: func(t *txn) error {
		var err error
		n, err = t.deleteTraces(traces, cut)
		return err
	}}
	if err := s.submit(ctx, req); err != nil {
		if errors.Is(err, ErrClosed) || ctx.Err() != nil {
			return 0, err
		}
		return 0, fmt.Errorf("store: retention: %w", err)
	}
	return n, nil
}

// runJob runs a writer job in a transaction of its own and answers it.
func (w *writer) runJob(r *writeReq) {
	err := w.job(r.job)
	if err != nil {
		w.cfg.logger.Error("traceai explorer: writer job failed", "err", err)
	}
	r.done <- err
	select {
	case w.commits <- struct{}{}:
	default:
	}
}

var (
	goneTraceLookup = `SELECT rowid, trace_id, session_id, user_id, start_ns, span_rows, search_doc FROM traces
	WHERE rowid IN (?` + strings.Repeat(",?", lookupN-1) + `)`
	deleteTraceRows = `DELETE FROM traces WHERE rowid IN (?` + strings.Repeat(",?", lookupN-1) + `)`
	// deleteOwnEvals deletes the evaluations in deleted traces, telling
	// which were waiting for their target span (Store.pending).
	deleteOwnEvals = `DELETE FROM evaluations WHERE trace_id IN (?` + strings.Repeat(",?", lookupN-1) + `)
	RETURNING target_trace_id = '' AND target_span_id != ''`
	// deleteTargetEvals deletes the evaluations of deleted traces' spans.
	deleteTargetEvals = `DELETE FROM evaluations WHERE target_trace_id IN (?` + strings.Repeat(",?", lookupN-1) + `)`
)

// selectSystemText reads the system prompts of up to lookupN search
// documents.
var selectSystemText = `SELECT rowid, system FROM turn_text WHERE rowid IN (?` + strings.Repeat(",?", lookupN-1) + `)`

// movePrompt puts the system prompt of a session's deleted turn into the
// search document of its first remaining turn that has a document and no
// prompt of its own.
func (t *txn) movePrompt(session, prompt string) error {
	if prompt == "" {
		return nil
	}
	var doc int64
	err := t.queryRow(`SELECT search_doc FROM traces WHERE session_id = ? AND search_doc != 0 ORDER BY start_ns LIMIT 1`, session).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	return t.exec(`UPDATE turn_text SET system = ? WHERE rowid = ? AND system = ''`, prompt, doc)
}

const sessionHasTurns = `SELECT count(*) FROM (SELECT 1 FROM traces WHERE session_id = ? AND eval_only = 0 LIMIT 1)`

// deleteTraces deletes the traces of rowids that started before cut, with
// everything that belongs to them, and recomputes their sessions and users.
func (t *txn) deleteTraces(traces []queuedTrace, cut int64) (int, error) {
	rowids := make([]int64, len(traces))
	queued := make(map[int64]string, len(traces))
	for i, e := range traces {
		rowids[i], queued[e.rowid] = e.rowid, e.id
	}
	var ids []string
	var rows, docs, gone []int64
	sessions, users := map[string]bool{}, map[string]bool{}
	docSession := map[int64]string{}
	hours := map[int64]bool{} // whose rollups change
	err := t.lookupRows(goneTraceLookup, rowids, func(r *sql.Rows) error {
		var rowid, start, doc int64
		var id, session, user, spanRows string
		if err := r.Scan(&rowid, &id, &session, &user, &start, &spanRows, &doc); err != nil {
			return err
		}
		if start >= cut || queued[rowid] != id {
			return nil
		}
		gone = append(gone, rowid)
		ids = append(ids, id)
		hours[hourOf(start)] = true
		rows = append(rows, parseRows(spanRows)...)
		if doc != 0 {
			docs = append(docs, doc)
			docSession[doc] = session
		}
		if session != "" {
			sessions[session] = true
		}
		if user != "" {
			users[user] = true
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("traces: %w", err)
	}
	if len(gone) == 0 {
		return 0, nil
	}
	if err := t.deleteRows(rows); err != nil {
		return 0, fmt.Errorf("spans: %w", err)
	}
	// A session's system prompt is indexed in one of its turns only
	// (dedupeSystem): when that turn goes, the prompt moves to the
	// session's first remaining turn (below).
	prompts := map[string]string{}
	err = t.lookupRows(selectSystemText, docs, func(r *sql.Rows) error {
		var doc int64
		var system string
		if err := r.Scan(&doc, &system); err != nil {
			return err
		}
		if sid := docSession[doc]; sid != "" && system != "" && prompts[sid] == "" {
			prompts[sid] = system
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("search documents: %w", err)
	}
	if err := inChunks(docs, func(a []any) error { return t.exec(deleteSearchDocs, a...) }); err != nil {
		return 0, fmt.Errorf("search documents: %w", err)
	}
	if err := t.markTraceHours(hours, judgedStarts, ids); err != nil {
		return 0, fmt.Errorf("evaluations: %w", err)
	}
	if err := t.markHours(hours); err != nil {
		return 0, err
	}
	pendingGone := 0
	err = t.lookupIn(deleteOwnEvals, ids, func(r *sql.Rows) error {
		var waiting bool
		if err := r.Scan(&waiting); err != nil {
			return err
		}
		if waiting {
			pendingGone++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("evaluations: %w", err)
	}
	if err := inChunks(ids, func(a []any) error { return t.exec(deleteTargetEvals, a...) }); err != nil {
		return 0, fmt.Errorf("evaluations: %w", err)
	}
	if err := inChunks(gone, func(a []any) error { return t.exec(deleteTraceRows, a...) }); err != nil {
		return 0, fmt.Errorf("traces: %w", err)
	}
	factsGone := false
	for id := range sessions {
		var left int
		if err := t.queryRow(sessionHasTurns, id).Scan(&left); err != nil {
			return 0, fmt.Errorf("session %q: %w", id, err)
		}
		if left > 0 {
			if err := t.w.refreshSession(t, id); err != nil {
				return 0, fmt.Errorf("session %q: %w", id, err)
			}
			if err := t.movePrompt(id, prompts[id]); err != nil {
				return 0, fmt.Errorf("session %q: %w", id, err)
			}
			continue
		}
		// No turn left: the session goes, with its facts.
		for _, q := range []string{`DELETE FROM sessions WHERE session_id = ?`, `DELETE FROM session_tags WHERE session_id = ?`,
			`DELETE FROM session_models WHERE session_id = ?`, `DELETE FROM session_meta WHERE session_id = ?`} {
			if err := t.exec(q, id); err != nil {
				return 0, fmt.Errorf("session %q: %w", id, err)
			}
		}
		t.setWindow("session_id\x00"+id, nil)
		factsGone = true
	}
	for id := range users {
		if err := t.w.refreshUser(t, id); err != nil {
			return 0, fmt.Errorf("user %q: %w", id, err)
		}
	}
	t.onCommit = append(t.onCommit, func() {
		w := t.w
		if factsGone {
			// The writer's memory of facts written would keep a returning
			// session from writing them again.
			clear(w.facts)
		}
		for id := range sessions {
			delete(w.systemSeen, id)
		}
		w.pending -= pendingGone
	})
	return len(gone), nil
}

var _ Retainer = (*Store)(nil)
