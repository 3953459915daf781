package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// searchSchema holds the search documents: one turn_text row per turn,
// tokenized in three-character pieces (trigrams) with case and diacritics
// folded, so that any substring of three characters or more is found
// through the index. session_id and trace_id come first in each row: the
// session of every match is read from its row, and SQLite reads a row's
// columns in order. A trace's traces row holds its document's rowid
// (search_doc).
const searchSchema = `
CREATE VIRTUAL TABLE IF NOT EXISTS turn_text USING fts5(
	session_id UNINDEXED, trace_id UNINDEXED,
	input, output, user, assistant, tool, system,
	tokenize = 'trigram remove_diacritics 1'
);
CREATE TABLE IF NOT EXISTS search_state (
	key   TEXT PRIMARY KEY,
	value INTEGER NOT NULL
) WITHOUT ROWID;
`

// migrateSearch gives the traces of an older database their search_doc
// (indexExisting fills it after Open) and marks a new database (schema
// version 0 before migrate) as fully indexed.
func migrateSearch(tx *sql.Tx, fromVersion int) error {
	if fromVersion > 0 && fromVersion < 4 {
		var has int
		if err := tx.QueryRow(`SELECT count(*) FROM pragma_table_info('traces') WHERE name = 'search_doc'`).Scan(&has); err != nil {
			return err
		}
		if has == 0 {
			if _, err := tx.Exec(`ALTER TABLE traces ADD COLUMN search_doc INTEGER NOT NULL DEFAULT 0`); err != nil {
				return err
			}
		}
	}
	if _, err := tx.Exec(searchTuning); err != nil {
		return err
	}
	if fromVersion != 0 {
		return nil
	}
	_, err := tx.Exec(`INSERT OR REPLACE INTO search_state (key, value) VALUES ('indexed', 1)`)
	return err
}

// searchTuning is applied at every open (FTS5 keeps it in its config).
// Merging 16 segments at a time rather than 4 halves the merge work on the
// writer's path, and 4,000-byte leaves make a batch's segment fewer rows
// (ingest with the index: 15.9-18.2 ms per 512 spans vs 17.2-27.4 ms with
// the defaults, on a shared machine; docs/explorer.md).
const searchTuning = `INSERT INTO turn_text (turn_text, rank) VALUES ('automerge', 16);
INSERT INTO turn_text (turn_text, rank) VALUES ('pgsz', 4000);`

// searchIndexed reports whether every stored turn has its search document.
func searchIndexed(db *sql.DB) (bool, error) {
	var v int
	err := db.QueryRow(`SELECT value FROM search_state WHERE key = 'indexed'`).Scan(&v)
	if err == sql.ErrNoRows {
		return false, nil
	}
	return v == 1, err
}

// backfillChunk is how many turns indexExisting indexes per transaction:
// each transaction holds the writer connection, so ingest waits for it.
const backfillChunk = 64

