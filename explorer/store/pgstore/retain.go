package pgstore

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/traceai-go/traceai/explorer/internal/textquery"
	"github.com/traceai-go/traceai/explorer/store"
)

// Retention deletes whole traces (turns), oldest first, each call one
// short transaction: what a trace leaves behind goes with it (spans,
// search document, the evaluations in it or of it), and its sessions and
// users are computed again from the traces that remain, under the same
// locks as ingest, so it may run on any replica while all of them ingest.

var _ store.Retainer = (*Store)(nil)

// DeleteBefore deletes up to limit traces that started before t, and
// returns how many it deleted: 0 when none is left.
func (s *Store) DeleteBefore(ctx context.Context, t time.Time, limit int) (int, error) {
	cut := t.UnixNano()
	return s.retain(ctx, limit, cut, func(tx pgx.Tx, n int) ([]string, error) {
		return strsOf(ctx, tx, `SELECT trace_id FROM traces WHERE start_ns < $1 ORDER BY start_ns LIMIT $2`, cut, n)
	})
}

// TrimToSpans deletes up to limit of the oldest traces while the database
// holds more than maxSpans spans (a trace goes whole), and returns how
// many it deleted: 0 when it holds maxSpans spans or fewer.
func (s *Store) TrimToSpans(ctx context.Context, maxSpans int64, limit int) (int, error) {
	return s.retain(ctx, limit, math.MaxInt64, func(tx pgx.Tx, n int) ([]string, error) {
		var total int64
		if err := tx.QueryRow(ctx, `SELECT coalesce(sum(spans), 0)::bigint FROM traces`).Scan(&total); err != nil {
			return nil, err
		}
		excess := total - max(maxSpans, 0)
		if excess <= 0 {
			return nil, nil
		}
		rows, err := tx.Query(ctx, `SELECT trace_id, spans FROM traces ORDER BY start_ns LIMIT $1`, n)
		if err != nil {
			return nil, err
		}
		var ids []string
		var id string
		var spans int64
		_, err = pgx.ForEachRow(rows, []any{&id, &spans}, func() error {
			if excess > 0 {
				ids = append(ids, id)
				excess -= spans
			}
			return nil
		})
		return ids, err
	})
}

func strsOf(ctx context.Context, tx pgx.Tx, q string, args ...any) ([]string, error) {
	rows, err := tx.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// retain deletes the traces pick chooses (at most limit) that, once
// locked, still started before cut.
func (s *Store) retain(ctx context.Context, limit int, cut int64, pick func(pgx.Tx, int) ([]string, error)) (int, error) {
	if limit <= 0 {
		limit = store.DefaultRetainBatch
	}
	if err := s.begin(); err != nil {
		return 0, err
	}
	defer s.wg.Done()
	var n int
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		ids, err := pick(tx, limit)
		if err != nil || len(ids) == 0 {
			return err
		}
		keys := make([]int64, len(ids))
		for i, id := range ids {
			keys[i] = lockKey(lockTrace, id)
		}
		if err := lock(ctx, tx, keys); err != nil {
			return err
		}
		// Ingest may have moved a trace (its start, its session) before
		// the lock was granted: read the rows again.
		rows, err := tx.Query(ctx, `SELECT trace_id, session_id, user_id FROM traces
			WHERE trace_id = ANY($1) AND start_ns < $2`, ids, cut)
		if err != nil {
			return err
		}
		var gone []string
		sessions, users := map[string]bool{}, map[string]bool{}
		var id, sess, user string
		if _, err := pgx.ForEachRow(rows, []any{&id, &sess, &user}, func() error {
			gone = append(gone, id)
			sessions[sess], users[user] = true, true
			return nil
		}); err != nil {
			return err
		}
		if len(gone) == 0 {
			return nil
		}
		delete(sessions, "")
		delete(users, "")
		// A session's system prompt is indexed in one of its turns only
		// (the one where it first appeared): keep it findable by moving it
		// to the first turn left, as the SQLite store does. A turn ingest is
		// writing is skipped rather than waited for: ingest holds its row
		// and may wait for a lock this transaction holds.
		prompts := map[string]string{}
		rows, err = tx.Query(ctx, `SELECT session_id, system FROM turn_text
			WHERE trace_id = ANY($1) AND system <> '' AND session_id <> ''`, gone)
		if err != nil {
			return err
		}
		var psess, prompt string
		if _, err := pgx.ForEachRow(rows, []any{&psess, &prompt}, func() error {
			prompts[psess] = prompt
			return nil
		}); err != nil {
			return err
		}
		var batch pgx.Batch
		batch.Queue(markGoneHours, gone, time.Now().UnixNano())
		batch.Queue(`DELETE FROM spans WHERE trace_id = ANY($1)`, gone)
		batch.Queue(`DELETE FROM turn_text WHERE trace_id = ANY($1)`, gone)
		batch.Queue(`DELETE FROM evaluations WHERE trace_id = ANY($1) OR target_trace_id = ANY($1)`, gone)
		batch.Queue(`DELETE FROM traces WHERE trace_id = ANY($1)`, gone)
		if err := tx.SendBatch(ctx, &batch).Close(); err != nil {
			return err
		}
		for _, sid := range sortedKeys(boolKeys(prompts)) {
			if _, err := tx.Exec(ctx, `UPDATE turn_text SET system = $2, folded = folded || $3
				WHERE rowid = (SELECT rowid FROM turn_text WHERE session_id = $1 ORDER BY start_ns, rowid LIMIT 1 FOR UPDATE SKIP LOCKED)
				AND NOT EXISTS (SELECT 1 FROM turn_text WHERE session_id = $1 AND system <> '')`,
				sid, prompts[sid], textquery.Fold(prompts[sid])); err != nil {
				return err
			}
		}
		keys = keys[:0]
		for id := range sessions {
			keys = append(keys, lockKey(lockSession, id))
		}
		for id := range users {
			keys = append(keys, lockKey(lockUser, id))
		}
		if err := lock(ctx, tx, keys); err != nil {
			return err
		}
		sids := sortedKeys(sessions)
		if err := refreshSessions(ctx, tx, sids); err != nil {
			return err
		}
		// A session with no turn left goes with its facts.
		for _, table := range []string{"session_tags", "session_models", "session_meta"} {
			if _, err := tx.Exec(ctx, `DELETE FROM `+table+` f WHERE session_id = ANY($1) AND NOT EXISTS
				(SELECT 1 FROM traces t WHERE t.session_id = f.session_id AND t.eval_only = 0)`, sids); err != nil {
				return err
			}
		}
		if err := refreshUsers(ctx, tx, sortedKeys(users)); err != nil {
			return err
		}
		n = len(gone)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("pgstore: retention: %w", err)
	}
	return n, nil
}

func boolKeys(m map[string]string) map[string]bool {
	out := make(map[string]bool, len(m))
	for k := range m {
		out[k] = true
	}
	return out
}
