package fimcp

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/fi/semconv"
	"github.com/traceai-go/traceai/internal/idbaggage"
)

// OpenTelemetry MCP semantic-convention keys that traceAI has no key for.
const (
	keyMethodName  = attribute.Key("mcp.method.name")
	keySessionID   = attribute.Key("mcp.session.id")
	keyResourceURI = attribute.Key("mcp.resource.uri")
)

// Keys of the request _meta that carry the trace context and the ids.
const (
	metaTraceparent = "traceparent"
	metaTracestate  = "tracestate"
	metaBaggage     = idbaggage.Header
)

// Bounds on what a server reads from _meta: a traceparent is 55 bytes in
// version 00; W3C limits tracestate to 32 members of at most 256 bytes (512
// is the size every implementation must accept, and what we keep).
const (
	maxTraceparent = 128
	maxTracestate  = 512
	maxStatusBytes = 1024
	// maxValueBytes bounds input.value and output.value: a tool's arguments
	// and results come from the other side of the connection, and a span
	// is kept in memory until it is exported.
	maxValueBytes = 64 << 10
	// maxNameBytes bounds a tool or prompt name, in the span name and its
	// attribute, and maxURIBytes a resource URI: both come from the peer.
	maxNameBytes = 256
	maxURIBytes  = 2048
)

const (
	methodCallTool     = "tools/call"
	methodListTools    = "tools/list"
	methodReadResource = "resources/read"
	methodGetPrompt    = "prompts/get"
)

// traced holds the methods that get spans, with their span kind and a
// constructor for their params when the caller passed none.
var traced = map[string]struct {
	kind   semconv.SpanKind
	params func() mcp.Params
}{
	methodCallTool:     {semconv.SpanKindTool, func() mcp.Params { return &mcp.CallToolParams{} }},
	methodListTools:    {semconv.SpanKindChain, func() mcp.Params { return &mcp.ListToolsParams{} }},
	methodReadResource: {semconv.SpanKindChain, func() mcp.Params { return &mcp.ReadResourceParams{} }},
	methodGetPrompt:    {semconv.SpanKindChain, func() mcp.Params { return &mcp.GetPromptParams{} }},
}

var traceContext = propagation.TraceContext{}

// ClientMiddleware returns sending middleware for an mcp.Client: calls of
// tools/call, tools/list, resources/read and prompts/get become spans, and
// their requests carry the trace context and the session id in _meta. The
// caller's params are not modified; the request sent holds a copy.
func ClientMiddleware(opts ...Option) mcp.Middleware {
	c := newConfig(opts)
	t := c.tracer()
	return func(next mcp.MethodHandler) mcp.MethodHandler {
		return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
			m, ok := traced[method]
			if !ok {
				return next(ctx, method, req)
			}
			sctx, span, out := c.startClient(ctx, t, method, m.kind, m.params, req)
			return call(span, method, func() (mcp.Result, error) { return next(sctx, method, out) })
		}
	}
}

// ServerMiddleware returns receiving middleware for an mcp.Server: requests
// of tools/call, tools/list, resources/read and prompts/get become spans,
// children of the client's span when the request's _meta carries a valid
// traceparent, and the handler runs with the session id (and, with
// WithUserPropagation(true), the user id) from the _meta baggage. Invalid
// values are reported to otel.Handle and ignored.
func ServerMiddleware(opts ...Option) mcp.Middleware {
	c := newConfig(opts)
	t := c.tracer()
	return func(next mcp.MethodHandler) mcp.MethodHandler {
		return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
			m, ok := traced[method]
			if !ok {
				return next(ctx, method, req)
			}
			sctx, span := c.startServer(ctx, t, method, m.kind, req)
			return call(span, method, func() (mcp.Result, error) { return next(sctx, method, req) })
		}
	}
}

func recovered(what string, p any) {
	otel.Handle(fmt.Errorf("fimcp: recovered from panic while %s: %v", what, p))
}

