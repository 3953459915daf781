package store_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/traceai-go/traceai/explorer/internal/spanconv"
	"github.com/traceai-go/traceai/explorer/internal/synth"
	"github.com/traceai-go/traceai/explorer/store"
	"github.com/traceai-go/traceai/fi"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

var t0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

func ptr(f float64) *float64 { return &f }

func TestReopenKeepsEverything(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	before, _, err := f.st.ListSessions(ctx, store.SessionFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.st.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.Ingest(ctx, spanconv.ToProto(nil)); err != nil {
		t.Fatal("empty ingest after close should be a no-op:", err)
	}
	st, err := store.Open(f.path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	after, _, err := st.ListSessions(ctx, store.SessionFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(before, after) {
		t.Errorf("after reopen:\n%+v\nbefore:\n%+v", after, before)
	}
	// Re-sending a batch (an exporter retry) does not duplicate anything.
	mem := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(fi.NewSpanProcessor()), sdktrace.WithSyncer(mem))
	c := convA()
	c.SessionID = "sess-c"
	synth.Emit(ctx, tp, c)
	batch := spanconv.ToProto(mem.GetSpans().Snapshots())
	for range 2 {
		if n, err := st.Ingest(ctx, batch); err != nil || n != 11 {
			t.Fatalf("ingest: %d, %v", n, err)
		}
	}
	d, err := st.GetSession(ctx, "sess-c")
	if err != nil || d.Summary.Traces != 5 || d.Summary.Spans != 11 {
		t.Fatalf("after a duplicate batch: %v %+v", err, d)
	}
}
