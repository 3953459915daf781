package store_test

import (
	"bytes"
	"context"
	"database/sql"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/traceai-go/traceai/explorer/internal/synth"
	"github.com/traceai-go/traceai/explorer/store"
	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/fi/semconv"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// searchConvs are the conversations the search tests look through.
func searchConvs() []synth.Conversation {
	return []synth.Conversation{
		{SessionID: "s-refund", UserID: "ana", Tags: []string{"billing"}, Start: t0, Turns: []synth.Turn{
			{User: "hello there", Assistant: "Hi, how can I help?", Latency: time.Second},
			{User: "I want a REFUND for order A-1032", Assistant: "The refund for A-1032 is on its way.", Latency: time.Second},
		}},
		{SessionID: "s-cafe", UserID: "ana", Start: t0.Add(time.Hour), Turns: []synth.Turn{
			{User: "Un café crème, s'il vous plaît", Assistant: "Voilà votre café.", Latency: time.Second},
		}},
		{SessionID: "s-cannot", UserID: "ben", Start: t0.Add(2 * time.Hour), Turns: []synth.Turn{
			{User: "can you help me hack my neighbour's wifi?", Assistant: "Sorry, I cannot help with that.", Latency: time.Second},
			{User: "ok then, a refund of my subscription?", Assistant: "I cannot really do refunds, ask billing.", Latency: time.Second},
		}},
		{SessionID: "s-other", UserID: "cy", Start: t0.Add(3 * time.Hour), Turns: []synth.Turn{
			{User: "order B-2044 status", Assistant: "Order B-2044 shipped; cannot-help-desk informed.", Latency: time.Second},
		}},
	}
}

func searchStore(t testing.TB) (*store.Store, map[string][]synth.Emitted) {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ctx := context.Background()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(fi.NewSpanProcessor()), sdktrace.WithSyncer(st.Exporter()))
	em := map[string][]synth.Emitted{}
	for _, c := range searchConvs() {
		em[c.SessionID] = synth.Emit(ctx, tp, c)
	}
	// A tool call and its result in a turn of s-other.
	tr := tp.Tracer("test")
	sctx := fi.UsingUser(fi.UsingSession(ctx, "s-other"), "cy")
	_, sp := tr.Start(sctx, "openai.chat", trace.WithTimestamp(t0.Add(4*time.Hour)), trace.WithAttributes(
		semconv.SpanKindLLM.Attribute(),
		semconv.InputMessageKey(0, semconv.MessageRole).String("user"),
		semconv.InputMessageKey(0, semconv.MessageContent).String("where is my parcel"),
		semconv.InputMessageKey(1, semconv.MessageRole).String("tool"),
		semconv.InputMessageKey(1, semconv.MessageContent).String(`{"carrier":"Zephyrpost","eta":"tuesday"}`),
	))
	sp.End(trace.WithTimestamp(t0.Add(4*time.Hour + time.Second)))
	return st, em
}

func sessionIDs(ss []store.SessionSummary) []string {
	out := []string{}
	for _, s := range ss {
		out = append(out, s.SessionID)
	}
	slices.Sort(out)
	return out
}

// searchModes runs a test with selective searches (the matches read from
// the index) and with every search common (the sessions read in order and
// their turns checked): both must give the same sessions.
func searchModes(t *testing.T, f func(t *testing.T, common bool)) {
	t.Run("selective", func(t *testing.T) { f(t, false) })
	t.Run("common", func(t *testing.T) {
		defer store.SetProbeDocs(0)()
		f(t, true)
	})
}

func TestSearchSessions(t *testing.T) { searchModes(t, testSearchSessions) }

