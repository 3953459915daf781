package pgstore_test

import (
	"context"
	"os"
	"testing"
	"time"

	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/traceai-go/traceai/explorer/internal/synth"
	"github.com/traceai-go/traceai/explorer/store"
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
	first, _, err := st.ListSessions(ctx, store.SessionFilter{})
	if err != nil || len(first) == 0 {
		b.Fatal(err)
	}
	sid := first[len(first)/2].SessionID
	det, err := st.GetSession(ctx, sid)
	if err != nil {
		b.Fatal(err)
	}
	tid := det.Turns[0].TraceID
	yes := true
	for _, c := range []struct {
		name string
		fn   func() error
	}{
		{"list/first-page", func() error { _, _, err := st.ListSessions(ctx, store.SessionFilter{}); return err }},
		{"list/sort=cost", func() error {
			_, _, err := st.ListSessions(ctx, store.SessionFilter{Sort: store.SessionsByCost, Desc: true})
			return err
		}},
		{"list/tag+errors", func() error {
			_, _, err := st.ListSessions(ctx, store.SessionFilter{Tag: "cohort-3", HasErrors: &yes})
			return err
		}},
		{"list/user", func() error {
			_, _, err := st.ListSessions(ctx, store.SessionFilter{UserID: "user-0042"})
			return err
		}},
		{"session-detail", func() error { _, err := st.GetSession(ctx, sid); return err }},
		{"trace", func() error { _, err := st.GetTrace(ctx, tid); return err }},
		{"users/first-page", func() error { _, _, err := st.ListUsers(ctx, store.UserFilter{}); return err }},
		{"rankings/latency_p95", func() error {
			_, err := st.Rankings(ctx, store.RankingQuery{Metric: "latency_p95"})
			return err
		}},
		{"overview", func() error { _, err := st.Overview(ctx); return err }},
		{"dashboard/groups-model", func() error {
			_, err := st.Groups(ctx, store.GroupQuery{By: store.GroupByModel})
			return err
		}},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if err := c.fn(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
