package store_test

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/traceai-go/traceai/explorer/internal/synth"
	"github.com/traceai-go/traceai/explorer/store"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

// retainLoad is a bulk load whose sessions straddle retainCut: the first
// sessions' turns all start before it, the next ones' partly, the rest's
// none.
func retainLoad(t *testing.T, seed uint64, start time.Time) [][]*tracepb.ResourceSpans {
	t.Helper()
	var reqs [][]*tracepb.ResourceSpans
	err := synth.Batch(synth.BatchOptions{Sessions: 24, Users: 5, TurnsPerSession: 6, SpansPerTurn: 3,
		Start: start, Seed: seed}, 40, func(rs []*tracepb.ResourceSpans) error {
		reqs = append(reqs, rs)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return reqs
}

var retainStart = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// retainCut leaves about a third of retainLoad's sessions whole, a third
// partly expired.
var retainCut = retainStart.Add(60 * time.Second)

// keepFrom returns the spans of the traces whose root starts at or after
// cut: what a store holds after retention, sent to a fresh store.
func keepFrom(reqs [][]*tracepb.ResourceSpans, cut time.Time) [][]*tracepb.ResourceSpans {
	starts := map[string]uint64{}
	for _, rs := range reqs {
		for _, r := range rs {
			for _, ss := range r.ScopeSpans {
				for _, sp := range ss.Spans {
					k := string(sp.TraceId)
					if s, ok := starts[k]; !ok || sp.StartTimeUnixNano < s {
						starts[k] = sp.StartTimeUnixNano
					}
				}
			}
		}
	}
	var out [][]*tracepb.ResourceSpans
	for _, rs := range reqs {
		var spans []*tracepb.Span
		for _, r := range rs {
			for _, ss := range r.ScopeSpans {
				for _, sp := range ss.Spans {
					if int64(starts[string(sp.TraceId)]) >= cut.UnixNano() {
						spans = append(spans, sp)
					}
				}
			}
		}
		if len(spans) > 0 {
			out = append(out, []*tracepb.ResourceSpans{{Resource: rs[0].Resource,
				ScopeSpans: []*tracepb.ScopeSpans{{Scope: rs[0].ScopeSpans[0].Scope, Spans: spans}}}})
		}
	}
	return out
}

func ingestAll(t *testing.T, st *store.Store, reqs [][]*tracepb.ResourceSpans) {
	t.Helper()
	for _, rs := range reqs {
		if _, err := st.Ingest(context.Background(), rs); err != nil {
			t.Fatal(err)
		}
	}
}

// rowCounts counts the rows of the tables retention deletes from, read
// straight from the file.
func rowCounts(t *testing.T, path string) map[string]int {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	out := map[string]int{}
	for _, tb := range []string{"spans", "traces", "sessions", "users", "turn_text", "session_tags",
		"session_models", "session_meta", "evaluations"} {
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM ` + tb).Scan(&n); err != nil {
			t.Fatal(err)
		}
		out[tb] = n
	}
	var old int
	if err := db.QueryRow(`SELECT count(*) FROM traces WHERE start_ns < ?`, retainCut.UnixNano()).Scan(&old); err != nil {
		t.Fatal(err)
	}
	out["old traces"] = old
	return out
}

func deleteAllBefore(t *testing.T, st *store.Store, cut time.Time, limit int) (deleted, calls int) {
	t.Helper()
	for {
		n, err := st.DeleteBefore(context.Background(), cut, limit)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return deleted, calls
		}
		deleted += n
		calls++
	}
}

func searchCount(t *testing.T, st *store.Store, q string) int {
	t.Helper()
	hits, _, err := st.SearchTurns(context.Background(), store.TurnQuery{Q: q, Limit: store.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	return len(hits)
}

// TestRetentionDeleteBefore deletes the turns started before a cut, in
// small batches, and compares everything the pages show with a store that
// only ever received the turns that remain: partly expired sessions and
// their users show what is left (counts, tokens, cost, first input, last
// output, times, p50/p95), fully expired ones are gone.
func TestRetentionDeleteBefore(t *testing.T) {
	reqs := retainLoad(t, 1, retainStart)
	st := openTemp(t)
	ingestAll(t, st, reqs)
	ref := openTemp(t)
	ingestAll(t, ref, keepFrom(reqs, retainCut))

	before := rowCounts(t, st.Path())
	if before["old traces"] == 0 || before["old traces"] == before["traces"] {
		t.Fatalf("the load does not straddle the cut: %v", before)
	}
	if searchCount(t, st, "of session sess-000000") == 0 {
		t.Fatal("the first session is not found before retention")
	}
	deleted, calls := deleteAllBefore(t, st, retainCut, 7)
	if deleted != before["old traces"] || calls < 2 {
		t.Errorf("deleted %d traces in %d calls, want %d in several", deleted, calls, before["old traces"])
	}
	after, want := rowCounts(t, st.Path()), rowCounts(t, ref.Path())
	for k, v := range want {
		if after[k] != v {
			t.Errorf("%s: %d rows after retention, %d in the store of the remaining turns", k, after[k], v)
		}
	}
	if after["sessions"] >= before["sessions"] || after["sessions"] == 0 {
		t.Errorf("sessions %d -> %d: none or all expired", before["sessions"], after["sessions"])
	}
	if got, want := snapshot(t, st), snapshot(t, ref); got != want {
		t.Errorf("after retention:\n got %s\nwant %s", got, want)
	}
	ctx := context.Background()
	if _, err := st.GetSession(ctx, "sess-000000"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("fully expired session: err = %v, want ErrNotFound", err)
	}
	if n := searchCount(t, st, "of session sess-000000"); n != 0 {
		t.Errorf("an expired session's turns still found: %d hits", n)
	}
	if got, want := searchCount(t, st, "Question"), searchCount(t, ref, "Question"); got != want || got == 0 {
		t.Errorf("search hits after retention %d, want %d", got, want)
	}
	if n, err := st.DeleteBefore(ctx, retainCut, 7); err != nil || n != 0 {
		t.Errorf("again: %d, %v", n, err)
	}
}

// TestRetentionWhileIngesting deletes while other exporters send new turns,
// some to the sessions being deleted from: the result equals a store that
// received only the turns that remain plus the new ones.
func TestRetentionWhileIngesting(t *testing.T) {
	old := retainLoad(t, 1, retainStart)
	fresh := retainLoad(t, 2, retainStart.Add(time.Hour))
	st := openTemp(t)
	ingestAll(t, st, old)
	ref := openTemp(t)
	ingestAll(t, ref, keepFrom(old, retainCut))
	ingestAll(t, ref, fresh)

	var wg sync.WaitGroup
	wg.Add(1)
	var ingested int
	go func() {
		defer wg.Done()
		for _, rs := range fresh {
			if _, err := st.Ingest(context.Background(), rs); err != nil {
				t.Error(err)
				return
			}
			ingested++
		}
	}()
	deleted, _ := deleteAllBefore(t, st, retainCut, 3)
	wg.Wait()
	if deleted == 0 || ingested != len(fresh) {
		t.Fatalf("deleted %d traces, ingested %d of %d requests", deleted, ingested, len(fresh))
	}
	if got, want := snapshot(t, st), snapshot(t, ref); got != want {
		t.Errorf("after retention during ingest:\n got %s\nwant %s", got, want)
	}
	after, want := rowCounts(t, st.Path()), rowCounts(t, ref.Path())
	for k, v := range want {
		if after[k] != v {
			t.Errorf("%s: %d rows, want %d", k, after[k], v)
		}
	}
}

// TestRetentionMaxSpans trims the oldest traces until the store holds at
// most the spans asked for.
func TestRetentionMaxSpans(t *testing.T) {
	reqs := retainLoad(t, 1, retainStart)
	st := openTemp(t)
	ingestAll(t, st, reqs)
	before := rowCounts(t, st.Path())
	limit := int64(before["spans"] / 2)
	ctx := context.Background()
	total := 0
	for {
		n, err := st.TrimToSpans(ctx, limit, 5)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		total += n
	}
	after := rowCounts(t, st.Path())
	// Traces of 3 spans go whole: at most one trace's worth below.
	if int64(after["spans"]) > limit || int64(after["spans"]) <= limit-3 {
		t.Errorf("spans %d -> %d, want at most %d and not a trace below", before["spans"], after["spans"], limit)
	}
	if after["traces"] != before["traces"]-total {
		t.Errorf("traces %d -> %d, %d deleted", before["traces"], after["traces"], total)
	}
	// The oldest went: every remaining trace starts after every deleted one.
	db, err := sql.Open("sqlite", "file:"+st.Path()+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var first int64
	if err := db.QueryRow(`SELECT min(start_ns) FROM traces`).Scan(&first); err != nil {
		t.Fatal(err)
	}
	ref := openTemp(t)
	ingestAll(t, ref, keepFrom(reqs, time.Unix(0, first)))
	if got, want := snapshot(t, st), snapshot(t, ref); got != want {
		t.Errorf("after trimming:\n got %s\nwant %s", got, want)
	}
}

// TestRetentionEvaluations deletes the evaluations in expired traces and
// those of expired turns, and keeps those of remaining turns.
func TestRetentionEvaluations(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	before := rowCounts(t, f.path)
	if before["evaluations"] != 3 {
		t.Fatalf("fixture has %d evaluations", before["evaluations"])
	}
	// Conversation A (and the evaluations of its turns) before the cut,
	// conversation B after; the evaluation spans themselves are later.
	if _, err := f.st.DeleteBefore(ctx, t0.Add(30*time.Minute), 0); err != nil {
		t.Fatal(err)
	}
	after := rowCounts(t, f.path)
	if after["evaluations"] != 1 {
		t.Errorf("evaluations %d -> %d, want the one of session B's turn", before["evaluations"], after["evaluations"])
	}
	if _, err := f.st.GetSession(ctx, "sess-a"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("sess-a: %v", err)
	}
	b, err := f.st.GetSession(ctx, "sess-b")
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Turns) != 2 {
		t.Errorf("sess-b has %d turns", len(b.Turns))
	}
	if after["session_tags"] != 0 || after["session_meta"] != 0 {
		t.Errorf("sess-a's tags or metadata stayed: %v", after)
	}
}

var _ store.Retainer = (*store.Store)(nil)
