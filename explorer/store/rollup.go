package store

import (
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"
)

// The dashboard reads hourly rollups of the turns instead of the turns:
// per hour and per value of each dimension but metadata (every turn,
// model, tag, user, prompt template and version, span kind), the counts
// and sums of Groups, a latency histogram, the sessions and users seen and
// the evaluations' sums. Ingest and retention only mark the hours they
// change (dash_dirty, a few rows per batch). A marked hour is recomputed
// from its turns once it has been quiet for a while, with the very code
// that answers a query by scanning: read on the read pool, written by the
// writer. A query reads the rollups of the clean hours and scans the turns
// of marked hours and of the partial hours at the ends of its range, so
// its answer never waits for a recomputation.

const hourNS = int64(time.Hour)

// rollupSchema holds the rollups and the marks. A rollup's figures are one
// blob (hourRow.encode) in a table ordered by (dim, hour, key): a query
// reads thousands of rows in that order, and the driver's cost per column
// and a second lookup per row were most of it. A mark is a row, never an
// update, so that writers on PostgreSQL do not queue on the hour's row.
const rollupSchema = `
CREATE TABLE IF NOT EXISTS dash_hours (
	dim  TEXT NOT NULL,
	hour INTEGER NOT NULL,
	key  TEXT NOT NULL,
	data BLOB NOT NULL,
	PRIMARY KEY (dim, hour, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS dash_dirty (
	id   INTEGER PRIMARY KEY,
	hour INTEGER NOT NULL,
	at   INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS dash_dirty_hour ON dash_dirty(hour);
`

// markAllHours marks every hour holding a trace (a database from before
// the rollups).
const markAllHours = `INSERT INTO dash_dirty (hour, at) SELECT DISTINCT start_ns / 3600000000000, 0 FROM traces`

// rollupDims are the dimensions kept per hour; "" is every turn. A user's
// rollup rows are the hours the user was active in, so that dimension
// costs at most a row per turn.
var rollupDims = []string{"", GroupByModel, GroupByTag, GroupByPromptTemplate, GroupByPromptTemplateVersion,
	GroupByUser, GroupBySpanKind}

// Refresh pacing: an hour is recomputed once no mark has come for
// rollupSettle, reading turns for about rollupBudget per round, looked for
// every rollupEvery.
const (
	rollupSettle = 5 * time.Second
	rollupBudget = 200 * time.Millisecond
	rollupEvery  = 2 * time.Second
	rollupHours  = 64 // hours looked at per job
)

func hourOf(ns int64) int64 {
	h := ns / hourNS
	if ns < 0 && ns%hourNS != 0 {
		h--
	}
	return h
}

// hourRow is a dash_hours row.
type hourRow struct {
	hour                            int64
	dim, key                        string
	traces, spans, errors, failed   int64
	in, out, total                  int64
	cost                            float64
	latency, sessions, users, evals []byte
}

// encode writes a row's figures as its data blob: the counts as varints,
// the cost's bits, then each part with its length.
func (r *hourRow) encode() []byte {
	b := make([]byte, 0, 48+len(r.latency)+len(r.sessions)+len(r.users)+len(r.evals))
	for _, v := range []int64{r.traces, r.spans, r.errors, r.failed, r.in, r.out, r.total} {
		b = binary.AppendVarint(b, v)
	}
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(r.cost))
	for _, part := range [][]byte{r.latency, r.sessions, r.users, r.evals} {
		b = binary.AppendUvarint(b, uint64(len(part)))
		b = append(b, part...)
	}
	return b
}

var errRollupRow = errors.New("store: malformed rollup row")

// decode reads a data blob; the parts point into b.
func (r *hourRow) decode(b []byte) error {
	for _, v := range []*int64{&r.traces, &r.spans, &r.errors, &r.failed, &r.in, &r.out, &r.total} {
		x, n := binary.Varint(b)
		if n <= 0 {
			return errRollupRow
		}
		*v, b = x, b[n:]
	}
	if len(b) < 8 {
		return errRollupRow
	}
	r.cost, b = math.Float64frombits(binary.LittleEndian.Uint64(b)), b[8:]
	for _, part := range []*[]byte{&r.latency, &r.sessions, &r.users, &r.evals} {
		l, n := binary.Uvarint(b)
		if n <= 0 || uint64(len(b)-n) < l {
			return errRollupRow
		}
		*part, b = b[n:n+int(l)], b[n+int(l):]
	}
	return nil
}

