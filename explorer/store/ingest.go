package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/traceai-go/traceai/fi/semconv"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

type writeReq struct {
	prep *prepared
	n    int
	done chan error
}

// prepared is a request made ready for the writer by the calling goroutine:
// attributes extracted and spans encoded, so that the single writer only
// writes rows, and concurrent exporters extract in parallel.
type prepared struct {
	resources []resourceRow
	spans     []preparedSpan
	// traces summarizes the request's spans of each trace: the traces row
	// of a trace new to the store whose spans all came in this request.
	traces map[string]*traceSummary
	// The distinct (session, tag), (session, model) and (session, key,
	// value) of the spans, in order of appearance: a session's spans repeat
	// them.
	tags, models [][2]string
	meta         [][3]string
}

type resourceRow struct {
	id   int64
	data []byte
}

type preparedSpan struct {
	row *spanRow
	rid int64 // its resource
	// The spans row (spanCols), boxed here rather than by the writer.
	args [spanColsN]any
}

// prepareChunk is how many spans one goroutine of prepare handles: large
// batches are extracted and encoded on several cores.
const prepareChunk = 128

// prepare extracts and encodes the spans of rs (n of them), taking the
// encodings from encoded when it is not nil (one per span, in order).
func prepare(rs []*tracepb.ResourceSpans, n int, encoded [][]byte) (*prepared, error) {
	p := &prepared{spans: make([]preparedSpan, n)}
	type source struct {
		res   []*commonpb.KeyValue
		scope string
		sp    *tracepb.Span
	}
	src := make([]source, 0, n)
	seen := map[int64]bool{}
	var buf []byte
	for _, r := range rs {
		res := r.GetResource()
		var err error
		buf, err = proto.MarshalOptions{Deterministic: true}.MarshalAppend(buf[:0], res)
		if err != nil {
			return nil, fmt.Errorf("encode resource: %w", err)
		}
		h := fnv.New64a()
		h.Write(buf)
		rid := int64(h.Sum64() >> 1)
		if !seen[rid] {
			seen[rid] = true
			p.resources = append(p.resources, resourceRow{rid, append([]byte(nil), buf...)})
		}
		for _, ss := range r.GetScopeSpans() {
			scope := ss.GetScope().GetName()
			if v := ss.GetScope().GetVersion(); v != "" {
				scope += "@" + v
			}
			for _, sp := range ss.GetSpans() {
				p.spans[len(src)].rid = rid
				src = append(src, source{res.GetAttributes(), scope, sp})
			}
		}
	}
	one := func(lo, hi int) error {
		// The spans of a session repeat its metadata: parse each text
		// once (the maps are only read).
		metadata := map[string]map[string]string{}
		for i := lo; i < hi; i++ {
			row := extract(src[i].res, src[i].scope, src[i].sp)
			// Only the trace page shows messages; the writer holds rows
			// until the commit.
			row.inMsgs, row.outMsgs = nil, nil
			if js := row.metadataJSON; js != "" {
				m, ok := metadata[js]
				if !ok {
					m = parseMetadata(js)
					metadata[js] = m
				}
				row.metadata = m
			}
			var data []byte
			if encoded != nil {
				data = encoded[i]
			} else {
				var err error
				if data, err = proto.Marshal(src[i].sp); err != nil {
					return fmt.Errorf("encode span: %w", err)
				}
			}
			p.spans[i].row = row
			p.spans[i].args = [spanColsN]any{row.traceID, row.spanID, row.startNS, row.scope, p.spans[i].rid, data}
		}
		return nil
	}
	workers := min(runtime.GOMAXPROCS(0), (len(src)+prepareChunk-1)/prepareChunk)
	if workers <= 1 {
		if err := one(0, len(src)); err != nil {
			return nil, err
		}
	} else {
		errs := make([]error, workers)
		var wg sync.WaitGroup
		per := (len(src) + workers - 1) / workers
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[w] = one(w*per, min((w+1)*per, len(src)))
			}()
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return nil, err
		}
	}
	// Drop what the receiver rejects before anyway (invalid ids).
	ok := p.spans[:0]
	for _, sp := range p.spans[:len(src)] {
		if len(sp.row.traceID) == 32 && len(sp.row.spanID) == 16 {
			ok = append(ok, sp)
		}
	}
	p.spans = ok
	p.summarize()
	p.sessionFacts()
	return p, nil
}

// sessionFacts fills p.tags, p.models and p.meta.
func (p *prepared) sessionFacts() {
	seen := map[string]bool{}
	once := func(key string) bool {
		if seen[key] {
			return false
		}
		seen[key] = true
		return true
	}
	for i := range p.spans {
		row := p.spans[i].row
		sid := row.sessionID
		if sid == "" {
			continue
		}
		for _, tag := range row.tags {
			if once("t\x00" + sid + "\x00" + tag) {
				p.tags = append(p.tags, [2]string{sid, tag})
			}
		}
		if row.model != "" && once("m\x00"+sid+"\x00"+row.model) {
			p.models = append(p.models, [2]string{sid, row.model})
		}
		for k, v := range row.metadata {
			if once("k\x00" + sid + "\x00" + k + "\x00" + v) {
				p.meta = append(p.meta, [3]string{sid, k, v})
			}
		}
	}
}

// summarize fills p.traces, as write would from the same spans (a span sent
// twice in the request counts once, its last copy).
func (p *prepared) summarize() {
	// The spans (indexes in p.spans) of each trace, first.
	byTrace := map[string][]int{}
	at := make(map[[2]string]int, len(p.spans))
	for i := range p.spans {
		r := p.spans[i].row
		k := [2]string{r.traceID, r.spanID}
		if j, ok := at[k]; ok {
			byTrace[r.traceID][j] = i
			continue
		}
		at[k] = len(byTrace[r.traceID])
		byTrace[r.traceID] = append(byTrace[r.traceID], i)
	}
	p.traces = make(map[string]*traceSummary, len(byTrace))
	sums := make([]traceSummary, len(byTrace))
	var all []aggSpan
	for id, idx := range byTrace {
		all = all[:0]
		for _, i := range idx {
			all = append(all, aggOf(p.spans[i].row))
		}
		sortSpans(all)
		tr := &sums[len(p.traces)]
		*tr = summarizeTrace(all)
		p.traces[id] = tr
	}
}

