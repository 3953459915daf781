package fi

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"sync/atomic"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/traceai-go/traceai/fi/semconv"
	"github.com/traceai-go/traceai/internal/ctxattr"
	"github.com/traceai-go/traceai/internal/pyjson"
)

// ScopeName is the instrumentation scope of tracers made by NewTracer
// unless WithInstrumentationName says otherwise.
const ScopeName = "github.com/traceai-go/traceai/fi"

type tracerConfig struct {
	tp     trace.TracerProvider
	name   string
	cfg    TraceConfig
	cfgSet bool
}

// Tracer starts traceAI spans: each carries its span kind (gen_ai.span.kind),
// the context attributes, and only what its TraceConfig lets through. It is
// the Go form of the reference's FITracer, and what traceAI instrumentation
// packages use for their own spans.
type Tracer struct {
	tracer trace.Tracer
	cfg    TraceConfig
}

// NewTracer returns a Tracer from the global provider (or WithTracerProvider)
// with the environment's TraceConfig (or WithTraceConfig).
func NewTracer(opts ...TracerOption) *Tracer {
	c := tracerConfig{name: ScopeName}
	for _, o := range opts {
		o.applyTracer(&c)
	}
	if c.tp == nil {
		c.tp = otel.GetTracerProvider()
	}
	if !c.cfgSet {
		c.cfg = NewTraceConfig()
	}
	return &Tracer{tracer: c.tp.Tracer(c.name, trace.WithInstrumentationVersion(Version)), cfg: c.cfg}
}

// TraceConfig returns the masking configuration of t.
func (t *Tracer) TraceConfig() *TraceConfig { return &t.cfg }

// Start starts a span of the given traceAI kind. Attributes given with
// trace.WithAttributes are masked like any other; the context attributes are
// set after them and win on a shared key, as in the reference.
//
// Inside SuppressTracing, Start returns ctx unchanged and a span that
// records nothing.
//
// The returned context carries the new span; pass it to work done inside.
func (t *Tracer) Start(ctx context.Context, name string, kind semconv.SpanKind, opts ...trace.SpanStartOption) (context.Context, *Span) {
	if ctxattr.Suppressed(ctx) {
		return ctx, &Span{Span: trace.SpanFromContext(context.Background()), cfg: &t.cfg}
	}
	sc := trace.NewSpanStartConfig(opts...)
	scope := ctxattr.From(ctx)
	var start []trace.SpanStartOption
	if len(sc.Attributes()) == 0 {
		// The common case: no caller attributes to mask, so the caller's
		// options pass through, followed by one option carrying the kind and
		// the context attributes, built once per scope and kind.
		start = append(opts[:len(opts):len(opts)], t.stampOption(scope, kind))
	} else {
		attrs := t.cfg.MaskAll(append([]attribute.KeyValue(nil), sc.Attributes()...))
		attrs = append(attrs, t.stampAttributes(scope, kind)...)
		start = []trace.SpanStartOption{trace.WithAttributes(attrs...), trace.WithSpanKind(sc.SpanKind())}
		if ts := sc.Timestamp(); !ts.IsZero() {
			start = append(start, trace.WithTimestamp(ts))
		}
		if links := sc.Links(); len(links) > 0 {
			start = append(start, trace.WithLinks(links...))
		}
		if sc.NewRoot() {
			start = append(start, trace.WithNewRoot())
		}
	}
	// The processor must not stamp this span again: mark the parent context
	// for this one start only, and hand back a context derived from ctx.
	_, span := t.tracer.Start(ctxattr.MarkStamped(ctx), name, start...)
	return trace.ContextWithSpan(ctx, span), &Span{Span: span, cfg: &t.cfg}
}

// stampAttributes returns the span kind attribute (when kind is set)
// followed by the context attributes, PII-redacted if so configured. The
// result is freshly allocated.
func (t *Tracer) stampAttributes(scope *ctxattr.Scope, kind semconv.SpanKind) []attribute.KeyValue {
	ctxKVs := scope.KeyValues()
	if t.cfg.PIIRedaction {
		ctxKVs, _ = scope.Redacted(redactPIIAll) // cached per scope
	}
	attrs := make([]attribute.KeyValue, 0, 1+len(ctxKVs))
	if kind != "" {
		attrs = append(attrs, kind.Attribute())
	}
	return append(attrs, ctxKVs...)
}

type stampKey struct {
	kind semconv.SpanKind
	pii  bool
}

// kindOptions holds the start option of each known kind outside any scope.
var kindOptions = func() map[semconv.SpanKind]trace.SpanStartOption {
	m := map[semconv.SpanKind]trace.SpanStartOption{}
	for _, k := range knownKinds {
		m[k] = trace.WithAttributes(k.Attribute())
	}
	return m
}()

