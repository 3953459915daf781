// Package fi is the traceAI SDK for Go: it puts a session id, a user id,
// metadata, tags and prompt-template facts into a context.Context once, and
// every span started inside that context carries them as the traceAI
// attributes session.id, user.id, metadata, tag.tags and
// gen_ai.prompt.template.*, whichever tracer starts the span.
//
//	ctx = fi.UsingSession(ctx, "session-42")
//	ctx = fi.UsingUser(ctx, "user-7")
//	// every span started from ctx now carries session.id and user.id
//
// The attributes live in one immutable value under one context key, so a
// span start reads them with one lookup however deeply scopes nest. They
// reach spans in two ways: the SpanProcessor returned by NewSpanProcessor
// stamps them on every span at start (install it, or let traceai.Register do it),
// and traceAI instrumentation stamps its own spans, so that LLM spans carry
// them even without the processor. No span gets them twice.
//
// Bad input (an empty id, oversized metadata, values JSON cannot hold) never
// panics and never reaches a span: it is reported to the OpenTelemetry error
// handler (otel.SetErrorHandler) as an error wrapping ErrInvalidAttribute,
// and the enclosing scope's value stays. JSON-valued attributes are written
// as the Python SDK writes them.
//
// The package also holds the rest of the SDK: TraceConfig (masking and PII
// redaction, from code or the FI_* environment variables), Tracer and the
// Chain, Agent, Tool and Run helpers for manual spans, SuppressTracing,
// RecordEvaluation, and NewExportFilter. It depends on the OpenTelemetry API
// and SDK only: export to Future AGI or any OTLP backend is set up by
// Register in the module's root package (traceai.Register), so that
// importing fi or an instrumentation package compiles in no OTLP exporter
// and no gRPC. Attribute keys and span kinds are in the semconv subpackage.
package fi
