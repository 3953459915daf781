package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
)

// A statement that cannot be prepared (a bad statement, a locked or corrupt
// database, a disk error) must come back as an error from Scan, not take the
// process down.
func TestQueryRowPrepareError(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "spans.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	tx, err := s.rdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	tn := &txn{w: s.w, tx: tx, ctx: ctx, stmts: map[string]*sql.Stmt{}}

	var n int
	if err := tn.queryRow(`SELECT count(*) FROM no_such_table`).Scan(&n); err == nil {
		t.Fatal("Scan after a failed prepare: no error")
	}
	// The transaction is still usable afterwards.
	if err := tn.queryRow(`SELECT count(*) FROM traces`).Scan(&n); err != nil {
		t.Fatalf("Scan after the failure: %v", err)
	}
	if _, err := tn.query(`SELECT * FROM no_such_table`); err == nil {
		t.Fatal("query after a failed prepare: no error")
	}
	if err := tn.exec(`DELETE FROM no_such_table`); err == nil {
		t.Fatal("exec after a failed prepare: no error")
	}
}

// Options follow one shape across the module: defaults first, then the
// options in order, a nil option skipped.
func TestNewConfig(t *testing.T) {
	c := newConfig(nil)
	if c.synchronous != "FULL" || c.readers != 4 || c.logger == nil {
		t.Fatalf("defaults: %+v", c)
	}
	c = newConfig([]Option{nil, WithSynchronous("NORMAL"), WithLogger(nil), WithSynchronous("OFF")})
	if c.synchronous != "OFF" || c.logger == nil {
		t.Fatalf("options in order, nil skipped: %+v", c)
	}
}
