package storetest

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/traceai-go/traceai/explorer/internal/synth"
	"github.com/traceai-go/traceai/explorer/store"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

// RetentionStart is when RetentionLoad's first session starts.
var RetentionStart = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// RetentionCut leaves about a third of RetentionLoad's sessions whole and
// a third partly expired.
var RetentionCut = RetentionStart.Add(60 * time.Second)

// RetentionLoad is a bulk load (24 sessions of 6 turns of 3 spans, 5
// users) from start; with RetentionStart its sessions straddle
// RetentionCut: the first sessions' turns all start before it, the next
// ones' partly, the rest's none.
func RetentionLoad(t testing.TB, seed uint64, start time.Time) [][]*tracepb.ResourceSpans {
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

// KeepFrom returns the spans of the traces whose first span starts at or
// after cut: what a backend holds after retention, to send to a fresh one.
func KeepFrom(reqs [][]*tracepb.ResourceSpans, cut time.Time) [][]*tracepb.ResourceSpans {
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

// IngestAll sends the requests one after the other.
func IngestAll(t testing.TB, st store.Writer, reqs [][]*tracepb.ResourceSpans) {
	t.Helper()
	for _, rs := range reqs {
		if _, err := st.Ingest(context.Background(), rs); err != nil {
			t.Fatal(err)
		}
	}
}

// DeleteAllBefore calls DeleteBefore until it deletes nothing, and returns
// the traces deleted and the calls that deleted some.
func DeleteAllBefore(t testing.TB, r store.Retainer, cut time.Time, limit int) (deleted, calls int) {
	t.Helper()
	for {
		n, err := r.DeleteBefore(context.Background(), cut, limit)
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

func searchCount(t *testing.T, st store.Searcher, q string) int {
	t.Helper()
	hits, _, err := st.SearchTurns(context.Background(), store.TurnQuery{Q: q, Limit: store.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	return len(hits)
}

func overview(t *testing.T, st store.Reader) *store.Overview {
	t.Helper()
	o, err := st.Overview(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// retainerOf opens a backend and skips the test when it has no retention.
func retainerOf(t *testing.T, open Opener) (store.Backend, store.Retainer) {
	b := open(t)
	r, ok := b.(store.Retainer)
	if !ok {
		t.Skipf("%T does not implement store.Retainer", b)
	}
	return b, r
}

func testRetention(t *testing.T, open Opener) {
	t.Run("DeleteBefore", func(t *testing.T) { testRetentionDeleteBefore(t, open) })
	t.Run("WhileIngesting", func(t *testing.T) { testRetentionWhileIngesting(t, open) })
	t.Run("MaxSpans", func(t *testing.T) { testRetentionMaxSpans(t, open) })
	t.Run("Evaluations", func(t *testing.T) { testRetentionEvaluations(t, open) })
}

// testRetentionDeleteBefore deletes the turns started before a cut, in
// small batches, and compares everything the pages show with a backend
// that only ever received the turns that remain: partly expired sessions
// and their users show what is left (counts, tokens, cost, first input,
// last output, times, p50/p95), fully expired ones are gone.
func testRetentionDeleteBefore(t *testing.T, open Opener) {
	st, r := retainerOf(t, open)
	reqs := RetentionLoad(t, 1, RetentionStart)
	IngestAll(t, st, reqs)
	ref := open(t)
	IngestAll(t, ref, KeepFrom(reqs, RetentionCut))
	before, want := overview(t, st), overview(t, ref)
	if searchCount(t, st, "of session sess-000000") == 0 {
		t.Fatal("the first session is not found before retention")
	}
	deleted, calls := DeleteAllBefore(t, r, RetentionCut, 7)
	if int64(deleted) != before.Traces-want.Traces || calls < 2 {
		t.Errorf("deleted %d traces in %d calls, want %d in several", deleted, calls, before.Traces-want.Traces)
	}
	after := overview(t, st)
	if after.Spans != want.Spans || after.Traces != want.Traces || after.Sessions != want.Sessions || after.Users != want.Users {
		t.Errorf("after retention %+v, want %+v", after, want)
	}
	if after.Sessions >= before.Sessions || after.Sessions == 0 {
		t.Errorf("sessions %d -> %d: none or all expired", before.Sessions, after.Sessions)
	}
	if got, want := Snapshot(t, st), Snapshot(t, ref); got != want {
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
	// System prompts are searched apart; a partly expired session is still
	// found by its prompt.
	sys := func(st store.Reader) []string {
		list, _, err := st.ListSessions(ctx, store.SessionFilter{Q: "helpful assistant for our SDK",
			In: []string{"system"}, Limit: store.MaxLimit})
		if err != nil {
			t.Fatal(err)
		}
		return sessionIDs(list)
	}
	if got, want := sys(st), sys(ref); !slices.Equal(got, want) || len(got) == 0 {
		t.Errorf("sessions found by their system prompt after retention: %v, want %v", got, want)
	}
	if n, err := r.DeleteBefore(ctx, RetentionCut, 7); err != nil || n != 0 {
		t.Errorf("again: %d, %v", n, err)
	}
}

// testRetentionWhileIngesting deletes while an exporter sends new turns,
// some to the sessions being deleted from: the result equals a backend
// that received only the turns that remain plus the new ones.
func testRetentionWhileIngesting(t *testing.T, open Opener) {
	st, r := retainerOf(t, open)
	old := RetentionLoad(t, 1, RetentionStart)
	fresh := RetentionLoad(t, 2, RetentionStart.Add(time.Hour))
	IngestAll(t, st, old)
	ref := open(t)
	IngestAll(t, ref, KeepFrom(old, RetentionCut))
	IngestAll(t, ref, fresh)

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
	deleted, _ := DeleteAllBefore(t, r, RetentionCut, 3)
	wg.Wait()
	if deleted == 0 || ingested != len(fresh) {
		t.Fatalf("deleted %d traces, ingested %d of %d requests", deleted, ingested, len(fresh))
	}
	if got, want := Snapshot(t, st), Snapshot(t, ref); got != want {
		t.Errorf("after retention during ingest:\n got %s\nwant %s", got, want)
	}
}

// testRetentionMaxSpans trims the oldest traces until the backend holds at
// most the spans asked for.
func testRetentionMaxSpans(t *testing.T, open Opener) {
	st, r := retainerOf(t, open)
	reqs := RetentionLoad(t, 1, RetentionStart)
	IngestAll(t, st, reqs)
	before := overview(t, st)
	limit := before.Spans / 2
	ctx := context.Background()
	total := 0
	for {
		n, err := r.TrimToSpans(ctx, limit, 5)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		total += n
	}
	after := overview(t, st)
	// Traces of 3 spans go whole: at most one trace's worth below.
	if after.Spans > limit || after.Spans <= limit-3 {
		t.Errorf("spans %d -> %d, want at most %d and not a trace below", before.Spans, after.Spans, limit)
	}
	if after.Traces != before.Traces-int64(total) {
		t.Errorf("traces %d -> %d, %d deleted", before.Traces, after.Traces, total)
	}
	// The oldest went: what remains is every trace from the first one
	// left, which starts the session that starts first.
	first, _, err := st.ListSessions(ctx, store.SessionFilter{Sort: "start", Limit: 1})
	if err != nil || len(first) != 1 {
		t.Fatal(first, err)
	}
	ref := open(t)
	IngestAll(t, ref, KeepFrom(reqs, first[0].Start))
	if got, want := Snapshot(t, st), Snapshot(t, ref); got != want {
		t.Errorf("after trimming:\n got %s\nwant %s", got, want)
	}
}

// testRetentionEvaluations deletes the evaluations of expired turns, and
// keeps those of remaining turns.
func testRetentionEvaluations(t *testing.T, open Opener) {
	st, r := retainerOf(t, open)
	f := NewFixture(t, st)
	ctx := context.Background()
	if o := overview(t, st); o.Evaluations != 3 {
		t.Fatalf("fixture has %d evaluations", o.Evaluations)
	}
	// Conversation A (and the evaluations of its turns) before the cut,
	// conversation B after; the evaluation spans themselves are later.
	if _, err := r.DeleteBefore(ctx, t0.Add(30*time.Minute), 0); err != nil {
		t.Fatal(err)
	}
	if o := overview(t, st); o.Evaluations != 1 || o.Sessions != 1 || o.Users != 1 {
		t.Errorf("after retention: %+v, want the evaluation of session B's turn, and B alone", o)
	}
	if _, err := st.GetSession(ctx, "sess-a"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("sess-a: %v", err)
	}
	b, err := st.GetSession(ctx, "sess-b")
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Turns) != 2 || b.Summary.Evaluations["faithfulness"].Count != 1 {
		t.Errorf("sess-b: %d turns, evaluations %+v", len(b.Turns), b.Summary.Evaluations)
	}
	if list, _, err := st.ListSessions(ctx, store.SessionFilter{Tag: "vip"}); err != nil || len(list) != 0 {
		t.Errorf("sess-a's tag still selects: %v %v", list, err)
	}
	_ = f
}
