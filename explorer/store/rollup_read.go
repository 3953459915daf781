package store

import (
	"context"
	"database/sql"
	"math"
	"slices"
	"sync/atomic"
	"time"
)

// noRollups makes every dashboard query scan the turns: tests compare the
// two answers.
var noRollups atomic.Bool

// rollupRowsRead counts the rollup rows queries read (tests check that
// the rollups answered).
var rollupRowsRead atomic.Int64

// turnSink receives what a dashboard query reads: turns and their
// evaluations scanned from traces, and rollup rows, those of the total
// (every turn the filter keeps, under key "") flagged.
type turnSink struct {
	turn func(*turn)
	eval func(*turnEval) // nil when evaluations are not needed
	row  func(r *hourRow, total bool) error
}

// rollupPlan is which rollup rows answer a query: the groups' (dim) and
// the total's (totalDim, with totalKey when the filter is one of its
// values).
type rollupPlan struct {
	groups, total      bool
	dim                string
	totalDim, totalKey string
}

// planRollup tells whether the rollups can answer the turns f keeps, by
// by, and how. They hold whole hours of every turn, per value of one
// dimension: a filter other than time is one dimension's value, and only
// without groups.
func planRollup(f TurnFilter, by string, groups, total bool) (rollupPlan, bool) {
	p := rollupPlan{groups: groups, total: total, dim: by}
	if noRollups.Load() || f.MetadataKey != "" || !slices.Contains(rollupDims, by) {
		return p, false
	}
	var n int
	for _, c := range []struct{ dim, value string }{{GroupByModel, f.Model}, {GroupByTag, f.Tag}, {GroupByUser, f.UserID}} {
		if c.value != "" {
			p.totalDim, p.totalKey = c.dim, c.value
			n++
		}
	}
	if n > 1 || n == 1 && by != "" {
		return p, false
	}
	if by == "" {
		// The only group is the total.
		p.groups, p.total = false, true
	}
	return p, true
}

// readTurns gives sink the turns f keeps, keyed by by: from the rollups
// of the whole clean hours in f's range when p allows it, else (and for
// the rest) from the traces rows. It reads one snapshot.
func (s *Store) readTurns(ctx context.Context, f TurnFilter, by string, p rollupPlan, usable bool, sink turnSink) error {
	tx, err := s.rdb.BeginTx(ctx, s.readTx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	scan := func(f TurnFilter) error {
		if err := scanTurns(ctx, tx, f, by, sink.turn); err != nil {
			return err
		}
		if sink.eval == nil {
			return nil
		}
		return scanTurnEvals(ctx, tx, f, by, sink.eval)
	}
	// The whole hours in [Since, Until): [hs, he).
	hs, he := int64(math.MinInt64/hourNS), int64(math.MaxInt64/hourNS)
	if !f.Since.IsZero() {
		hs = hourOf(f.Since.UnixNano() + hourNS - 1)
	}
	if !f.Until.IsZero() {
		he = hourOf(f.Until.UnixNano())
	}
	if !usable || hs >= he {
		return scan(f)
	}
	dirty, err := column[int64](ctx, tx, `SELECT DISTINCT hour FROM dash_dirty WHERE hour >= ? AND hour < ? ORDER BY hour`, hs, he)
	if err != nil {
		return err
	}
	isDirty := make(map[int64]bool, len(dirty))
	for _, h := range dirty {
		isDirty[h] = true
	}
	readRows := func(dim, key string, total bool) error {
		q := `SELECT hour, key, data FROM dash_hours WHERE dim = ? AND hour >= ? AND hour < ?`
		args := []any{dim, hs, he}
		if key != "" {
			q += ` AND key = ?`
			args = append(args, key)
		}
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		var r hourRow
		var data sql.RawBytes // decoded before the next row
		for rows.Next() {
			if err := rows.Scan(&r.hour, &r.key, &data); err != nil {
				return err
			}
			if isDirty[r.hour] {
				continue
			}
			if err := r.decode(data); err != nil {
				return err
			}
			rollupRowsRead.Add(1)
			if total {
				r.key = ""
			}
			if err := sink.row(&r, total); err != nil {
				return err
			}
		}
		return rows.Err()
	}
	if p.groups {
		if err := readRows(p.dim, "", false); err != nil {
			return err
		}
	}
	if p.total {
		if err := readRows(p.totalDim, p.totalKey, true); err != nil {
			return err
		}
	}
	// The rest from the turns: the partial hours at the ends and the
	// marked hours, in ranges of consecutive hours.
	var pieces []TurnFilter
	piece := func(from, to time.Time) {
		g := f
		g.Since, g.Until = from, to
		pieces = append(pieces, g)
	}
	if !f.Since.IsZero() && f.Since.UnixNano() < hs*hourNS {
		piece(f.Since, time.Unix(0, hs*hourNS))
	}
	for i := 0; i < len(dirty); {
		j := i + 1
		for j < len(dirty) && dirty[j] == dirty[j-1]+1 {
			j++
		}
		piece(time.Unix(0, dirty[i]*hourNS), time.Unix(0, (dirty[j-1]+1)*hourNS))
		i = j
	}
	if !f.Until.IsZero() && f.Until.UnixNano() > he*hourNS {
		piece(time.Unix(0, he*hourNS), f.Until)
	}
	if len(pieces) > 16 {
		// Many scattered marks (a database just migrated): one scan,
		// keeping the turns no rollup answered.
		kept := func(start int64) bool {
			h := hourOf(start)
			return h < hs || h >= he || isDirty[h]
		}
		inner := sink
		sink.turn = func(t *turn) {
			if kept(t.start) {
				inner.turn(t)
			}
		}
		if inner.eval != nil {
			sink.eval = func(e *turnEval) {
				if kept(e.start) {
					inner.eval(e)
				}
			}
		}
		return scan(f)
	}
	for _, g := range pieces {
		if err := scan(g); err != nil {
			return err
		}
	}
	return nil
}

var _ queryer = (*sql.Tx)(nil)