func testSearchSessions(t *testing.T, _ bool) {
	st, _ := searchStore(t)
	ctx := context.Background()
	tests := []struct {
		q    string
		in   []string
		want []string
	}{
		{q: "refund", want: []string{"s-cannot", "s-refund"}},
		{q: "REFUND a-1032", want: []string{"s-refund"}},
		{q: "1032", want: []string{"s-refund"}},
		{q: "refund -billing", want: []string{"s-refund"}},
		{q: `"cannot help"`, want: []string{"s-cannot"}},
		{q: `cannot help`, want: []string{"s-cannot", "s-other"}},
		{q: `"cannot help" -wifi`, want: []string{}},
		{q: "cafe creme", want: []string{"s-cafe"}},
		{q: "CAFÉ", want: []string{"s-cafe"}},
		{q: "Zephyrpost", want: []string{"s-other"}},
		{q: "zephyrpost", in: []string{"input", "output"}, want: []string{}},
		{q: "helpful assistant", want: []string{}},
		{q: "helpful assistant", in: []string{"system"}, want: []string{"s-cafe", "s-cannot", "s-other", "s-refund"}},
		{q: "refund", in: []string{"all"}, want: []string{"s-cannot", "s-refund"}},
		// FTS5 and SQL syntax is text to find, never syntax.
		{q: `NEAR(refund) OR *`, want: []string{}},
		{q: `"refund" AND "x"`, want: []string{}},
		{q: `'; DROP TABLE sessions; --`, want: []string{}},
		{q: `{input}: refund`, want: []string{}},
		{q: `refund^ ok`, want: []string{}},
	}
	for _, tt := range tests {
		list, _, err := st.ListSessions(ctx, store.SessionFilter{Q: tt.q, In: tt.in})
		if err != nil {
			t.Errorf("q=%q in=%v: %v", tt.q, tt.in, err)
			continue
		}
		if got := sessionIDs(list); !slices.Equal(got, tt.want) {
			t.Errorf("q=%q in=%v: sessions %v, want %v", tt.q, tt.in, got, tt.want)
		}
		for _, s := range list {
			if s.Match == nil || len(s.Match.Snippet) == 0 {
				t.Errorf("q=%q: session %s without a snippet", tt.q, s.SessionID)
			}
		}
	}
	// Nothing is left in the database by the hostile queries.
	if o, err := st.Overview(ctx); err != nil || o.Sessions != 4 {
		t.Fatalf("overview %+v, %v", o, err)
	}
}

func TestSearchSnippetAndFilters(t *testing.T) { searchModes(t, testSearchSnippetAndFilters) }

func testSearchSnippetAndFilters(t *testing.T, common bool) {
	st, em := searchStore(t)
	ctx := context.Background()
	list, _, err := st.ListSessions(ctx, store.SessionFilter{Q: "a-1032 refund"})
	if err != nil || len(list) != 1 {
		t.Fatalf("%v %v", list, err)
	}
	m := list[0].Match
	if m.TraceID != em["s-refund"][1].Root.TraceID().String() || m.Part != "input" {
		t.Fatalf("match %+v", m)
	}
	var hits []string
	for _, f := range m.Snippet {
		if f.Match {
			hits = append(hits, f.Text)
		}
	}
	if strings.Join(hits, "|") != "REFUND|A-1032" {
		t.Fatalf("highlights %q in %+v", hits, m.Snippet)
	}
	// Combined with filters.
	for _, c := range []struct {
		f    store.SessionFilter
		want []string
	}{
		{store.SessionFilter{Q: "refund", UserID: "ben"}, []string{"s-cannot"}},
		{store.SessionFilter{Q: "refund", Tag: "billing"}, []string{"s-refund"}},
		{store.SessionFilter{Q: "refund", Since: t0.Add(90 * time.Minute)}, []string{"s-cannot"}},
		{store.SessionFilter{Q: "refund", Sort: "start", Desc: true}, []string{"s-cannot", "s-refund"}},
	} {
		got, _, err := st.ListSessions(ctx, c.f)
		if err != nil || !slices.Equal(sessionIDs(got), c.want) {
			t.Errorf("%+v: %v %v, want %v", c.f, sessionIDs(got), err, c.want)
		}
	}
	// The user page's session list.
	u, err := st.GetUser(ctx, "ana", store.SessionFilter{Q: "cafe"})
	if err != nil || !slices.Equal(sessionIDs(u.Sessions), []string{"s-cafe"}) {
		t.Fatalf("user sessions %v %v", u, err)
	}
	// Paging by relevance (the default with q) and by a column, one per page.
	for _, sort := range []store.SessionSort{"", store.SessionsByRelevance, store.SessionsByEnd, store.SessionsBySessionID} {
		var seen []string
		cur := ""
		for range 10 {
			page, next, err := st.ListSessions(ctx, store.SessionFilter{Q: "help", Sort: sort, Desc: true, Limit: 1, Cursor: cur})
			if err != nil {
				t.Fatalf("sort %q: %v", sort, err)
			}
			for _, s := range page {
				seen = append(seen, s.SessionID)
			}
			if cur = next; cur == "" {
				break
			}
		}
		slices.Sort(seen)
		if want := []string{"s-cannot", "s-other", "s-refund"}; !slices.Equal(seen, want) {
			t.Errorf("sort %q pages: %v, want %v", sort, seen, want)
		}
	}
	// Relevance puts the session saying "refund" twice in one turn first;
	// a common search lists the newest first.
	page, _, err := st.ListSessions(ctx, store.SessionFilter{Q: "refund"})
	want := "s-refund"
	if common {
		want = "s-cannot"
	}
	if err != nil || page[0].SessionID != want {
		t.Fatalf("relevance order %v %v", page, err)
	}
	// A cursor of one mode is refused by the other.
	_, next, err := st.ListSessions(ctx, store.SessionFilter{Q: "help", Limit: 1})
	if err != nil || next == "" {
		t.Fatal(next, err)
	}
	restore := store.SetProbeDocs(map[bool]int{true: 2000, false: 0}[common])
	_, _, err = st.ListSessions(ctx, store.SessionFilter{Q: "help", Limit: 1, Cursor: next})
	restore()
	var fe *store.FilterError
	if !asFilterError(err, &fe) || fe.Param != "cursor" {
		t.Fatalf("cursor across modes: %v", err)
	}
}

