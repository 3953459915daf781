package store_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/traceai-go/traceai/explorer/store"
)

// BenchmarkSearch measures searches on the 1,000,000-span store (see
// bigStore) beside the same pages without q: a rare word (one session's id,
// 10 turns), a common word (in every turn) and a phrase (about 1 turn in
// 100), each the first sessions page; and /api/search's turns.
func BenchmarkSearch(b *testing.B) {
	st := bigStore(b)
	ctx := context.Background()
	for _, c := range []struct {
		name string
		f    store.SessionFilter
	}{
		{"no-q/first-page", store.SessionFilter{}},
		{"no-q/sort=cost", store.SessionFilter{Sort: "cost", Desc: true}},
		{"no-q/user", store.SessionFilter{UserID: "user-0042"}},
		{"rare/relevance", store.SessionFilter{Q: "sess-012345"}},
		{"rare/sort=end", store.SessionFilter{Q: "sess-012345", Sort: "end", Desc: true}},
		{"common/relevance", store.SessionFilter{Q: "exporter"}},
		{"common/sort=end", store.SessionFilter{Q: "exporter", Sort: "end", Desc: true}},
		{"common/sort=cost", store.SessionFilter{Q: "exporter", Sort: "cost", Desc: true}},
		{"common/user", store.SessionFilter{Q: "exporter", UserID: "user-0042"}},
		{"phrase/relevance", store.SessionFilter{Q: `"batch size 427?"`}},
		{"phrase/sort=end", store.SessionFilter{Q: `"batch size 427?"`, Sort: "end", Desc: true}},
		{"words+exclude", store.SessionFilter{Q: "restart 427 -anything"}},
	} {
		b.Run("sessions/"+c.name, func(b *testing.B) {
			n := 0
			for i := 0; i < b.N; i++ {
				list, _, err := st.ListSessions(ctx, c.f)
				if err != nil {
					b.Fatal(err)
				}
				n = len(list)
			}
			b.ReportMetric(float64(n), "rows")
		})
	}
	for _, c := range []struct{ name, q string }{
		{"rare", "sess-012345"}, {"common", "exporter"}, {"phrase", `"batch size 427?"`},
	} {
		b.Run("turns/"+c.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, _, err := st.SearchTurns(ctx, store.TurnQuery{Q: c.q}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkIngestSearch compares ingest with and without the search index
// (batches of 512 spans, one exporter, FULL); with -count the two
// alternate.
func BenchmarkIngestSearch(b *testing.B) {
	for _, on := range []bool{true, false} {
		name := "index=off"
		if on {
			name = "index=on"
		}
		b.Run(name, func(b *testing.B) {
			st, err := store.Open(filepath.Join(b.TempDir(), "b.db"))
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			store.SetSearchIndexing(st, on)
			batches := batches512(b, b.N, uint64(time.Now().UnixNano()))
			ctx := context.Background()
			b.ResetTimer()
			for _, rs := range batches {
				if _, err := st.Ingest(ctx, rs); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(512*b.N)/b.Elapsed().Seconds(), "spans/s")
		})
	}
}
