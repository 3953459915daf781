package pgstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/traceai-go/traceai/explorer/store"
	"github.com/traceai-go/traceai/internal/pgtest"
)

// TestRetentionSameAnswers deletes old traces (by age, then down to a
// span budget) from SQLite and PostgreSQL holding the same spans, a few
// traces per call, and compares every answer after each: partly expired
// sessions show what is left, emptied ones are gone, and the aggregates
// equal SQLite's recomputation.
func TestRetentionSameAnswers(t *testing.T) {
	ctx := context.Background()
	pg := openPG(t, pgtest.DSN(t))
	sq := openSQLite(t)
	for i, req := range corpus(t, 4) {
		if _, err := sq.Ingest(ctx, req); err != nil {
			t.Fatalf("sqlite request %d: %v", i, err)
		}
		if _, err := pg.Ingest(ctx, req); err != nil {
			t.Fatalf("postgres request %d: %v", i, err)
		}
	}
	before, _ := pg.Overview(ctx)
	drain := func(name string, f func(r store.Retainer) (int, error)) int {
		total := 0
		for _, r := range []store.Retainer{sq, pg} {
			n := 0
			for range 1000 {
				k, err := f(r)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if k == 0 {
					break
				}
				n += k
			}
			if total != 0 && n != total {
				t.Errorf("%s deleted %d traces from SQLite, %d from PostgreSQL", name, total, n)
			}
			total = n
		}
		return total
	}
	if n := drain("DeleteBefore", func(r store.Retainer) (int, error) { return r.DeleteBefore(ctx, t0.Add(3*time.Hour), 5) }); n == 0 {
		t.Fatal("DeleteBefore deleted nothing")
	}
	compareAll(t, sq, pg, true)
	if n := drain("TrimToSpans", func(r store.Retainer) (int, error) { return r.TrimToSpans(ctx, 150, 4) }); n == 0 {
		t.Fatal("TrimToSpans deleted nothing")
	}
	compareAll(t, sq, pg, true)
	after, _ := pg.Overview(ctx)
	if after.Spans > 150 || after.Sessions >= before.Sessions {
		t.Errorf("after retention: %d spans, %d sessions (before %d, %d)", after.Spans, after.Sessions, before.Spans, before.Sessions)
	}
}
