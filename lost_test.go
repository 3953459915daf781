package traceai_test

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/traceai-go/traceai"
)

// failingExporter refuses every batch; with hang it blocks until the
// export's context ends, as a black-holed backend does.
type failingExporter struct{ hang bool }

func (e failingExporter) ExportSpans(ctx context.Context, _ []sdktrace.ReadOnlySpan) error {
	if e.hang {
		<-ctx.Done()
		return ctx.Err()
	}
	return errors.New("backend refused the batch")
}

func (failingExporter) Shutdown(context.Context) error { return nil }

// ForceFlush and Shutdown say what they lost instead of returning nil.
func TestFlushAndShutdownNameLostSpans(t *testing.T) {
	clearExportEnv(t)
	handleErrors(t)
	tp, err := traceai.Register(context.Background(), traceai.WithExporter(failingExporter{}), traceai.WithOutput(io.Discard),
		traceai.WithBatchOptions(traceai.BatchOptions{ScheduleDelay: time.Hour}))
	if err != nil {
		t.Fatal(err)
	}
	makeSpans(t, tp, 5)
	err = tp.ForceFlush(context.Background())
	var lost *traceai.LostSpansError
	if !errors.As(err, &lost) || lost.Op != "flush" || lost.Failed != 5 || lost.Dropped != 0 {
		t.Fatalf("ForceFlush = %v, want 5 spans lost in a failed export", err)
	}
	makeSpans(t, tp, 3)
	err = tp.Shutdown(context.Background())
	if !errors.As(err, &lost) || lost.Op != "shutdown" || lost.Failed+lost.Dropped != 3 {
		t.Fatalf("Shutdown = %v, want the 3 spans it could not export named", err)
	}
}

// A Shutdown whose context has no deadline, against a backend that never
// answers, ends after one ExportTimeout for the whole drain, not one per
// batch.
func TestShutdownWithoutDeadlineIsBounded(t *testing.T) {
	clearExportEnv(t)
	handleErrors(t)
	const timeout = 300 * time.Millisecond
	tp, err := traceai.Register(context.Background(), traceai.WithExporter(failingExporter{hang: true}), traceai.WithOutput(io.Discard),
		traceai.WithBatchOptions(traceai.BatchOptions{ScheduleDelay: time.Hour, MaxExportBatchSize: 2, ExportTimeout: timeout}))
	if err != nil {
		t.Fatal(err)
	}
	makeSpans(t, tp, 20) // ten batches: 3 s if each had its own timeout
	start := time.Now()
	err = tp.Shutdown(context.Background())
	took := time.Since(start)
	if err == nil {
		t.Error("Shutdown against a black-holed backend returned nil")
	}
	if took > 3*timeout {
		t.Errorf("Shutdown took %v, want about one ExportTimeout (%v)", took, timeout)
	}
}
