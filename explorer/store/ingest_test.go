package store_test

import (
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/traceai-go/traceai/explorer/internal/spanconv"
	"github.com/traceai-go/traceai/explorer/internal/synth"
	"github.com/traceai-go/traceai/explorer/store"
	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/fi/semconv"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

func openTemp(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// TestIngestGroupCommit sends the requests of TestIngestSplitOrderAndRetries
// all at once, held until every one is queued, so that the writer commits
// them in one transaction: spans of one trace arrive in several requests of
// the same transaction, some twice.
func TestIngestGroupCommit(t *testing.T) {
	ctx := context.Background()
	items, final, moved := splitSpans(t)
	ref := oneBatch(t, final)

	grouped := openTemp(t)
	reqs := splitRequests(items, 7)
	if len(reqs) > 64 {
		t.Fatalf("%d requests: more than the writer's queue holds", len(reqs))
	}
	var once sync.Once
	store.SetWriteHook(grouped, func() {
		once.Do(func() {
			deadline := time.Now().Add(10 * time.Second)
			for store.Queued(grouped) < len(reqs)-1 {
				if time.Now().After(deadline) {
					t.Errorf("only %d of %d requests queued", store.Queued(grouped)+1, len(reqs))
					return
				}
				time.Sleep(time.Millisecond)
			}
		})
	})
	var wg sync.WaitGroup
	for _, rs := range reqs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := grouped.Ingest(ctx, rs); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if _, err := grouped.Ingest(ctx, packItems(moved)); err != nil {
		t.Fatal(err)
	}
	if want, got := snapshot(t, ref), snapshot(t, grouped); want != got {
		t.Errorf("grouped ingest differs from one batch:\n got %s\nwant %s", got, want)
	}
}

// TestBackgroundCheckpoint checks that the WAL is copied into the database
// file off the writer's path: the writer's own threshold is far above what
// these batches write, so only the checkpointer can have grown the file.
func TestBackgroundCheckpoint(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ckpt.db")
	st, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	fileSize := func() int64 {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	empty := fileSize()
	ctx := context.Background()
	err = synth.Batch(synth.BatchOptions{Sessions: 32, Users: 4, TurnsPerSession: 8, SpansPerTurn: 4, Seed: 3}, 512,
		func(rs []*tracepb.ResourceSpans) error {
			_, err := st.Ingest(ctx, rs)
			return err
		})
	if err != nil {
		t.Fatal(err)
	}
	wal, err := os.Stat(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for fileSize() < wal.Size()/2 {
		if time.Now().After(deadline) {
			t.Fatalf("database file still %d bytes (empty: %d) with a %d-byte WAL: no checkpoint ran", fileSize(), empty, wal.Size())
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Reading while the checkpointer works is unaffected.
	if _, _, err := st.ListSessions(ctx, store.SessionFilter{}); err != nil {
		t.Fatal(err)
	}
}

// spansV1 is the spans table of schema version 1, with its extracted
// columns, for the migration test.
const spansV1 = `CREATE TABLE spans_v1 (
	trace_id TEXT NOT NULL, span_id TEXT NOT NULL, parent_id TEXT NOT NULL, name TEXT NOT NULL,
	kind INTEGER NOT NULL, span_kind TEXT NOT NULL, start_ns INTEGER NOT NULL, end_ns INTEGER NOT NULL,
	status_code INTEGER NOT NULL, status_message TEXT NOT NULL, session_id TEXT NOT NULL,
	user_id TEXT NOT NULL, model TEXT NOT NULL, input_tokens INTEGER NOT NULL,
	output_tokens INTEGER NOT NULL, total_tokens INTEGER NOT NULL, cost REAL NOT NULL,
	priced INTEGER NOT NULL, retry INTEGER NOT NULL, in_text TEXT NOT NULL, out_text TEXT NOT NULL,
	refused INTEGER NOT NULL, empty INTEGER NOT NULL, scope TEXT NOT NULL,
	resource_id INTEGER NOT NULL, data BLOB NOT NULL);
INSERT INTO spans_v1 SELECT trace_id, span_id, 'p', 'n', 1, 'LLM', start_ns, 0, 0, '', 's', 'u', 'm',
	1, 1, 2, 0.5, 1, 0, 'in', 'out', 0, 0, scope, resource_id, data FROM spans;
DROP TABLE spans;
ALTER TABLE spans_v1 RENAME TO spans;
CREATE UNIQUE INDEX spans_trace ON spans(trace_id, span_id);
CREATE INDEX spans_span ON spans(span_id);
DROP INDEX evaluations_linked;
ALTER TABLE evaluations DROP COLUMN target_linked_trace;
CREATE INDEX evaluations_target ON evaluations(target_span_id);
ALTER TABLE traces DROP COLUMN span_rows;
DROP INDEX traces_session;
DROP INDEX traces_user;
CREATE INDEX traces_session ON traces(session_id, start_ns);
CREATE INDEX traces_user ON traces(user_id, start_ns);
PRAGMA user_version = 1;`

// TestMigrateV1 opens a schema version 1 database (spans with extracted
// columns): its spans move to the version 2 table, every page reads the
// same, and a trace stored before the migration takes new spans.
func TestMigrateV1(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	before := snapshot(t, f.st)
	traceJSON := func(st *store.Store) string {
		var all []*store.TraceDetail
		for _, e := range append(f.a, f.b...) {
			d, err := st.GetTrace(ctx, e.Root.TraceID().String())
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, d)
		}
		b, _ := json.Marshal(all)
		return string(b)
	}
	traces := traceJSON(f.st)
	if err := f.st.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", "file:"+f.path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(spansV1); err != nil {
		t.Fatal(err)
	}
	db.Close()

	st, err := store.Open(f.path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	db, err = sql.Open("sqlite", "file:"+f.path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	for _, idx := range []string{"traces_session", "traces_user"} {
		var ddl string
		if err := db.QueryRow(`SELECT sql FROM sqlite_master WHERE name = ?`, idx).Scan(&ddl); err != nil || !strings.Contains(ddl, "llm_ms") {
			t.Errorf("%s after the migration: %q, %v", idx, ddl, err)
		}
	}
	db.Close()
	if got := snapshot(t, st); got != before {
		t.Errorf("pages after the migration:\n%s\nbefore:\n%s", got, before)
	}
	if got := traceJSON(st); got != traces {
		t.Errorf("traces after the migration:\n%s\nbefore:\n%s", got, traces)
	}
	// A late span of a migrated trace: its stored spans are read back from
	// data to summarize the trace again.
	d0, err := st.GetSession(ctx, "sess-a")
	if err != nil {
		t.Fatal(err)
	}
	tr0, err := st.GetTrace(ctx, f.a[0].Root.TraceID().String())
	if err != nil {
		t.Fatal(err)
	}
	mem := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(fi.NewSpanProcessor()), sdktrace.WithSyncer(mem))
	parent := trace.ContextWithSpanContext(ctx, f.a[0].Root)
	_, late := tp.Tracer("late").Start(parent, "late tool call", trace.WithTimestamp(t0.Add(time.Second)))
	late.End(trace.WithTimestamp(t0.Add(2 * time.Second)))
	if _, err := st.Ingest(ctx, spanconv.ToProto(mem.GetSpans().Snapshots())); err != nil {
		t.Fatal(err)
	}
	d, err := st.GetSession(ctx, "sess-a")
	if err != nil {
		t.Fatal(err)
	}
	if d.Summary.Spans != d0.Summary.Spans+1 || d.Summary.Traces != d0.Summary.Traces ||
		d.Summary.InputTokens != d0.Summary.InputTokens || d.Turns[0].Input != "hello" || d.Turns[0].Output != d0.Turns[0].Output {
		t.Errorf("after a late span:\n%+v\nbefore:\n%+v", d.Summary, d0.Summary)
	}
	tr, err := st.GetTrace(ctx, f.a[0].Root.TraceID().String())
	if err != nil || len(tr.Spans) != len(tr0.Spans)+1 {
		t.Fatalf("trace after a late span: %v, %d spans, before %d", err, len(tr.Spans), len(tr0.Spans))
	}
}

// TestAckAfterWALFlush checks that with synchronous FULL a batch is
// acknowledged only after the syncer flushed the WAL, and that the writer
// commits the next batch meanwhile (one flush then acknowledges both).
func TestAckAfterWALFlush(t *testing.T) {
	ctx := context.Background()
	st := openTemp(t)
	if !store.FlushesWAL(st) {
		t.Fatal("a FULL store on disk does not flush the WAL itself")
	}
	entered, release := make(chan struct{}, 8), make(chan struct{})
	store.SetSyncHook(st, func() {
		entered <- struct{}{}
		<-release
	})
	var reqs [][]*tracepb.ResourceSpans
	if err := synth.Batch(synth.BatchOptions{Sessions: 2, Users: 1, TurnsPerSession: 2, SpansPerTurn: 4, Seed: 3}, 8,
		func(rs []*tracepb.ResourceSpans) error { reqs = append(reqs, rs); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(reqs) != 2 {
		t.Fatalf("%d requests", len(reqs))
	}
	acked := make(chan error, 2)
	send := func(rs []*tracepb.ResourceSpans) {
		go func() {
			_, err := st.Ingest(ctx, rs)
			acked <- err
		}()
	}
	sessions := func() int {
		page, _, err := st.ListSessions(ctx, store.SessionFilter{})
		if err != nil {
			t.Fatal(err)
		}
		return len(page)
	}
	send(reqs[0])
	select {
	case <-entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the syncer never flushed")
	}
	// Committed (readers see it) but not flushed: not acknowledged.
	if n := sessions(); n != 1 {
		t.Fatalf("%d sessions visible after the first commit, want 1", n)
	}
	send(reqs[1])
	deadline := time.Now().Add(10 * time.Second)
	for sessions() < 2 {
		if time.Now().After(deadline) {
			t.Fatal("the writer did not commit the second batch during the flush")
		}
		time.Sleep(time.Millisecond)
	}
	select {
	case err := <-acked:
		t.Fatalf("a batch was acknowledged before the WAL was flushed (err %v)", err)
	default:
	}
	close(release)
	for range 2 {
		select {
		case err := <-acked:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("not acknowledged after the flush")
		}
	}

	normal, err := store.Open(filepath.Join(t.TempDir(), "n.db"), store.WithSynchronous("NORMAL"))
	if err != nil {
		t.Fatal(err)
	}
	defer normal.Close()
	if store.FlushesWAL(normal) {
		t.Error("a NORMAL store flushes the WAL before acknowledging")
	}
}

// TestSessionFactsAcrossBatches sends a session's tags, models and metadata
// in several batches, with a metadata value that changes and changes back:
// the writer skips the facts it stored before, and must still store every
// change.
func TestSessionFactsAcrossBatches(t *testing.T) {
	ctx := context.Background()
	st := openTemp(t)
	turn := 0
	send := func(plan, model string, tags ...string) {
		t.Helper()
		turn++
		kv := func(k, v string) *commonpb.KeyValue {
			return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v}}}
		}
		var tagValues []*commonpb.AnyValue
		for _, tag := range tags {
			tagValues = append(tagValues, &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: tag}})
		}
		start := uint64(t0.Add(time.Duration(turn) * time.Minute).UnixNano())
		sp := &tracepb.Span{
			TraceId: []byte{15: byte(turn)}, SpanId: []byte{7: byte(turn)}, Name: "chat",
			StartTimeUnixNano: start, EndTimeUnixNano: start + uint64(time.Second),
			Attributes: []*commonpb.KeyValue{
				kv("session.id", "sess-facts"), kv("user.id", "u1"), kv("fi.span.kind", "LLM"),
				kv("gen_ai.request.model", model), kv("metadata", `{"plan":"`+plan+`"}`),
				{Key: "tag.tags", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_ArrayValue{ArrayValue: &commonpb.ArrayValue{Values: tagValues}}}},
			},
		}
		if _, err := st.Ingest(ctx, []*tracepb.ResourceSpans{{ScopeSpans: []*tracepb.ScopeSpans{{Spans: []*tracepb.Span{sp}}}}}); err != nil {
			t.Fatal(err)
		}
	}
	check := func(plan string, models, tags []string) {
		t.Helper()
		d, err := st.GetSession(ctx, "sess-facts")
		if err != nil {
			t.Fatal(err)
		}
		if d.Metadata["plan"] != plan || !slices.Equal(d.Summary.Models, models) || !slices.Equal(d.Summary.Tags, tags) {
			t.Errorf("after turn %d: plan %q models %v tags %v, want %q %v %v", turn, d.Metadata["plan"],
				d.Summary.Models, d.Summary.Tags, plan, models, tags)
		}
		for _, p := range []string{"free", "pro"} {
			page, _, err := st.ListSessions(ctx, store.SessionFilter{MetadataKey: "plan", MetadataValue: p})
			if err != nil {
				t.Fatal(err)
			}
			if found := len(page) == 1; found != (p == plan) {
				t.Errorf("after turn %d: filter plan=%s finds %d sessions", turn, p, len(page))
			}
		}
	}
	send("free", "gpt-4o", "a")
	check("free", []string{"gpt-4o"}, []string{"a"})
	send("free", "gpt-4o", "a") // all known: nothing to write
	check("free", []string{"gpt-4o"}, []string{"a"})
	send("pro", "gpt-4o-mini", "a", "b")
	check("pro", []string{"gpt-4o", "gpt-4o-mini"}, []string{"a", "b"})
	send("free", "gpt-4o", "b")
	check("free", []string{"gpt-4o", "gpt-4o-mini"}, []string{"a", "b"})
}

// TestEvaluationTargets checks where an evaluation's target span is found:
// in the evaluation's own trace (fi.RecordEvaluation of the span in its
// context) and in the trace the evaluation links it in (an offline
// evaluator), not by span id alone in some other trace.
func TestEvaluationTargets(t *testing.T) {
	ctx := context.Background()
	st := openTemp(t)
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(fi.NewSpanProcessor()), sdktrace.WithSyncer(st.Exporter()))
	turns := synth.Emit(ctx, tp, convA())
	target := turns[0].LLM
	if err := fi.RecordEvaluation(trace.ContextWithSpanContext(ctx, target), fi.Evaluation{Name: "same-trace", Score: fi.Score(0.5)},
		fi.WithTracerProvider(tp)); err != nil {
		t.Fatal(err)
	}
	synth.EmitEvaluation(ctx, tp, target, "linked", ptr(0.6), "", t0.Add(time.Hour))
	_, sp := tp.Tracer("test").Start(ctx, "evaluation unlinked", trace.WithNewRoot(), trace.WithAttributes(
		semconv.SpanKindEvaluator.Attribute(), semconv.GenAIEvaluationName.String("unlinked"),
		semconv.GenAIEvaluationTargetSpanID.String(target.SpanID().String())))
	sp.End()
	unlinked := sp.SpanContext()

	d, err := st.GetTrace(ctx, target.TraceID().String())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range d.Evaluations {
		names = append(names, e.Name)
		if e.TargetTraceID != target.TraceID().String() || e.SessionID != "sess-a" {
			t.Errorf("%s: target trace %q session %q", e.Name, e.TargetTraceID, e.SessionID)
		}
	}
	slices.Sort(names)
	if want := []string{"linked", "same-trace"}; !slices.Equal(names, want) {
		t.Errorf("the target's trace has evaluations %v, want %v", names, want)
	}
	u, err := st.GetTrace(ctx, unlinked.TraceID().String())
	if err != nil {
		t.Fatal(err)
	}
	if len(u.Evaluations) != 1 || u.Evaluations[0].TargetTraceID != "" {
		t.Errorf("the unlinked evaluation: %+v, want it unresolved in its own trace", u.Evaluations)
	}
}

