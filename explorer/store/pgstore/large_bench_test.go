package pgstore_test

import (
	"context"
	"os"
	"testing"
	"time"

	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/traceai-go/traceai/explorer/internal/synth"
	"github.com/traceai-go/traceai/explorer/store/pgstore"
	"github.com/traceai-go/traceai/explorer/store/storetest"
	"github.com/traceai-go/traceai/internal/pgtest"
)

// BenchmarkSessionsQueryLarge runs the queries behind the pages on a
// PostgreSQL store of 1,000,000 spans (20,000 sessions of 10 turns of 5
// spans), as the SQLite store's BenchmarkSessionsQuery does. Building the
// store takes minutes, so it runs only with TRACEAI_BENCH_PG_LARGE=1.
func BenchmarkSessionsQueryLarge(b *testing.B) {
	st := largeStore(b, synth.BatchOptions{Sessions: 20000, Users: 2000, TurnsPerSession: 10, SpansPerTurn: 5, Seed: 7})
	ctx := context.Background()
	for _, q := range storetest.PageQueries(b, st) {
		b.Run(q.Name, func(b *testing.B) {
			for b.Loop() {
				if err := q.Run(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDashboardLarge runs the dashboard's queries (BenchmarkDashboard
// of the SQLite store) on a PostgreSQL store of 1,000,000 spans over 30
// days, from the rollups and by scanning. It runs only with
// TRACEAI_BENCH_PG_LARGE=1.
func BenchmarkDashboardLarge(b *testing.B) {
	st := largeStore(b, storetest.DashboardLoad())
	start := time.Now()
	if err := st.RefreshRollups(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.Logf("rollups of the hours still stale computed in %v", time.Since(start).Round(time.Millisecond))
	storetest.BenchDashboard(b, st)
}

// largeStore is a new PostgreSQL store holding the load o, or a skip
// without TRACEAI_BENCH_PG_LARGE.
func largeStore(b *testing.B, o synth.BatchOptions) *pgstore.Store {
	if os.Getenv("TRACEAI_BENCH_PG_LARGE") == "" {
		b.Skip("set TRACEAI_BENCH_PG_LARGE=1 to build a 1,000,000-span PostgreSQL store")
	}
	st := openPG(b, pgtest.DSN(b))
	ctx := context.Background()
	start := time.Now()
	err := synth.Batch(o, 512, func(rs []*tracepb.ResourceSpans) error {
		_, err := st.Ingest(ctx, rs)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("stored %d spans in %v", o.Sessions*o.TurnsPerSession*o.SpansPerTurn, time.Since(start).Round(time.Second))
	return st
}
