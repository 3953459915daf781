package store

import (
	"context"
	"database/sql"
	"fmt"
)

type txn struct {
	w       *writer
	newRows map[string]bool // sessions given a new tag or model row
	tx      *sql.Tx
	ctx     context.Context
	stmts   map[string]*sql.Stmt
	evals   bool              // the batch has evaluations
	judged  []string          // traces given an evaluation (rollup marks)
	facts   map[string]string // session facts written (see fact)
	windows map[string]*latencyWindow
	search  searchTxn
	// onCommit runs in the writer once the transaction has committed
	// (retention's changes to the writer's memory).
	onCommit []func()
}

func (t *txn) stmt(q string) (*sql.Stmt, error) {
	if st, ok := t.stmts[q]; ok {
		return st, nil
	}
	var st *sql.Stmt
	if ps := t.w.stmts[q]; ps != nil {
		// Prepared once for the store: parsing every statement again in
		// each transaction was a measurable part of a batch.
		st = t.tx.StmtContext(t.ctx, ps)
	} else {
		var err error
		if st, err = t.tx.PrepareContext(t.ctx, q); err != nil {
			return nil, err
		}
	}
	t.stmts[q] = st
	return st, nil
}

func (t *txn) queryRow(q string, args ...any) *sql.Row {
	st, err := t.stmt(q)
	if err != nil {
		// *sql.Row can only be made by database/sql: let the transaction
		// prepare the statement again, so that Scan reports the error.
		return t.tx.QueryRowContext(t.ctx, q, args...)
	}
	return st.QueryRowContext(t.ctx, args...)
}

func (t *txn) query(q string, args ...any) (*sql.Rows, error) {
	st, err := t.stmt(q)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(t.ctx, args...)
}

func (t *txn) exec(q string, args ...any) error {
	st, err := t.stmt(q)
	if err != nil {
		return err
	}
	_, err = st.ExecContext(t.ctx, args...)
	return err
}

// job runs f in a write transaction of its own: the batches of spans and
// retention's deletions alike. Once the transaction commits, the writer
// keeps its latency windows and runs its onCommit functions; on an error
// it rolls back and keeps nothing.
func (w *writer) job(f func(*txn) error) (err error) {
	ctx := context.Background()
	tx, err := w.wdb.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	t := &txn{w: w, tx: tx, ctx: ctx, stmts: map[string]*sql.Stmt{}}
	defer func() {
		for _, st := range t.stmts {
			st.Close()
		}
		if err != nil {
			_ = tx.Rollback()
			return
		}
		if err = tx.Commit(); err != nil {
			err = fmt.Errorf("commit: %w", err)
			return
		}
		w.keepWindows(t)
		for _, f := range t.onCommit {
			f()
		}
	}()
	return f(t)
}