// TestTwoProcessesOneFile ingests into one database file through two stores
// in turn, as two explorer processes on the same --db would: the rowids of
// each batch's spans follow the largest in the file, so neither overwrites
// the other's spans.
func TestTwoProcessesOneFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "s.db")
	var stores []*store.Store
	for range 2 {
		st, err := store.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		stores = append(stores, st)
	}
	// The same batches into one store reading every latency window: the
	// p50/p95 a process writes must count the other's turns.
	ref := openTemp(t)
	store.ReadWindows(ref)
	want := map[string]int{} // spans per trace
	i := 0
	err := synth.Batch(synth.BatchOptions{Sessions: 6, Users: 2, TurnsPerSession: 3, SpansPerTurn: 4, Seed: 11}, 8,
		func(rs []*tracepb.ResourceSpans) error {
			for _, r := range rs {
				for _, ss := range r.ScopeSpans {
					for _, sp := range ss.Spans {
						want[hex.EncodeToString(sp.TraceId)]++
					}
				}
			}
			if _, err := ref.Ingest(ctx, rs); err != nil {
				return err
			}
			_, err := stores[i%2].Ingest(ctx, rs)
			i++
			return err
		})
	if err != nil {
		t.Fatal(err)
	}
	if len(want) != 18 {
		t.Fatalf("%d traces", len(want))
	}
	if w, got := snapshot(t, ref), snapshot(t, stores[0]); w != got {
		t.Errorf("two processes stored other aggregates than one:\n got %s\nwant %s", got, w)
	}
	for id, n := range want {
		for _, st := range stores {
			d, err := st.GetTrace(ctx, id)
			if err != nil {
				t.Fatalf("trace %s: %v", id, err)
			}
			if len(d.Spans) != n {
				t.Errorf("trace %s has %d spans, want %d", id, len(d.Spans), n)
			}
			for _, sp := range d.Spans {
				if sp.TraceID != id {
					t.Errorf("trace %s shows span %s of trace %s", id, sp.SpanID, sp.TraceID)
				}
			}
		}
	}
}

