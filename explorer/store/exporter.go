package store

import (
	"context"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/traceai-go/traceai/explorer/internal/spanconv"
)

// NewExporter returns an OpenTelemetry span exporter that writes into w,
// in process: what a backend's Exporter method returns.
func NewExporter(w Writer) sdktrace.SpanExporter { return exporter{w} }

type exporter struct{ w Writer }

func (e exporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	_, err := e.w.Ingest(ctx, spanconv.ToProto(spans))
	return err
}

func (e exporter) Shutdown(context.Context) error { return nil }
