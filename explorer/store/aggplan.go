package store

import (
	"database/sql"
	"strings"
)

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