// startClient starts the client span and returns the request to send: a
// copy of req whose params carry the propagation _meta. On any fault it
// falls back to ctx and req as they were.
func (c *config) startClient(ctx context.Context, t *fi.Tracer, method string, kind semconv.SpanKind,
	newParams func() mcp.Params, req mcp.Request) (sctx context.Context, span *fi.Span, out mcp.Request) {
	sctx, out = ctx, req
	defer func() {
		if p := recover(); p != nil {
			recovered("starting a client span", p)
			if span != nil {
				span.End()
			}
			sctx, span, out = ctx, nil, req
		}
	}()
	cr, _ := req.(*mcp.ClientRequest[mcp.Params])
	var params mcp.Params
	var sessionID string
	if cr != nil {
		params = cr.Params
		if cr.Session != nil {
			sessionID = cr.Session.ID()
		}
	}
	name, attrs, input, mime := describe(method, params)
	attrs = append(attrs, keyMethodName.String(method))
	if sessionID != "" {
		attrs = append(attrs, keySessionID.String(sessionID))
	}
	sctx, span = t.Start(ctx, name, kind, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
	if input != "" {
		span.SetInput(clip(input, maxValueBytes), mime)
	}
	if cr == nil {
		return sctx, span, req
	}
	if isNil(params) {
		params = newParams()
	}
	if np := withMeta(params, c.outgoingMeta(sctx, params.GetMeta())); np != nil {
		out = &mcp.ClientRequest[mcp.Params]{Session: cr.Session, Params: np}
	}
	return sctx, span, out
}

// outgoingMeta returns a copy of meta with the trace context and the ids.
func (c *config) outgoingMeta(ctx context.Context, meta map[string]any) map[string]any {
	out := make(map[string]any, len(meta)+3)
	for k, v := range meta {
		out[k] = v
	}
	delete(out, metaTraceparent)
	delete(out, metaTracestate)
	traceContext.Inject(ctx, metaCarrier(out))
	var header []string
	if s, ok := out[metaBaggage].(string); ok && s != "" {
		header = []string{s}
	}
	if _, h, changed := idbaggage.Outgoing(ctx, header, !c.noIDs, c.user); changed {
		if len(h) == 0 {
			delete(out, metaBaggage)
		} else {
			out[metaBaggage] = strings.Join(h, ",")
		}
	}
	return out
}

// metaCarrier adapts a _meta map to the OpenTelemetry propagators; only
// string values are read.
type metaCarrier map[string]any

func (m metaCarrier) Get(key string) string {
	s, _ := m[key].(string)
	return s
}

func (m metaCarrier) Set(key, value string) { m[key] = value }

func (m metaCarrier) Keys() []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	return keys
}

func isNil(p mcp.Params) bool {
	if p == nil {
		return true
	}
	v := reflect.ValueOf(p)
	return v.Kind() == reflect.Pointer && v.IsNil()
}

// withMeta returns a shallow copy of params with meta set, or nil when
// params is not a pointer to a struct.
func withMeta(params mcp.Params, meta map[string]any) mcp.Params {
	v := reflect.ValueOf(params)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return nil
	}
	cp := reflect.New(v.Elem().Type())
	cp.Elem().Set(v.Elem())
	np, ok := cp.Interface().(mcp.Params)
	if !ok {
		return nil
	}
	np.SetMeta(meta)
	return np
}

// describe returns the span name, attributes and input of a request.
func describe(method string, params mcp.Params) (name string, attrs []attribute.KeyValue, input string, mime semconv.MimeType) {
	name = method
	if isNil(params) {
		return name, nil, "", ""
	}
	switch p := params.(type) {
	case *mcp.CallToolParams:
		tool := clip(p.Name, maxNameBytes)
		name = method + " " + tool
		attrs = toolAttrs(tool)
		if p.Arguments != nil {
			input, mime = jsonText(p.Arguments), semconv.MimeTypeJSON
		}
	case *mcp.CallToolParamsRaw:
		tool := clip(p.Name, maxNameBytes)
		name = method + " " + tool
		attrs = toolAttrs(tool)
		if len(p.Arguments) > 0 {
			// Only the bytes the span can keep are copied; one more
			// tells clip the value was longer.
			input, mime = string(p.Arguments[:min(len(p.Arguments), maxValueBytes+1)]), semconv.MimeTypeJSON
		}
	case *mcp.ReadResourceParams:
		uri := clip(p.URI, maxURIBytes)
		attrs = []attribute.KeyValue{keyResourceURI.String(uri)}
		input, mime = uri, semconv.MimeTypeText
	case *mcp.GetPromptParams:
		prompt := clip(p.Name, maxNameBytes)
		name = method + " " + prompt
		attrs = []attribute.KeyValue{semconv.GenAIPromptName.String(prompt)}
		if len(p.Arguments) > 0 {
			input, mime = jsonText(p.Arguments), semconv.MimeTypeJSON
		}
	}
	return name, attrs, input, mime
}

