package pgstore

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/traceai-go/traceai/explorer/store"
	"github.com/traceai-go/traceai/explorer/store/internal/record"
)

// The lists, sessions, users, rankings and overview are the SQLite store's
// own queries (internal/record), run on this database, with the search's
// index reads answered by turn_text (search.go); the trace page and
// SearchTurns, which depend on SQLite's span lists and FTS5 ranks, are
// answered here.

// ListSessions returns one page of sessions and the next page's cursor.
func (s *Store) ListSessions(ctx context.Context, f store.SessionFilter) ([]store.SessionSummary, string, error) {
	out, next, err := s.r.ListSessions(ctx, f)
	return out, next, wrap(err)
}

// GetSession returns a session with its turns, or store.ErrNotFound.
func (s *Store) GetSession(ctx context.Context, id string) (*store.SessionDetail, error) {
	d, err := s.r.GetSession(ctx, id)
	return d, wrap(err)
}

// ListUsers returns one page of users and the next page's cursor.
func (s *Store) ListUsers(ctx context.Context, f store.UserFilter) ([]store.UserSummary, string, error) {
	out, next, err := s.r.ListUsers(ctx, f)
	return out, next, wrap(err)
}

// GetUser returns a user with one page of their sessions, or
// store.ErrNotFound.
func (s *Store) GetUser(ctx context.Context, id string, f store.SessionFilter) (*store.UserDetail, error) {
	d, err := s.r.GetUser(ctx, id, f)
	return d, wrap(err)
}

// Rankings ranks sessions or users by a metric.
func (s *Store) Rankings(ctx context.Context, q store.RankingQuery) (*store.Ranking, error) {
	r, err := s.r.Rankings(ctx, q)
	return r, wrap(err)
}

// Overview counts everything stored.
func (s *Store) Overview(ctx context.Context) (*store.Overview, error) {
	o, err := s.r.Overview(ctx)
	return o, wrap(err)
}

// Groups returns the dashboard's figures per group.
func (s *Store) Groups(ctx context.Context, q store.GroupQuery) (*store.Groups, error) {
	g, err := s.r.Groups(ctx, q)
	return g, wrap(err)
}

// Timeseries returns a dashboard metric over time.
func (s *Store) Timeseries(ctx context.Context, q store.TimeseriesQuery) (*store.Timeseries, error) {
	t, err := s.r.Timeseries(ctx, q)
	return t, wrap(err)
}

// wrap marks storage faults as the store's (a *store.FilterError and
// store.ErrNotFound pass as they are).
func wrap(err error) error {
	var fe *store.FilterError
	if err == nil || errors.Is(err, store.ErrNotFound) || errors.As(err, &fe) {
		return err
	}
	return fmt.Errorf("pgstore: %w", err)
}

// maxTraceSpans bounds the spans GetTrace shows (as the SQLite store).
const maxTraceSpans = 10000

// GetTrace returns a trace's spans in tree order, or store.ErrNotFound.
func (s *Store) GetTrace(ctx context.Context, traceID string) (*store.TraceDetail, error) {
	traceID = strings.ToLower(traceID)
	var sess, user string
	var in, out, total int64
	err := s.pool.QueryRow(ctx, `SELECT session_id, user_id, input_tokens, output_tokens, total_tokens
		FROM traces WHERE trace_id = $1`, traceID).Scan(&sess, &user, &in, &out, &total)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, wrap(err)
	}
	spans, err := s.storedSpans(ctx, s.pool, `SELECT trace_id, scope, resource_id, data FROM spans WHERE trace_id = $1
		ORDER BY start_ns, span_id LIMIT $2`, traceID, maxTraceSpans)
	if err != nil {
		return nil, wrap(err)
	}
	if len(spans[traceID]) == 0 {
		return nil, store.ErrNotFound
	}
	d, ok := record.BuildTrace(traceID, spans[traceID], maxTraceSpans).(*store.TraceDetail)
	if !ok {
		return nil, errors.New("pgstore: the store's trace assembly is missing")
	}
	d.SessionID, d.UserID = sess, user
	d.InputTokens, d.OutputTokens, d.TotalTokens = in, out, total
	if d.Evaluations, err = s.evaluations(ctx, `target_trace_id = $1 OR trace_id = $1`, traceID); err != nil {
		return nil, wrap(err)
	}
	return d, nil
}

// evaluations reads evaluations rows as the SQLite store lists them.
func (s *Store) evaluations(ctx context.Context, where string, args ...any) ([]store.Evaluation, error) {
	rows, err := s.pool.Query(ctx, `SELECT name, score, label, explanation, span_id, trace_id,
		target_span_id, target_trace_id, session_id, user_id, time_ns FROM evaluations WHERE `+where+
		` ORDER BY time_ns, span_id LIMIT 10000`, args...)
	if err != nil {
		return nil, err
	}
	out := []store.Evaluation{}
	var e store.Evaluation
	var ns int64
	var score *float64
	_, err = pgx.ForEachRow(rows, []any{&e.Name, &score, &e.Label, &e.Explanation, &e.SpanID, &e.TraceID,
		&e.TargetSpanID, &e.TargetTraceID, &e.SessionID, &e.UserID, &ns}, func() error {
		e.Score = nil
		if score != nil {
			v := *score
			e.Score = &v
		}
		e.Time = record.NSTime(ns)
		out = append(out, e)
		return nil
	})
	return out, err
}
