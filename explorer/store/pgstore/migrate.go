// This file holds the schema and its versioned migrations. They are applied
// when a replica starts, under a session-level advisory lock, so replicas
// starting at the same moment apply each migration exactly once and wait
// for one another instead of racing.

package pgstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// migrationLock is the pg_advisory_lock key held while migrating
// ("traceai" read as bytes).
const migrationLock int64 = 0x7472616365616900

// migration is one schema version: its statements run in one transaction
// together with the row recording it.
type migration struct {
	version int
	sql     string
}

// migrations in order; never edit a released one, append a new version.
var migrations = []migration{
	{1, schemaV1},
	{2, schemaV2},
	{3, schemaV3},
	{4, schemaV4},
	{5, schemaV5},
	{6, schemaV6},
	{7, schemaV7},
}

// SchemaVersion is the version Migrate brings a database to.
func SchemaVersion() int { return migrations[len(migrations)-1].version }

// Migrate brings the database to SchemaVersion, applying each missing
// version in its own transaction. It refuses a database newer than this
// binary (an older replica must not write a schema it does not know).
func Migrate(ctx context.Context, pool *pgxpool.Pool) (err error) {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("pgstore: migrate: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", migrationLock); err != nil {
		return fmt.Errorf("pgstore: migrate: lock: %w", err)
	}
	defer func() {
		// A fresh context: the caller's may be done, and the lock must go.
		if _, uerr := conn.Exec(context.Background(), "SELECT pg_advisory_unlock($1)", migrationLock); uerr != nil {
			conn.Conn().Close(context.Background()) // closing the session releases the lock
			err = errors.Join(err, fmt.Errorf("pgstore: migrate: unlock: %w", uerr))
		}
	}()
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
	)`); err != nil {
		return fmt.Errorf("pgstore: migrate: %w", err)
	}
	var have int
	if err := conn.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM schema_migrations").Scan(&have); err != nil {
		return fmt.Errorf("pgstore: migrate: %w", err)
	}
	if have > SchemaVersion() {
		return fmt.Errorf("pgstore: database schema version %d is newer than this traceai (%d); upgrade traceai", have, SchemaVersion())
	}
	for _, m := range migrations {
		if m.version <= have {
			continue
		}
		if err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "INSERT INTO schema_migrations(version) VALUES ($1)", m.version)
			return err
		}); err != nil {
			return fmt.Errorf("pgstore: migrate to version %d: %w", m.version, err)
		}
	}
	return nil
}

// schemaV1 mirrors the SQLite store's tables (explorer/store/schema.go);
// spans are keyed by (trace_id, span_id) so that a re-sent span is a no-op.
const schemaV1 = `
CREATE TABLE resources (
	id   BIGINT PRIMARY KEY,
	data BYTEA NOT NULL
);
CREATE TABLE spans (
	trace_id    TEXT NOT NULL,
	span_id     TEXT NOT NULL,
	start_ns    BIGINT NOT NULL,
	scope       TEXT NOT NULL,
	resource_id BIGINT NOT NULL,
	data        BYTEA NOT NULL,
	PRIMARY KEY (trace_id, span_id)
);
CREATE INDEX spans_start ON spans(start_ns);
CREATE TABLE traces (
	trace_id      TEXT PRIMARY KEY,
	session_id    TEXT NOT NULL,
	user_id       TEXT NOT NULL,
	start_ns      BIGINT NOT NULL,
	end_ns        BIGINT NOT NULL,
	root_name     TEXT NOT NULL,
	spans         BIGINT NOT NULL,
	llm_calls     BIGINT NOT NULL,
	errors        BIGINT NOT NULL,
	error_message TEXT NOT NULL,
	input_tokens  BIGINT NOT NULL,
	output_tokens BIGINT NOT NULL,
	total_tokens  BIGINT NOT NULL,
	cost          DOUBLE PRECISION NOT NULL,
	unpriced      BIGINT NOT NULL,
	model         TEXT NOT NULL,
	input         TEXT NOT NULL,
	output        TEXT NOT NULL,
	retries       BIGINT NOT NULL,
	refused       BIGINT NOT NULL,
	empty         BIGINT NOT NULL,
	llm_ms        TEXT NOT NULL,
	eval_only     BOOLEAN NOT NULL,
	failed        BOOLEAN NOT NULL
);
CREATE INDEX traces_session ON traces(session_id, start_ns);
CREATE INDEX traces_user ON traces(user_id, start_ns);
CREATE INDEX traces_end ON traces(end_ns);
CREATE TABLE sessions (
	session_id    TEXT PRIMARY KEY,
	user_id       TEXT NOT NULL,
	traces        BIGINT NOT NULL,
	spans         BIGINT NOT NULL,
	llm_calls     BIGINT NOT NULL,
	errors        BIGINT NOT NULL,
	error_traces  BIGINT NOT NULL,
	error_rate    DOUBLE PRECISION NOT NULL,
	input_tokens  BIGINT NOT NULL,
	output_tokens BIGINT NOT NULL,
	total_tokens  BIGINT NOT NULL,
	cost          DOUBLE PRECISION NOT NULL,
	unpriced      BIGINT NOT NULL,
	first_input   TEXT NOT NULL,
	last_output   TEXT NOT NULL,
	start_ns      BIGINT NOT NULL,
	end_ns        BIGINT NOT NULL,
	duration_ms   DOUBLE PRECISION NOT NULL,
	p50_ms        DOUBLE PRECISION NOT NULL,
	p95_ms        DOUBLE PRECISION NOT NULL,
	models        TEXT NOT NULL,
	tags          TEXT NOT NULL
);
CREATE INDEX sessions_end ON sessions(end_ns, session_id);
CREATE INDEX sessions_start ON sessions(start_ns, session_id);
CREATE INDEX sessions_user ON sessions(user_id, end_ns);
CREATE TABLE session_tags (
	session_id TEXT NOT NULL,
	tag        TEXT NOT NULL,
	PRIMARY KEY (session_id, tag)
);
CREATE INDEX session_tags_tag ON session_tags(tag);
CREATE TABLE session_models (
	session_id TEXT NOT NULL,
	model      TEXT NOT NULL,
	PRIMARY KEY (session_id, model)
);
CREATE INDEX session_models_model ON session_models(model);
CREATE TABLE session_meta (
	session_id TEXT NOT NULL,
	key        TEXT NOT NULL,
	value      TEXT NOT NULL,
	PRIMARY KEY (session_id, key)
);
CREATE INDEX session_meta_kv ON session_meta(key, value);
CREATE TABLE users (
	user_id       TEXT PRIMARY KEY,
	sessions      BIGINT NOT NULL,
	traces        BIGINT NOT NULL,
	spans         BIGINT NOT NULL,
	llm_calls     BIGINT NOT NULL,
	errors        BIGINT NOT NULL,
	error_traces  BIGINT NOT NULL,
	error_rate    DOUBLE PRECISION NOT NULL,
	input_tokens  BIGINT NOT NULL,
	output_tokens BIGINT NOT NULL,
	total_tokens  BIGINT NOT NULL,
	cost          DOUBLE PRECISION NOT NULL,
	unpriced      BIGINT NOT NULL,
	first_ns      BIGINT NOT NULL,
	last_ns       BIGINT NOT NULL,
	p50_ms        DOUBLE PRECISION NOT NULL,
	p95_ms        DOUBLE PRECISION NOT NULL,
	models        TEXT NOT NULL
);
CREATE INDEX users_last ON users(last_ns, user_id);
CREATE TABLE evaluations (
	span_id             TEXT NOT NULL,
	trace_id            TEXT NOT NULL,
	target_span_id      TEXT NOT NULL,
	target_trace_id     TEXT NOT NULL,
	target_linked_trace TEXT NOT NULL DEFAULT '',
	session_id          TEXT NOT NULL,
	user_id             TEXT NOT NULL,
	name                TEXT NOT NULL,
	score               DOUBLE PRECISION,
	label               TEXT NOT NULL,
	explanation         TEXT NOT NULL,
	time_ns             BIGINT NOT NULL,
	PRIMARY KEY (trace_id, span_id)
);
CREATE INDEX evaluations_linked ON evaluations(target_linked_trace) WHERE target_trace_id = '';
CREATE INDEX evaluations_target_trace ON evaluations(target_trace_id);
CREATE INDEX evaluations_session ON evaluations(session_id, name);
CREATE INDEX evaluations_user ON evaluations(user_id, name);
CREATE INDEX evaluations_name ON evaluations(name);
`

// schemaV2 lets the SQLite store's read queries run unchanged (see
// internal/record): its flags are compared and summed as integers, and text
// sorts byte for byte (collation "C") as SQLite's BINARY does, whatever the
// database's locale. turn_text holds each turn's search document (rowid
// numbers documents in indexing order, as SQLite's does; traces.search_doc
// points at it), with a folded copy of its parts under a trigram index for
// the search's prefilter.
const schemaV2 = `
ALTER TABLE traces
	ALTER COLUMN eval_only TYPE SMALLINT USING eval_only::int,
	ALTER COLUMN failed TYPE SMALLINT USING failed::int,
	ALTER COLUMN trace_id TYPE TEXT COLLATE "C",
	ALTER COLUMN session_id TYPE TEXT COLLATE "C",
	ALTER COLUMN user_id TYPE TEXT COLLATE "C",
	ALTER COLUMN model TYPE TEXT COLLATE "C";
