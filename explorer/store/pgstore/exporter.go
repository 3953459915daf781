package pgstore

import (
	"context"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/traceai-go/traceai/explorer/internal/spanconv"
)

type exporter struct{ s *Store }

func (e *exporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	_, err := e.s.Ingest(ctx, spanconv.ToProto(spans))
	return err
}

func (e *exporter) Shutdown(context.Context) error { return nil }