// evalSums is an evaluation's part of a rollup row.
type evalSums struct {
	Count  int            `json:"n"`
	Scored int            `json:"s"`
	Sum    float64        `json:"sum"`
	Labels map[string]int `json:"l,omitempty"`
}

// rowOf is the rollup of the turns accumulated in a.
func rowOf(hour int64, dim, key string, a *acc) hourRow {
	r := hourRow{hour: hour, dim: dim, key: key, traces: a.traces, spans: a.spans, errors: a.errors, failed: a.failed,
		in: a.in, out: a.out, total: a.total, cost: a.cost}
	var h latHist
	for _, ms := range a.durations {
		h.add(ms)
	}
	r.latency = h.encode()
	r.sessions = a.sessions.encode()
	r.users = a.users.encode()
	if len(a.evals) > 0 {
		sums := make(map[string]evalSums, len(a.evals))
		for name, e := range a.evals {
			sums[name] = evalSums{Count: e.count, Scored: e.scored, Sum: e.sum, Labels: e.labels}
		}
		r.evals, _ = json.Marshal(sums) // maps of strings and numbers: no error
	}
	return r
}

// rowParts names the parts of a rollup row a query needs besides its
// counts and sums: decoding the others was most of the time of a query
// that does not show them.
type rowParts struct {
	latency, sessions, users, evals bool
}

// groupParts are what Groups shows of a row.
var groupParts = rowParts{latency: true, sessions: true, evals: true}

// addRow adds the parts of a rollup row to a; with the latency, a's
// durations go to a histogram.
func (a *acc) addRow(r *hourRow, parts rowParts) error {
	if parts.latency && a.hist == nil {
		a.hist = &latHist{}
		for _, ms := range a.durations {
			a.hist.add(ms)
		}
		a.durations = nil
	}
	a.traces += r.traces
	a.spans += r.spans
	a.errors += r.errors
	a.failed += r.failed
	a.in += r.in
	a.out += r.out
	a.total += r.total
	a.cost += r.cost
	if parts.latency {
		if err := a.hist.decode(r.latency); err != nil {
			return err
		}
	}
	if parts.sessions {
		if err := a.sessions.addHashes(r.sessions); err != nil {
			return err
		}
	}
	if parts.users {
		if err := a.users.addHashes(r.users); err != nil {
			return err
		}
	}
	if parts.evals && len(r.evals) > 0 {
		var sums map[string]evalSums
		if err := json.Unmarshal(r.evals, &sums); err != nil {
			return fmt.Errorf("store: rollup evaluations: %w", err)
		}
		if a.evals == nil {
			a.evals = map[string]*evalAcc{}
		}
		for name, s := range sums {
			e := a.evals[name]
			if e == nil {
				e = &evalAcc{labels: map[string]int{}}
				a.evals[name] = e
			}
			e.count += s.Count
			e.scored += s.Scored
			e.sum += s.Sum
			for l, n := range s.Labels {
				e.labels[l] += n
			}
		}
	}
	return nil
}

// computeHour is the rollup rows of one hour, from its turns read through
// q.
func computeHour(ctx context.Context, q queryer, hour int64) ([]hourRow, error) {
	f := TurnFilter{Since: time.Unix(0, hour*hourNS), Until: time.Unix(0, (hour+1)*hourNS)}
	var out []hourRow
	for _, dim := range rollupDims {
		accs := newGroupAccs(dim)
		if err := scanTurns(ctx, q, f, dim, accs.addTurn); err != nil {
			return nil, err
		}
		if len(accs.m) == 0 {
			continue // no turn in the hour: no evaluation of one either
		}
		if err := scanTurnEvals(ctx, q, f, dim, accs.addEval); err != nil {
			return nil, err
		}
		for _, k := range slices.Sorted(maps.Keys(accs.m)) {
			out = append(out, rowOf(hour, dim, k, accs.m[k]))
		}
	}
	return out, nil
}