ALTER TABLE spans
	ALTER COLUMN trace_id TYPE TEXT COLLATE "C",
	ALTER COLUMN span_id TYPE TEXT COLLATE "C";
ALTER TABLE sessions
	ALTER COLUMN session_id TYPE TEXT COLLATE "C",
	ALTER COLUMN user_id TYPE TEXT COLLATE "C";
ALTER TABLE users ALTER COLUMN user_id TYPE TEXT COLLATE "C";
ALTER TABLE session_tags
	ALTER COLUMN session_id TYPE TEXT COLLATE "C",
	ALTER COLUMN tag TYPE TEXT COLLATE "C";
ALTER TABLE session_models
	ALTER COLUMN session_id TYPE TEXT COLLATE "C",
	ALTER COLUMN model TYPE TEXT COLLATE "C";
ALTER TABLE session_meta
	ALTER COLUMN session_id TYPE TEXT COLLATE "C",
	ALTER COLUMN key TYPE TEXT COLLATE "C",
	ALTER COLUMN value TYPE TEXT COLLATE "C";
ALTER TABLE evaluations
	ALTER COLUMN span_id TYPE TEXT COLLATE "C",
	ALTER COLUMN trace_id TYPE TEXT COLLATE "C",
	ALTER COLUMN target_trace_id TYPE TEXT COLLATE "C",
	ALTER COLUMN session_id TYPE TEXT COLLATE "C",
	ALTER COLUMN user_id TYPE TEXT COLLATE "C",
	ALTER COLUMN name TYPE TEXT COLLATE "C",
	ALTER COLUMN label TYPE TEXT COLLATE "C";
