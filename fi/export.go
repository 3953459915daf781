package fi

import (
	"context"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// finalExporter applies what must hold for every exported span whichever
// tracer made it: the TraceConfig masking (so hidden values never leave the
// process, even from tracers that do not mask), and the reference's rule
// that a span ended with status Unset and no "exception" or "error" event is
// exported with status OK.
type finalExporter struct {
	next sdktrace.SpanExporter
	cfg  TraceConfig
	// imagesOnly: nothing is hidden and PII redaction is off, so only the
	// base64 image length rule can change an attribute.
	imagesOnly bool
}

// NewExportFilter wraps next so that every span it exports has passed the
// TraceConfig masking, and spans ended with status Unset and no "exception"
// or "error" event carry status OK, as the reference exports them.
// traceai.Register installs it; use it when building a provider by hand or
// when adding a second exporter to a provider Register returned:
//
//	tp.RegisterSpanProcessor(sdktrace.NewBatchSpanProcessor(fi.NewExportFilter(exp, cfg)))
func NewExportFilter(next sdktrace.SpanExporter, cfg TraceConfig) sdktrace.SpanExporter {
	return newFinalExporter(next, cfg)
}

func newFinalExporter(next sdktrace.SpanExporter, cfg TraceConfig) *finalExporter {
	c := cfg
	c.Base64ImageMaxLength = 0
	return &finalExporter{next: next, cfg: cfg, imagesOnly: c == TraceConfig{}}
}

func (e *finalExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	out := make([]sdktrace.ReadOnlySpan, len(spans))
	for i, s := range spans {
		out[i] = e.view(s)
	}
	return e.next.ExportSpans(ctx, out)
}

func (e *finalExporter) Shutdown(ctx context.Context) error { return e.next.Shutdown(ctx) }

func (e *finalExporter) view(s sdktrace.ReadOnlySpan) sdktrace.ReadOnlySpan {
	attrs := s.Attributes()
	if !e.imagesOnly || hasImageData(attrs) {
		// Copy first: the span's own slice is shared with other processors.
		attrs = e.cfg.MaskAll(append([]attribute.KeyValue(nil), attrs...))
	}
	status := s.Status()
	if status.Code == codes.Unset && !hasErrorEvent(s.Events()) {
		status = sdktrace.Status{Code: codes.Ok}
	}
	return &exportedSpan{ReadOnlySpan: s, attrs: attrs, status: status}
}

func hasImageData(attrs []attribute.KeyValue) bool {
	for _, kv := range attrs {
		if kv.Value.Type() == attribute.STRING && strings.HasPrefix(kv.Value.AsString(), "data:image/") {
			return true
		}
	}
	return false
}

func hasErrorEvent(events []sdktrace.Event) bool {
	for _, ev := range events {
		if ev.Name == "exception" || ev.Name == "error" {
			return true
		}
	}
	return false
}

// exportedSpan is a span as the exporter sees it.
type exportedSpan struct {
	sdktrace.ReadOnlySpan
	attrs  []attribute.KeyValue
	status sdktrace.Status
}

func (s *exportedSpan) Attributes() []attribute.KeyValue { return s.attrs }
func (s *exportedSpan) Status() sdktrace.Status          { return s.status }