// TestTraceSpansLimit checks that a trace with more spans than GetTrace
// returns shows its earliest, also when they arrived last.
func TestTraceSpansLimit(t *testing.T) {
	defer store.SetMaxTraceSpans(5)()
	ctx := context.Background()
	st := openTemp(t)
	tid := []byte{15: 9}
	span := func(i int) *tracepb.Span {
		start := uint64(t0.Add(time.Duration(i) * time.Second).UnixNano())
		return &tracepb.Span{TraceId: tid, SpanId: []byte{7: byte(i + 1)}, Name: fmt.Sprintf("step %d", i),
			StartTimeUnixNano: start, EndTimeUnixNano: start + uint64(time.Millisecond)}
	}
	send := func(from, to int) {
		var spans []*tracepb.Span
		for i := from; i < to; i++ {
			spans = append(spans, span(i))
		}
		if _, err := st.Ingest(ctx, []*tracepb.ResourceSpans{{ScopeSpans: []*tracepb.ScopeSpans{{Spans: spans}}}}); err != nil {
			t.Fatal(err)
		}
	}
	send(4, 8) // the later spans first
	send(0, 4)
	d, err := st.GetTrace(ctx, hex.EncodeToString(tid))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, sp := range d.Spans {
		names = append(names, sp.Name)
	}
	slices.Sort(names)
	if want := []string{"step 0", "step 1", "step 2", "step 3", "step 4"}; !slices.Equal(names, want) {
		t.Errorf("spans %v, want %v", names, want)
	}
}

