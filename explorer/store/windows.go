package store

import (
	"cmp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

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
func (w *writer) windowPercentiles(t *txn, col, id string, had bool, changes []*traceChange) (p50, p95 float64, err error) {
	key := col + "\x00" + id
	win, ok := t.windows[key]
	if !ok {
		win = w.windows[key]
	}
	if w.readWindows {
		win, had = nil, true
	}
	if !had {
		win = &latencyWindow{} // no turn stored before had LLM calls
	}
	for _, c := range changes {
		if c.existed {
			win = nil
		}
	}
	if win != nil {
		win = win.with(changes)
	} else if win, err = t.readWindow(col, id); err != nil {
		return 0, 0, err
	}
	t.setWindow(key, win)
	p50, p95 = win.percentiles()
	return p50, p95, nil
}

// refreshWindow reads the window of col = id again (after a full recompute).
func (w *writer) refreshWindow(t *txn, col, id string) (p50, p95 float64, err error) {
	win, err := t.readWindow(col, id)
	if err != nil {
		return 0, 0, err
	}
	t.setWindow(col+"\x00"+id, win)
	p50, p95 = win.percentiles()
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
func (w *writer) keepWindows(t *txn) {
	for key, win := range t.windows {
		if old := w.windows[key]; old != nil {
			w.windowTurns -= len(old.turns)
		}
		if win == nil {
			delete(w.windows, key)
			continue
		}
		w.windows[key] = win
		w.windowTurns += len(win.turns)
	}
	if w.windowTurns > maxWindowTurns {
		clear(w.windows)
		w.windowTurns = 0
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
