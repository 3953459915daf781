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
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/traceai-go/traceai/explorer/store/internal/record"
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

// Store is a span database. Its methods are safe for concurrent use.
type Store struct {
	path string
	cfg  config
	rdb  *sql.DB // read-only pool
	// index answers the search's index reads on another database
	// (internal/record); nil here, where FTS5 does.
	index *record.Index
	// readTx are the options of a read transaction (GetSession): on
	// SQLite a deferred transaction reads one snapshot; another database
	// may need an isolation level for that.
	readTx *sql.TxOptions
	// w is the write side: nil in a Store that only reads (record).
	w *writer
	// retainQ are the traces found for retention and not deleted yet.
	retainQ retainQueue
	// health watches the database file for Health.
	health healthWatch

	searchEnd chan struct{} // indexExisting is done
	// rollupStop ends rollupLoop, which closes rollupEnd.
	rollupStop, rollupEnd chan struct{}
	closeOnce             sync.Once
	closeErr              error
	mu                    sync.RWMutex // guards closed against sends racing Close
	closed                bool
}

// Option configures Open.
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	synchronous string
	readers     int
	logger      *slog.Logger
	maxBatch    int
}

// WithSynchronous sets the durability of an acknowledged batch: "FULL" (the
// default: it survives power loss) or "NORMAL" (it survives a crash of the
// process; the last commits may be lost on power loss; faster with one
// exporter). FULL is kept by flushing the write-ahead log before the
// acknowledgement rather than inside each commit (SQLite runs with NORMAL),
// so that the writer is not held by the flush. "EXTRA" and "OFF" are passed
// to SQLite as they are.
func WithSynchronous(mode string) Option {
	return optionFunc(func(c *config) { c.synchronous = mode })
}

// WithLogger sets the logger for background errors.
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(c *config) {
		if l != nil {
			c.logger = l
		}
	})
}

