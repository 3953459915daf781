package store

import (
	"database/sql"
)

// lookupIn runs q, a query with lookupN placeholders, over ids (the last
// chunk padded by repeating an id).
func (t *txn) lookupIn(q string, ids []string, scan func(*sql.Rows) error) error {
	return lookupEach(t, q, ids, scan)
}

// lookupRows runs q, a query with lookupN placeholders, over rowids.
func (t *txn) lookupRows(q string, rowids []int64, scan func(*sql.Rows) error) error {
	return lookupEach(t, q, rowids, scan)
}

func lookupEach[T string | int64](t *txn, q string, ids []T, scan func(*sql.Rows) error) error {
	return inChunks(ids, func(args []any) error {
		rows, err := t.query(q, args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			if err := scan(rows); err != nil {
				rows.Close()
				return err
			}
		}
		rows.Close()
		return rows.Err()
	})
}

// inChunks calls f with the ids lookupN at a time, the last chunk padded by
// repeating its last id, for statements with lookupN placeholders.
func inChunks[T string | int64](ids []T, f func(args []any) error) error {
	args := make([]any, lookupN)
	for len(ids) > 0 {
		n := min(lookupN, len(ids))
		for i := range lookupN {
			args[i] = ids[min(i, n-1)]
		}
		ids = ids[n:]
		if err := f(args); err != nil {
			return err
		}
	}
	return nil
}
