package store

import (
	"fmt"
	"maps"
)

// b2i returns int64, the type database/sql passes without converting.
func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func (w *writer) write(batch []*writeReq) error {
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
	qs = tracesTable.insertSizes(qs, len(traceSet))
	qs = sessionsTable.insertSizes(qs, len(sessionSet))
	qs = usersTable.insertSizes(qs, len(userSet))
	if err := w.prepareWriter(qs); err != nil {
		return err
	}
	return w.job(func(t *txn) error { return w.writeIn(t, batch, spans, evals, summaries) })
}

// writeIn writes a batch in the transaction t; what the writer keeps in
// memory of it is kept once t commits.
func (w *writer) writeIn(t *txn, batch []*writeReq, spans []*preparedSpan, evals []*spanRow, summaries map[string]*prepared) (err error) {
	// Another connection's commit (another process on the same file) may
	// have changed the turns behind the kept latency windows.
	var version int64
	if err = t.queryRow(`PRAGMA data_version`).Scan(&version); err != nil {
		return fmt.Errorf("data version: %w", err)
	}
	if version != w.dataVersion {
		clear(w.windows)
		w.windowTurns = 0
		w.dataVersion = version
	}
	newResources := map[uint64]bool{}
	pending := w.pending
	t.evals = len(evals) > 0
	t.onCommit = append(t.onCommit, func() {
		for id := range newResources {
			w.resources[id] = true
		}
		if len(w.facts)+len(t.facts) > maxFacts {
			clear(w.facts)
		}
		maps.Copy(w.facts, t.facts)
		maps.Copy(w.systemSeen, t.search.system)
		w.pending = pending
		if t.evals {
			w.haveEvals = true
		}
	})
	for _, r := range batch {
		for _, res := range r.prep.resources {
			if !w.resources[uint64(res.id)] && !newResources[uint64(res.id)] {
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
	byTrace := make(map[string][]*spanRow, len(summaries))
	freshRows := make(map[string][]int64, len(summaries))
	traceIDs := make([]string, 0, len(summaries))
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
	targs := make([]any, 0, tracesTable.width*len(traceIDs))
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
		targs = tracesTable.appendRow(targs, &traceRow{id: id, traceSummary: &tr, spanRows: formatRows(rowids)})
		changes = append(changes, traceChange{old: o, existed: existed, new: tr})
		// Evaluations of this trace's spans follow the trace's session and
		// user. Only a trace stored before can have evaluations yet.
		if existed && (w.haveEvals || t.evals) {
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
	if err = tracesTable.insertAll(t, targs); err != nil {
		return fmt.Errorf("traces: %w", err)
	}

	for _, e := range evals {
		resolved, err := w.putEvaluation(t, e)
		if err != nil {
			return fmt.Errorf("evaluation: %w", err)
		}
		if !resolved && e.eval.target != "" {
			pending++
		}
	}
	if pending > 0 {
		n, err := w.resolvePending(t, traceIDs)
		if err != nil {
			return fmt.Errorf("resolve evaluations: %w", err)
		}
		pending -= n
	}
	if err = w.applyAggregates(t, plan); err != nil {
		return err
	}
	if err = t.markBatch(changes, plan); err != nil {
		return err
	}
	// Last: once written, the search index flushes at every statement.
	if err = t.indexTurns(traceIDs, changes); err != nil {
		return fmt.Errorf("search index: %w", err)
	}
	return nil
}
