package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

const userCols = `user_id, sessions, traces, spans, llm_calls, errors, error_traces, error_rate,
	input_tokens, output_tokens, total_tokens, cost, unpriced, first_ns, last_ns, p50_ms, p95_ms, models`

func scanUser(r scanner) (UserSummary, error) {
	var u UserSummary
	var unpriced, first, last int64
	var models string
	err := r.Scan(&u.UserID, &u.Sessions, &u.Traces, &u.Spans, &u.LLMCalls, &u.Errors, &u.ErrorTraces,
		&u.ErrorRate, &u.InputTokens, &u.OutputTokens, &u.TotalTokens, &u.Cost, &unpriced, &first, &last,
		&u.P50LatencyMS, &u.P95LatencyMS, &models)
	if err != nil {
		return u, err
	}
	u.CostComplete = unpriced == 0
	u.FirstSeen, u.LastSeen = nsTime(first), nsTime(last)
	u.Models = parseList(models)
	u.Evaluations = map[string]EvalAggregate{}
	return u, nil
}

func (u *UserSummary) sortValue(name string) any {
	switch name {
	case "last_seen":
		return u.LastSeen.UnixNano()
	case "first_seen":
		return u.FirstSeen.UnixNano()
	case "sessions":
		return int64(u.Sessions)
	case "traces":
		return int64(u.Traces)
	case "failed":
		return int64(u.ErrorTraces)
	case "errors":
		return int64(u.Errors)
	case "error_rate":
		return u.ErrorRate
	case "tokens":
		return u.TotalTokens
	case "cost":
		return u.Cost
	case "latency_p95":
		return u.P95LatencyMS
	}
	if strings.HasPrefix(name, evalSortPrefix) {
		return u.evalSort
	}
	return u.UserID
}

// ListUsers returns one page of users and the cursor of the next page.
func (s *Store) ListUsers(ctx context.Context, f UserFilter) ([]UserSummary, string, error) {
	limit, err := clampLimit(f.Limit)
	if err != nil {
		return nil, "", err
	}
	name, desc := string(f.Sort), f.Desc
	if name == "" {
		name, desc = "last_seen", true
	}
	col, ok := userSortCols[UserSort(name)]
	if ev, isEval := UserSort(name).Eval(); isEval {
		if col, err = evalSortCol(ev, "users", "user_id", desc); err != nil {
			return nil, "", err
		}
	} else if !ok {
		return nil, "", &FilterError{"sort", fmt.Sprintf("unknown sort %q (one of %s, eval:<name>)", name, joinSorts(UserSorts))}
	}
	c, err := decodeCursor(f.Cursor, name, desc)
	if err != nil {
		return nil, "", err
	}
	var p page
	cols, from := userCols, ` FROM users`
	var evSort float64
	var extra []any
	if col.join != "" {
		cols, from, extra = cols+", "+col.expr, from+col.join, []any{&evSort}
		p.args = append(p.args, col.joinArg)
	}
	if err := p.timeRange("last_ns >= ?", f.Since, "first_ns < ?", f.Until); err != nil {
		return nil, "", err
	}
	if f.HasErrors != nil {
		if *f.HasErrors {
			p.add("errors > 0")
		} else {
			p.add("errors = 0")
		}
	}
	if err := p.keyset(col, "user_id", c, desc); err != nil {
		return nil, "", err
	}
	rows, err := s.rdb.QueryContext(ctx, `SELECT `+cols+from+p.sql()+order(col, "user_id", desc)+` LIMIT ?`, append(p.args, limit+1)...)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	out := []UserSummary{}
	for rows.Next() {
		u, err := scanUser(withExtra{rows, extra})
		if err != nil {
			return nil, "", err
		}
		u.evalSort = evSort
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		last := &out[limit-1]
		next = encodeCursor(cursor{Sort: name, Desc: desc, Val: cursorVal(last.sortValue(name)), ID: last.UserID})
	}
	if err := s.userEvals(ctx, out); err != nil {
		return nil, "", err
	}
	return out, next, nil
}

// GetUser returns a user with one page of their sessions (f.UserID is set to
// id), or ErrNotFound.
func (s *Store) GetUser(ctx context.Context, id string, f SessionFilter) (*UserDetail, error) {
	u, err := scanUser(s.rdb.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE user_id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	list := []UserSummary{u}
	if err := s.userEvals(ctx, list); err != nil {
		return nil, err
	}
	f.UserID = id
	sessions, next, err := s.ListSessions(ctx, f)
	if err != nil {
		return nil, err
	}
	return &UserDetail{Summary: list[0], Sessions: sessions, Next: next}, nil
}
