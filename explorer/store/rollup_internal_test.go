package store

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/traceai-go/traceai/explorer/internal/synth"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

// TestLatHistAccuracy checks that percentiles read from the histogram are
// within histAccuracy of the exact ones, whatever the scale, and that a
// histogram survives its encoding and merges by adding.
func TestLatHistAccuracy(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, scale := range []float64{0.5, 40, 1200, 90_000, 4e6} {
		var a, b latHist
		var all []float64
		for i := range 5000 {
			v := scale * math.Exp(rng.NormFloat64())
			all = append(all, v)
			if i%2 == 0 {
				a.add(v)
			} else {
				b.add(v)
			}
		}
		var merged latHist
		for _, h := range []*latHist{&a, &b} {
			if err := merged.decode(h.encode()); err != nil {
				t.Fatal(err)
			}
		}
		sort.Float64s(all)
		for _, p := range []float64{0, 0.5, 0.95, 0.99, 1} {
			want, got := percentile(all, p), merged.quantile(p)
			if math.Abs(got-want) > histAccuracy*want {
				t.Errorf("scale %v p%v: %v, exact %v", scale, p*100, got, want)
			}
		}
	}
	var z latHist
	z.add(0)
	z.add(math.NaN())
	if z.quantile(0.5) != 0 || z.n != 2 {
		t.Errorf("zeros: %v of %d", z.quantile(0.5), z.n)
	}
	if err := new(latHist).decode([]byte{0x80}); err == nil {
		t.Error("a truncated histogram decoded")
	}
}

// TestIDSetCountsAcrossForms checks that ids scanned and ids of rollups
// count once each, however they arrive.
func TestIDSetCountsAcrossForms(t *testing.T) {
	var hour1, hour2, q idSet
	hour1.add("s1")
	hour1.add("s2")
	hour2.add("s2")
	hour2.add("s3")
	if err := q.addHashes(hour1.encode()); err != nil {
		t.Fatal(err)
	}
	if err := q.addHashes(hour2.encode()); err != nil {
		t.Fatal(err)
	}
	q.add("s3") // a scanned turn of a session a rollup holds
	q.add("s4")
	if n := q.len(); n != 4 {
		t.Errorf("%d ids, want 4", n)
	}
	if err := q.addHashes([]byte{1, 2, 3}); err == nil {
		t.Error("a malformed set was read")
	}
}

// TestRollupRefreshRaces checks that a recomputation read from an older
// snapshot never overwrites a newer one, and that a mark that came after
// the snapshot keeps its hour stale, whichever refresh writes first.
func TestRollupRefreshRaces(t *testing.T) {
	for _, olderFirst := range []bool{false, true} {
		st, err := Open(filepath.Join(t.TempDir(), "r.db"))
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		at := time.Date(2026, 2, 1, 10, 5, 0, 0, time.UTC)
		turn := func(seed uint64) {
			err := synth.Batch(synth.BatchOptions{Sessions: 1, TurnsPerSession: 1, Start: at, Seed: seed}, 64,
				func(rs []*tracepb.ResourceSpans) error { _, err := st.Ingest(ctx, rs); return err })
			if err != nil {
				t.Fatal(err)
			}
		}
		compute := func() []hourRollup {
			tx, err := st.rdb.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback()
			hs, _, err := computeHours(ctx, tx, time.Now().UnixNano(), time.Minute)
			if err != nil || len(hs) != 1 {
				t.Fatalf("%d hours, %v", len(hs), err)
			}
			return hs
		}
		write := func(hs []hourRollup) {
			req := &writeReq{done: make(chan error, 1), job: func(tx *txn) error { return writeHours(tx.ctx, tx.tx, hs) }}
			if err := st.submit(ctx, req); err != nil {
				t.Fatal(err)
			}
		}
		turn(1)
		older := compute()
		turn(2)
		newer := compute()
		if olderFirst {
			write(older)
			write(newer) // its first mark is gone: skipped
		} else {
			write(newer)
			write(older) // its mark is gone: skipped
		}
		var traces int64
		blobs, err := column[[]byte](ctx, st.rdb, `SELECT data FROM dash_hours WHERE dim = ''`)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range blobs {
			var r hourRow
			if err := r.decode(b); err != nil {
				t.Fatal(err)
			}
			traces += r.traces
		}
		var marks int
		if err := st.rdb.QueryRow(`SELECT count(*) FROM dash_dirty`).Scan(&marks); err != nil {
			t.Fatal(err)
		}
		// Newer first: its rows (2 turns), no mark left. Older first: its
		// rows (1 turn) and the second turn's mark, so that queries scan
		// the hour.
		if want, wantMarks := map[bool]int64{false: 2, true: 1}[olderFirst], map[bool]int{false: 0, true: 1}[olderFirst]; traces != want || marks != wantMarks {
			t.Errorf("older first %v: rollup of %d turns and %d marks, want %d and %d", olderFirst, traces, marks, want, wantMarks)
		}
		g, err := st.Groups(ctx, GroupQuery{By: GroupByModel})
		if err != nil || g.Total.Traces != 2 {
			t.Errorf("older first %v: %+v %v", olderFirst, g, err)
		}
		st.Close()
	}
}

// TestHourRowEncoding checks that a rollup row's blob reads back as
// written, and that a cut blob is an error, never a panic.
func TestHourRowEncoding(t *testing.T) {
	in := hourRow{traces: 3, spans: 12, errors: 1, failed: -1, in: 1 << 40, out: 5, total: 7, cost: 0.0125,
		latency: []byte{1, 2, 3}, sessions: make([]byte, 16), users: nil, evals: []byte(`{"f":{"n":1}}`)}
	b := in.encode()
	var out hourRow
	if err := out.decode(b); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(out) != fmt.Sprint(in) {
		t.Errorf("read back %+v, wrote %+v", out, in)
	}
	for n := range len(b) {
		if err := new(hourRow).decode(b[:n]); err == nil {
			t.Errorf("a blob cut at %d of %d bytes decoded", n, len(b))
		}
	}
}