func toolAttrs(name string) []attribute.KeyValue {
	return []attribute.KeyValue{
		semconv.GenAIToolName.String(name),
		semconv.GenAIOperationName.String("execute_tool"),
	}
}

// jsonText is the JSON of v as sent on the wire.
func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%v", v)
	}
	return string(b)
}

// call runs next and finishes span with its result. A panic below the
// middleware still ends the span, marked as an error, and goes on up
// unchanged: recovering it is the caller's business, not ours.
func call(span *fi.Span, method string, next func() (mcp.Result, error)) (mcp.Result, error) {
	done := false
	defer func() {
		if !done && span != nil {
			span.SetStatus(codes.Error, "panic below the MCP middleware")
			span.End()
		}
	}()
	res, err := next()
	done = true
	finish(span, method, res, err)
	return res, err
}

// finish records the result or error of a call on span and ends it.
func finish(span *fi.Span, method string, res mcp.Result, err error) {
	if span == nil {
		return
	}
	defer func() {
		if p := recover(); p != nil {
			recovered("ending a span", p)
		}
		span.End()
	}()
	if err != nil {
		span.RecordError(err)
		return
	}
	output, mime := resultOutput(res)
	if output != "" {
		span.SetOutput(clip(output, maxValueBytes), mime)
	}
	if r, ok := res.(*mcp.CallToolResult); ok && r != nil && r.IsError {
		span.SetStatus(codes.Error, clip(toolErrorText(r), maxStatusBytes))
	}
}

// resultOutput returns output.value and its mime type for a result.
func resultOutput(res mcp.Result) (string, semconv.MimeType) {
	switch r := res.(type) {
	case *mcp.CallToolResult:
		if r == nil {
			return "", ""
		}
		if r.StructuredContent != nil && !r.IsError {
			return jsonText(r.StructuredContent), semconv.MimeTypeJSON
		}
		if s, ok := onlyText(r.Content); ok {
			return s, semconv.MimeTypeText
		}
		return jsonText(r.Content), semconv.MimeTypeJSON
	case *mcp.ListToolsResult:
		if r == nil {
			return "", ""
		}
		names := make([]string, 0, len(r.Tools))
		for _, tool := range r.Tools {
			if tool != nil {
				names = append(names, tool.Name)
			}
		}
		return jsonText(names), semconv.MimeTypeJSON
	case *mcp.ReadResourceResult:
		if r == nil {
			return "", ""
		}
		if len(r.Contents) == 1 && r.Contents[0] != nil && r.Contents[0].Blob == nil {
			return r.Contents[0].Text, semconv.MimeTypeText
		}
		type item struct {
			URI       string `json:"uri"`
			MIMEType  string `json:"mimeType,omitempty"`
			Text      string `json:"text,omitempty"`
			BlobBytes int    `json:"blobBytes,omitempty"` // blobs are not recorded, only their size
		}
		items := make([]item, 0, len(r.Contents))
		for _, c := range r.Contents {
			if c != nil {
				items = append(items, item{c.URI, c.MIMEType, c.Text, len(c.Blob)})
			}
		}
		return jsonText(items), semconv.MimeTypeJSON
	case *mcp.GetPromptResult:
		if r == nil {
			return "", ""
		}
		return jsonText(r.Messages), semconv.MimeTypeJSON
	}
	return "", ""
}

// onlyText returns the text of content made of text items only.
func onlyText(content []mcp.Content) (string, bool) {
	if len(content) == 0 {
		return "", false
	}
	var b strings.Builder
	for i, c := range content {
		t, ok := c.(*mcp.TextContent)
		if !ok || t == nil {
			return "", false
		}
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(t.Text)
	}
	return b.String(), true
}

func toolErrorText(r *mcp.CallToolResult) string {
	if s, ok := onlyText(r.Content); ok && s != "" {
		return s
	}
	if err := r.GetError(); err != nil {
		return err.Error()
	}
	return "tool returned isError"
}

// clip cuts s to at most max bytes, on a UTF-8 boundary, marking the cut.
func clip(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut] + "…"
}
