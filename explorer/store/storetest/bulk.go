package storetest

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/traceai-go/traceai/explorer/internal/synth"
	"github.com/traceai-go/traceai/explorer/store"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

// DashboardLoad is the benchmarks' bulk load: 20,000 sessions of 10 turns
// of 5 spans (1,000,000 spans; TRACEAI_BENCH_SESSIONS changes the number of
// sessions), 2,000 users, spread over 30 days from 2026-01-01.
func DashboardLoad() synth.BatchOptions {
	sessions := 20000
	if v, err := strconv.Atoi(os.Getenv("TRACEAI_BENCH_SESSIONS")); err == nil && v > 0 {
		sessions = v
	}
	return synth.BatchOptions{Sessions: sessions, Users: max(1, sessions/10), TurnsPerSession: 10, SpansPerTurn: 5, Seed: 7,
		Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Over: 30 * 24 * time.Hour}
}

// BulkStore opens the SQLite store of the load o, kept under name in the
// temp dir across runs (it takes a minute or more to build), with its
// dashboard rollups up to date. The store is closed when tb ends.
func BulkStore(tb testing.TB, name string, o synth.BatchOptions) *store.Store {
	tb.Helper()
	ctx := context.Background()
	path := filepath.Join(os.TempDir(), name)
	done := path + ".done"
	if _, err := os.Stat(done); err != nil {
		os.Remove(path)
		os.Remove(path + "-wal")
		st, err := store.Open(path, store.WithSynchronous("NORMAL"))
		if err != nil {
			tb.Fatal(err)
		}
		start := time.Now()
		err = synth.Batch(o, 512, func(rs []*tracepb.ResourceSpans) error {
			_, err := st.Ingest(ctx, rs)
			return err
		})
		if err != nil {
			tb.Fatal(err)
		}
		tb.Logf("built %s (%d sessions, %d spans) in %v", path, o.Sessions, o.Sessions*o.TurnsPerSession*o.SpansPerTurn, time.Since(start))
		start = time.Now()
		if err := st.RefreshRollups(ctx); err != nil {
			tb.Fatal(err)
		}
		tb.Logf("rollups of the hours still stale computed in %v", time.Since(start))
		if err := st.Close(); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(done, nil, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	st, err := store.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	start := time.Now()
	if err := st.RefreshRollups(ctx); err != nil {
		tb.Fatal(err)
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		tb.Logf("rollups of %s brought up to date in %v", name, d)
	}
	return st
}
