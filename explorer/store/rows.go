package store

import "strings"

// A table the writer inserts whole rows into, described once: each column
// with the field of the row type it takes its value from. A new column is
// one line in its table's list (and a field), instead of a name in a column
// string and a value at the same position in every argument list.
type table[R any] struct {
	name  string
	cols  string // comma-separated, in insert order
	gets  []func(*R) any
	width int
}

// tableCol is one column of a table and how to read it from a row.
type tableCol[R any] struct {
	name string
	get  func(*R) any
}

func newTable[R any](name string, cols ...tableCol[R]) *table[R] {
	t := &table[R]{name: name, width: len(cols)}
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.name
		t.gets = append(t.gets, c.get)
	}
	t.cols = strings.Join(names, ", ")
	return t
}

// appendRow appends the values of r in column order.
func (t *table[R]) appendRow(args []any, r *R) []any {
	for _, get := range t.gets {
		args = append(args, get(r))
	}
	return args
}

// insert returns the INSERT OR REPLACE of n rows.
func (t *table[R]) insert(n int) string { return insertRows(t.name, t.cols, t.width, n) }

// insertSizes appends the inserts of every size insertMany uses for n rows.
func (t *table[R]) insertSizes(qs []string, n int) []string {
	return insertSizes(qs, t.name, t.cols, t.width, n)
}

// insertAll inserts rows, flattened by appendRow, in multi-row statements.
func (t *table[R]) insertAll(tx *txn, args []any) error {
	return tx.insertMany(t.name, t.cols, t.width, args)
}

// traceRow is a traces row: the trace's summary, where its spans are
// stored, and its search document.
type traceRow struct {
	id string
	*traceSummary
	spanRows string // formatRows of the spans' rowids
}

var tracesTable = newTable("traces",
	tableCol[traceRow]{"trace_id", func(r *traceRow) any { return r.id }},
	tableCol[traceRow]{"session_id", func(r *traceRow) any { return r.session }},
	tableCol[traceRow]{"user_id", func(r *traceRow) any { return r.user }},
	tableCol[traceRow]{"start_ns", func(r *traceRow) any { return r.start }},
	tableCol[traceRow]{"end_ns", func(r *traceRow) any { return r.end }},
	tableCol[traceRow]{"root_name", func(r *traceRow) any { return r.rootName }},
	tableCol[traceRow]{"spans", func(r *traceRow) any { return int64(r.spans) }},
	tableCol[traceRow]{"llm_calls", func(r *traceRow) any { return int64(r.llm) }},
	tableCol[traceRow]{"errors", func(r *traceRow) any { return int64(r.errs) }},
	tableCol[traceRow]{"error_message", func(r *traceRow) any { return truncate(r.errMsg, 1000) }},
	tableCol[traceRow]{"input_tokens", func(r *traceRow) any { return r.in }},
	tableCol[traceRow]{"output_tokens", func(r *traceRow) any { return r.out }},
	tableCol[traceRow]{"total_tokens", func(r *traceRow) any { return r.total }},
	tableCol[traceRow]{"cost", func(r *traceRow) any { return r.cost }},
	tableCol[traceRow]{"unpriced", func(r *traceRow) any { return int64(r.unpriced) }},
	tableCol[traceRow]{"model", func(r *traceRow) any { return r.model }},
	tableCol[traceRow]{"input", func(r *traceRow) any { return r.input }},
	tableCol[traceRow]{"output", func(r *traceRow) any { return r.output }},
	tableCol[traceRow]{"retries", func(r *traceRow) any { return int64(r.retries) }},
	tableCol[traceRow]{"refused", func(r *traceRow) any { return b2i(r.refused) }},
	tableCol[traceRow]{"empty", func(r *traceRow) any { return b2i(r.empty) }},
	tableCol[traceRow]{"llm_ms", func(r *traceRow) any { return r.llmMS }},
	tableCol[traceRow]{"eval_only", func(r *traceRow) any { return b2i(r.evalOnly) }},
	tableCol[traceRow]{"failed", func(r *traceRow) any { return b2i(r.failed) }},
	tableCol[traceRow]{"span_rows", func(r *traceRow) any { return r.spanRows }},
	tableCol[traceRow]{"search_doc", func(r *traceRow) any { return r.doc }},
	tableCol[traceRow]{"prompt_template", func(r *traceRow) any { return r.promptTemplate }},
	tableCol[traceRow]{"prompt_version", func(r *traceRow) any { return r.promptVer }},
	tableCol[traceRow]{"span_kinds", func(r *traceRow) any { return r.kinds }},
)