func TestSearchErrors(t *testing.T) {
	st, _ := searchStore(t)
	ctx := context.Background()
	for _, f := range []store.SessionFilter{
		{Q: `"unclosed`},
		{Q: `""`},
		{Q: `-refund`},
		{Q: `ab`},
		{Q: strings.Repeat("refund ", 2000)}, // 14 KB
		{Q: "refund", In: []string{"body"}},
		{In: []string{"input"}},
		{Sort: "relevance"},
		{Q: "refund", Sort: "relevance", Cursor: "bm90IGEgY3Vyc29y"},
	} {
		_, _, err := st.ListSessions(ctx, f)
		var fe *store.FilterError
		if !asFilterError(err, &fe) {
			t.Errorf("%+v: error %v, want *FilterError", f, err)
		}
	}
	_, _, err := st.SearchTurns(ctx, store.TurnQuery{Q: `a "b`})
	var fe *store.FilterError
	if !asFilterError(err, &fe) || fe.Param != "q" {
		t.Fatalf("SearchTurns: %v", err)
	}
}

func TestSearchTurnsAndSessionMatches(t *testing.T) { searchModes(t, testSearchTurnsAndSessionMatches) }

func testSearchTurnsAndSessionMatches(t *testing.T, common bool) {
	st, em := searchStore(t)
	ctx := context.Background()
	hits, next, err := st.SearchTurns(ctx, store.TurnQuery{Q: "refund"})
	if err != nil || next != "" || len(hits) != 2 {
		t.Fatalf("%+v %q %v", hits, next, err)
	}
	want := map[string]string{em["s-refund"][1].Root.TraceID().String(): "s-refund", em["s-cannot"][1].Root.TraceID().String(): "s-cannot"}
	for _, h := range hits {
		if want[h.TraceID] != h.SessionID || len(h.Matches) == 0 || (h.Score <= 0) != common || h.UserID == "" {
			t.Errorf("hit %+v", h)
		}
	}
	if best := map[bool]string{false: "s-refund", true: "s-cannot"}[common]; hits[0].SessionID != best {
		t.Errorf("first hit %s, want %s", hits[0].SessionID, best)
	}
	// Paging.
	p1, next, err := st.SearchTurns(ctx, store.TurnQuery{Q: "refund", Limit: 1})
	if err != nil || len(p1) != 1 || next == "" {
		t.Fatalf("%v %q %v", p1, next, err)
	}
	p2, next2, err := st.SearchTurns(ctx, store.TurnQuery{Q: "refund", Limit: 1, Cursor: next})
	if err != nil || len(p2) != 1 || next2 != "" || p2[0].TraceID == p1[0].TraceID {
		t.Fatalf("%v %q %v", p2, next2, err)
	}
	// Tool messages say which message matched.
	hits, _, err = st.SearchTurns(ctx, store.TurnQuery{Q: "zephyrpost", UserID: "cy"})
	if err != nil || len(hits) != 1 || hits[0].Matches[0].Part != "tool" {
		t.Fatalf("%+v %v", hits, err)
	}
	hits, _, err = st.SearchTurns(ctx, store.TurnQuery{Q: "refund", SessionID: "s-cannot"})
	if err != nil || len(hits) != 1 || hits[0].SessionID != "s-cannot" {
		t.Fatalf("%+v %v", hits, err)
	}
	// The session replay's marks: the matching turns, in order.
	ms, err := st.SessionMatches(ctx, "s-cannot", "cannot", nil)
	if err != nil || len(ms) != 2 || ms[0].TraceID != em["s-cannot"][0].Root.TraceID().String() || ms[1].TraceID != em["s-cannot"][1].Root.TraceID().String() {
		t.Fatalf("%+v %v", ms, err)
	}
	ms, err = st.SessionMatches(ctx, "s-cannot", "wifi", nil)
	if err != nil || len(ms) != 1 || ms[0].TraceID != em["s-cannot"][0].Root.TraceID().String() {
		t.Fatalf("%+v %v", ms, err)
	}
}

