package store

import (
	"database/sql"
	"fmt"
	"log/slog"
)

// schemaVersion is stored in PRAGMA user_version; bump it with a migration
// step when the schema changes.
const schemaVersion = 8

// The spans table keeps every span as protobuf (data) plus its ids, start
// time, scope and resource. Everything else about a span is read from data
// when it is needed (a trace's page, a trace whose spans arrive in several
// batches): columns extracted at ingest made every insert bind 26 values and
// write a fifth more bytes, for reads that decode data anyway. spans has no
// index: a trace's row lists its spans' rowids (span_rows), because an index
// of trace or span ids, which are random, took an insert at a random place
// for every span written, and with it most of the pages a batch wrote.
// traces, sessions and users hold aggregates maintained at ingest, so list
// pages never scan spans; the session and user indexes live on traces and
// sessions.
const schema = `
CREATE TABLE IF NOT EXISTS resources (
	id   INTEGER PRIMARY KEY,
	data BLOB NOT NULL
);
` + spansTable + `

CREATE TABLE IF NOT EXISTS traces (
	trace_id      TEXT PRIMARY KEY,
	session_id    TEXT NOT NULL,
	user_id       TEXT NOT NULL,
	start_ns      INTEGER NOT NULL,
	end_ns        INTEGER NOT NULL,
	root_name     TEXT NOT NULL,
	spans         INTEGER NOT NULL,
	llm_calls     INTEGER NOT NULL,
	errors        INTEGER NOT NULL,
	error_message TEXT NOT NULL,
	input_tokens  INTEGER NOT NULL,
	output_tokens INTEGER NOT NULL,
	total_tokens  INTEGER NOT NULL,
	cost          REAL NOT NULL,
	unpriced      INTEGER NOT NULL,
	model         TEXT NOT NULL,
	input         TEXT NOT NULL,
	output        TEXT NOT NULL,
	retries       INTEGER NOT NULL,
	refused       INTEGER NOT NULL,
	empty         INTEGER NOT NULL,
	llm_ms        TEXT NOT NULL,
	eval_only     INTEGER NOT NULL,
	failed        INTEGER NOT NULL,
	span_rows     TEXT NOT NULL DEFAULT '',
	search_doc    INTEGER NOT NULL DEFAULT 0,
	prompt_template TEXT NOT NULL DEFAULT '',
	prompt_version  TEXT NOT NULL DEFAULT '',
	span_kinds      TEXT NOT NULL DEFAULT ''
);
-- llm_ms makes these indexes cover the p50/p95 queries of ingest, which read
-- the latest turns of every session and user a batch touches.
CREATE INDEX IF NOT EXISTS traces_session ON traces(session_id, start_ns, llm_ms);
CREATE INDEX IF NOT EXISTS traces_user ON traces(user_id, start_ns, llm_ms);
-- The dashboard's rollups are recomputed an hour of turns at a time
-- (rollup.go); schemas 3 to 7 had no index by start.
CREATE INDEX IF NOT EXISTS traces_start ON traces(start_ns);

CREATE TABLE IF NOT EXISTS sessions (
	session_id    TEXT PRIMARY KEY,
	user_id       TEXT NOT NULL,
	traces        INTEGER NOT NULL,
	spans         INTEGER NOT NULL,
	llm_calls     INTEGER NOT NULL,
	errors        INTEGER NOT NULL,
	error_traces  INTEGER NOT NULL,
	error_rate    REAL NOT NULL,
	input_tokens  INTEGER NOT NULL,
	output_tokens INTEGER NOT NULL,
	total_tokens  INTEGER NOT NULL,
	cost          REAL NOT NULL,
	unpriced      INTEGER NOT NULL,
	first_input   TEXT NOT NULL,
	last_output   TEXT NOT NULL,
	start_ns      INTEGER NOT NULL,
	end_ns        INTEGER NOT NULL,
	duration_ms   REAL NOT NULL,
	p50_ms        REAL NOT NULL,
	p95_ms        REAL NOT NULL,
	models        TEXT NOT NULL,
	tags          TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_end ON sessions(end_ns, session_id);
CREATE INDEX IF NOT EXISTS sessions_start ON sessions(start_ns, session_id);
CREATE INDEX IF NOT EXISTS sessions_user ON sessions(user_id, end_ns);

CREATE TABLE IF NOT EXISTS session_tags (
	session_id TEXT NOT NULL,
	tag        TEXT NOT NULL,
	PRIMARY KEY (session_id, tag)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS session_tags_tag ON session_tags(tag);
CREATE TABLE IF NOT EXISTS session_models (
	session_id TEXT NOT NULL,
	model      TEXT NOT NULL,
	PRIMARY KEY (session_id, model)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS session_models_model ON session_models(model);
CREATE TABLE IF NOT EXISTS session_meta (
	session_id TEXT NOT NULL,
	key        TEXT NOT NULL,
	value      TEXT NOT NULL,
	kind       TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (session_id, key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS session_meta_kv ON session_meta(key, value);

CREATE TABLE IF NOT EXISTS users (
	user_id       TEXT PRIMARY KEY,
	sessions      INTEGER NOT NULL,
	traces        INTEGER NOT NULL,
	spans         INTEGER NOT NULL,
	llm_calls     INTEGER NOT NULL,
	errors        INTEGER NOT NULL,
	error_traces  INTEGER NOT NULL,
	error_rate    REAL NOT NULL,
	input_tokens  INTEGER NOT NULL,
	output_tokens INTEGER NOT NULL,
	total_tokens  INTEGER NOT NULL,
	cost          REAL NOT NULL,
	unpriced      INTEGER NOT NULL,
	first_ns      INTEGER NOT NULL,
	last_ns       INTEGER NOT NULL,
	p50_ms        REAL NOT NULL,
	p95_ms        REAL NOT NULL,
	models        TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS users_last ON users(last_ns, user_id);

CREATE TABLE IF NOT EXISTS evaluations (
	span_id         TEXT NOT NULL,
	trace_id        TEXT NOT NULL,
	target_span_id  TEXT NOT NULL,
	target_trace_id TEXT NOT NULL,
	target_linked_trace TEXT NOT NULL DEFAULT '',
	session_id      TEXT NOT NULL,
	user_id         TEXT NOT NULL,
	name            TEXT NOT NULL,
	score           REAL,
	label           TEXT NOT NULL,
	explanation     TEXT NOT NULL,
	time_ns         INTEGER NOT NULL,
	PRIMARY KEY (trace_id, span_id)
);
-- Evaluations waiting for their target span, by the trace they link it in.
CREATE INDEX IF NOT EXISTS evaluations_linked ON evaluations(target_linked_trace) WHERE target_trace_id = '';
DROP INDEX IF EXISTS evaluations_target;
CREATE INDEX IF NOT EXISTS evaluations_target_trace ON evaluations(target_trace_id);
CREATE INDEX IF NOT EXISTS evaluations_session ON evaluations(session_id, name);
CREATE INDEX IF NOT EXISTS evaluations_user ON evaluations(user_id, name);
CREATE INDEX IF NOT EXISTS evaluations_name ON evaluations(name);
` + searchSchema

