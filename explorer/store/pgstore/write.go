package pgstore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/traceai-go/traceai/explorer/store/internal/record"
)

// Ingest stores the spans and returns how many were received once they are
// committed. A span already stored (same trace and span id) is replaced.
func (s *Store) Ingest(ctx context.Context, rs []*tracepb.ResourceSpans) (int, error) {
	return s.IngestEncoded(ctx, rs, nil)
}

// IngestEncoded is Ingest with each span's encoding as received (in the
// order of rs), stored as is; see store.Writer.
func (s *Store) IngestEncoded(ctx context.Context, rs []*tracepb.ResourceSpans, encoded [][]byte) (int, error) {
	n := 0
	for _, r := range rs {
		for _, ss := range r.GetScopeSpans() {
			n += len(ss.GetSpans())
		}
	}
	if n == 0 {
		return 0, nil
	}
	if err := s.begin(); err != nil {
		return 0, err
	}
	defer s.wg.Done()
	b, err := record.Prepare(rs, encoded)
	if err != nil {
		return 0, err
	}
	dedupe(b)
	for attempt := 0; ; attempt++ {
		err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return s.write(ctx, tx, b) })
		if err == nil {
			return n, nil
		}
		// Locks are taken in one order, so a deadlock is not expected;
		// PostgreSQL resolving one anyway, or a serialization failure,
		// is worth another try of the whole transaction.
		var pe *pgconn.PgError
		if attempt < 3 && errors.As(err, &pe) && (pe.Code == "40P01" || pe.Code == "40001") && ctx.Err() == nil {
			s.cfg.logger.Warn("pgstore: export retried", "code", pe.Code, "attempt", attempt+1)
			continue
		}
		return 0, fmt.Errorf("pgstore: ingest: %w", err)
	}
}

// dedupe keeps the last copy of a span sent twice in one request (as the
// SQLite store does), so that no statement touches a row twice.
func dedupe(b *record.Batch) {
	last := make(map[[2]string]int, len(b.Spans))
	for i, sp := range b.Spans {
		last[[2]string{sp.TraceID, sp.SpanID}] = i
	}
	if len(last) == len(b.Spans) {
		return
	}
	out := b.Spans[:0]
	for i, sp := range b.Spans {
		if last[[2]string{sp.TraceID, sp.SpanID}] == i {
			out = append(out, sp)
		}
	}
	b.Spans = out
}

// Lock classes: a key is a hash of the class and the id.
const (
	lockTrace   = "t"
	lockSession = "s"
	lockUser    = "u"
)

func lockKey(class, id string) int64 {
	h := fnv.New64a()
	h.Write([]byte(class))
	h.Write([]byte{0})
	h.Write([]byte(id))
	return int64(h.Sum64())
}

// lock takes the transaction-level advisory locks of keys in ascending
// order. Every writer takes all its trace locks before any session or user
// lock, each set sorted, so two writers never wait for each other in a
// cycle.
func lock(ctx context.Context, tx pgx.Tx, keys []int64) error {
	slices.Sort(keys)
	keys = slices.Compact(keys)
	if len(keys) == 0 {
		return nil
	}
	// unnest yields the array in order, one lock after another.
	_, err := tx.Exec(ctx, `SELECT count(pg_advisory_xact_lock(k)) FROM unnest($1::bigint[]) AS k`, keys)
	return err
}