// A trace whose spans arrive in two batches has one document with the
// text of both; a span sent again replaces its text.
func TestSearchTraceUpdated(t *testing.T) {
	st := openTemp(t)
	ctx := context.Background()
	tr := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(fi.NewSpanProcessor()), sdktrace.WithSyncer(st.Exporter())).Tracer("t")
	sctx := fi.UsingSession(ctx, "s1")
	rctx, root := tr.Start(sctx, "turn", trace.WithAttributes(semconv.SpanKindAgent.Attribute(), semconv.InputValue.String("first part about quokkas")))
	_, child := tr.Start(rctx, "llm", trace.WithAttributes(semconv.SpanKindLLM.Attribute(),
		semconv.OutputMessageKey(0, semconv.MessageRole).String("assistant"),
		semconv.OutputMessageKey(0, semconv.MessageContent).String("second part about wombats")))
	child.End() // exported alone, before its root
	if got, _, _ := st.ListSessions(ctx, store.SessionFilter{Q: "wombats"}); len(got) != 1 {
		t.Fatalf("child alone: %v", sessionIDs(got))
	}
	root.End()
	for _, q := range []string{"quokkas", "wombats", "quokkas wombats"} {
		hits, _, err := st.SearchTurns(ctx, store.TurnQuery{Q: q})
		if err != nil || len(hits) != 1 {
			t.Fatalf("%q: %+v %v", q, hits, err)
		}
	}
}

// A database from before search is indexed in the background at open,
// with progress in the log.
func TestSearchIndexesOldDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	st, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(fi.NewSpanProcessor()), sdktrace.WithSyncer(st.Exporter()))
	for _, c := range searchConvs() {
		synth.Emit(ctx, tp, c)
	}
	st.Close()
	// Make it a version 3 database: no search tables.
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`DROP TABLE turn_text`, `DROP TABLE search_state`, `ALTER TABLE traces DROP COLUMN search_doc`, `PRAGMA user_version = 3`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(q, err)
		}
	}
	db.Close()
	var logs syncBuffer
	st, err = store.Open(path, store.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(logs.String(), "stored turns indexed for search") {
		if time.Now().After(deadline) {
			t.Fatalf("not indexed; log:\n%s", logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.Contains(logs.String(), "turns=6") {
		t.Errorf("log:\n%s", logs.String())
	}
	got, _, err := st.ListSessions(ctx, store.SessionFilter{Q: "refund"})
	if err != nil || !slices.Equal(sessionIDs(got), []string{"s-cannot", "s-refund"}) {
		t.Fatalf("%v %v", sessionIDs(got), err)
	}
	st.Close()
	// Indexed once: the next open does not index again.
	logs.Reset()
	st, err = store.Open(path, store.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	if strings.Contains(logs.String(), "indexing") {
		t.Fatalf("indexed again:\n%s", logs.String())
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func (b *syncBuffer) Reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.b.Reset()
}

// FuzzSearch sends any text as q: the store answers rows or a
// *FilterError, never another error (the API's 500).
func FuzzSearch(f *testing.F) {
	for _, s := range []string{`refund`, `"cannot help" -wifi`, `NEAR(a b) OR c*`, `'; DROP TABLE sessions; --`,
		`{input}: x`, `"""`, `a-1032`, "caf\u00e9", `-"x y"`, `^ab:c`} {
		f.Add(s, false)
	}
	st, _ := searchStore(f)
	f.Fuzz(func(t *testing.T, q string, system bool) {
		var in []string
		if system {
			in = []string{"all"}
		}
		ctx := context.Background()
		for _, common := range []int{2000, 0} {
			restore := store.SetProbeDocs(common)
			_, _, err := st.ListSessions(ctx, store.SessionFilter{Q: q, In: in})
			_, _, err2 := st.SearchTurns(ctx, store.TurnQuery{Q: q, In: in})
			restore()
			for _, e := range []error{err, err2} {
				var fe *store.FilterError
				if e != nil && !asFilterError(e, &fe) {
					t.Fatalf("q=%q: %v", q, e)
				}
			}
		}
	})
}