// hourRollup is an hour's recomputed rollup rows and the marks read
// before its turns.
type hourRollup struct {
	hour  int64
	marks []int64
	rows  []hourRow
}

// computeHours recomputes, reading through q (one snapshot), the rollups
// of the marked hours whose latest mark is at or before settled (ns), until
// budget is spent; more tells that such hours are left.
func computeHours(ctx context.Context, q queryer, settled int64, budget time.Duration) (out []hourRollup, more bool, err error) {
	start := time.Now()
	hours, err := column[int64](ctx, q, `SELECT hour FROM dash_dirty GROUP BY hour HAVING max(at) <= ? ORDER BY hour LIMIT ?`, settled, rollupHours)
	if err != nil {
		return nil, false, fmt.Errorf("rollup marks: %w", err)
	}
	for i, h := range hours {
		if i > 0 && time.Since(start) > budget {
			return out, true, nil
		}
		marks, err := column[int64](ctx, q, `SELECT id FROM dash_dirty WHERE hour = ?`, h)
		if err != nil {
			return nil, false, fmt.Errorf("rollup marks: %w", err)
		}
		rows, err := computeHour(ctx, q, h)
		if err != nil {
			return nil, false, fmt.Errorf("rollup of hour %d: %w", h, err)
		}
		out = append(out, hourRollup{hour: h, marks: marks, rows: rows})
	}
	return out, len(hours) == rollupHours, nil
}

// writeHours writes recomputed rollups in tx, each only if all the marks
// read before its turns are still there: when one is gone, a refresh from
// a later snapshot got there first. Only those marks are deleted: an hour
// marked since stays marked, and is recomputed again.
func writeHours(ctx context.Context, tx *sql.Tx, hs []hourRollup) error {
	for _, hr := range hs {
		var left int
		err := inChunks(hr.marks, func(a []any) error {
			var n int
			err := tx.QueryRowContext(ctx, `SELECT count(*) FROM dash_dirty WHERE id IN (?`+strings.Repeat(",?", len(a)-1)+`)`, a...).Scan(&n)
			left += n
			return err
		})
		if err != nil {
			return fmt.Errorf("rollup marks: %w", err)
		}
		if left != len(hr.marks) {
			continue
		}
		for _, dim := range rollupDims {
			if _, err := tx.ExecContext(ctx, `DELETE FROM dash_hours WHERE dim = ? AND hour = ?`, dim, hr.hour); err != nil {
				return fmt.Errorf("rollup of hour %d: %w", hr.hour, err)
			}
		}
		for _, r := range hr.rows {
			if _, err := tx.ExecContext(ctx, `INSERT INTO dash_hours (hour, dim, key, data) VALUES (?, ?, ?, ?)`,
				r.hour, r.dim, r.key, r.encode()); err != nil {
				return fmt.Errorf("rollup of hour %d: %w", hr.hour, err)
			}
		}
		if err := inChunks(hr.marks, func(a []any) error {
			_, err := tx.ExecContext(ctx, `DELETE FROM dash_dirty WHERE id IN (?`+strings.Repeat(",?", len(a)-1)+`)`, a...)
			return err
		}); err != nil {
			return fmt.Errorf("rollup marks: %w", err)
		}
	}
	return nil
}

// markHours marks hours changed by the transaction.
func (t *txn) markHours(hours map[int64]bool) error {
	if len(hours) == 0 {
		return nil
	}
	at := time.Now().UnixNano()
	args := make([]any, 0, 2*len(hours))
	for _, h := range slices.Sorted(maps.Keys(hours)) {
		args = append(args, h, at)
	}
	for len(args) > 0 {
		n := min(len(args)/2, 256)
		q := `INSERT INTO dash_dirty (hour, at) VALUES (?, ?)` + strings.Repeat(", (?, ?)", n-1)
		if _, err := t.tx.ExecContext(t.ctx, q, args[:2*n]...); err != nil {
			return fmt.Errorf("rollup marks: %w", err)
		}
		args = args[2*n:]
	}
	return nil
}