var knownKinds = []semconv.SpanKind{
	semconv.SpanKindTool, semconv.SpanKindChain, semconv.SpanKindLLM, semconv.SpanKindRetriever,
	semconv.SpanKindEmbedding, semconv.SpanKindAgent, semconv.SpanKindReranker, semconv.SpanKindUnknown,
	semconv.SpanKindGuardrail, semconv.SpanKindEvaluator, semconv.SpanKindConversation,
	semconv.SpanKindVectorDB, semconv.SpanKindA2AClient, semconv.SpanKindA2AServer, "",
}

// stampOption returns trace.WithAttributes(stampAttributes(scope, kind)...),
// cached for the known span kinds (a bounded set, so caches cannot grow
// without end). The option's slice is never modified, so sharing it between
// spans and goroutines is safe.
func (t *Tracer) stampOption(scope *ctxattr.Scope, kind semconv.SpanKind) trace.SpanStartOption {
	if _, known := kindOptions[kind]; !known {
		return trace.WithAttributes(t.stampAttributes(scope, kind)...)
	}
	if len(scope.KeyValues()) == 0 {
		return kindOptions[kind]
	}
	return scope.Cached(stampKey{kind, t.cfg.PIIRedaction}, func() any {
		return trace.WithAttributes(t.stampAttributes(scope, kind)...)
	}).(trace.SpanStartOption)
}

// Span is a trace.Span whose attributes pass through the TraceConfig, with
// helpers for the traceAI input/output/tool attributes. A Span that ends
// without an error status gets status OK, as the reference's processors set.
type Span struct {
	trace.Span
	cfg       *TraceConfig
	statusSet atomic.Bool
	outputSet atomic.Bool
}

// SetAttributes sets kvs after masking. kvs is not modified.
func (s *Span) SetAttributes(kvs ...attribute.KeyValue) {
	if len(kvs) == 0 || !s.IsRecording() {
		return
	}
	kvs = s.cfg.MaskAll(append([]attribute.KeyValue(nil), kvs...))
	if len(kvs) > 0 {
		s.Span.SetAttributes(kvs...)
	}
}

// SetStatus sets the span status.
func (s *Span) SetStatus(code codes.Code, description string) {
	s.statusSet.Store(true)
	s.Span.SetStatus(code, description)
}

// RecordError records err as an exception event and sets status ERROR with
// the description "<type>: <message>", as the reference does. A nil err is
// ignored.
//
// An error with an ErrorType() string method names its own type, in the
// event's exception.type and in the description: the errors of traceAI's
// instrumentation read "openai.APIError", as the reference's read
// "openai.RateLimitError", rather than the Go path of an internal package.
func (s *Span) RecordError(err error, opts ...trace.EventOption) {
	if err == nil {
		return
	}
	if name := namedType(err); name != "" {
		s.Span.AddEvent("exception", append(opts, trace.WithAttributes(
			attribute.String("exception.type", name), attribute.String("exception.message", err.Error())))...)
	} else {
		s.Span.RecordError(err, opts...)
	}
	s.SetStatus(codes.Error, ErrorDescription(err))
}

// ErrorDescription formats err as the reference formats exceptions in span
// statuses: "<type>: <message>", with the Go type name, or the name an
// ErrorType() string method gives.
func ErrorDescription(err error) string {
	if name := namedType(err); name != "" {
		return name + ": " + err.Error()
	}
	return strings.TrimPrefix(fmt.Sprintf("%T", err), "*") + ": " + err.Error()
}

// namedType returns the name err gives its type, or "".
func namedType(err error) string {
	if n, ok := err.(interface{ ErrorType() string }); ok {
		return n.ErrorType()
	}
	return ""
}

// End ends the span, first setting status OK if nothing set a status.
func (s *Span) End(opts ...trace.SpanEndOption) {
	if !s.statusSet.Load() && s.IsRecording() {
		s.Span.SetStatus(codes.Ok, "")
	}
	s.Span.End(opts...)
}

// SetInput sets input.value and input.mime_type from v, as the reference's
// set_input does: strings, booleans and numbers as text/plain (booleans as
// "True"/"False", like Python's str), anything else as JSON
// (application/json). With a mime type, v is written as that type.
func (s *Span) SetInput(v any, mime ...semconv.MimeType) {
	val, m := ioValue(v, mime)
	s.SetAttributes(semconv.InputValue.String(val), semconv.InputMimeType.String(string(m)))
}

// SetOutput sets output.value and output.mime_type from v, like SetInput.
func (s *Span) SetOutput(v any, mime ...semconv.MimeType) {
	s.outputSet.Store(true)
	val, m := ioValue(v, mime)
	s.SetAttributes(semconv.OutputValue.String(val), semconv.OutputMimeType.String(string(m)))
}

