package store

import (
	"database/sql"
	"strconv"
)

// findTarget looks for an evaluation's target span (spanID) in the trace
// the evaluation links it in (linked), then in the evaluation's own trace
// (own), and returns the trace that holds it with that trace's session and
// user. A span is found through its trace: there is no index of span ids
// alone, which cost every span written an insert at a random place.
func (t *txn) findTarget(linked, own, spanID string) (trace, session, user string, found bool, err error) {
	for i, id := range []string{linked, own} {
		if id == "" || (i == 1 && id == linked) {
			continue
		}
		var rows string
		err := t.queryRow(`SELECT session_id, user_id, span_rows FROM traces WHERE trace_id = ?`, id).Scan(&session, &user, &rows)
		if err == sql.ErrNoRows {
			continue
		}
		if err != nil {
			return "", "", "", false, err
		}
		err = t.lookupRows(selectSpanIDs, parseRows(rows), func(r *sql.Rows) error {
			var sid string
			if err := r.Scan(&sid); err != nil {
				return err
			}
			if sid == spanID {
				found = true
			}
			return nil
		})
		if err != nil {
			return "", "", "", false, err
		}
		if found {
			return id, session, user, true, nil
		}
	}
	return "", "", "", false, nil
}

// putEvaluation stores one evaluation span, resolved to its target span's
// trace, session and user when that span is stored.
func (w *writer) putEvaluation(t *txn, e *spanRow) (resolved bool, err error) {
	targetTrace, session, user := "", e.sessionID, e.userID
	if e.eval.target != "" {
		tt, ts, tu, found, err := t.findTarget(e.eval.linked, e.traceID, e.eval.target)
		switch {
		case err != nil:
			return false, err
		case found:
			targetTrace, resolved = tt, true
			if ts != "" {
				session = ts
			}
			if tu != "" {
				user = tu
			}
		}
	} else {
		// No target: the evaluation judges its own trace.
		targetTrace = e.traceID
		resolved = true
	}
	if targetTrace != "" {
		t.judged = append(t.judged, targetTrace)
	}
	var score any
	if e.eval.score != nil {
		score = *e.eval.score
	}
	return resolved, t.exec(`INSERT OR REPLACE INTO evaluations (span_id, trace_id, target_span_id,
		target_trace_id, target_linked_trace, session_id, user_id, name, score, label, explanation, time_ns)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`, e.spanID, e.traceID, e.eval.target, targetTrace, e.eval.linked, session, user,
		e.eval.name, score, e.eval.label, truncate(e.eval.explanation, maxText), e.endNS)
}

// pendingIn selects the evaluations waiting for their target span that
// may find it in one of lookupN traces: the trace they link it in or their
// own.
var pendingIn = func() string {
	in := "?1"
	for i := 2; i <= lookupN; i++ {
		in += ",?" + strconv.Itoa(i)
	}
	return `SELECT trace_id, span_id, target_span_id, target_linked_trace FROM evaluations
	WHERE target_trace_id = '' AND target_span_id != '' AND (target_linked_trace IN (` + in + `) OR trace_id IN (` + in + `))`
}()

// resolvePending attaches evaluations that arrived before their target span
// to it, when the batch (traceIDs) brought spans to a trace they look in.
func (w *writer) resolvePending(t *txn, traceIDs []string) (int, error) {
	type wait struct{ trace, span, target, linked string }
	var waiting []wait
	err := t.lookupIn(pendingIn, traceIDs, func(rows *sql.Rows) error {
		var w wait
		if err := rows.Scan(&w.trace, &w.span, &w.target, &w.linked); err != nil {
			return err
		}
		waiting = append(waiting, w)
		return nil
	})
	if err != nil {
		return 0, err
	}
	n := 0
	seen := map[[2]string]bool{}
	for _, w := range waiting {
		k := [2]string{w.trace, w.span}
		if seen[k] {
			continue
		}
		seen[k] = true
		target, session, user, found, err := t.findTarget(w.linked, w.trace, w.target)
		if err != nil {
			return 0, err
		}
		if !found {
			continue
		}
		if err := t.exec(`UPDATE evaluations SET target_trace_id = ?,
			session_id = CASE WHEN ? != '' THEN ? ELSE session_id END,
			user_id = CASE WHEN ? != '' THEN ? ELSE user_id END
			WHERE trace_id = ? AND span_id = ? AND target_trace_id = ''`, target, session, session, user, user, w.trace, w.span); err != nil {
			return 0, err
		}
		t.judged = append(t.judged, target)
		n++
	}
	return n, nil
}