// write is one request's transaction.
func (s *Store) write(ctx context.Context, tx pgx.Tx, b *record.Batch) error {
	var traceIDs []string
	seen := map[string]bool{}
	var keys []int64
	for _, sp := range b.Spans {
		if !seen[sp.TraceID] {
			seen[sp.TraceID] = true
			traceIDs = append(traceIDs, sp.TraceID)
			keys = append(keys, lockKey(lockTrace, sp.TraceID))
		}
		// An evaluation looks for its target in the trace it links: that
		// trace's writer must not be halfway either.
		if sp.Eval != nil && sp.Eval.Linked != "" {
			keys = append(keys, lockKey(lockTrace, sp.Eval.Linked))
		}
	}
	if len(traceIDs) == 0 {
		return nil
	}
	if err := lock(ctx, tx, keys); err != nil {
		return fmt.Errorf("lock traces: %w", err)
	}
	if err := s.putSpans(ctx, tx, b); err != nil {
		return err
	}
	old, oldHours, err := oldOwners(ctx, tx, traceIDs)
	if err != nil {
		return fmt.Errorf("traces: %w", err)
	}
	// A trace whose row is not there (under its lock) has no span stored
	// before this request: its summary from the request's spans is the
	// summary of all its spans. The others are summarized from storage.
	var stored []string
	for _, id := range traceIDs {
		if _, ok := old[id]; ok || b.Traces[id] == nil {
			stored = append(stored, id)
		}
	}
	sums, err := s.summarize(ctx, tx, stored)
	if err != nil {
		return err
	}
	for _, id := range traceIDs {
		if sums[id] == nil {
			sums[id] = b.Traces[id]
		}
	}
	if err := putTraces(ctx, tx, traceIDs, sums, old); err != nil {
		return err
	}
	if err := putEvaluations(ctx, tx, b, traceIDs); err != nil {
		return err
	}
	// The sessions and users the traces left or joined, and those given
	// facts, are computed again from the traces table.
	sessions, users := map[string]bool{}, map[string]bool{}
	for _, id := range traceIDs {
		o := old[id]
		for _, sid := range []string{o[0], sums[id].Session} {
			sessions[sid] = true
		}
		for _, uid := range []string{o[1], sums[id].User} {
			users[uid] = true
		}
	}
	for _, f := range b.Tags {
		sessions[f[0]] = true
	}
	for _, f := range b.Models {
		sessions[f[0]] = true
	}
	for _, f := range b.Meta {
		sessions[f.Session] = true
	}
	delete(sessions, "")
	delete(users, "")
	keys = keys[:0]
	for id := range sessions {
		keys = append(keys, lockKey(lockSession, id))
	}
	for id := range users {
		keys = append(keys, lockKey(lockUser, id))
	}
	if err := lock(ctx, tx, keys); err != nil {
		return fmt.Errorf("lock sessions: %w", err)
	}
	// Facts under their sessions' locks: retention deletes an emptied
	// session's facts under the same lock, so a fact this export finds
	// already stored is not deleted before it commits.
	tagged, err := putFacts(ctx, tx, b)
	if err != nil {
		return err
	}
	// The dashboard's rollups of the hours the traces were and are in,
	// those of the turns the batch's evaluations judge, and those of the
	// sessions given a new tag (a tag groups every turn of its session)
	// are stale.
	if _, err := tx.Exec(ctx, markHours, traceIDs, tagged, time.Now().UnixNano(), oldHours); err != nil {
		return fmt.Errorf("rollup marks: %w", err)
	}
	if err := refreshSessions(ctx, tx, sortedKeys(sessions)); err != nil {
		return fmt.Errorf("sessions: %w", err)
	}
	if err := refreshUsers(ctx, tx, sortedKeys(users)); err != nil {
		return fmt.Errorf("users: %w", err)
	}
	return nil
}

// The marks of the dashboard's stale hours (store's rollup.go).
const (
	markHours = `INSERT INTO dash_dirty (hour, at) SELECT h, $3::bigint FROM (
	SELECT start_ns / 3600000000000 AS h FROM traces WHERE trace_id = ANY($1) AND eval_only = 0
	UNION SELECT t.start_ns / 3600000000000 FROM evaluations e JOIN traces t ON t.trace_id = e.target_trace_id
		WHERE e.trace_id = ANY($1)
	UNION SELECT start_ns / 3600000000000 FROM traces WHERE session_id = ANY($2)
	UNION SELECT unnest($4::bigint[])) x`
	markGoneHours = `INSERT INTO dash_dirty (hour, at) SELECT h, $2::bigint FROM (
	SELECT start_ns / 3600000000000 AS h FROM traces WHERE trace_id = ANY($1)
	UNION SELECT t.start_ns / 3600000000000 FROM evaluations e JOIN traces t ON t.trace_id = e.target_trace_id
		WHERE e.trace_id = ANY($1)) x`
)

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// putSpans writes the resources and spans; a span stored before is
// replaced.
func (s *Store) putSpans(ctx context.Context, tx pgx.Tx, b *record.Batch) error {
	// Rows other writers may insert too go in one order (as the locks).
	slices.SortFunc(b.Resources, func(x, y record.Resource) int { return cmp.Compare(x.ID, y.ID) })
	rids := make([]int64, len(b.Resources))
	rdata := make([][]byte, len(b.Resources))
	for i, r := range b.Resources {
		// An empty resource encodes to no bytes: a value, not NULL.
		rids[i], rdata[i] = r.ID, nonNil(r.Data)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO resources (id, data) SELECT * FROM unnest($1::bigint[], $2::bytea[])
		ON CONFLICT (id) DO NOTHING`, rids, rdata); err != nil {
		return fmt.Errorf("insert resources: %w", err)
	}
	n := len(b.Spans)
	tids, sids, scopes := make([]string, n), make([]string, n), make([]string, n)
	starts, res := make([]int64, n), make([]int64, n)
	data := make([][]byte, n)
	for i, sp := range b.Spans {
		tids[i], sids[i], starts[i], scopes[i], res[i], data[i] = sp.TraceID, sp.SpanID, sp.StartNS, sp.Scope, sp.ResourceID, nonNil(sp.Data)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO spans (trace_id, span_id, start_ns, scope, resource_id, data)
		SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::bigint[], $6::bytea[])
		ON CONFLICT (trace_id, span_id) DO UPDATE SET start_ns = excluded.start_ns, scope = excluded.scope,
		resource_id = excluded.resource_id, data = excluded.data`, tids, sids, starts, scopes, res, data); err != nil {
		return fmt.Errorf("insert spans: %w", err)
	}
	return nil
}

