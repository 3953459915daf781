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
	"github.com/traceai-go/traceai/explorer/store/storetest"
	"github.com/traceai-go/traceai/fi"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

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
	for _, c := range storetest.SearchConvs() {
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