// sessionRow is a sessions row: the sums over the session's turns (agg)
// and what is read or kept beside them.
type sessionRow struct {
	id, user    string
	a           *agg
	first, last string // first input, last output
	p50, p95    float64
	models      string // JSON lists
	tags        string
}

var sessionsTable = newTable("sessions",
	tableCol[sessionRow]{"session_id", func(r *sessionRow) any { return r.id }},
	tableCol[sessionRow]{"user_id", func(r *sessionRow) any { return r.user }},
	tableCol[sessionRow]{"traces", func(r *sessionRow) any { return r.a.traces }},
	tableCol[sessionRow]{"spans", func(r *sessionRow) any { return r.a.spans }},
	tableCol[sessionRow]{"llm_calls", func(r *sessionRow) any { return r.a.llm }},
	tableCol[sessionRow]{"errors", func(r *sessionRow) any { return r.a.errors }},
	tableCol[sessionRow]{"error_traces", func(r *sessionRow) any { return r.a.errTraces }},
	tableCol[sessionRow]{"error_rate", func(r *sessionRow) any { return r.a.errorRate() }},
	tableCol[sessionRow]{"input_tokens", func(r *sessionRow) any { return r.a.in }},
	tableCol[sessionRow]{"output_tokens", func(r *sessionRow) any { return r.a.out }},
	tableCol[sessionRow]{"total_tokens", func(r *sessionRow) any { return r.a.total }},
	tableCol[sessionRow]{"cost", func(r *sessionRow) any { return r.a.cost }},
	tableCol[sessionRow]{"unpriced", func(r *sessionRow) any { return r.a.unpriced }},
	tableCol[sessionRow]{"first_input", func(r *sessionRow) any { return r.first }},
	tableCol[sessionRow]{"last_output", func(r *sessionRow) any { return r.last }},
	tableCol[sessionRow]{"start_ns", func(r *sessionRow) any { return r.a.start }},
	tableCol[sessionRow]{"end_ns", func(r *sessionRow) any { return r.a.end }},
	tableCol[sessionRow]{"duration_ms", func(r *sessionRow) any { return float64(r.a.end-r.a.start) / 1e6 }},
	tableCol[sessionRow]{"p50_ms", func(r *sessionRow) any { return r.p50 }},
	tableCol[sessionRow]{"p95_ms", func(r *sessionRow) any { return r.p95 }},
	tableCol[sessionRow]{"models", func(r *sessionRow) any { return r.models }},
	tableCol[sessionRow]{"tags", func(r *sessionRow) any { return r.tags }},
)

// userRow is a users row, as sessionRow.
type userRow struct {
	id       string
	sessions int64
	a        *agg
	p50, p95 float64
	models   string // JSON list
}

var usersTable = newTable("users",
	tableCol[userRow]{"user_id", func(r *userRow) any { return r.id }},
	tableCol[userRow]{"sessions", func(r *userRow) any { return r.sessions }},
	tableCol[userRow]{"traces", func(r *userRow) any { return r.a.traces }},
	tableCol[userRow]{"spans", func(r *userRow) any { return r.a.spans }},
	tableCol[userRow]{"llm_calls", func(r *userRow) any { return r.a.llm }},
	tableCol[userRow]{"errors", func(r *userRow) any { return r.a.errors }},
	tableCol[userRow]{"error_traces", func(r *userRow) any { return r.a.errTraces }},
	tableCol[userRow]{"error_rate", func(r *userRow) any { return r.a.errorRate() }},
	tableCol[userRow]{"input_tokens", func(r *userRow) any { return r.a.in }},
	tableCol[userRow]{"output_tokens", func(r *userRow) any { return r.a.out }},
	tableCol[userRow]{"total_tokens", func(r *userRow) any { return r.a.total }},
	tableCol[userRow]{"cost", func(r *userRow) any { return r.a.cost }},
	tableCol[userRow]{"unpriced", func(r *userRow) any { return r.a.unpriced }},
	tableCol[userRow]{"first_ns", func(r *userRow) any { return r.a.start }},
	tableCol[userRow]{"last_ns", func(r *userRow) any { return r.a.end }},
	tableCol[userRow]{"p50_ms", func(r *userRow) any { return r.p50 }},
	tableCol[userRow]{"p95_ms", func(r *userRow) any { return r.p95 }},
	tableCol[userRow]{"models", func(r *userRow) any { return r.models }},
)