// TestLatencyWindows checks the latency windows the writer keeps between
// batches against reading them from the table every time: the load of
// TestIngestSplitOrderAndRetries (sessions and users across requests,
// retries, traces moved) with windows of 3 turns, so that they fill up.
func TestLatencyWindows(t *testing.T) {
	defer store.SetPercentileWindow(3)()
	ctx := context.Background()
	items, _, moved := splitSpans(t)
	kept, read := openTemp(t), openTemp(t)
	store.ReadWindows(read)
	for _, st := range []*store.Store{kept, read} {
		for _, rs := range splitRequests(items, 9) {
			if _, err := st.Ingest(ctx, rs); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := st.Ingest(ctx, packItems(moved)); err != nil {
			t.Fatal(err)
		}
	}
	// Whole turns, two per request, sessions and users over many requests.
	err := synth.Batch(synth.BatchOptions{Sessions: 4, Users: 2, TurnsPerSession: 10, SpansPerTurn: 4, Seed: 21,
		Start: t0.Add(24 * time.Hour)}, 8, func(rs []*tracepb.ResourceSpans) error {
		for _, st := range []*store.Store{kept, read} {
			if _, err := st.Ingest(ctx, rs); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want, got := snapshot(t, read), snapshot(t, kept)
	if want != got {
		t.Errorf("kept windows differ from read ones:\n got %s\nwant %s", got, want)
	}
	if !strings.Contains(want, `"p95_latency_ms"`) {
		t.Errorf("the snapshot has no latencies: %s", want)
	}
}

// Spans sent after the database file was deleted or replaced would be
// written to an unlinked file and lost: Ingest refuses them with
// ErrDatabaseGone (503 at the receiver) and logs it once.
func TestIngestRefusedOnceDatabaseGone(t *testing.T) {
	for _, replace := range []bool{false, true} {
		dir := t.TempDir()
		path := filepath.Join(dir, "s.db")
		var logs syncBuffer
		st, err := store.Open(path, store.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		ctx := context.Background()
		rs := func(seed uint64) []*tracepb.ResourceSpans {
			var out []*tracepb.ResourceSpans
			synth.Batch(synth.BatchOptions{Sessions: 1, Users: 1, TurnsPerSession: 1, SpansPerTurn: 2, Seed: seed}, 100,
				func(b []*tracepb.ResourceSpans) error { out = append(out, b...); return nil })
			return out
		}
		if _, err := st.Ingest(ctx, rs(1)); err != nil {
			t.Fatal(err)
		}
		for _, suffix := range []string{"", "-wal", "-shm"} {
			os.Remove(path + suffix)
		}
		if replace {
			if err := os.WriteFile(path, nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		for range 2 {
			if _, err := st.Ingest(ctx, rs(2)); !errors.Is(err, store.ErrDatabaseGone) {
				t.Fatalf("replaced=%v: Ingest after the file went: %v", replace, err)
			}
		}
		if n := strings.Count(logs.String(), "deleted or replaced"); n != 1 {
			t.Errorf("replaced=%v: logged %d times:\n%s", replace, n, logs.String())
		}
	}
}