CREATE INDEX evaluations_pending ON evaluations(trace_id) WHERE target_trace_id = '' AND target_span_id != '';
CREATE EXTENSION IF NOT EXISTS pg_trgm;
ALTER TABLE traces ADD COLUMN search_doc BIGINT NOT NULL DEFAULT 0;
CREATE SEQUENCE turn_text_rowid;
CREATE TABLE turn_text (
	rowid      BIGINT NOT NULL UNIQUE DEFAULT nextval('turn_text_rowid'),
	trace_id   TEXT COLLATE "C" PRIMARY KEY,
	session_id TEXT COLLATE "C" NOT NULL,
	start_ns   BIGINT NOT NULL,
	input      TEXT NOT NULL,
	output     TEXT NOT NULL,
	"user"     TEXT NOT NULL,
	assistant  TEXT NOT NULL,
	tool       TEXT NOT NULL,
	system     TEXT NOT NULL,
	folded     TEXT NOT NULL
);
CREATE INDEX turn_text_session ON turn_text(session_id, start_ns);
CREATE INDEX turn_text_folded ON turn_text USING gin (folded gin_trgm_ops);
`

// schemaV3 keeps each turn's prompt template (the dashboard's groups).
const schemaV3 = `
ALTER TABLE traces
	ADD COLUMN prompt_template TEXT NOT NULL DEFAULT '',
	ADD COLUMN prompt_version  TEXT NOT NULL DEFAULT '';
`

// schemaV4 compresses the large values (span protobufs, turn texts) with
// lz4 rather than pglz: the spans and turn_text inserts took a third less
// time in BenchmarkIngest. A server built without lz4 keeps pglz. No query
// reads spans by start alone (a trace's spans come by its key, retention
// goes by traces), so that index goes. The prompt template columns sort
// byte for byte, as SQLite's (see schemaV2).
const schemaV4 = `
DROP INDEX IF EXISTS spans_start;
ALTER TABLE traces
	ALTER COLUMN prompt_template TYPE TEXT COLLATE "C",
	ALTER COLUMN prompt_version TYPE TEXT COLLATE "C";
DO $$
BEGIN
	ALTER TABLE spans ALTER COLUMN data SET COMPRESSION lz4;
	ALTER TABLE turn_text ALTER COLUMN input SET COMPRESSION lz4, ALTER COLUMN output SET COMPRESSION lz4,
		ALTER COLUMN "user" SET COMPRESSION lz4, ALTER COLUMN assistant SET COMPRESSION lz4,
		ALTER COLUMN tool SET COMPRESSION lz4, ALTER COLUMN system SET COMPRESSION lz4,
		ALTER COLUMN folded SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN
	NULL;
END
$$;
`

// schemaV5 keeps the JSON kind of each metadata value, so that numbers and
// booleans come back typed; older values stay strings.
const schemaV5 = `
ALTER TABLE session_meta ADD COLUMN kind TEXT NOT NULL DEFAULT '';
`

// schemaV6 keeps each turn's spans summed per span kind, for the
// dashboard's groups by span kind (SQLite's schema 7).
const schemaV6 = `
ALTER TABLE traces ADD COLUMN span_kinds TEXT NOT NULL DEFAULT '';
`

// schemaV7 holds the dashboard's hourly rollups and the marks of the hours
// whose rollups are stale (SQLite's schema 8), with the index by start the
// recomputation of an hour reads, and marks every hour stored before.
const schemaV7 = `
CREATE TABLE dash_hours (
	dim  TEXT NOT NULL,
	hour BIGINT NOT NULL,
	key  TEXT NOT NULL,
	data BYTEA NOT NULL,
	PRIMARY KEY (dim, hour, key)
);
CREATE TABLE dash_dirty (
	id   BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	hour BIGINT NOT NULL,
	at   BIGINT NOT NULL
);
CREATE INDEX dash_dirty_hour ON dash_dirty(hour);
CREATE INDEX traces_start ON traces(start_ns);
INSERT INTO dash_dirty (hour, at) SELECT DISTINCT start_ns / 3600000000000, 0 FROM traces;
`