// Open opens (creating if needed) the database at path. In tests use a temp
// file: store.Open(filepath.Join(t.TempDir(), "spans.db")).
func Open(path string, opts ...Option) (*Store, error) {
	cfg := newConfig(opts)
	switch cfg.synchronous {
	case "FULL", "NORMAL", "EXTRA", "OFF":
	default:
		return nil, fmt.Errorf("store: unknown synchronous mode %q", cfg.synchronous)
	}
	if path == "" {
		return nil, errors.New("store: empty database path")
	}
	base := "file:" + (&url.URL{Path: path}).EscapedPath()
	// FULL is kept by flushing the WAL in the syncer before acknowledging,
	// not by SQLite in each commit: the writer goes on with the next
	// transaction during the flush, and one flush covers all the commits
	// made while the previous one ran.
	sqliteSync := cfg.synchronous
	if sqliteSync == "FULL" {
		sqliteSync = "NORMAL"
	}
	// The writer keeps a small page cache: filling a large one allocates a
	// fresh page for every page written, which cost more than the inserts
	// (64 MiB: 35 ms of CPU per 512-span batch, 2 MiB: 26 ms; building the
	// 1M-span bench store 73 s vs 68 s). Multi-row inserts need a statement
	// journal: in memory (temp_store) it costs no write calls.
	wdsn := base + "?_txlock=immediate&_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)" +
		"&_pragma=synchronous(" + sqliteSync + ")&_pragma=foreign_keys(0)&_pragma=cache_size(-2000)&_pragma=temp_store(MEMORY)" +
		"&_pragma=wal_autocheckpoint(" + strconv.Itoa(writerCheckpointPages) + ")"
	wdb, err := sql.Open("sqlite", wdsn)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	wdb.SetMaxOpenConns(1)
	wdb.SetMaxIdleConns(1)
	wdb.SetConnMaxLifetime(0)
	if err := migrate(wdb, cfg.logger); err != nil {
		wdb.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	// mode=rw (here and for the checkpointer): a connection opened after
	// the file was deleted must not create an empty database at the path.
	rdsn := base + "?mode=rw&_pragma=busy_timeout(10000)&_pragma=query_only(1)&_pragma=cache_size(-32768)"
	rdb, err := sql.Open("sqlite", rdsn)
	if err != nil {
		wdb.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	rdb.SetMaxOpenConns(cfg.readers)
	rdb.SetMaxIdleConns(cfg.readers)
	cdb, err := sql.Open("sqlite", base+"?mode=rw&_pragma=busy_timeout(10000)&_pragma=synchronous("+sqliteSync+")")
	if err != nil {
		wdb.Close()
		rdb.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	cdb.SetMaxOpenConns(1)
	cdb.SetMaxIdleConns(1)
	cdb.SetConnMaxLifetime(0)
	s := &Store{
		path:       path,
		cfg:        cfg,
		rdb:        rdb,
		w:          newWriter(cfg, path, wdb, cdb),
		searchEnd:  make(chan struct{}),
		rollupStop: make(chan struct{}),
		rollupEnd:  make(chan struct{}),
		health:     healthWatch{file: watchFile(path)},
	}
	if cfg.synchronous == "FULL" {
		var mode string
		if err := wdb.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil {
			wdb.Close()
			rdb.Close()
			cdb.Close()
			return nil, fmt.Errorf("store: open %s: %w", path, err)
		}
		if !strings.EqualFold(mode, "wal") {
			// No WAL to flush (an in-memory database): let SQLite sync.
			if _, err := wdb.Exec(`PRAGMA synchronous = FULL`); err != nil {
				wdb.Close()
				rdb.Close()
				cdb.Close()
				return nil, fmt.Errorf("store: open %s: %w", path, err)
			}
		} else {
			s.w.syncWAL = true
		}
	}
	if err := wdb.QueryRow(`SELECT count(*) FROM evaluations WHERE target_trace_id = '' AND target_span_id != ''`).Scan(&s.w.pending); err != nil {
		wdb.Close()
		rdb.Close()
		cdb.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	var evals int
	if err := wdb.QueryRow(`SELECT count(*) FROM (SELECT 1 FROM evaluations LIMIT 1)`).Scan(&evals); err != nil {
		wdb.Close()
		rdb.Close()
		cdb.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	s.w.haveEvals = evals > 0
	indexed, err := searchIndexed(wdb)
	if err != nil {
		wdb.Close()
		rdb.Close()
		cdb.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	go s.w.loop()
	if indexed {
		close(s.searchEnd)
	} else {
		go s.indexExisting()
	}
	go s.w.syncer()
	go s.w.checkpointer()
	go s.rollupLoop()
	return s, nil
}

// Path returns the database file path.
func (s *Store) Path() string { return s.path }

// Close waits for acknowledged writes, stops the writer and closes the
// database. Ingest calls after Close fail with ErrClosed.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		close(s.rollupStop)
		<-s.rollupEnd
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		close(s.w.closing)
		<-s.w.writerEnd
		<-s.searchEnd
		<-s.w.syncEnd
		<-s.w.ckptEnd
		for _, st := range s.w.stmts {
			st.Close()
		}
		// Fold the WAL back into the main file so the database is one file
		// at rest.
		_, _ = s.w.wdb.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
		s.closeErr = errors.Join(s.rdb.Close(), s.w.cdb.Close(), s.w.wdb.Close())
	})
	return s.closeErr
}

// Ingest stores the spans and returns the number stored once they are
// committed to disk. Spans already stored (same trace and span id) are
// replaced, so a retried export does not duplicate anything.
func (s *Store) Ingest(ctx context.Context, rs []*tracepb.ResourceSpans) (int, error) {
	return s.IngestEncoded(ctx, rs, nil)
}

// IngestEncoded is Ingest for spans decoded from protobuf, with encoded
// holding each span's encoding as received, in the order of rs (resource,
// scope, span): those bytes are stored as they are instead of encoding the
// spans again. When encoded does not hold one encoding per span, the spans
// are encoded as Ingest does.
func (s *Store) IngestEncoded(ctx context.Context, rs []*tracepb.ResourceSpans, encoded [][]byte) (int, error) {
	n := countSpans(rs)
	if n == 0 {
		return 0, nil
	}
	if len(encoded) != n {
		encoded = nil
	}
	// Extraction and encoding happen here, in the caller's goroutine, so
	// that the single writer spends its time writing.
	p, err := prepare(rs, n, encoded)
	if err != nil {
		return 0, err
	}
	if err := s.submit(ctx, &writeReq{prep: p, n: n, done: make(chan error, 1)}); err != nil {
		return 0, err
	}
	return n, nil
}

// submit hands req to the writer and waits for its answer: the commit
// of its batch, or ctx's end.
func (s *Store) submit(ctx context.Context, req *writeReq) error {
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return ErrClosed
	}
	select {
	case s.w.reqs <- req:
		s.mu.RUnlock()
	case <-ctx.Done():
		s.mu.RUnlock()
		return ctx.Err()
	}
	select {
	case err := <-req.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func countSpans(rs []*tracepb.ResourceSpans) int {
	n := 0
	for _, r := range rs {
		for _, ss := range r.GetScopeSpans() {
			n += len(ss.GetSpans())
		}
	}
	return n
}

func nsTime(ns int64) time.Time {
	if ns <= 0 {
		return time.Time{}
	}
	return time.Unix(0, ns).UTC()
}

// Exporter returns an OpenTelemetry span exporter writing straight into the
// store, handy in tests and for in-process demos:
//
//	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(st.Exporter()))
func (s *Store) Exporter() sdktrace.SpanExporter { return NewExporter(s) }

// newConfig applies the options, in order, over the defaults; a nil
// option is skipped.
func newConfig(opts []Option) config {
	c := config{synchronous: "FULL", readers: 4, logger: slog.Default(), maxBatch: 16384}
	for _, o := range opts {
		if o != nil {
			o.apply(&c)
		}
	}
	return c
}
