package pgstore_test

import (
	"context"
	"testing"
	"time"

	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/traceai-go/traceai/explorer/internal/synth"
	"github.com/traceai-go/traceai/explorer/store"
	"github.com/traceai-go/traceai/explorer/store/storetest"
	"github.com/traceai-go/traceai/internal/pgtest"
)

// batches makes n batches of 512 spans (4 per turn, 8 turns per session).
func batches(b *testing.B, n int, seed uint64) [][]*tracepb.ResourceSpans {
	b.Helper()
	var out [][]*tracepb.ResourceSpans
	if err := synth.Batch(synth.BatchOptions{Sessions: n * 16, Users: n * 2, TurnsPerSession: 8, SpansPerTurn: 4,
		Start: time.Now(), Seed: seed}, 512, func(rs []*tracepb.ResourceSpans) error {
		out = append(out, rs)
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	return out
}

// BenchmarkIngest sends b.N batches of 512 spans from four exporters into
// SQLite (the baseline, in the same run), one PostgreSQL store, and two
// PostgreSQL stores on one database (two replicas, two exporters each).
func BenchmarkIngest(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) {
		st := openSQLite(b)
		benchIngest(b, []store.Writer{st})
	})
	b.Run("postgres", func(b *testing.B) {
		st := openPG(b, pgtest.DSN(b))
		benchIngest(b, []store.Writer{st})
	})
	b.Run("postgres-2replicas", func(b *testing.B) {
		dsn := pgtest.DSN(b)
		benchIngest(b, []store.Writer{openPG(b, dsn), openPG(b, dsn)})
	})
}

func benchIngest(b *testing.B, writers []store.Writer) {
	bs := batches(b, b.N, uint64(time.Now().UnixNano()))
	b.ResetTimer()
	storetest.Send(b, 4, writers, bs)
	b.StopTimer()
	b.ReportMetric(float64(512*b.N)/b.Elapsed().Seconds(), "spans/s")
}

// BenchmarkSessionsFirstPage reads the first sessions page (default
// order and size) of a store holding 40 batches (20,480 spans, 640
// sessions), SQLite beside PostgreSQL; and a filtered one (a user's).
func BenchmarkSessionsFirstPage(b *testing.B) {
	for _, backend := range []string{"sqlite", "postgres"} {
		b.Run(backend, func(b *testing.B) {
			var r store.Backend
			if backend == "sqlite" {
				r = openSQLite(b)
			} else {
				r = openPG(b, pgtest.DSN(b))
			}
			storetest.Send(b, 4, []store.Writer{r}, batches(b, 40, 1))
			ctx := context.Background()
			for _, f := range []struct {
				name string
				f    store.SessionFilter
			}{{"all", store.SessionFilter{}}, {"user", store.SessionFilter{UserID: "user-000007"}}} {
				b.Run(f.name, func(b *testing.B) {
					for b.Loop() {
						if _, _, err := r.ListSessions(ctx, f.f); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		})
	}
}
