package traceai_test

import (
	"context"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/traceai-go/traceai"
	"github.com/traceai-go/traceai/fi"
)

// fastRetry keeps retry backoff short so the tests run in milliseconds.
var fastRetry = traceai.WithRetry(traceai.RetryConfig{Enabled: true, InitialInterval: 5 * time.Millisecond, MaxInterval: 20 * time.Millisecond, MaxElapsedTime: 200 * time.Millisecond})

// makeSpans ends n spans, failing the test if that takes longer than the
// guard: a collector that is down or hanging must not slow it down.
func makeSpans(t *testing.T, tp *sdktrace.TracerProvider, n int) {
	t.Helper()
	within(t, 10*time.Second, "creating spans", func() {
		ctx := fi.UsingSession(context.Background(), "s")
		tr := tp.Tracer("load")
		for range n {
			_, span := tr.Start(ctx, "op")
			span.End()
		}
	})
}

// A hanging collector: the queue holds exactly what it can (one batch in
// flight plus MaxQueueSize), every other span is dropped without waiting,
// the drops are reported through otel.Handle, and once the collector
// answers again everything accepted arrives.
func TestExportHangingCollectorBoundedAndCounted(t *testing.T) {
	clearExportEnv(t)
	errs := handleErrors(t)
	rcv := newHTTPReceiver(t)
	rcv.hangRequests()
	const n, queue, batch = 2000, 64, 16
	tp, err := traceai.Register(context.Background(), traceai.WithEndpoint(rcv.URL), traceai.WithOutput(io.Discard),
		traceai.WithBatchOptions(traceai.BatchOptions{MaxQueueSize: queue, MaxExportBatchSize: batch, ScheduleDelay: time.Hour,
			DropReportInterval: 10 * time.Millisecond}))
	if err != nil {
		t.Fatal(err)
	}
	makeSpans(t, tp, n)
	// Drops are reported while the export still hangs.
	deadline := time.Now().Add(5 * time.Second)
	for (rcv.hits.Load() == 0 || errs.dropped() == 0) && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if errs.dropped() == 0 {
		t.Error("no drops reported while the collector hangs")
	}
	rcv.release()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := tp.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	got := len(rcv.spans())
	if got != queue+batch {
		t.Errorf("received %d spans, want %d (one batch + a full queue)", got, queue+batch)
	}
	if d := errs.dropped(); d != uint64(n-got) {
		t.Errorf("reported %d dropped spans, want %d; errors: %v", d, n-got, errs.all())
	}
}

// Shutdown against a collector that never answers returns at its
// deadline, with the deadline's error, and still reports the drops.
func TestExportShutdownHonoursDeadline(t *testing.T) {
	clearExportEnv(t)
	for _, tr := range []traceai.Transport{traceai.TransportHTTP, traceai.TransportGRPC} {
		t.Run(string(tr), func(t *testing.T) {
			errs := handleErrors(t)
			var rcv *receiver
			var ep string
			if tr == traceai.TransportHTTP {
				rcv = newHTTPReceiver(t)
				ep = rcv.URL
			} else {
				rcv = newGRPCReceiver(t)
				ep = rcv.Addr
			}
			rcv.hangRequests()
			tp, err := traceai.Register(context.Background(), traceai.WithEndpoint(ep), traceai.WithTransport(tr), traceai.WithOutput(io.Discard),
				traceai.WithBatchOptions(traceai.BatchOptions{MaxQueueSize: 10, MaxExportBatchSize: 5, ScheduleDelay: time.Hour}))
			if err != nil {
				t.Fatal(err)
			}
			makeSpans(t, tp, 100)
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			within(t, 5*time.Second, "Shutdown", func() {
				if err := tp.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("Shutdown = %v, want deadline exceeded", err)
				}
			})
			// Everything but the batch in flight (abandoned, reported as
			// an export error) ends up counted as dropped, once the worker
			// gets there.
			deadline := time.Now().Add(5 * time.Second)
			for errs.dropped() < 95 && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
			if d := errs.dropped(); d != 95 {
				t.Errorf("dropped %d spans, want 95 (100 minus the batch in flight): %v", d, errs.all())
			}
		})
	}
}

// Collector down (nothing listening), HTTP and gRPC: span creation is not
// slowed, export errors reach otel.Handle, Shutdown returns in time.
func TestExportCollectorDown(t *testing.T) {
	clearExportEnv(t)
	for _, tr := range []traceai.Transport{traceai.TransportHTTP, traceai.TransportGRPC} {
		t.Run(string(tr), func(t *testing.T) {
			errs := handleErrors(t)
			ep := closedAddr(t)
			if tr == traceai.TransportHTTP {
				ep = "http://" + ep
			}
			tp, err := traceai.Register(context.Background(), traceai.WithEndpoint(ep), traceai.WithTransport(tr), traceai.WithOutput(io.Discard),
				fastRetry, traceai.WithBatchOptions(traceai.BatchOptions{MaxQueueSize: 32, MaxExportBatchSize: 8, ScheduleDelay: time.Millisecond}))
			if err != nil {
				t.Fatalf("Register with the collector down: %v", err)
			}
			makeSpans(t, tp, 1000)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			within(t, 5*time.Second, "Shutdown", func() { _ = tp.Shutdown(ctx) })
			var exportErr bool
			for _, e := range errs.all() {
				exportErr = exportErr || strings.Contains(e.Error(), "traceai: exporting")
			}
			if !exportErr {
				t.Errorf("export failure not reported: %v", errs.all())
			}
			if errs.dropped() == 0 {
				t.Errorf("drops not reported")
			}
		})
	}
}

