package store

import (
	"database/sql"
	"sort"
)

const aggCols = `count(*), coalesce(sum(spans),0), coalesce(sum(llm_calls),0), coalesce(sum(errors),0),
	coalesce(sum(failed),0), coalesce(sum(input_tokens),0), coalesce(sum(output_tokens),0),
	coalesce(sum(total_tokens),0), coalesce(sum(cost),0), coalesce(sum(unpriced),0),
	coalesce(min(start_ns),0), coalesce(max(end_ns),0)`

type agg struct {
	traces, spans, llm, errors, errTraces int64
	in, out, total                        int64
	cost                                  float64
	unpriced                              int64
	start, end                            int64
}

func (a *agg) scan(row *sql.Row) error {
	return row.Scan(&a.traces, &a.spans, &a.llm, &a.errors, &a.errTraces, &a.in, &a.out, &a.total,
		&a.cost, &a.unpriced, &a.start, &a.end)
}

func (a *agg) errorRate() float64 {
	if a.traces == 0 {
		return 0
	}
	return float64(a.errTraces) / float64(a.traces)
}

func (w *writer) refreshSession(t *txn, id string) error {
	var a agg
	if err := a.scan(t.queryRow(`SELECT `+aggCols+` FROM traces WHERE session_id = ? AND eval_only = 0`, id)); err != nil {
		return err
	}
	if a.traces == 0 {
		t.setWindow("session_id\x00"+id, nil)
		return t.exec(`DELETE FROM sessions WHERE session_id = ?`, id)
	}
	var user, first, last string
	if err := t.queryRow(`SELECT user_id FROM traces WHERE session_id = ? AND user_id != '' ORDER BY start_ns DESC LIMIT 1`, id).Scan(&user); err != nil && err != sql.ErrNoRows {
		return err
	}
	if err := t.queryRow(`SELECT input FROM traces WHERE session_id = ? AND input != '' AND eval_only = 0 ORDER BY start_ns LIMIT 1`, id).Scan(&first); err != nil && err != sql.ErrNoRows {
		return err
	}
	if err := t.queryRow(`SELECT output FROM traces WHERE session_id = ? AND output != '' AND eval_only = 0 ORDER BY start_ns DESC LIMIT 1`, id).Scan(&last); err != nil && err != sql.ErrNoRows {
		return err
	}
	p50, p95, err := w.refreshWindow(t, "session_id", id)
	if err != nil {
		return err
	}
	models, err := t.strings(`SELECT model FROM session_models WHERE session_id = ? ORDER BY model LIMIT 50`, id)
	if err != nil {
		return err
	}
	tags, err := t.strings(`SELECT tag FROM session_tags WHERE session_id = ? ORDER BY tag LIMIT 100`, id)
	if err != nil {
		return err
	}
	row := &sessionRow{id: id, user: user, a: &a, first: first, last: last, p50: p50, p95: p95,
		models: jsonList(models), tags: jsonList(tags)}
	return t.exec(sessionsTable.insert(1), sessionsTable.appendRow(nil, row)...)
}

func (w *writer) refreshUser(t *txn, id string) error {
	var a agg
	if err := a.scan(t.queryRow(`SELECT `+aggCols+` FROM traces WHERE user_id = ? AND eval_only = 0`, id)); err != nil {
		return err
	}
	if a.traces == 0 {
		t.setWindow("user_id\x00"+id, nil)
		return t.exec(`DELETE FROM users WHERE user_id = ?`, id)
	}
	var sessions int64
	if err := t.queryRow(`SELECT count(DISTINCT session_id) FROM traces WHERE user_id = ? AND session_id != '' AND eval_only = 0`, id).Scan(&sessions); err != nil {
		return err
	}
	p50, p95, err := w.refreshWindow(t, "user_id", id)
	if err != nil {
		return err
	}
	models, err := t.strings(`SELECT DISTINCT model FROM traces WHERE user_id = ? AND model != '' LIMIT 50`, id)
	if err != nil {
		return err
	}
	sort.Strings(models)
	row := &userRow{id: id, sessions: sessions, a: &a, p50: p50, p95: p95, models: jsonList(models)}
	return t.exec(usersTable.insert(1), usersTable.appendRow(nil, row)...)
}