// spansTable is the spans table of schema version 2.
const spansTable = `CREATE TABLE IF NOT EXISTS spans (
	trace_id    TEXT NOT NULL,
	span_id     TEXT NOT NULL,
	start_ns    INTEGER NOT NULL,
	scope       TEXT NOT NULL,
	resource_id INTEGER NOT NULL,
	data        BLOB NOT NULL
);`

// migrateV2 makes a version 2 database version 3: each traces row lists
// the rowids of its spans (filled through an index of trace ids built for
// the purpose if the database has none), and the spans indexes go. An
// evaluation's target span is looked up in the trace the evaluation links it
// in (kept in target_linked_trace) or in its own.
const migrateV2 = `
ALTER TABLE evaluations ADD COLUMN target_linked_trace TEXT NOT NULL DEFAULT '';
ALTER TABLE traces ADD COLUMN span_rows TEXT NOT NULL DEFAULT '';
CREATE INDEX IF NOT EXISTS spans_trace ON spans(trace_id, span_id);
UPDATE traces SET span_rows = coalesce((SELECT group_concat(rowid) FROM spans WHERE spans.trace_id = traces.trace_id), '');
DROP INDEX IF EXISTS spans_trace;
DROP INDEX IF EXISTS spans_span;
`

// migrateV1 moves the spans of a version 1 database into the version 2
// table, dropping the columns that are now read from data, and drops the
// traces indexes that version 2 extends (schema creates them again).
const migrateV1 = `
ALTER TABLE spans RENAME TO spans_v1;
DROP INDEX IF EXISTS spans_trace;
DROP INDEX IF EXISTS spans_span;
` + spansTable + `
INSERT INTO spans (trace_id, span_id, start_ns, scope, resource_id, data)
	SELECT trace_id, span_id, start_ns, scope, resource_id, data FROM spans_v1;
DROP TABLE spans_v1;
DROP INDEX IF EXISTS traces_session;
DROP INDEX IF EXISTS traces_user;
`

