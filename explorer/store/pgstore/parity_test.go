package pgstore_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/traceai-go/traceai/explorer/store"
	"github.com/traceai-go/traceai/explorer/store/internal/record"
	"github.com/traceai-go/traceai/explorer/store/pgstore"
	"github.com/traceai-go/traceai/internal/pgtest"
)

func openPG(t testing.TB, dsn string) *pgstore.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := pgstore.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func openSQLite(t testing.TB) *store.Store {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// normal is v as JSON values with floats rounded to 9 significant digits:
// the backends sum costs in different orders, which may change the last
// bits. Nothing else is normalised.
func normal(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	var x any
	d := json.NewDecoder(bytesReader(b))
	d.UseNumber()
	if err := d.Decode(&x); err != nil {
		panic(err)
	}
	return round(x)
}

func round(x any) any {
	switch v := x.(type) {
	case map[string]any:
		for k, e := range v {
			v[k] = round(e)
		}
		if c, ok := v["next"].(string); ok {
			v["next"] = cursorValue(c)
		}
	case []any:
		for i, e := range v {
			v[i] = round(e)
		}
	case json.Number:
		f, err := v.Float64()
		if err != nil {
			return v.String()
		}
		if f == 0 {
			return "0"
		}
		return strconv.FormatFloat(f, 'g', 9, 64)
	}
	return x
}

type answer struct {
	V   any
	Err string
}

// same fails t unless both backends give the same answer (or the same
// error) to what.
func same(t *testing.T, what string, a, b any, errA, errB error) {
	t.Helper()
	na, nb := answer{normal(a), errString(errA)}, answer{normal(b), errString(errB)}
	if !reflect.DeepEqual(na, nb) {
		ja, _ := json.MarshalIndent(na, "", " ")
		jb, _ := json.MarshalIndent(nb, "", " ")
		t.Errorf("%s differ:\nsqlite:   %s\npostgres: %s", what, ja, jb)
	}
}

func errString(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, store.ErrNotFound):
		return "not found"
	}
	var fe *store.FilterError
	if errors.As(err, &fe) {
		return fe.Error()
	}
	return "storage error" // its text names the backend
}

// pages lists every page of a sessions (or users) query, following each
// backend's own cursors.
func pages[T any](t *testing.T, what string, list func(cursor string) ([]T, string, error)) ([][]T, error) {
	var out [][]T
	cursor := ""
	for range 200 {
		page, next, err := list(cursor)
		if err != nil {
			return out, err
		}
		out = append(out, page)
		if next == "" {
			return out, nil
		}
		cursor = next
	}
	t.Fatalf("%s: more than 200 pages", what)
	return nil, nil
}

// TestSameAnswers ingests the same requests into SQLite and PostgreSQL and
// compares every Reader answer: overview, every sessions and users page
// under each sort and filter, every session, user and trace, and the
// rankings.
func TestSameAnswers(t *testing.T) {
	ctx := context.Background()
	pg := openPG(t, pgtest.DSN(t))
	sq := openSQLite(t)
	reqs := corpus(t, 1)
	for i, req := range reqs {
		if _, err := sq.Ingest(ctx, req); err != nil {
			t.Fatalf("sqlite request %d: %v", i, err)
		}
		if _, err := pg.Ingest(ctx, req); err != nil {
			t.Fatalf("postgres request %d: %v", i, err)
		}
	}
	o, err := sq.Overview(ctx)
	if err != nil || o.Sessions < 10 || o.Users < 5 || o.Evaluations < 5 {
		t.Fatalf("the corpus is too small: %+v, %v", o, err)
	}
	compareAll(t, sq, pg, true)
	// Every search common: sessions listed in order, their turns checked.
	restore := record.SetProbeDocs(0)
	defer restore()
	compareSearch(t, sq, pg)
}