// writer is the single goroutine writing to the database. It commits the
// requests waiting at the same time in one transaction (group commit), so
// concurrent exporters share the cost of a sync.
func (s *Store) writer() {
	defer close(s.writerEnd)
	defer close(s.synced)
	for {
		var first *writeReq
		select {
		case first = <-s.reqs:
			if s.writeHook != nil {
				s.writeHook()
			}
		case <-s.closing:
			// Ingest cannot send any more (closed is set); finish what is queued.
			for {
				select {
				case r := <-s.reqs:
					s.commit([]*writeReq{r})
				default:
					return
				}
			}
		}
		batch := []*writeReq{first}
		n := first.n
	drain:
		for n < s.cfg.maxBatch {
			select {
			case r := <-s.reqs:
				batch = append(batch, r)
				n += r.n
			default:
				break drain
			}
		}
		s.commit(batch)
	}
}

func (s *Store) commit(batch []*writeReq) {
	err := s.write(batch)
	if err != nil {
		s.cfg.logger.Error("traceai explorer: storing spans failed", "err", err)
	}
	if err == nil && s.syncWAL {
		s.synced <- batch
	} else {
		for _, r := range batch {
			r.done <- err
		}
	}
	select {
	case s.commits <- struct{}{}:
	default:
	}
}

// syncer acknowledges committed batches once the WAL holding them is on
// disk, which is what synchronous=FULL does inside each commit. Doing it
// here lets the writer run the next transaction during the flush, and one
// flush acknowledges every commit made while the previous flush ran.
// NORMAL's checkpoints keep flushed frames safe: SQLite syncs the WAL before
// a checkpoint and the database after it, before the WAL is written over.
func (s *Store) syncer() {
	defer close(s.syncEnd)
	var wal walFile
	defer wal.close()
	for batch := range s.synced {
	more:
		for {
			select {
			case b, ok := <-s.synced:
				if !ok {
					break more
				}
				batch = append(batch, b...)
			default:
				break more
			}
		}
		if s.syncHook != nil {
			s.syncHook()
		}
		err := wal.sync(s.path + "-wal")
		if err != nil {
			s.cfg.logger.Error("traceai explorer: flushing the WAL failed", "err", err)
		}
		for _, r := range batch {
			r.done <- err
		}
	}
}

// walFile is the syncer's descriptor of the WAL file, reopened if SQLite
// made a new file.
type walFile struct {
	f  *os.File
	fi os.FileInfo
}

func (w *walFile) sync(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("flush WAL: %w", err)
	}
	if w.f == nil || !os.SameFile(fi, w.fi) {
		w.close()
		// SQLite holds no locks on the WAL file itself (they are on the
		// -shm file), so this descriptor cannot drop one when closed.
		f, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("flush WAL: %w", err)
		}
		w.f, w.fi = f, fi
		// A new file's directory entry must reach the disk too, as
		// SQLite's own first sync of a WAL does.
		if err := syncDir(filepath.Dir(path)); err != nil {
			return fmt.Errorf("flush WAL: %w", err)
		}
	}
	if err := flushData(w.f); err != nil {
		return fmt.Errorf("flush WAL: %w", err)
	}
	return nil
}

func (w *walFile) close() {
	if w.f != nil {
		w.f.Close()
		w.f = nil
	}
}

func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil // directories cannot be synced there
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Checkpoints copy the WAL into the database file. SQLite runs them in the
// committing connection once the WAL holds wal_autocheckpoint pages, which
// put a checkpoint on the writer's path every few batches (a tenth of its
// time). The checkpointer runs them on its own connection instead, on the
// other core, checkpointEvery after a commit; the writer's own threshold
// (writerCheckpointPages) is a fallback for when the checkpointer cannot
// catch up with a writer that never pauses.
const (
	checkpointEvery       = 50 * time.Millisecond
	writerCheckpointPages = 8000
)

func (s *Store) checkpointer() {
	defer close(s.ckptEnd)
	for {
		// Sleep until a commit, then let commits gather for
		// checkpointEvery: an idle store never wakes this goroutine.
		select {
		case <-s.writerEnd:
			return
		case <-s.commits:
		}
		select {
		case <-s.writerEnd:
			return // Close checkpoints what is left
		case <-time.After(checkpointEvery):
		}
		select {
		case <-s.commits: // covered by this checkpoint
		default:
		}
		if _, err := s.cdb.Exec(`PRAGMA wal_checkpoint(PASSIVE)`); err != nil {
			s.cfg.logger.Warn("traceai explorer: checkpoint failed", "err", err)
		}
	}
}

type txn struct {
	s       *Store
	newRows map[string]bool // sessions given a new tag or model row
	tx      *sql.Tx
	ctx     context.Context
	stmts   map[string]*sql.Stmt
	evals   bool              // the batch has evaluations
	facts   map[string]string // session facts written (see fact)
	windows map[string]*latencyWindow
	search  searchTxn
}

