package store

import (
	"encoding/json"
	"fmt"
)

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (t *txn) strings(q string, args ...any) ([]string, error) {
	rows, err := t.query(q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func jsonList(v []string) string {
	if len(v) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// A session's spans keep sending its tags, model and metadata, batch after
// batch: the writer remembers up to maxFacts of those it stored, and does not
// write them again.
const maxFacts = 200_000

// fact reports whether the session fact key needs writing with value v,
// and notes it as written by this transaction.
func (t *txn) fact(key, v string) bool {
	if stored, ok := t.facts[key]; ok {
		if stored == v {
			return false
		}
	} else if stored, ok := t.w.facts[key]; ok && stored == v {
		return false
	}
	if t.facts == nil {
		t.facts = map[string]string{}
	}
	t.facts[key] = v
	return true
}

// sessionFacts writes the tags, models and metadata of the batch's
// sessions, each once.
func (t *txn) sessionFacts(batch []*writeReq) error {
	var tags, models, meta []any
	for _, r := range batch {
		for _, f := range r.prep.tags {
			if t.fact("t\x00"+f[0]+"\x00"+f[1], "") {
				tags = append(tags, f[0], f[1])
			}
		}
		for _, f := range r.prep.models {
			if t.fact("m\x00"+f[0]+"\x00"+f[1], "") {
				models = append(models, f[0], f[1])
			}
		}
		for _, f := range r.prep.meta {
			if t.fact("k\x00"+f.Session+"\x00"+f.Key, f.Value+"\x00"+string(f.Kind)) {
				meta = append(meta, f.Session, f.Key, f.Value, string(f.Kind))
			}
		}
	}
	if err := t.insertNew("session_tags", tagCols, tags); err != nil {
		return fmt.Errorf("session tags: %w", err)
	}
	if err := t.insertNew("session_models", modelCols, models); err != nil {
		return fmt.Errorf("session models: %w", err)
	}
	if err := t.insertMany("session_meta", metaCols, 4, meta); err != nil {
		return fmt.Errorf("session metadata: %w", err)
	}
	return nil
}

// insertNew inserts (session_id, value) rows into session_tags or
// session_models, those not there yet, and notes the sessions given a new
// row, so that their stored tags and models are read again.
func (t *txn) insertNew(table, cols string, args []any) error {
	for len(args) > 0 {
		n := rowsPerInsert
		for 2*n > len(args) {
			n /= 2
		}
		rows, err := t.query(insertNewRows(table, cols, n), args[:2*n]...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var session string
			if err := rows.Scan(&session); err != nil {
				rows.Close()
				return err
			}
			if t.newRows == nil {
				t.newRows = map[string]bool{}
			}
			t.newRows[session] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		args = args[2*n:]
	}
	return nil
}