func compareAll(t *testing.T, sq, pg store.Reader, search bool) {
	ctx := context.Background()
	oa, ea := sq.Overview(ctx)
	ob, eb := pg.Overview(ctx)
	same(t, "overview", oa, ob, ea, eb)

	filters := []store.SessionFilter{
		{}, {UserID: "user-1"}, {Tag: "billing"}, {Model: "gpt-4o"}, {MetadataKey: "tier"},
		{MetadataKey: "tier", MetadataValue: "gold"}, {HasErrors: ptr(true)}, {HasErrors: ptr(false)},
		{Since: t0.Add(2 * time.Hour)}, {Until: t0.Add(3 * time.Hour)}, {Eval: "faithfulness"},
		{Eval: "faithfulness", EvalBelow: ptr(0.5)}, {MetadataValue: "gold"}, {Sort: "nope"},
		{Cursor: "garbage"}, {Limit: -1}, {Eval: "", EvalBelow: ptr(1.0)},
	}
	for _, f := range filters {
		for _, sort := range store.SessionSorts {
			if sort == "relevance" {
				continue
			}
			for _, desc := range []bool{false, true} {
				f := f
				f.Sort, f.Desc, f.Limit = sort, desc, max(f.Limit, 4)
				if f.Limit < 0 {
					f.Limit = -1
				}
				what := fmt.Sprintf("sessions %+v", f)
				pa, ea := pages(t, what, func(c string) ([]store.SessionSummary, string, error) {
					g := f
					g.Cursor = c + f.Cursor
					return sq.ListSessions(ctx, g)
				})
				pb, eb := pages(t, what, func(c string) ([]store.SessionSummary, string, error) {
					g := f
					g.Cursor = c + f.Cursor
					return pg.ListSessions(ctx, g)
				})
				same(t, what, pa, pb, ea, eb)
			}
		}
	}
	if search {
		compareSearch(t, sq, pg)
	}
	// Every session, user and trace.
	all, _, err := sq.ListSessions(ctx, store.SessionFilter{Limit: store.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range append(all, store.SessionSummary{SessionID: "no-such-session"}) {
		da, ea := sq.GetSession(ctx, s.SessionID)
		db, eb := pg.GetSession(ctx, s.SessionID)
		same(t, "session "+s.SessionID, da, db, ea, eb)
		if da == nil {
			continue
		}
		for _, turn := range da.Turns {
			ta, ea := sq.GetTrace(ctx, turn.TraceID)
			tb, eb := pg.GetTrace(ctx, turn.TraceID)
			same(t, "trace "+turn.TraceID, ta, tb, ea, eb)
			for _, e := range turn.Evaluations {
				ta, ea := sq.GetTrace(ctx, e.TraceID)
				tb, eb := pg.GetTrace(ctx, e.TraceID)
				same(t, "evaluation trace "+e.TraceID, ta, tb, ea, eb)
			}
		}
	}
	ta, ea := sq.GetTrace(ctx, "0123456789abcdef0123456789abcdef")
	tb, eb := pg.GetTrace(ctx, "0123456789abcdef0123456789abcdef")
	same(t, "missing trace", ta, tb, ea, eb)
	for _, uf := range []store.UserFilter{{}, {HasErrors: ptr(true)}, {Since: t0.Add(5 * time.Hour)}, {Until: t0.Add(time.Hour)}} {
		for _, sort := range store.UserSorts {
			for _, desc := range []bool{false, true} {
				uf := uf
				uf.Sort, uf.Desc, uf.Limit = sort, desc, 3
				what := fmt.Sprintf("users %+v", uf)
				pa, ea := pages(t, what, func(c string) ([]store.UserSummary, string, error) {
					g := uf
					g.Cursor = c
					return sq.ListUsers(ctx, g)
				})
				pb, eb := pages(t, what, func(c string) ([]store.UserSummary, string, error) {
					g := uf
					g.Cursor = c
					return pg.ListUsers(ctx, g)
				})
				same(t, what, pa, pb, ea, eb)
			}
		}
	}
	users, _, err := sq.ListUsers(ctx, store.UserFilter{Limit: store.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range append(users, store.UserSummary{UserID: "nobody"}) {
		for _, f := range []store.SessionFilter{{}, {Sort: "cost", Limit: 2}} {
			da, ea := sq.GetUser(ctx, u.UserID, f)
			db, eb := pg.GetUser(ctx, u.UserID, f)
			same(t, "user "+u.UserID, da, db, ea, eb)
		}
	}
	for _, by := range []string{"session", "user", "team"} {
		for _, metric := range []string{"", "error_rate", "latency_p95", "tokens", "cost", "eval:faithfulness", "eval:", "eval:nothing", "bogus"} {
			for _, order := range []string{"worst", "best"} {
				q := store.RankingQuery{By: by, Metric: metric, Order: order, Limit: 5}
				ra, ea := sq.Rankings(ctx, q)
				rb, eb := pg.Rankings(ctx, q)
				same(t, fmt.Sprintf("rankings %+v", q), ra, rb, ea, eb)
			}
		}
	}
}

// searches are searches of the corpus's texts: words, phrases,
// exclusions, diacritics, parts, and a malformed one.
var searches = []struct {
	q  string
	in []string
}{
	{"order", nil}, {"cafe", nil}, {"CAFÉ crème", nil}, {`"answer 3."`, nil}, {"order -question", nil},
	{"question", []string{"input"}}, {"answer", []string{"output", "assistant"}}, {"help", []string{"all"}},
	{"nothing-matches-this", nil}, {`"unclosed`, nil}, {"order", []string{"bogus"}},
}

func compareSearch(t *testing.T, sq, pg store.Reader) {
	ctx := context.Background()
	for _, sc := range searches {
		for _, sort := range []store.SessionSort{"end", "start", "cost", "session_id"} {
			f := store.SessionFilter{Q: sc.q, In: sc.in, Sort: sort, Desc: true, Limit: 3}
			what := fmt.Sprintf("search sessions %+v", f)
			pa, ea := pages(t, what, func(c string) ([]store.SessionSummary, string, error) {
				g := f
				g.Cursor = c
				return sq.ListSessions(ctx, g)
			})
			pb, eb := pages(t, what, func(c string) ([]store.SessionSummary, string, error) {
				g := f
				g.Cursor = c
				return pg.ListSessions(ctx, g)
			})
			same(t, what, pa, pb, ea, eb)
		}
		// Relevance differs (BM25 against matching parts): the same
		// sessions, in any order.
		f := store.SessionFilter{Q: sc.q, In: sc.in, Limit: store.MaxLimit}
		la, _, ea := sq.ListSessions(ctx, f)
		lb, _, eb := pg.ListSessions(ctx, f)
		same(t, "search sessions by relevance "+sc.q, bySession(la), bySession(lb), ea, eb)
		ha, _, ea := sq.SearchTurns(ctx, store.TurnQuery{Q: sc.q, In: sc.in, Limit: store.MaxLimit})
		hb, _, eb := pg.SearchTurns(ctx, store.TurnQuery{Q: sc.q, In: sc.in, Limit: store.MaxLimit})
		same(t, "search turns "+sc.q, byTrace(ha), byTrace(hb), ea, eb)
		all, _, _ := sq.ListSessions(ctx, store.SessionFilter{Limit: store.MaxLimit})
		for _, s := range all {
			ma, ea := sq.SessionMatches(ctx, s.SessionID, sc.q, sc.in)
			mb, eb := pg.SessionMatches(ctx, s.SessionID, sc.q, sc.in)
			same(t, "session matches "+s.SessionID+" "+sc.q, ma, mb, ea, eb)
		}
	}
}

func bySession(ss []store.SessionSummary) map[string]store.SessionSummary {
	out := map[string]store.SessionSummary{}
	for _, s := range ss {
		s.Match = nil // the best match by each relevance
		out[s.SessionID] = s
	}
	return out
}

func byTrace(hs []store.TurnHit) map[string]store.TurnHit {
	out := map[string]store.TurnHit{}
	for _, h := range hs {
		h.Score = 0
		out[h.TraceID] = h
	}
	return out
}

// cursorValue is a cursor's content, its position rounded as other floats
// (a position is a sort value, such as a cost summed in another order).
func cursorValue(c string) any {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return c
	}
	var m map[string]any
	if json.Unmarshal(b, &m) != nil {
		return c
	}
	if v, ok := m["v"].(string); ok {
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			m["v"] = strconv.FormatFloat(f, 'g', 9, 64)
		}
	}
	return m
}
