package pgstore_test

import (
	"context"
	"os"
	"testing"
	"time"

	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/traceai-go/traceai/explorer/internal/synth"
	"github.com/traceai-go/traceai/explorer/store/storetest"
	"github.com/traceai-go/traceai/internal/pgtest"
)

// BenchmarkSessionsQueryLarge runs the queries behind the pages on a
// PostgreSQL store of 1,000,000 spans (20,000 sessions of 10 turns of 5
// spans), as the SQLite store's BenchmarkSessionsQuery does. Building the
// store takes minutes, so it runs only with TRACEAI_BENCH_PG_LARGE=1.
func BenchmarkSessionsQueryLarge(b *testing.B) {
	if os.Getenv("TRACEAI_BENCH_PG_LARGE") == "" {
		b.Skip("set TRACEAI_BENCH_PG_LARGE=1 to build a 1,000,000-span PostgreSQL store")
	}
	st := openPG(b, pgtest.DSN(b))
	ctx := context.Background()
	start := time.Now()
	err := synth.Batch(synth.BatchOptions{Sessions: 20000, Users: 2000, TurnsPerSession: 10, SpansPerTurn: 5, Seed: 7}, 512,
		func(rs []*tracepb.ResourceSpans) error {
			_, err := st.Ingest(ctx, rs)
			return err
		})
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("stored 1,000,000 spans in %v", time.Since(start).Round(time.Second))
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
	if os.Getenv("TRACEAI_BENCH_PG_LARGE") == "" {
		b.Skip("set TRACEAI_BENCH_PG_LARGE=1 to build a 1,000,000-span PostgreSQL store")
	}
	st := openPG(b, pgtest.DSN(b))
	ctx := context.Background()
	start := time.Now()
	err := synth.Batch(storetest.DashboardLoad(), 512, func(rs []*tracepb.ResourceSpans) error {
		_, err := st.Ingest(ctx, rs)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("stored 1,000,000 spans in %v", time.Since(start).Round(time.Second))
	start = time.Now()
	if err := st.RefreshRollups(ctx); err != nil {
		b.Fatal(err)
	}
	b.Logf("rollups of the hours still stale computed in %v", time.Since(start).Round(time.Millisecond))
	storetest.BenchDashboard(b, st)
}
