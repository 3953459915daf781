package store

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
)

// applyAggregates writes the sessions and users rows of the plan, after the
// batch's traces.
func (w *writer) applyAggregates(t *txn, p *aggPlan) error {
	var args []any
	for id, e := range p.sessions {
		if e.full {
			if err := w.refreshSession(t, id); err != nil {
				return fmt.Errorf("session %q: %w", id, err)
			}
			continue
		}
		var user, first, last, modelsJSON, tagsJSON string
		if err := t.queryRow(sessionTexts, id).Scan(&user, &first, &last, &modelsJSON, &tagsJSON); err != nil {
			return fmt.Errorf("session %q: %w", id, err)
		}
		p50, p95, err := w.windowPercentiles(t, "session_id", id, e.had, e.changes)
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
		args = sessionsTable.appendRow(args, &sessionRow{id: id, user: user, a: &e.a, first: first, last: last,
			p50: p50, p95: p95, models: models, tags: tags})
	}
	if err := sessionsTable.insertAll(t, args); err != nil {
		return fmt.Errorf("sessions: %w", err)
	}
	args = args[:0]
	for id, e := range p.users {
		if e.full {
			if err := w.refreshUser(t, id); err != nil {
				return fmt.Errorf("user %q: %w", id, err)
			}
			continue
		}
		p50, p95, err := w.windowPercentiles(t, "user_id", id, e.had, e.changes)
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
		args = usersTable.appendRow(args, &userRow{id: id, sessions: e.sessions, a: &e.a, p50: p50, p95: p95,
			models: jsonList(models)})
	}
	if err := usersTable.insertAll(t, args); err != nil {
		return fmt.Errorf("users: %w", err)
	}
	return nil
}