func (t *txn) stmt(q string) (*sql.Stmt, error) {
	if st, ok := t.stmts[q]; ok {
		return st, nil
	}
	var st *sql.Stmt
	if ps := t.s.stmts[q]; ps != nil {
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

// spanCols are the spans columns prepare boxes, in insert order.
const spanCols = `trace_id, span_id, start_ns, scope, resource_id, data`

// spanColsN is the number of spanCols.
const spanColsN = 6

// spanInsertCols are the columns of a spans insert: the writer numbers the
// rows itself, so that a trace's row lists them.
const spanInsertCols = `rowid, ` + spanCols

const traceCols = `trace_id, session_id, user_id, start_ns, end_ns,
	root_name, spans, llm_calls, errors, error_message, input_tokens, output_tokens, total_tokens,
	cost, unpriced, model, input, output, retries, refused, empty, llm_ms, eval_only, failed, span_rows, search_doc`

// traceColsN is the number of traceCols.
const traceColsN = 26

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
	q = append(q, insertRows("spans", spanInsertCols, spanColsN+1, 1), insertRows("traces", traceCols, traceColsN, 1),
		insertRows("sessions", sessionRowCols, 22, 1), insertRows("users", userRowCols, 18, 1))
	// Every size the session facts may need (they are counted only in the
	// transaction).
	q = insertSizes(q, "session_meta", metaCols, 3, 2*rowsPerInsert-1)
	for n := rowsPerInsert; n > 0; n /= 2 {
		q = append(q, insertNewRows("session_tags", tagCols, n), insertNewRows("session_models", modelCols, n))
	}
	return q
}

// Columns of the session facts tables.
const (
	tagCols   = "session_id, tag"
	modelCols = "session_id, model"
	metaCols  = "session_id, key, value"
)

// prepareWriter prepares writeQueries and the queries in more on the
// writer connection once; it runs outside any transaction (the writer pool
// has one connection). A query it did not prepare is prepared in the
// transaction that needs it.
func (s *Store) prepareWriter(more []string) error {
	if s.stmts == nil {
		s.stmts = map[string]*sql.Stmt{}
		more = append(writeQueries(), more...)
	}
	for _, q := range more {
		if s.stmts[q] != nil {
			continue
		}
		st, err := s.wdb.Prepare(q)
		if err != nil {
			return fmt.Errorf("prepare: %w", err)
		}
		s.stmts[q] = st
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

// b2i returns int64, the type database/sql passes without converting.
func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func (s *Store) write(batch []*writeReq) (err error) {
	ctx := context.Background()
	// The batch's spans, the last copy of a span sent twice winning as
	// INSERT OR REPLACE would have it.
	type spanKey struct{ trace, span string }
	total, traces := 0, 0
	for _, r := range batch {
		total += len(r.prep.spans)
		traces += len(r.prep.traces)
	}
	at := make(map[spanKey]int, total)
	spans := make([]*preparedSpan, 0, total)
	var evals []*spanRow
	traceSet, sessionSet, userSet := make(map[string]bool, traces), map[string]bool{}, map[string]bool{}
	// The request whose summary of a trace holds all its spans of the
	// batch, or nil when several requests sent spans of it.
	summaries := make(map[string]*prepared, traces)
	for _, r := range batch {
		for i := range r.prep.spans {
			p := &r.prep.spans[i]
			k := spanKey{p.row.traceID, p.row.spanID}
			if j, ok := at[k]; ok {
				spans[j] = p
			} else {
				at[k] = len(spans)
				spans = append(spans, p)
			}
			if p.row.eval != nil {
				evals = append(evals, p.row)
			}
			if q, ok := summaries[p.row.traceID]; !ok {
				summaries[p.row.traceID] = r.prep
			} else if q != r.prep {
				summaries[p.row.traceID] = nil
			}
			traceSet[p.row.traceID] = true
			sessionSet[p.row.sessionID] = true
			userSet[p.row.userID] = true
		}
	}
	qs := insertSizes(nil, "spans", spanInsertCols, spanColsN+1, len(spans))
	qs = insertSizes(qs, "traces", traceCols, traceColsN, len(traceSet))
	qs = insertSizes(qs, "sessions", sessionRowCols, 22, len(sessionSet))
	qs = insertSizes(qs, "users", userRowCols, 18, len(userSet))
	if err := s.prepareWriter(qs); err != nil {
		return err
	}
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	t := &txn{s: s, tx: tx, ctx: ctx, stmts: map[string]*sql.Stmt{}}
	// Another connection's commit (another process on the same file) may
	// have changed the turns behind the kept latency windows.
	var version int64
	if err = t.queryRow(`PRAGMA data_version`).Scan(&version); err != nil {
		return fmt.Errorf("data version: %w", err)
	}
	if version != s.dataVersion {
		clear(s.windows)
		s.windowTurns = 0
		s.dataVersion = version
	}
	newResources := map[uint64]bool{}
	pending := s.pending
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
		for id := range newResources {
			s.resources[id] = true
		}
		if len(s.facts)+len(t.facts) > maxFacts {
			clear(s.facts)
		}
		maps.Copy(s.facts, t.facts)
		maps.Copy(s.systemSeen, t.search.system)
		s.keepWindows(t)
		s.pending = pending
	}()

	t.evals = len(evals) > 0
	defer func() {
		if err == nil && t.evals {
			s.haveEvals = true
		}
	}()
	for _, r := range batch {
		for _, res := range r.prep.resources {
			if !s.resources[uint64(res.id)] && !newResources[uint64(res.id)] {
				if err = t.exec(`INSERT OR IGNORE INTO resources (id, data) VALUES (?, ?)`, res.id, res.data); err != nil {
					return fmt.Errorf("insert resource: %w", err)
				}
				newResources[uint64(res.id)] = true
			}
		}
	}

	args := make([]any, 0, (spanColsN+1)*min(len(spans), 4*rowsPerInsert))
	flushSpans := func() error {
		err := t.insertMany("spans", spanInsertCols, spanColsN+1, args)
		args = args[:0]
		return err
	}
	// The batch's spans take the rowids after the largest, read in the
	// transaction: another process writing to the file cannot have taken
	// them.
	var lastRow int64
	if err = t.queryRow(lastSpanRow).Scan(&lastRow); err != nil {
		return fmt.Errorf("spans: %w", err)
	}
	byTrace := make(map[string][]*spanRow, len(traceSet))
	freshRows := make(map[string][]int64, len(traceSet))
	traceIDs := make([]string, 0, len(traceSet))
	for _, p := range spans {
		row := p.row
		lastRow++
		args = append(args, lastRow)
		args = append(args, p.args[:]...)
		freshRows[row.traceID] = append(freshRows[row.traceID], lastRow)
		if len(args) == cap(args) {
			if err = flushSpans(); err != nil {
				return fmt.Errorf("insert span: %w", err)
			}
		}
		if _, ok := byTrace[row.traceID]; !ok {
			traceIDs = append(traceIDs, row.traceID)
		}
		byTrace[row.traceID] = append(byTrace[row.traceID], row)
	}
	if err = flushSpans(); err != nil {
		return fmt.Errorf("insert span: %w", err)
	}
	if err = t.sessionFacts(batch); err != nil {
		return err
	}

	old, err := t.lookupTraces(traceIDs)
	if err != nil {
		return fmt.Errorf("traces: %w", err)
	}
	targs := make([]any, 0, traceColsN*len(traceIDs))
	changes := make([]traceChange, 0, len(traceIDs))
	for _, id := range traceIDs {
		o, existed := old[id]
		var tr traceSummary
		rowids := freshRows[id]
		switch p := summaries[id]; {
		case existed:
			// Spans stored before this batch belong to the trace too.
			all, kept, err := t.traceSpans(o.spanRows, byTrace[id])
			if err != nil {
				return fmt.Errorf("trace %s: %w", id, err)
			}
			tr = summarizeTrace(all)
			rowids = append(kept, rowids...)
		case p != nil:
			tr = *p.traces[id] // summarized by prepare, off the writer
		default:
			rows := byTrace[id]
			all := make([]aggSpan, len(rows))
			for i, r := range rows {
				all[i] = aggOf(r)
			}
			sortSpans(all)
			tr = summarizeTrace(all)
		}
		if tr.doc, err = t.searchDoc(o, existed, &tr); err != nil {
			return fmt.Errorf("search index: %w", err)
		}
		targs = append(targs, id, tr.session, tr.user, tr.start, tr.end, tr.rootName, int64(tr.spans),
			int64(tr.llm), int64(tr.errs), truncate(tr.errMsg, 1000), tr.in, tr.out, tr.total, tr.cost,
			int64(tr.unpriced), tr.model, tr.input, tr.output, int64(tr.retries), b2i(tr.refused), b2i(tr.empty), tr.llmMS, b2i(tr.evalOnly),
			b2i(tr.failed), formatRows(rowids), tr.doc)
		changes = append(changes, traceChange{old: o, existed: existed, new: tr})
		// Evaluations of this trace's spans follow the trace's session and
		// user. Only a trace stored before can have evaluations yet.
		if existed && (s.haveEvals || t.evals) {
			if err = t.exec(updateEvalOwner, tr.session, tr.user, id, tr.session, tr.user); err != nil {
				return fmt.Errorf("trace %s: %w", id, err)
			}
		}
	}
	// Read what the aggregates need from before this batch, then write
	// the traces.
	plan, err := t.planAggregates(changes)
	if err != nil {
		return fmt.Errorf("aggregates: %w", err)
	}
	if err = t.insertMany("traces", traceCols, traceColsN, targs); err != nil {
		return fmt.Errorf("traces: %w", err)
	}

	for _, e := range evals {
		resolved, err := s.putEvaluation(t, e)
		if err != nil {
			return fmt.Errorf("evaluation: %w", err)
		}
		if !resolved && e.eval.target != "" {
			pending++
		}
	}
	if pending > 0 {
		n, err := s.resolvePending(t, traceIDs)
		if err != nil {
			return fmt.Errorf("resolve evaluations: %w", err)
		}
		pending -= n
	}
	if err = s.applyAggregates(t, plan); err != nil {
		return err
	}
	// Last: once written, the search index flushes at every statement.
	if err = t.indexTurns(traceIDs, changes); err != nil {
		return fmt.Errorf("search index: %w", err)
	}
	return nil
}

// oldTrace is a traces row as stored before the batch.
type oldTrace struct {
	session, user string
	spanRows      string // its spans (formatRows)
	a             agg    // this trace alone (traces = 1 unless eval-only)
	evalOnly      bool
	searchDoc     int64 // its search document (search_index.go), 0 for none
}

// lookupTraces returns the stored rows of the ids already stored.
func (t *txn) lookupTraces(ids []string) (map[string]oldTrace, error) {
	out := map[string]oldTrace{}
	err := t.lookupIn(traceLookup, ids, func(rows *sql.Rows) error {
		var id string
		var o oldTrace
		var evalOnly int
		if err := rows.Scan(&id, &o.session, &o.user, &o.a.start, &o.a.end, &o.a.spans, &o.a.llm,
			&o.a.errors, &o.a.errTraces, &o.a.in, &o.a.out, &o.a.total, &o.a.cost, &o.a.unpriced, &evalOnly, &o.spanRows, &o.searchDoc); err != nil {
			return err
		}
		o.evalOnly = evalOnly != 0
		if !o.evalOnly {
			o.a.traces = 1
		}
		out[id] = o
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

type aggSpan struct {
	spanID, parentID, spanKind, name string
	start, end                       int64
	status                           int32
	statusMsg                        string
	session, user, model             string
	in, out, total                   int64
	cost                             float64
	priced, refused, empty           bool
	retry                            int64
	inText, outText                  string
	text                             *spanText
}

// aggOf is what summarizeTrace needs of a span.
func aggOf(r *spanRow) aggSpan {
	return aggSpan{spanID: r.spanID, parentID: r.parentID, spanKind: r.spanKind, name: r.name,
		start: r.startNS, end: r.endNS, status: r.statusCode, statusMsg: r.statusMessage,
		session: r.sessionID, user: r.userID, model: r.model, in: r.inputTokens,
		out: r.outputTokens, total: r.totalTokens, cost: r.cost, priced: r.priced,
		refused: r.refused, empty: r.empty, retry: r.retry, inText: r.inText, outText: r.outText, text: r.text}
}

// sortSpans puts spans in start order (span id breaking ties).
func sortSpans(all []aggSpan) {
	slices.SortFunc(all, func(a, b aggSpan) int { return startOrder(a.start, a.spanID, b.start, b.spanID) })
}

// startOrder compares two spans by start, then span id: the order of a
// trace's spans everywhere.
func startOrder(aStart int64, aID string, bStart int64, bID string) int {
	if c := cmp.Compare(aStart, bStart); c != 0 {
		return c
	}
	return strings.Compare(aID, bID)
}

// traceSpans reads the spans stored before the batch of a trace (its rows,
// as formatRows wrote them) and adds the batch's (fresh) to them, in start
// order. A stored span sent again is replaced: its row is deleted and kept
// leaves it out. The stored spans are decoded from their data and extracted
// again.
func (t *txn) traceSpans(spanRows string, fresh []*spanRow) (all []aggSpan, kept []int64, err error) {
	byID := make(map[string]*spanRow, len(fresh))
	for _, r := range fresh {
		byID[r.spanID] = r
	}
	var gone []int64
	err = t.lookupRows(selectSpanRows, parseRows(spanRows), func(rows *sql.Rows) error {
		var rowid, rid int64
		var spanID, scope string
		var data []byte
		if err := rows.Scan(&rowid, &spanID, &scope, &rid, &data); err != nil {
			return err
		}
		if _, ok := byID[spanID]; ok {
			gone = append(gone, rowid)
			return nil
		}
		var pb tracepb.Span
		if err := proto.Unmarshal(data, &pb); err != nil {
			return fmt.Errorf("decode span %s: %w", spanID, err)
		}
		res, err := t.resourceAttrs(rid)
		if err != nil {
			return err
		}
		all = append(all, aggOf(extract(res, scope, &pb)))
		kept = append(kept, rowid)
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	if err := t.deleteRows(gone); err != nil {
		return nil, nil, err
	}
	for _, r := range fresh {
		all = append(all, aggOf(r))
	}
	sortSpans(all)
	return all, kept, nil
}

// formatRows writes a trace's span rowids for traces.span_rows. A trace's
// spans are found through that list rather than through an index of trace
// ids, whose random keys cost every span written an insert at a random
// place (with random ids, a third of ingest's time).
func formatRows(rowids []int64) string {
	b := make([]byte, 0, 8*len(rowids))
	for i, r := range rowids {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, r, 10)
	}
	return string(b)
}

// parseRows reads traces.span_rows (skipping what is not a number).
func parseRows(list string) []int64 {
	if list == "" {
		return nil
	}
	out := make([]int64, 0, strings.Count(list, ",")+1)
	for len(list) > 0 {
		item, rest, _ := strings.Cut(list, ",")
		if r, err := strconv.ParseInt(item, 10, 64); err == nil {
			out = append(out, r)
		}
		list = rest
	}
	return out
}

const lastSpanRow = `SELECT coalesce(max(rowid), 0) FROM spans`

// selectSpanRows reads up to lookupN spans by rowid.
var selectSpanRows = `SELECT rowid, span_id, scope, resource_id, data FROM spans WHERE rowid IN (?` +
	strings.Repeat(",?", lookupN-1) + `)`

// selectSpanIDs reads the span ids of up to lookupN spans by rowid.
var selectSpanIDs = `SELECT span_id FROM spans WHERE rowid IN (?` + strings.Repeat(",?", lookupN-1) + `)`

// deleteSpanRows deletes up to lookupN spans by rowid.
var deleteSpanRows = `DELETE FROM spans WHERE rowid IN (?` + strings.Repeat(",?", lookupN-1) + `)`

func (t *txn) deleteRows(rowids []int64) error {
	return inChunks(rowids, func(args []any) error { return t.exec(deleteSpanRows, args...) })
}

// maxResourceCache bounds the writer's cache of decoded resources.
const maxResourceCache = 256

// resourceAttrs returns the attributes of a stored resource (none when it
// is missing or unreadable: extraction only falls back to them).
func (t *txn) resourceAttrs(id int64) ([]*commonpb.KeyValue, error) {
	if kvs, ok := t.s.resourceCache[id]; ok {
		return kvs, nil
	}
	var data []byte
	switch err := t.queryRow(`SELECT data FROM resources WHERE id = ?`, id).Scan(&data); {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return nil, fmt.Errorf("resource %d: %w", id, err)
	}
	var r resourcepb.Resource
	if proto.Unmarshal(data, &r) != nil {
		return nil, nil
	}
	if len(t.s.resourceCache) >= maxResourceCache {
		clear(t.s.resourceCache)
	}
	t.s.resourceCache[id] = r.GetAttributes()
	return r.GetAttributes(), nil
}

// traceSummary is a traces row.
type traceSummary struct {
	session, user, rootName          string
	start, end                       int64
	spans, llm, errs, retries        int
	errMsg, model, input, output     string
	in, out, total                   int64
	cost                             float64
	unpriced                         int
	llmMS                            string
	refused, empty, evalOnly, failed bool
	text                             turnText // the search document (search_index.go)
	doc                              int64    // its rowid, 0 for none
}

// summarizeTrace computes the traces row of a trace from all its spans, in
// start order.
func summarizeTrace(all []aggSpan) traceSummary {
	ids := make(map[string]bool, len(all))
	for _, a := range all {
		ids[a.spanID] = true
	}
	var spans []aggSpan // without evaluator spans
	for _, a := range all {
		if a.spanKind != string(semconv.SpanKindEvaluator) {
			spans = append(spans, a)
		}
	}
	evalOnly := len(spans) == 0
	if evalOnly {
		spans = all
	}
	var root *aggSpan
	for i := range spans {
		if spans[i].parentID == "" || !ids[spans[i].parentID] {
			root = &spans[i]
			break
		}
	}
	if root == nil && len(spans) > 0 {
		root = &spans[0]
	}
	var (
		start, end                 int64
		session, user              string
		llm, errs, retries         int
		errMsg, model              string
		in, out, total             int64
		cost                       float64
		unpriced                   int
		input, output              string
		lastLLM                    *aggSpan
		llmMS                      []string
		tokIn, tokOut, tokTotal    int64 // over all spans, used when no LLM span has tokens
		outputEnd                  int64
		refused, empty, anyLLMErrs bool
	)
	if root != nil {
		session, user = root.session, root.user
		input, output = root.inText, root.outText
		outputEnd = root.end
	}
	for i := range spans {
		a := &spans[i]
		if start == 0 || a.start < start {
			start = a.start
		}
		if a.end > end {
			end = a.end
		}
		if session == "" {
			session = a.session
		}
		if user == "" {
			user = a.user
		}
		if a.status == int32(tracepb.Status_STATUS_CODE_ERROR) {
			errs++
			if errMsg == "" {
				errMsg = a.statusMsg
				if errMsg == "" {
					errMsg = a.name + " failed"
				}
			}
		}
		tokIn += a.in
		tokOut += a.out
		tokTotal += a.total
		if input == "" && a.inText != "" {
			input = a.inText
		}
		if a.spanKind == string(semconv.SpanKindLLM) {
			llm++
			in += a.in
			out += a.out
			total += a.total
			if a.priced {
				cost += a.cost
			} else {
				unpriced++
			}
			if a.retry > 0 {
				retries++
			}
			if a.status == int32(tracepb.Status_STATUS_CODE_ERROR) {
				anyLLMErrs = true
			}
			llmMS = append(llmMS, strconv.FormatFloat(float64(a.end-a.start)/1e6, 'f', 3, 64))
			if lastLLM == nil || a.end >= lastLLM.end {
				lastLLM = a
			}
		}
	}
	_ = anyLLMErrs
	// The turn failed when its outcome did: the root or the final LLM call
	// errored. A retried call that recovered is a retry, not a failure.
	failed := false
	if root != nil && root.status == int32(tracepb.Status_STATUS_CODE_ERROR) {
		failed, errMsg = true, firstNonEmpty(root.statusMsg, errMsg)
	}
	if lastLLM != nil && lastLLM.status == int32(tracepb.Status_STATUS_CODE_ERROR) {
		if !failed {
			errMsg = firstNonEmpty(lastLLM.statusMsg, errMsg)
		}
		failed = true
	}
	if llm == 0 {
		in, out, total = tokIn, tokOut, tokTotal
	}
	if root == nil || root.outText == "" {
		// The latest-ending span with an output answers the turn.
		for i := range spans {
			if spans[i].outText != "" && (output == "" || spans[i].end >= outputEnd) {
				output, outputEnd = spans[i].outText, spans[i].end
			}
		}
	}
	if lastLLM != nil {
		model = lastLLM.model
		refused = lastLLM.refused || isRefusal(nil, output)
		empty = lastLLM.empty && strings.TrimSpace(output) == ""
	}
	rootName := ""
	if root != nil {
		rootName = root.name
	}
	return traceSummary{session: session, user: user, rootName: rootName, start: start, end: end,
		spans: len(spans), llm: llm, errs: errs, retries: retries, errMsg: errMsg, model: model,
		input: input, output: output, in: in, out: out, total: total, cost: cost, unpriced: unpriced,
		llmMS: strings.Join(llmMS, ","), refused: refused, empty: empty, evalOnly: evalOnly, failed: failed,
		text: buildTurnText(input, output, spans)}
}

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
func (s *Store) putEvaluation(t *txn, e *spanRow) (resolved bool, err error) {
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
func (s *Store) resolvePending(t *txn, traceIDs []string) (int, error) {
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
		n++
	}
	return n, nil
}

// percentileWindow bounds the turns whose LLM latencies feed the p50/p95 of
// a session or user: the most recent ones.
var percentileWindow = 2000

// latencyWindow holds the LLM latencies of the latest turns (at most
// percentileWindow, newest first) of a session or user: all its turns with
// LLM calls when it has fewer. The writer keeps the windows of the sessions
// and users it wrote, so that a batch merges its new turns in instead of
// reading the window again (the query per session and user touched was a
// tenth of the writer's time).
type latencyWindow struct {
	turns []windowTurn
}

type windowTurn struct {
	start int64
	ms    []float64
}

// maxWindowTurns bounds the turns of the windows the writer keeps.
const maxWindowTurns = 200_000

// with returns the window after the new turns of changes (traces that did
// not exist before the batch).
func (w *latencyWindow) with(changes []*traceChange) *latencyWindow {
	nw := &latencyWindow{turns: slices.Clone(w.turns)}
	for _, c := range changes {
		if c.new.llmMS == "" {
			continue
		}
		t := windowTurn{start: c.new.start, ms: appendMS(nil, c.new.llmMS)}
		i, _ := slices.BinarySearchFunc(nw.turns, t.start, func(e windowTurn, start int64) int {
			return cmp.Compare(start, e.start) // newest first
		})
		nw.turns = slices.Insert(nw.turns, i, t)
	}
	if len(nw.turns) > percentileWindow {
		nw.turns = nw.turns[:percentileWindow]
	}
	return nw
}

func (w *latencyWindow) percentiles() (p50, p95 float64) {
	var ms []float64
	for _, t := range w.turns {
		ms = append(ms, t.ms...)
	}
	sort.Float64s(ms)
	return percentile(ms, 0.50), percentile(ms, 0.95)
}

// readWindow reads the latency window of col = id from the traces table.
func (t *txn) readWindow(col, id string) (*latencyWindow, error) {
	rows, err := t.query(percentileQuery(col), id, percentileWindow)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	w := &latencyWindow{}
	for rows.Next() {
		var tr windowTurn
		var list string
		if err := rows.Scan(&tr.start, &list); err != nil {
			return nil, err
		}
		tr.ms = appendMS(nil, list)
		w.turns = append(w.turns, tr)
	}
	return w, rows.Err()
}

// windowPercentiles returns the p50/p95 of col = id after the batch, whose
// traces of it are changes; had tells whether it had turns before. A kept
// window takes the new traces; it is read again when the batch changes a
// trace stored before.
func (s *Store) windowPercentiles(t *txn, col, id string, had bool, changes []*traceChange) (p50, p95 float64, err error) {
	key := col + "\x00" + id
	w, ok := t.windows[key]
	if !ok {
		w = s.windows[key]
	}
	if s.readWindows {
		w, had = nil, true
	}
	if !had {
		w = &latencyWindow{} // no turn stored before had LLM calls
	}
	for _, c := range changes {
		if c.existed {
			w = nil
		}
	}
	if w != nil {
		w = w.with(changes)
	} else if w, err = t.readWindow(col, id); err != nil {
		return 0, 0, err
	}
	t.setWindow(key, w)
	p50, p95 = w.percentiles()
	return p50, p95, nil
}

// refreshWindow reads the window of col = id again (after a full recompute).
func (s *Store) refreshWindow(t *txn, col, id string) (p50, p95 float64, err error) {
	w, err := t.readWindow(col, id)
	if err != nil {
		return 0, 0, err
	}
	t.setWindow(col+"\x00"+id, w)
	p50, p95 = w.percentiles()
	return p50, p95, nil
}

// setWindow records the window of key as of this transaction (nil: forget
// it), kept by the store if the transaction commits.
func (t *txn) setWindow(key string, w *latencyWindow) {
	if t.windows == nil {
		t.windows = map[string]*latencyWindow{}
	}
	t.windows[key] = w
}

// keepWindows keeps the windows of a committed transaction.
func (s *Store) keepWindows(t *txn) {
	for key, w := range t.windows {
		if old := s.windows[key]; old != nil {
			s.windowTurns -= len(old.turns)
		}
		if w == nil {
			delete(s.windows, key)
			continue
		}
		s.windows[key] = w
		s.windowTurns += len(w.turns)
	}
	if s.windowTurns > maxWindowTurns {
		clear(s.windows)
		s.windowTurns = 0
	}
}

func percentileQuery(col string) string {
	return `SELECT start_ns, llm_ms FROM traces WHERE ` + col + ` = ? AND llm_ms != '' ORDER BY start_ns DESC LIMIT ?`
}

// appendMS appends the latencies of a traces.llm_ms list.
func appendMS(ms []float64, list string) []float64 {
	for _, f := range strings.Split(list, ",") {
		if v, err := strconv.ParseFloat(f, 64); err == nil {
			ms = append(ms, v)
		}
	}
	return ms
}

// percentile of sorted values, nearest-rank with linear interpolation.
func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	pos := p * float64(len(sorted)-1)
	lo := int(pos)
	if lo+1 >= len(sorted) {
		return sorted[len(sorted)-1]
	}
	frac := pos - float64(lo)
	return sorted[lo] + (sorted[lo+1]-sorted[lo])*frac
}

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

func (s *Store) refreshSession(t *txn, id string) error {
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
	p50, p95, err := s.refreshWindow(t, "session_id", id)
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
	return t.exec(insertRows("sessions", sessionRowCols, 22, 1),
		id, user, a.traces, a.spans, a.llm, a.errors, a.errTraces, a.errorRate(), a.in, a.out, a.total,
		a.cost, a.unpriced, first, last, a.start, a.end, float64(a.end-a.start)/1e6, p50, p95,
		jsonList(models), jsonList(tags))
}

func (s *Store) refreshUser(t *txn, id string) error {
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
	p50, p95, err := s.refreshWindow(t, "user_id", id)
	if err != nil {
		return err
	}
	models, err := t.strings(`SELECT DISTINCT model FROM traces WHERE user_id = ? AND model != '' LIMIT 50`, id)
	if err != nil {
		return err
	}
	sort.Strings(models)
	return t.exec(insertRows("users", userRowCols, 18, 1),
		id, sessions, a.traces, a.spans, a.llm, a.errors, a.errTraces, a.errorRate(), a.in, a.out,
		a.total, a.cost, a.unpriced, a.start, a.end, p50, p95, jsonList(models))
}

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
	} else if stored, ok := t.s.facts[key]; ok && stored == v {
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
			if t.fact("k\x00"+f[0]+"\x00"+f[1], f[2]) {
				meta = append(meta, f[0], f[1], f[2])
			}
		}
	}
	if err := t.insertNew("session_tags", tagCols, tags); err != nil {
		return fmt.Errorf("session tags: %w", err)
	}
	if err := t.insertNew("session_models", modelCols, models); err != nil {
		return fmt.Errorf("session models: %w", err)
	}
	if err := t.insertMany("session_meta", metaCols, 3, meta); err != nil {
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

const sessionRowCols = `session_id, user_id, traces, spans, llm_calls, errors,
	error_traces, error_rate, input_tokens, output_tokens, total_tokens, cost, unpriced, first_input,
	last_output, start_ns, end_ns, duration_ms, p50_ms, p95_ms, models, tags`

const userRowCols = `user_id, sessions, traces, spans, llm_calls, errors,
	error_traces, error_rate, input_tokens, output_tokens, total_tokens, cost, unpriced, first_ns,
	last_ns, p50_ms, p95_ms, models`

var (
	sessionLookup = `SELECT session_id, traces, spans, llm_calls, errors, error_traces, input_tokens,
	output_tokens, total_tokens, cost, unpriced, start_ns, end_ns, models, tags FROM sessions
	WHERE session_id IN (?` + strings.Repeat(",?", lookupN-1) + `)`
	userLookup = `SELECT user_id, sessions, traces, spans, llm_calls, errors, error_traces, input_tokens,
	output_tokens, total_tokens, cost, unpriced, first_ns, last_ns, models FROM users
	WHERE user_id IN (?` + strings.Repeat(",?", lookupN-1) + `)`
)

// sessionTexts reads a session's user (of its latest turn with one), its
// first input and last output, and its models and tags as JSON arrays, as
// refreshSession does, in one statement.
const sessionTexts = `SELECT
	coalesce((SELECT user_id FROM traces WHERE session_id = ?1 AND user_id != '' ORDER BY start_ns DESC LIMIT 1), ''),
	coalesce((SELECT input FROM traces WHERE session_id = ?1 AND input != '' AND eval_only = 0 ORDER BY start_ns LIMIT 1), ''),
	coalesce((SELECT output FROM traces WHERE session_id = ?1 AND output != '' AND eval_only = 0 ORDER BY start_ns DESC LIMIT 1), ''),
	(SELECT json_group_array(model) FROM (SELECT model FROM session_models WHERE session_id = ?1 ORDER BY model LIMIT 50)),
	(SELECT json_group_array(tag) FROM (SELECT tag FROM session_tags WHERE session_id = ?1 ORDER BY tag LIMIT 100))`

// userSessionSeen tells whether a user already has a turn in a session.
// (+user_id: through the session's index, a user may have many turns).
const userSessionSeen = `SELECT count(*) FROM (SELECT 1 FROM traces WHERE session_id = ? AND +user_id = ? AND eval_only = 0 LIMIT 1)`

// traceChange is one trace of the batch: its row before (if it existed)
// and after.
type traceChange struct {
	old     oldTrace
	existed bool
	new     traceSummary
}

// contribution is what the trace adds to its session's and user's sums.
func (s *traceSummary) contribution() agg {
	if s.evalOnly {
		return agg{}
	}
	return agg{traces: 1, spans: int64(s.spans), llm: int64(s.llm), errors: int64(s.errs),
		errTraces: int64(b2i(s.failed)), in: s.in, out: s.out, total: s.total, cost: s.cost,
		unpriced: int64(s.unpriced), start: s.start, end: s.end}
}

// incremental reports whether the sessions and users aggregates can be
// updated with the difference the trace makes: it stays in the same session
// and user and its time range only grows (spans were added). Otherwise they
// are recomputed from the traces table.
func (c *traceChange) incremental() bool {
	if !c.existed {
		return true
	}
	o, n := &c.old, &c.new
	if o.session != n.session || o.user != n.user {
		return false
	}
	if o.evalOnly {
		return true
	}
	return !n.evalOnly && n.start <= o.a.start && n.end >= o.a.end
}

// entityPlan is the update of one sessions or users row.
type entityPlan struct {
	full     bool // recompute from the traces table
	had      bool // the row existed before the batch
	a        agg
	changes  []*traceChange // batch traces in this session or user
	sessions int64          // users: sessions after the batch
	models   string         // the stored lists
	tags     string
}

type aggPlan struct {
	sessions, users map[string]*entityPlan
}

func (p *aggPlan) entity(m map[string]*entityPlan, id string) *entityPlan {
	e := m[id]
	if e == nil {
		e = &entityPlan{}
		m[id] = e
	}
	return e
}

// planAggregates reads, before the batch's traces are written, the stored
// sessions and users rows the batch changes, and adds the batch to them.
func (t *txn) planAggregates(changes []traceChange) (*aggPlan, error) {
	p := &aggPlan{sessions: map[string]*entityPlan{}, users: map[string]*entityPlan{}}
	for i := range changes {
		c := &changes[i]
		inc := c.incremental()
		for _, e := range []struct {
			m        map[string]*entityPlan
			old, new string
		}{{p.sessions, c.old.session, c.new.session}, {p.users, c.old.user, c.new.user}} {
			if e.old != "" && e.old != e.new {
				p.entity(e.m, e.old).full = true
			}
			if e.new != "" {
				ep := p.entity(e.m, e.new)
				ep.changes = append(ep.changes, c)
				if !inc {
					ep.full = true
				}
			}
		}
	}
	ids := func(m map[string]*entityPlan) []string {
		var out []string
		for id, e := range m {
			if !e.full {
				out = append(out, id)
			}
		}
		return out
	}
	err := t.lookupIn(sessionLookup, ids(p.sessions), func(rows *sql.Rows) error {
		var id string
		var a agg
		var models, tags string
		if err := rows.Scan(&id, &a.traces, &a.spans, &a.llm, &a.errors, &a.errTraces, &a.in, &a.out,
			&a.total, &a.cost, &a.unpriced, &a.start, &a.end, &models, &tags); err != nil {
			return err
		}
		e := p.sessions[id]
		e.had, e.a, e.models, e.tags = true, a, models, tags
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = t.lookupIn(userLookup, ids(p.users), func(rows *sql.Rows) error {
		var id string
		var a agg
		var sessions int64
		var models string
		if err := rows.Scan(&id, &sessions, &a.traces, &a.spans, &a.llm, &a.errors, &a.errTraces, &a.in,
			&a.out, &a.total, &a.cost, &a.unpriced, &a.start, &a.end, &models); err != nil {
			return err
		}
		e := p.users[id]
		e.had, e.a, e.sessions, e.models = true, a, sessions, models
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, m := range []map[string]*entityPlan{p.sessions, p.users} {
		for _, e := range m {
			if e.full {
				continue
			}
			has := e.had && e.a.traces > 0
			for _, c := range e.changes {
				var before agg
				if c.existed {
					before = c.old.a
				}
				after := c.new.contribution()
				e.a.traces += after.traces - before.traces
				e.a.spans += after.spans - before.spans
				e.a.llm += after.llm - before.llm
				e.a.errors += after.errors - before.errors
				e.a.errTraces += after.errTraces - before.errTraces
				e.a.in += after.in - before.in
				e.a.out += after.out - before.out
				e.a.total += after.total - before.total
				e.a.cost += after.cost - before.cost
				e.a.unpriced += after.unpriced - before.unpriced
				if after.traces > 0 {
					if !has {
						e.a.start, e.a.end, has = after.start, after.end, true
					} else {
						e.a.start, e.a.end = min(e.a.start, after.start), max(e.a.end, after.end)
					}
				}
			}
			if e.a.traces <= 0 {
				e.full = true // the row goes away
			}
		}
	}
	// A user's session count grows by the sessions the batch gives them a
	// first turn in.
	for uid, e := range p.users {
		if e.full {
			continue
		}
		seen := map[string]bool{}
		for _, c := range e.changes {
			sid := c.new.session
			if sid == "" || c.new.evalOnly || seen[sid] {
				continue
			}
			seen[sid] = true
			had := 0
			// Without a sessions row before the batch, the session had no
			// turn at all.
			if se := p.sessions[sid]; e.had && (se == nil || se.full || se.had) {
				if err := t.queryRow(userSessionSeen, sid, uid).Scan(&had); err != nil {
					return nil, err
				}
			}
			if had == 0 {
				e.sessions++
			}
		}
	}
	return p, nil
}

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

// applyAggregates writes the sessions and users rows of the plan, after the
// batch's traces.
func (s *Store) applyAggregates(t *txn, p *aggPlan) error {
	var args []any
	for id, e := range p.sessions {
		if e.full {
			if err := s.refreshSession(t, id); err != nil {
				return fmt.Errorf("session %q: %w", id, err)
			}
			continue
		}
		var user, first, last, modelsJSON, tagsJSON string
		if err := t.queryRow(sessionTexts, id).Scan(&user, &first, &last, &modelsJSON, &tagsJSON); err != nil {
			return fmt.Errorf("session %q: %w", id, err)
		}
		p50, p95, err := s.windowPercentiles(t, "session_id", id, e.had, e.changes)
		if err != nil {
			return fmt.Errorf("session %q: %w", id, err)
		}
		models, tags := e.models, e.tags
		if !e.had || t.newRows[id] {
			// Encoded again as refreshSession does.
			var m, tg []string
			if err := json.Unmarshal([]byte(modelsJSON), &m); err != nil {
				return fmt.Errorf("session %q models: %w", id, err)
			}
			if err := json.Unmarshal([]byte(tagsJSON), &tg); err != nil {
				return fmt.Errorf("session %q tags: %w", id, err)
			}
			models, tags = jsonList(m), jsonList(tg)
		}
		a := &e.a
		args = append(args, id, user, a.traces, a.spans, a.llm, a.errors, a.errTraces, a.errorRate(), a.in,
			a.out, a.total, a.cost, a.unpriced, first, last, a.start, a.end, float64(a.end-a.start)/1e6, p50,
			p95, models, tags)
	}
	if err := t.insertMany("sessions", sessionRowCols, 22, args); err != nil {
		return fmt.Errorf("sessions: %w", err)
	}
	args = args[:0]
	for id, e := range p.users {
		if e.full {
			if err := s.refreshUser(t, id); err != nil {
				return fmt.Errorf("user %q: %w", id, err)
			}
			continue
		}
		p50, p95, err := s.windowPercentiles(t, "user_id", id, e.had, e.changes)
		if err != nil {
			return fmt.Errorf("user %q: %w", id, err)
		}
		var models []string
		if e.models != "" {
			_ = json.Unmarshal([]byte(e.models), &models)
		}
		for _, c := range e.changes {
			if m := c.new.model; m != "" && !slices.Contains(models, m) {
				models = append(models, m)
			}
		}
		sort.Strings(models)
		if len(models) > 50 {
			models = models[:50]
		}
		a := &e.a
		args = append(args, id, e.sessions, a.traces, a.spans, a.llm, a.errors, a.errTraces, a.errorRate(),
			a.in, a.out, a.total, a.cost, a.unpriced, a.start, a.end, p50, p95, jsonList(models))
	}
	if err := t.insertMany("users", userRowCols, 18, args); err != nil {
		return fmt.Errorf("users: %w", err)
	}
	return nil
}