// oldOwners returns the (session, user) of the traces already stored, and
// the hours their turns start in (the dashboard's rollups of which the
// batch makes stale).
func oldOwners(ctx context.Context, tx pgx.Tx, ids []string) (map[string][2]string, []int64, error) {
	rows, err := tx.Query(ctx, `SELECT trace_id, session_id, user_id, start_ns / 3600000000000, eval_only
		FROM traces WHERE trace_id = ANY($1)`, ids)
	if err != nil {
		return nil, nil, err
	}
	out := map[string][2]string{}
	var hours []int64
	var id, sess, user string
	var hour int64
	var evalOnly int
	_, err = pgx.ForEachRow(rows, []any{&id, &sess, &user, &hour, &evalOnly}, func() error {
		out[id] = [2]string{sess, user}
		if evalOnly == 0 {
			hours = append(hours, hour)
		}
		return nil
	})
	return out, hours, err
}

// summarize reads every stored span of the traces (the request's are
// written by now) and summarizes each trace from all of them.
func (s *Store) summarize(ctx context.Context, tx pgx.Tx, ids []string) (map[string]*record.Trace, error) {
	if len(ids) == 0 {
		return map[string]*record.Trace{}, nil
	}
	spans, err := s.storedSpans(ctx, tx, `SELECT trace_id, scope, resource_id, data FROM spans WHERE trace_id = ANY($1)`, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[string]*record.Trace, len(ids))
	for _, id := range ids {
		tr := record.Summarize(spans[id])
		out[id] = &tr
	}
	return out, nil
}

// querier is a pool or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// storedSpans runs q (selecting trace_id, scope, resource_id, data) and
// returns the decoded spans by trace, with their resources.
func (s *Store) storedSpans(ctx context.Context, db querier, q string, args ...any) (map[string][]record.Stored, error) {
	rows, err := db.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read spans: %w", err)
	}
	type one struct {
		trace string
		rid   int64
		st    record.Stored
	}
	var all []one
	var tid, scope string
	var rid int64
	var data []byte
	_, err = pgx.ForEachRow(rows, []any{&tid, &scope, &rid, &data}, func() error {
		pb := &tracepb.Span{}
		if err := proto.Unmarshal(data, pb); err != nil {
			return fmt.Errorf("decode span of trace %s: %w", tid, err)
		}
		all = append(all, one{tid, rid, record.Stored{Scope: scope, Span: pb}})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read spans: %w", err)
	}
	res := map[int64]*resourcepb.Resource{}
	var missing []int64
	for _, o := range all {
		if _, ok := res[o.rid]; ok {
			continue
		}
		r, ok := s.resources.get(o.rid)
		res[o.rid] = r
		if !ok {
			missing = append(missing, o.rid)
		}
	}
	if len(missing) > 0 {
		rows, err := db.Query(ctx, `SELECT id, data FROM resources WHERE id = ANY($1)`, missing)
		if err != nil {
			return nil, fmt.Errorf("read resources: %w", err)
		}
		_, err = pgx.ForEachRow(rows, []any{&rid, &data}, func() error {
			r := &resourcepb.Resource{}
			if err := proto.Unmarshal(data, r); err != nil {
				return fmt.Errorf("decode resource: %w", err)
			}
			res[rid] = r
			s.resources.put(rid, r)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("read resources: %w", err)
		}
	}
	out := map[string][]record.Stored{}
	for _, o := range all {
		o.st.Resource = res[o.rid]
		out[o.trace] = append(out[o.trace], o.st)
	}
	return out, nil
}

// resourceCache holds decoded resources by id; a resource's id is the hash
// of its encoding, so an entry is never stale.
type resourceCache struct {
	mu sync.Mutex
	m  map[int64]*resourcepb.Resource
}

const maxResourceCache = 1024

func (c *resourceCache) get(id int64) (*resourcepb.Resource, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.m[id]
	return r, ok
}

func (c *resourceCache) put(id int64, r *resourcepb.Resource) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxResourceCache {
		c.m = map[int64]*resourcepb.Resource{}
	}
	c.m[id] = r
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
