package store

import (
	"context"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

// Reader is what the JSON API and the pages read from a backend. Every
// backend gives the same answers to the same spans: the tests of this
// package are the suite each one passes.
type Reader interface {
	ListSessions(ctx context.Context, f SessionFilter) ([]SessionSummary, string, error)
	GetSession(ctx context.Context, id string) (*SessionDetail, error)
	ListUsers(ctx context.Context, f UserFilter) ([]UserSummary, string, error)
	GetUser(ctx context.Context, id string, f SessionFilter) (*UserDetail, error)
	GetTrace(ctx context.Context, traceID string) (*TraceDetail, error)
	Rankings(ctx context.Context, q RankingQuery) (*Ranking, error)
	Overview(ctx context.Context) (*Overview, error)
	// Groups and Timeseries are the dashboard's figures, from the turns'
	// rows kept at ingest.
	Groups(ctx context.Context, q GroupQuery) (*Groups, error)
	Timeseries(ctx context.Context, q TimeseriesQuery) (*Timeseries, error)
	Searcher
}

// Writer is what the OTLP receiver writes to a backend. A call returns
// only once its spans are committed (an acknowledged export is never
// lost); a span sent again replaces the one stored under its trace and span
// id; a storage fault is an error, never a crash.
type Writer interface {
	Ingest(ctx context.Context, rs []*tracepb.ResourceSpans) (int, error)
	IngestEncoded(ctx context.Context, rs []*tracepb.ResourceSpans, encoded [][]byte) (int, error)
}

// Backend is the contract between the explorer and a span database: the
// receiver writes through it, the API and the pages read through it, and
// the demo and tests export to it in process. *Store (SQLite) implements
// it; another database plugs in by implementing the same methods.
type Backend interface {
	Reader
	Writer
	// Exporter returns an OpenTelemetry exporter writing into the backend.
	Exporter() sdktrace.SpanExporter
	// Close waits for writes under way and releases the database.
	Close() error
}

var _ Backend = (*Store)(nil)

// Retainer is implemented by a backend that can delete old traces, which
// the explorer's retention (explorer.WithRetention, explorer.WithMaxSpans)
// calls in a loop in the background. Each call deletes at most limit whole
// traces (turns) in one short transaction, with their spans,
// search documents and evaluations (those in the trace and those of its
// spans), and leaves every session and user aggregate equal to a
// recomputation from the traces that remain: a session or user with no
// turn left is gone. Each returns how many traces it deleted, 0 when there
// is nothing (more) to delete.
type Retainer interface {
	// DeleteBefore deletes up to limit traces that started before t.
	DeleteBefore(ctx context.Context, t time.Time, limit int) (int, error)
	// TrimToSpans deletes up to limit of the oldest traces while the
	// backend holds more than maxSpans spans.
	TrimToSpans(ctx context.Context, maxSpans int64, limit int) (int, error)
}

// RollupRefresher is a backend whose dashboard reads hourly rollups that it
// recomputes in the background; RefreshRollups brings every stale hour up
// to date now.
type RollupRefresher interface {
	RefreshRollups(ctx context.Context) error
}

var _ RollupRefresher = (*Store)(nil)
