package fimcp

import (
	"context"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/fi/semconv"
	"github.com/traceai-go/traceai/internal/idbaggage"
)

// startServer reads the propagation _meta of req into ctx and starts the
// server span. On any fault it falls back to ctx without a span.
func (c *config) startServer(ctx context.Context, t *fi.Tracer, method string, kind semconv.SpanKind,
	req mcp.Request) (sctx context.Context, span *fi.Span) {
	sctx = ctx
	defer func() {
		if p := recover(); p != nil {
			recovered("starting a server span", p)
			if span != nil {
				span.End()
			}
			sctx, span = ctx, nil
		}
	}()
	var params mcp.Params
	var sessionID string
	if req != nil {
		params = req.GetParams()
		if s := req.GetSession(); s != nil && !isNilSession(s) {
			sessionID = s.ID()
		}
	}
	var meta map[string]any
	if !isNil(params) {
		meta = params.GetMeta()
	}
	pctx := c.incoming(ctx, meta)
	name, attrs, input, mime := describe(method, params)
	attrs = append(attrs, keyMethodName.String(method))
	if sessionID != "" {
		attrs = append(attrs, keySessionID.String(sessionID))
	}
	sctx, span = t.Start(pctx, name, kind, trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(attrs...))
	if input != "" {
		span.SetInput(clip(input, maxValueBytes), mime)
	}
	return sctx, span
}

func isNilSession(s mcp.Session) bool {
	switch v := s.(type) {
	case *mcp.ServerSession:
		return v == nil
	case *mcp.ClientSession:
		return v == nil
	}
	return false
}

// incoming returns ctx with the remote span context and the ids of meta. A
// valid traceparent in meta becomes the parent of the server span; invalid
// or oversized values are ignored.
func (c *config) incoming(ctx context.Context, meta map[string]any) context.Context {
	if len(meta) == 0 {
		return ctx
	}
	if tp, _ := meta[metaTraceparent].(string); tp != "" && len(tp) <= maxTraceparent {
		carrier := propagation.MapCarrier{metaTraceparent: tp}
		if ts, _ := meta[metaTracestate].(string); ts != "" && len(ts) <= maxTracestate {
			carrier[metaTracestate] = ts
		}
		if rctx := traceContext.Extract(ctx, carrier); trace.SpanContextFromContext(rctx).IsValid() {
			ctx = rctx
		}
	}
	b, _ := meta[metaBaggage].(string)
	if b == "" {
		return ctx
	}
	// Extract refuses lists over the W3C size limit and invalid ids, and
	// reports them to otel.Handle.
	sid, uid, _, _ := idbaggage.Extract([]string{b})
	if !c.user {
		uid = ""
	}
	if sid != "" || uid != "" {
		ctx = fi.UsingAttributes(ctx, fi.Attributes{SessionID: sid, UserID: uid})
	}
	return ctx
}
