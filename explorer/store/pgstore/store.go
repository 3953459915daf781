// Package pgstore is the explorer's PostgreSQL backend: a store.Backend
// that several explorer replicas can share.
//
// It keeps the SQLite store's tables (see docs/store-layout.md) and reuses
// its logic through explorer/store/internal/record: spans become the same
// rows, and the read queries are the SQLite store's own SQL, so both
// backends answer the same. Each export is one transaction that locks the
// traces it touches, then their sessions and users, and recomputes their
// rows from what is stored, so aggregates stay exact with any number of
// writers; it returns once committed.
package pgstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/traceai-go/traceai/explorer/store"
	"github.com/traceai-go/traceai/explorer/store/internal/record"
)

// Store is a store.Backend on a PostgreSQL database.
type Store struct {
	cfg  config
	pool *pgxpool.Pool
	db   *sql.DB      // the same pool through database/sql, for the shared queries
	r    store.Reader // the SQLite store's read queries on db

	resources resourceCache

	mu     sync.RWMutex // guards closed against writes racing Close
	closed bool
	wg     sync.WaitGroup // writes under way

	rollupStop, rollupEnd chan struct{} // rollupLoop's end
}

var _ store.Backend = (*Store)(nil)

// Option configures Open.
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	maxConns int32
	logger   *slog.Logger
}

func newConfig(opts []Option) config {
	c := config{maxConns: 8, logger: slog.Default()}
	for _, o := range opts {
		if o != nil {
			o.apply(&c)
		}
	}
	return c
}

// WithMaxConns bounds the connections the store opens (default 8), shared
// by writes and reads.
func WithMaxConns(n int) Option {
	return optionFunc(func(c *config) {
		if n > 1 {
			c.maxConns = int32(n)
		}
	})
}

// WithLogger sets the logger for what the store reports: an export retried
// after PostgreSQL resolved a deadlock or a serialization failure (default
// slog.Default()).
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(c *config) {
		if l != nil {
			c.logger = l
		}
	})
}

// Open connects to the database at url (a postgres:// URL or a key=value
// DSN), brings its schema to SchemaVersion and returns the store. The
// database must be reachable when Open is called; afterwards the pool
// reconnects by itself when it comes back, and operations meanwhile return
// errors.
func Open(ctx context.Context, url string, opts ...Option) (*Store, error) {
	cfg := newConfig(opts)
	pc, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	pc.MaxConns = cfg.maxConns
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	if err := Migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	db := sql.OpenDB(rebindConnector{stdlib.GetPoolConnector(pool)})
	// Reads through database/sql leave half the pool to writes.
	db.SetMaxOpenConns(int(cfg.maxConns+1) / 2)
	db.SetMaxIdleConns(int(cfg.maxConns+1) / 2)
	s := &Store{cfg: cfg, pool: pool, db: db, rollupStop: make(chan struct{}), rollupEnd: make(chan struct{})}
	idx := &record.Index{HitsJoin: hitsJoin, Match: func(ctx context.Context, sr record.Search, limit int) ([]record.Hit, error) {
		return s.match(ctx, sr, limit, "")
	}}
	r, ok := record.NewReader(db, idx).(store.Reader)
	if !ok {
		db.Close()
		pool.Close()
		return nil, errors.New("pgstore: the store's shared reader is missing")
	}
	s.r = r
	go s.rollupLoop()
	return s, nil
}

// Close waits for writes under way and closes the pool.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	close(s.rollupStop)
	<-s.rollupEnd
	s.wg.Wait()
	err := s.db.Close()
	s.pool.Close()
	return err
}

// begin registers a write, refusing it once the store is closed.
func (s *Store) begin() error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return store.ErrClosed
	}
	s.wg.Add(1)
	return nil
}

// Exporter returns an OpenTelemetry exporter writing into the store.
func (s *Store) Exporter() sdktrace.SpanExporter { return store.NewExporter(s) }