// indexExisting indexes the turns stored before search existed (a database
// of an earlier version), in the background: the documents are built from
// the stored spans on the read pool, then written in short transactions
// that ingest interleaves with. A turn ingest indexed meanwhile is left as
// ingest wrote it. Progress goes to the log.
func (s *Store) indexExisting() {
	defer close(s.searchEnd)
	log := s.cfg.logger
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-s.w.closing:
			cancel()
		case <-ctx.Done():
		}
	}()
	var total int64
	if err := s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM traces`).Scan(&total); err != nil {
		log.Error("traceai explorer: search index of stored turns failed", "err", err)
		return
	}
	log.Info("traceai explorer: indexing stored turns for search, once (search finds only indexed turns until done)", "turns", total)
	started, lastLog := time.Now(), time.Now()
	after, done := "", int64(0)
	res := map[int64][]*commonpb.KeyValue{}
	for {
		docs, next, n, err := s.backfillDocs(ctx, after, res)
		if err == nil && len(docs) > 0 {
			err = s.writeBackfill(ctx, docs)
		}
		if err != nil {
			if ctx.Err() == nil {
				log.Error("traceai explorer: search index of stored turns failed; it resumes at the next start", "err", err)
			}
			return
		}
		done += int64(n)
		if n == 0 {
			break
		}
		after = next
		if time.Since(lastLog) > 5*time.Second {
			log.Info("traceai explorer: indexing stored turns for search", "done", done, "of", total)
			lastLog = time.Now()
		}
	}
	if _, err := s.w.wdb.ExecContext(ctx, `INSERT OR REPLACE INTO search_state (key, value) VALUES ('indexed', 1)`); err != nil {
		log.Error("traceai explorer: search index of stored turns failed", "err", err)
		return
	}
	log.Info("traceai explorer: stored turns indexed for search", "turns", done, "took", time.Since(started).Round(time.Millisecond))
}

type backfillDoc struct {
	trace, session string
	text           turnText
}

// backfillDocs builds the documents of up to backfillChunk turns after the
// trace id after that have none, and returns the last trace id read and
// how many traces were read.
func (s *Store) backfillDocs(ctx context.Context, after string, res map[int64][]*commonpb.KeyValue) ([]backfillDoc, string, int, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT trace_id, span_rows FROM traces WHERE trace_id > ? AND search_doc = 0
		ORDER BY trace_id LIMIT ?`, after, backfillChunk)
	if err != nil {
		return nil, "", 0, err
	}
	type tr struct{ id, rows string }
	var trs []tr
	for rows.Next() {
		var t tr
		if err := rows.Scan(&t.id, &t.rows); err != nil {
			rows.Close()
			return nil, "", 0, err
		}
		trs = append(trs, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, "", 0, err
	}
	var docs []backfillDoc
	for _, t := range trs {
		all, err := s.storedSpans(ctx, parseRows(t.rows), res)
		if err != nil {
			return nil, "", 0, fmt.Errorf("trace %s: %w", t.id, err)
		}
		sortSpans(all)
		sum := summarizeTrace(all)
		if sum.evalOnly || sum.text.empty() {
			continue
		}
		docs = append(docs, backfillDoc{t.id, sum.session, sum.text})
	}
	last := ""
	if len(trs) > 0 {
		last = trs[len(trs)-1].id
	}
	return docs, last, len(trs), nil
}

// storedSpans reads and extracts spans by rowid on the read pool.
func (s *Store) storedSpans(ctx context.Context, rowids []int64, res map[int64][]*commonpb.KeyValue) ([]aggSpan, error) {
	var all []aggSpan
	for len(rowids) > 0 {
		n := min(len(rowids), 256)
		args := make([]any, n)
		for i, r := range rowids[:n] {
			args[i] = r
		}
		rowids = rowids[n:]
		rows, err := s.rdb.QueryContext(ctx, `SELECT scope, resource_id, data FROM spans WHERE rowid IN (?`+strings.Repeat(",?", n-1)+`)`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var scope string
			var rid int64
			var data []byte
			if err := rows.Scan(&scope, &rid, &data); err != nil {
				rows.Close()
				return nil, err
			}
			var pb tracepb.Span
			if proto.Unmarshal(data, &pb) != nil {
				continue
			}
			attrs, ok := res[rid]
			if !ok {
				var rdata []byte
				_ = s.rdb.QueryRowContext(ctx, `SELECT data FROM resources WHERE id = ?`, rid).Scan(&rdata)
				var r resourcepb.Resource
				if proto.Unmarshal(rdata, &r) == nil {
					attrs = r.GetAttributes()
				}
				if len(res) > maxResourceCache {
					clear(res)
				}
				res[rid] = attrs
			}
			all = append(all, aggOf(extract(attrs, scope, &pb)))
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return all, nil
}

// writeBackfill writes documents for the turns that still have none.
func (s *Store) writeBackfill(ctx context.Context, docs []backfillDoc) error {
	tx, err := s.w.wdb.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var last int64
	if err := tx.QueryRowContext(ctx, lastSearchDoc).Scan(&last); err != nil && err != sql.ErrNoRows {
		return err
	}
	for _, d := range docs {
		// A trace ingest indexed meanwhile has its search_doc.
		res, err := tx.ExecContext(ctx, `UPDATE traces SET search_doc = ? WHERE trace_id = ? AND search_doc = 0`, last+1, d.trace)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			continue
		}
		last++
		t := &d.text
		if _, err := tx.ExecContext(ctx, insertSearchDoc, last, d.session, d.trace, t[0], t[1], t[2], t[3], t[4], t[5]); err != nil {
			return err
		}
	}
	return tx.Commit()
}
