// Package store keeps OpenTelemetry spans in an embedded SQLite database and
// answers the session explorer's questions: sessions, users, conversations,
// traces and rankings.
//
// Spans come in as OTLP ResourceSpans through Ingest, which returns only after
// the batch is committed. Per-trace, per-session and per-user aggregates are
// maintained at ingest time, so listing pages stays fast on large stores.
package store

import (
	"context"
	"errors"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

// ErrNotFound is returned by the Get methods when nothing is stored under the
// id asked for.
var ErrNotFound = errors.New("store: not found")

// ErrClosed is returned by Ingest after Close.
var ErrClosed = errors.New("store: closed")

// FilterError reports an invalid filter, sort, cursor or ranking parameter.
// The JSON API answers it with 400.
type FilterError struct {
	Param string
	Msg   string
}

func (e *FilterError) Error() string { return "invalid " + e.Param + ": " + e.Msg }

var errTODO = errors.New("store: not implemented yet")

// Store is a span database. Its methods are safe for concurrent use.
type Store struct{}

// Option configures Open.
type Option func(*config)

type config struct{}

// Open opens (creating if needed) the database at path. Use ":memory:"-like
// temp files in tests: store.Open(filepath.Join(t.TempDir(), "t.db")).
func Open(path string, opts ...Option) (*Store, error) { return nil, errTODO }

// Close flushes pending writes and closes the database.
func (s *Store) Close() error { return errTODO }

// Ingest stores the spans and returns the number stored once they are
// committed to disk.
func (s *Store) Ingest(ctx context.Context, rs []*tracepb.ResourceSpans) (int, error) {
	return 0, errTODO
}

// ListSessions returns one page of sessions and the cursor of the next page
// ("" on the last page).
func (s *Store) ListSessions(ctx context.Context, f SessionFilter) ([]SessionSummary, string, error) {
	return nil, "", errTODO
}

// GetSession returns a session with its turns, or ErrNotFound.
func (s *Store) GetSession(ctx context.Context, id string) (*SessionDetail, error) {
	return nil, errTODO
}

// ListUsers returns one page of users and the cursor of the next page.
func (s *Store) ListUsers(ctx context.Context, f UserFilter) ([]UserSummary, string, error) {
	return nil, "", errTODO
}

// GetUser returns a user with one page of their sessions (f.UserID is set to
// id), or ErrNotFound.
func (s *Store) GetUser(ctx context.Context, id string, f SessionFilter) (*UserDetail, error) {
	return nil, errTODO
}

// GetTrace returns a trace with all its spans, or ErrNotFound.
func (s *Store) GetTrace(ctx context.Context, traceID string) (*TraceDetail, error) {
	return nil, errTODO
}

// Rankings returns the best or worst sessions or users by a metric.
func (s *Store) Rankings(ctx context.Context, q RankingQuery) (*Ranking, error) {
	return nil, errTODO
}

// Overview counts what is stored.
func (s *Store) Overview(ctx context.Context) (*Overview, error) { return nil, errTODO }

// Exporter returns an OpenTelemetry span exporter writing straight into the
// store, handy in tests and for in-process demos:
//
//	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(st.Exporter()))
func (s *Store) Exporter() sdktrace.SpanExporter { return nil }