// markBatch marks the hours whose rollups a batch made stale: those its
// traces were and are in, those of the turns its evaluations judge, and
// those of the earlier turns of sessions given a new tag.
func (t *txn) markBatch(changes []traceChange, plan *aggPlan) error {
	hours := map[int64]bool{}
	for i := range changes {
		c := &changes[i]
		if c.existed && !c.old.evalOnly {
			hours[hourOf(c.old.a.start)] = true
		}
		if !c.new.evalOnly {
			hours[hourOf(c.new.start)] = true
		}
	}
	if err := t.markTraceHours(hours, traceStarts, t.judged); err != nil {
		return fmt.Errorf("rollup marks: %w", err)
	}
	for _, id := range slices.Sorted(maps.Keys(t.newRows)) {
		if e := plan.sessions[id]; e == nil || !e.had {
			continue // a new session: its turns are the batch's
		}
		rows, err := t.query(sessionStarts, id)
		if err != nil {
			return fmt.Errorf("rollup marks: %w", err)
		}
		for rows.Next() {
			var start int64
			if err := rows.Scan(&start); err != nil {
				rows.Close()
				return fmt.Errorf("rollup marks: %w", err)
			}
			hours[hourOf(start)] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("rollup marks: %w", err)
		}
	}
	return t.markHours(hours)
}

const sessionStarts = `SELECT start_ns FROM traces WHERE session_id = ?`

// markTraceHours adds to hours the hours of the turns the query (with one
// list of trace ids, lookupN wide) returns the start of.
func (t *txn) markTraceHours(hours map[int64]bool, q string, ids []string) error {
	return t.lookupIn(q, ids, func(r *sql.Rows) error {
		var start int64
		if err := r.Scan(&start); err != nil {
			return err
		}
		hours[hourOf(start)] = true
		return nil
	})
}

var (
	traceStarts = `SELECT start_ns FROM traces WHERE trace_id IN (?` + strings.Repeat(",?", lookupN-1) + `)`
	// judgedStarts are the starts of the turns judged by evaluations in
	// the traces listed.
	judgedStarts = `SELECT t.start_ns FROM evaluations e JOIN traces t ON t.trace_id = e.target_trace_id
	WHERE e.trace_id IN (?` + strings.Repeat(",?", lookupN-1) + `)`
)

// refreshRollups recomputes the marked hours quiet for settle, until none
// is left: their turns are read on the read pool, so that the writer only
// writes the rows (one short job per round of at most rollupBudget of
// reading) and ingest does not wait for the reading.
func (s *Store) refreshRollups(ctx context.Context, settle time.Duration) error {
	for {
		settled := time.Now().Add(-settle).UnixNano()
		tx, err := s.rdb.BeginTx(ctx, s.readTx)
		if err != nil {
			return err
		}
		hs, more, err := computeHours(ctx, tx, settled, rollupBudget)
		tx.Rollback()
		if err != nil {
			return err
		}
		if len(hs) > 0 {
			req := &writeReq{done: make(chan error, 1), job: func(t *txn) error { return writeHours(t.ctx, t.tx, hs) }}
			if err := s.submit(ctx, req); err != nil {
				return err
			}
		}
		if !more {
			return nil
		}
	}
}

// RefreshRollups recomputes the dashboard's hourly rollups of every hour
// marked stale, now. The store does it in the background for hours that
// have been quiet for a few seconds, and queries scan the turns of the
// hours still marked, so calling it changes no answer: it makes the next
// queries read rollups instead of turns (tests and benchmarks call it).
func (s *Store) RefreshRollups(ctx context.Context) error {
	return s.refreshRollups(ctx, 0)
}

// rollupLoop refreshes the rollups every rollupEvery until Close.
func (s *Store) rollupLoop() {
	defer close(s.rollupEnd)
	tick := time.NewTicker(rollupEvery)
	defer tick.Stop()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-s.rollupStop
		cancel()
	}()
	for {
		select {
		case <-s.rollupStop:
			return
		case <-tick.C:
		}
		if s.Health() != nil {
			continue // the file is gone: nothing to keep up to date
		}
		var marked int
		err := s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM dash_dirty LIMIT 1)`).Scan(&marked)
		if err == nil && marked > 0 {
			err = s.refreshRollups(ctx, rollupSettle)
		}
		if err != nil && ctx.Err() == nil && !errors.Is(err, ErrClosed) {
			s.cfg.logger.Error("traceai explorer: dashboard rollups failed", "err", err)
		}
	}
}