// SetTool sets gen_ai.tool.name, gen_ai.tool.description (when not empty)
// and gen_ai.tool.parameters (the JSON of parameters, when not nil), for
// TOOL spans.
func (s *Span) SetTool(name, description string, parameters any) {
	kvs := []attribute.KeyValue{semconv.GenAIToolName.String(name)}
	if description != "" {
		kvs = append(kvs, semconv.GenAIToolDescription.String(description))
	}
	if parameters != nil {
		kvs = append(kvs, semconv.ToolParameters.String(jsonString(parameters)))
	}
	s.SetAttributes(kvs...)
}

func jsonString(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	out, err := pyjson.Marshal(v)
	if err != nil {
		otel.Handle(fmt.Errorf("fi: %w", err))
	}
	return out
}

func ioValue(v any, mime []semconv.MimeType) (string, semconv.MimeType) {
	if len(mime) > 0 {
		switch mime[0] {
		case semconv.MimeTypeJSON:
			return jsonString(v), semconv.MimeTypeJSON
		default:
			if s, ok := v.(string); ok {
				return s, mime[0]
			}
			return textOf(v), mime[0]
		}
	}
	switch v.(type) {
	case nil, string, bool, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32, float64:
		return textOf(v), semconv.MimeTypeText
	case fmt.Stringer, error:
		return textOf(v), semconv.MimeTypeText
	}
	switch reflect.ValueOf(v).Kind() {
	case reflect.String, reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return textOf(v), semconv.MimeTypeText // named scalar types, like Python's str subclasses
	}
	return jsonString(v), semconv.MimeTypeJSON
}

func textOf(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case bool:
		if x {
			return "True"
		}
		return "False"
	case float64:
		return pyjson.FormatFloat(x, 64)
	case float32:
		return pyjson.FormatFloat(float64(x), 32)
	case nil:
		return "None"
	case fmt.Stringer, error:
		return fmt.Sprint(v)
	}
	switch rv := reflect.ValueOf(v); rv.Kind() {
	case reflect.String:
		return rv.String()
	case reflect.Bool:
		return textOf(rv.Bool())
	case reflect.Float32:
		return pyjson.FormatFloat(rv.Float(), 32)
	case reflect.Float64:
		return pyjson.FormatFloat(rv.Float(), 64)
	}
	return fmt.Sprint(v)
}

// Run runs fn inside a span of the given kind named name, with input as
// input.value and fn's result as output.value. An error from fn is recorded
// (status ERROR) and returned; a panic is recorded and re-raised. Inside
// SuppressTracing, fn simply runs.
func Run[T any](ctx context.Context, t *Tracer, kind semconv.SpanKind, name string, input any, fn func(context.Context, *Span) (T, error)) (result T, err error) {
	ctx, span := t.Start(ctx, name, kind)
	if input != nil {
		span.SetInput(input)
	}
	defer func() {
		if r := recover(); r != nil {
			span.RecordError(fmt.Errorf("panic: %v", r))
			span.End()
			panic(r)
		}
		if err != nil {
			span.RecordError(err)
		} else if span.IsRecording() && !span.outputSet.Load() {
			span.SetOutput(any(result)) // unless fn set an output itself, as in the reference
		}
		span.End()
	}()
	return fn(ctx, span)
}

// Chain runs fn inside a CHAIN span; see Run.
func Chain[T any](ctx context.Context, t *Tracer, name string, input any, fn func(context.Context) (T, error)) (T, error) {
	return Run(ctx, t, semconv.SpanKindChain, name, input, func(ctx context.Context, _ *Span) (T, error) { return fn(ctx) })
}

// Agent runs fn inside an AGENT span; see Run.
func Agent[T any](ctx context.Context, t *Tracer, name string, input any, fn func(context.Context) (T, error)) (T, error) {
	return Run(ctx, t, semconv.SpanKindAgent, name, input, func(ctx context.Context, _ *Span) (T, error) { return fn(ctx) })
}

// ToolInfo describes a tool for Tool.
type ToolInfo struct {
	Name        string // gen_ai.tool.name and the span name
	Description string // gen_ai.tool.description
	Parameters  any    // gen_ai.tool.parameters, a JSON schema (string or value)
}

// Tool runs fn inside a TOOL span carrying the tool's name, description and
// parameters; see Run.
func Tool[T any](ctx context.Context, t *Tracer, tool ToolInfo, input any, fn func(context.Context) (T, error)) (T, error) {
	return Run(ctx, t, semconv.SpanKindTool, tool.Name, input, func(ctx context.Context, s *Span) (T, error) {
		s.SetTool(tool.Name, tool.Description, tool.Parameters)
		return fn(ctx)
	})
}