// A collector answering 500 (not retryable): the error reaches otel.Handle.
func TestExportServerError(t *testing.T) {
	clearExportEnv(t)
	errs := handleErrors(t)
	rcv := newHTTPReceiver(t)
	rcv.status.Store(500)
	tp, err := traceai.Register(context.Background(), traceai.WithEndpoint(rcv.URL), traceai.WithOutput(io.Discard), fastRetry)
	if err != nil {
		t.Fatal(err)
	}
	makeSpans(t, tp, 10)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// The flush says what it lost.
	var lost *traceai.LostSpansError
	if err := tp.ForceFlush(ctx); !errors.As(err, &lost) || lost.Failed != 10 {
		t.Fatalf("ForceFlush = %v, want 10 spans lost in a failed export", err)
	}
	_ = tp.Shutdown(ctx)
	var found bool
	for _, e := range errs.all() {
		found = found || strings.Contains(e.Error(), "500")
	}
	if !found || rcv.hits.Load() != 1 {
		t.Errorf("500: hits=%d errors=%v", rcv.hits.Load(), errs.all())
	}
}

// A collector answering 429 twice: the exporter backs off and retries, and
// the spans arrive.
func TestExportRetriesThrottled(t *testing.T) {
	clearExportEnv(t)
	errs := handleErrors(t)
	rcv := newHTTPReceiver(t)
	rcv.status.Store(429)
	rcv.fails.Store(2)
	rcv.limited.Store(true)
	tp, err := traceai.Register(context.Background(), traceai.WithEndpoint(rcv.URL), traceai.WithOutput(io.Discard),
		traceai.WithRetry(traceai.RetryConfig{Enabled: true, InitialInterval: 5 * time.Millisecond, MaxInterval: 20 * time.Millisecond, MaxElapsedTime: 5 * time.Second}))
	if err != nil {
		t.Fatal(err)
	}
	makeSpans(t, tp, 10)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := tp.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if got := len(rcv.spans()); got != 10 || rcv.hits.Load() != 3 {
		t.Errorf("received %d spans in %d requests, want 10 in 3; errors %v", got, rcv.hits.Load(), errs.all())
	}
}

// After a failed export the queue pauses instead of encoding batch after
// batch for a backend that refuses them: spans pile up (then drop) cheaply.
func TestExportPausesAfterFailure(t *testing.T) {
	clearExportEnv(t)
	handleErrors(t)
	rcv := newHTTPReceiver(t)
	rcv.status.Store(500)
	tp, err := traceai.Register(context.Background(), traceai.WithEndpoint(rcv.URL), traceai.WithOutput(io.Discard),
		traceai.WithBatchOptions(traceai.BatchOptions{MaxQueueSize: 1000, MaxExportBatchSize: 10, ScheduleDelay: time.Millisecond}))
	if err != nil {
		t.Fatal(err)
	}
	makeSpans(t, tp, 10)
	deadline := time.Now().Add(5 * time.Second)
	for rcv.hits.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	makeSpans(t, tp, 200) // 20 more batches, all held back by the pause
	time.Sleep(100 * time.Millisecond)
	if h := rcv.hits.Load(); h > 2 {
		t.Errorf("%d export attempts during the pause after a failure, want 1", h)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = tp.Shutdown(ctx) // Shutdown still tries everything it holds
	// 210 spans in batches of at most 10 (the first may be cut short by
	// the 1ms schedule delay).
	if h := rcv.hits.Load(); h < 21 || h > 22 {
		t.Errorf("%d export attempts after Shutdown, want 21 or 22", h)
	}
}

// Memory stays bounded while the collector hangs: what the process holds
// is the queue, not the spans created (100k spans of ~1.5 KB would be
// ~150 MB if kept).
func TestExportMemoryBoundedWhileHanging(t *testing.T) {
	clearExportEnv(t)
	handleErrors(t)
	rcv := newHTTPReceiver(t)
	rcv.hangRequests()
	tp, err := traceai.Register(context.Background(), traceai.WithEndpoint(rcv.URL), traceai.WithOutput(io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	makeSpans(t, tp, 100_000)
	runtime.GC()
	runtime.ReadMemStats(&after)
	grew := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("heap grew by %d KB for 100k spans", grew>>10)
	if grew > 32<<20 {
		t.Errorf("heap grew by %d MB while the collector hung", grew>>20)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_ = tp.Shutdown(ctx)
}
