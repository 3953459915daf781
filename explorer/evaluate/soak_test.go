package evaluate_test

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/traceai-go/traceai/explorer/evaluate"
	"github.com/traceai-go/traceai/explorer/internal/synth"
	"github.com/traceai-go/traceai/explorer/store"
)

// loadSynth stores sessions×turns synthetic turns (two spans each).
func loadSynth(t testing.TB, st *store.Store, sessions, turns int) {
	t.Helper()
	err := synth.Batch(synth.BatchOptions{Sessions: sessions, Users: max(1, sessions/10), TurnsPerSession: turns, SpansPerTurn: 2}, 4096,
		func(rs []*tracepb.ResourceSpans) error {
			_, err := st.Ingest(context.Background(), rs)
			return err
		})
	if err != nil {
		t.Fatal(err)
	}
}

// heapWatch samples the live heap until stopped and returns its peak.
func heapWatch() (stop func() uint64) {
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > peak.Load() {
				peak.Store(ms.HeapAlloc)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 {
		close(done)
		wg.Wait()
		return peak.Load()
	}
}

// TestSoak judges TRACEAI_EVAL_SOAK turns (e.g. 100000; 10 a session) with
// the stand-in at concurrency 8 and logs evaluations/s and the peak heap,
// next to the same run over a tenth of the turns: a flat memory profile
// keeps the two peaks close.
//
//	TRACEAI_EVAL_SOAK=100000 go test -run TestSoak -v -timeout 30m ./explorer/evaluate/
func TestSoak(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("TRACEAI_EVAL_SOAK"))
	if n <= 0 {
		t.Skip("set TRACEAI_EVAL_SOAK=<turns> to run the soak test")
	}
	evs := builtins(t, "helpfulness", "task_completion")
	var peaks []uint64
	for _, turns := range []int{n / 10, n} {
		st := openStore(t)
		start := time.Now()
		loadSynth(t, st, turns/10, 10)
		t.Logf("%d turns stored in %s", turns, time.Since(start).Round(time.Millisecond))
		runtime.GC()
		stop := heapWatch()
		res, err := evaluate.Run(context.Background(), st, evaluate.Config{Evaluators: evs, Judge: evaluate.StandIn{}, Concurrency: 8})
		peak := stop()
		if err != nil {
			t.Fatal(err)
		}
		if res.Judged != int64(turns+turns/10) || res.Errors != 0 || res.WriteErrors != 0 {
			t.Fatalf("soak over %d turns: %+v", turns, res)
		}
		if got := evalCount(t, st); got != res.Judged {
			t.Fatalf("stored %d of %d evaluations", got, res.Judged)
		}
		t.Logf("%d turns: %d evaluations in %s = %.0f evaluations/s at concurrency 8; peak heap %.1f MiB",
			turns, res.Judged, res.Elapsed.Round(time.Millisecond), float64(res.Judged)/res.Elapsed.Seconds(), float64(peak)/(1<<20))
		peaks = append(peaks, peak)
		st.Close()
	}
	// Ten times the turns may not take much more memory than the small run.
	if peaks[1] > 2*peaks[0]+32<<20 {
		t.Errorf("peak heap grew from %d to %d bytes with ten times the turns", peaks[0], peaks[1])
	}
}

// BenchmarkRun judges 2,000 stored turns (200 sessions) with helpfulness
// and task_completion through the stand-in, at concurrency 1 and 8. Each
// iteration is a new evaluator version, so nothing is skipped.
func BenchmarkRun(b *testing.B) {
	st := openStore(b)
	loadSynth(b, st, 200, 10)
	base := builtins(&testing.T{}, "helpfulness", "task_completion")
	for _, conc := range []int{1, 8} {
		b.Run("concurrency="+strconv.Itoa(conc), func(b *testing.B) {
			var judged int64
			var elapsed time.Duration
			for i := 0; b.Loop(); i++ {
				evs := make([]*evaluate.Evaluator, len(base))
				for j, e := range base {
					c := *e
					c.Version = "bench-" + strconv.Itoa(conc) + "-" + strconv.Itoa(i)
					evs[j] = &c
				}
				res, err := evaluate.Run(context.Background(), st, evaluate.Config{Evaluators: evs, Judge: evaluate.StandIn{}, Concurrency: conc})
				if err != nil || res.Judged != 2200 {
					b.Fatalf("%+v %v", res, err)
				}
				judged += res.Judged
				elapsed += res.Elapsed
			}
			b.ReportMetric(float64(judged)/elapsed.Seconds(), "evals/s")
		})
	}
}