func migrate(db *sql.DB, logger *slog.Logger) error {
	var v int
	if err := db.QueryRow(`PRAGMA user_version`).Scan(&v); err != nil {
		return err
	}
	if v > schemaVersion {
		return fmt.Errorf("database schema version %d is newer than this program (%d)", v, schemaVersion)
	}
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if v == 1 {
		logger.Info("traceai explorer: moving the database to schema 2, once (a large database takes a while)")
		if _, err := tx.Exec(migrateV1); err != nil {
			return fmt.Errorf("migrate schema 1 to 2: %w", err)
		}
	}
	if v == 1 || v == 2 {
		logger.Info("traceai explorer: moving the database to schema 3, once (a large database takes a while)")
		if _, err := tx.Exec(migrateV2); err != nil {
			return fmt.Errorf("migrate schema %d to 3: %w", v, err)
		}
	}
	if _, err := tx.Exec(schema + rollupSchema); err != nil {
		return fmt.Errorf("create schema: %w", err)
	}
	if v > 0 && v < 8 {
		// The turns stored before schema 8 have no rollups yet: their
		// hours are marked for the writer to compute.
		if _, err := tx.Exec(markAllHours); err != nil {
			return fmt.Errorf("migrate to schema 8: %w", err)
		}
	}
	// Columns of later schemas, missing from an older database's tables
	// (schema creates only missing tables). Rows stored before keep the
	// defaults: no prompt template (5), metadata read as strings, since a
	// stored "3" may have been the string or the number (6), no span kinds
	// (7).
	for _, c := range []struct {
		schema     int
		table, col string
	}{
		{5, "traces", "prompt_template"}, {5, "traces", "prompt_version"},
		{6, "session_meta", "kind"}, {7, "traces", "span_kinds"},
	} {
		if err := addColumn(tx, c.table, c.col, "TEXT NOT NULL DEFAULT ''"); err != nil {
			return fmt.Errorf("migrate to schema %d: %w", c.schema, err)
		}
	}
	if err := migrateSearch(tx, v); err != nil {
		return fmt.Errorf("create schema: %w", err)
	}
	if _, err := tx.Exec(fmt.Sprintf(`PRAGMA user_version = %d`, schemaVersion)); err != nil {
		return err
	}
	return tx.Commit()
}

// addColumn adds a column to a table of an older schema, once.
func addColumn(tx *sql.Tx, table, col, decl string) error {
	var n int
	if err := tx.QueryRow(`SELECT count(*) FROM pragma_table_info(?) WHERE name = ?`, table, col).Scan(&n); err != nil || n > 0 {
		return err
	}
	_, err := tx.Exec(`ALTER TABLE ` + table + ` ADD COLUMN ` + col + ` ` + decl)
	return err
}
