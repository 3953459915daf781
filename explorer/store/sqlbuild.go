package store

import (
	"database/sql"
	"fmt"
	"strings"
	"sync"
)

// spanCols are the spans columns prepare boxes, in insert order.
const spanCols = `trace_id, span_id, start_ns, scope, resource_id, data`

// spanColsN is the number of spanCols.
const spanColsN = 6

// spanInsertCols are the columns of a spans insert: the writer numbers the
// rows itself, so that a trace's row lists them.
const spanInsertCols = `rowid, ` + spanCols

// Rows are inserted rowsPerInsert at a time with one multi-row statement
// (the remainder by halves): one statement per span cost more than the
// insert itself.
const rowsPerInsert = 32

// insertRows returns the multi-row INSERT OR REPLACE of n rows of cols
// (ncols columns) into table.
func insertRows(table, cols string, ncols, n int) string {
	return cachedInsert(insertKey{table, n, false}, cols, ncols)
}

// insertNewRows returns the multi-row INSERT OR IGNORE of n (session_id,
// value) rows into table that returns the session of each row inserted.
func insertNewRows(table, cols string, n int) string {
	return cachedInsert(insertKey{table, n, true}, cols, 2)
}

func cachedInsert(k insertKey, cols string, ncols int) string {
	insertMu.Lock()
	defer insertMu.Unlock()
	if q, ok := insertSQL[k]; ok {
		return q
	}
	q := buildInsert(k.table, cols, ncols, k.n)
	if k.returning {
		q = strings.Replace(q, "INSERT OR REPLACE", "INSERT OR IGNORE", 1) + " RETURNING session_id"
	}
	insertSQL[k] = q
	return q
}

type insertKey struct {
	table     string
	n         int
	returning bool // insertNewRows
}

// insertSQL caches insertRows: building the text for each statement
// allocated more than the statement's own arguments.
var (
	insertMu  sync.Mutex
	insertSQL = map[insertKey]string{}
)

func buildInsert(table, cols string, ncols, n int) string {
	var b strings.Builder
	b.WriteString("INSERT OR REPLACE INTO " + table + " (" + cols + ") VALUES ")
	row := "(" + strings.Repeat("?,", ncols-1) + "?)"
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(row)
	}
	return b.String()
}

// traceLookup reads the session and user of up to lookupN traces at once
// (the id list is padded by repeating the last id).
const lookupN = 64

var traceLookup = `SELECT trace_id, session_id, user_id, start_ns, end_ns, spans, llm_calls, errors,
	failed, input_tokens, output_tokens, total_tokens, cost, unpriced, eval_only, span_rows, search_doc FROM traces WHERE trace_id IN (?` +
	strings.Repeat(",?", lookupN-1) + `)`

const updateEvalOwner = `UPDATE evaluations SET session_id = ?, user_id = ? WHERE target_trace_id = ?
		AND (session_id != ? OR user_id != ?)`

// writeQueries are prepared once for the store's writer connection.
func writeQueries() []string {
	q := []string{traceLookup, lastSpanRow, selectSpanRows, selectSpanIDs, deleteSpanRows, updateEvalOwner, sessionLookup, userLookup,
		sessionTexts, userSessionSeen, percentileQuery("session_id"), percentileQuery("user_id")}
	q = append(q, insertRows("spans", spanInsertCols, spanColsN+1, 1), tracesTable.insert(1),
		sessionsTable.insert(1), usersTable.insert(1))
	// Every size the session facts may need (they are counted only in the
	// transaction).
	q = insertSizes(q, "session_meta", metaCols, 4, 2*rowsPerInsert-1)
	for n := rowsPerInsert; n > 0; n /= 2 {
		q = append(q, insertNewRows("session_tags", tagCols, n), insertNewRows("session_models", modelCols, n))
	}
	return q
}

// Columns of the session facts tables.
const (
	tagCols   = "session_id, tag"
	modelCols = "session_id, model"
	metaCols  = "session_id, key, value, kind"
)

// prepareWriter prepares writeQueries and the queries in more on the
// writer connection once; it runs outside any transaction (the writer pool
// has one connection). A query it did not prepare is prepared in the
// transaction that needs it.
func (w *writer) prepareWriter(more []string) error {
	if w.stmts == nil {
		w.stmts = map[string]*sql.Stmt{}
		more = append(writeQueries(), more...)
	}
	for _, q := range more {
		if w.stmts[q] != nil {
			continue
		}
		st, err := w.wdb.Prepare(q)
		if err != nil {
			return fmt.Errorf("prepare: %w", err)
		}
		w.stmts[q] = st
	}
	return nil
}

// insertSizes appends the multi-row inserts insertMany uses for n rows:
// preparing every size up front cost as much as a batch.
func insertSizes(qs []string, table, cols string, ncols, n int) []string {
	for n > 0 {
		k := rowsPerInsert
		for k > n {
			k /= 2
		}
		qs = append(qs, insertRows(table, cols, ncols, k))
		n -= k
	}
	return qs
}

// insertMany inserts rows (each ncols values, flattened in args) with
// multi-row statements.
func (t *txn) insertMany(table, cols string, ncols int, args []any) error {
	for len(args) > 0 {
		n := rowsPerInsert
		for n*ncols > len(args) {
			n /= 2
		}
		if err := t.exec(insertRows(table, cols, ncols, n), args[:n*ncols]...); err != nil {
			return err
		}
		args = args[n*ncols:]
	}
	return nil
}
