package explorer

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/traceai-go/traceai/explorer/internal/synth"
	"github.com/traceai-go/traceai/explorer/store"
	"github.com/traceai-go/traceai/explorer/store/storetest"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

// retentionBenchTemplate is the store each run starts from a copy of,
// all of it older than the retention period: 1,500 sessions of 10 turns of
// 4 spans (TRACEAI_BENCH_RETAIN_SESSIONS changes the sessions; 25000 makes
// the 1M-span store of the issue, long to build).
var retentionBenchTemplate struct {
	once sync.Once
	path string
	err  error
}

func retentionTemplate(b *testing.B) string {
	t := &retentionBenchTemplate
	t.once.Do(func() {
		dir, err := os.MkdirTemp("", "traceai-retain-bench")
		if err != nil {
			t.err = err
			return
		}
		t.path = filepath.Join(dir, "old.db")
		st, err := store.Open(t.path, store.WithSynchronous("NORMAL"))
		if err != nil {
			t.err = err
			return
		}
		defer st.Close()
		sessions := 1500
		if v, err := strconv.Atoi(os.Getenv("TRACEAI_BENCH_RETAIN_SESSIONS")); err == nil && v > 0 {
			sessions = v
		}
		t.err = synth.Batch(synth.BatchOptions{Sessions: sessions, Users: max(sessions/10, 1), TurnsPerSession: 10, SpansPerTurn: 4, Seed: 7},
			512, func(rs []*tracepb.ResourceSpans) error {
				_, err := st.Ingest(context.Background(), rs)
				return err
			})
	})
	if t.err != nil {
		b.Fatal(t.err)
	}
	return t.path
}

func copyFile(b *testing.B, from, to string) {
	in, err := os.Open(from)
	if err != nil {
		b.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		b.Fatal(err)
	}
	if err := out.Close(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkIngestWithRetention measures ingest (4 exporters, batches of
// 512 new spans) into a store of 60,000 spans (see
// retentionBenchTemplate), all older than the retention period, with the explorer's retention loop deleting them
// meanwhile (retain=on) and without it (retain=off, the baseline). Run the
// two in the same invocation and compare spans/s; deleted-traces says how
// much the loop deleted during the run (15,000 would be all of it), so
// ingest is measured with retention busy from start to end.
func BenchmarkIngestWithRetention(b *testing.B) {
	for _, on := range []bool{false, true} {
		name := "retain=off"
		if on {
			name = "retain=on"
		}
		b.Run(name, func(b *testing.B) { benchRetention(b, on) })
	}
}

func benchRetention(b *testing.B, on bool) {
	path := filepath.Join(b.TempDir(), "r.db")
	copyFile(b, retentionTemplate(b), path)
	st, err := store.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	var batches [][]*tracepb.ResourceSpans
	err = synth.Batch(synth.BatchOptions{Sessions: b.N * 16, Users: b.N * 2, TurnsPerSession: 8, SpansPerTurn: 4,
		Start: time.Now(), Seed: uint64(time.Now().UnixNano())}, 512, func(rs []*tracepb.ResourceSpans) error {
		batches = append(batches, rs)
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	x := &Explorer{cfg: config{retain: time.Hour}, log: slog.New(slog.DiscardHandler), store: st}
	counter := &countingRetainer{Retainer: st}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b.ResetTimer()
	retainDone := make(chan struct{})
	if on {
		go func() {
			defer close(retainDone)
			x.retainOnce(ctx, counter)
		}()
	} else {
		close(retainDone)
	}
	storetest.Send(b, 4, []store.Writer{st}, batches)
	b.StopTimer()
	cancel()
	<-retainDone
	b.ReportMetric(float64(512*b.N)/b.Elapsed().Seconds(), "spans/s")
	b.ReportMetric(float64(counter.deleted), "deleted-traces")
	if counter.calls > 0 {
		b.ReportMetric(float64(counter.took.Milliseconds())/float64(counter.calls), "ms/delete-call")
	}
}

type countingRetainer struct {
	store.Retainer
	mu      sync.Mutex
	deleted int
	calls   int
	took    time.Duration
}

func (c *countingRetainer) DeleteBefore(ctx context.Context, t time.Time, limit int) (int, error) {
	t0 := time.Now()
	n, err := c.Retainer.DeleteBefore(ctx, t, limit)
	c.mu.Lock()
	c.calls++
	c.took += time.Since(t0)
	c.deleted += n
	c.mu.Unlock()
	return n, err
}
