package fimcp

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/internal/idbaggage"
)

type panicCatcher struct{ panics atomic.Int64 }

func (p *panicCatcher) Handle(err error) {
	if strings.Contains(err.Error(), "recovered from panic") {
		p.panics.Add(1)
	}
}

// FuzzIncomingMeta feeds random _meta maps to the server side: it never
// panics (not even one it recovers from), a span always starts, and what
// reaches the context is valid.
func FuzzIncomingMeta(f *testing.F) {
	f.Add("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "k=v", "session.id=s1,user.id=u1", uint8(0))
	f.Add("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331", "", "session.id=%ZZ", uint8(1))
	f.Add("ff-"+strings.Repeat("a", 200), strings.Repeat("x=", 400), "session.id="+strings.Repeat("s", 9000), uint8(2))
	f.Add("", "", "session.id=a\x01b;p", uint8(3))
	catcher := &panicCatcher{}
	prev := otel.GetErrorHandler()
	otel.SetErrorHandler(catcher)
	f.Cleanup(func() { otel.SetErrorHandler(prev) })
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	c := newConfig([]Option{WithTracerProvider(tp), WithUserPropagation(true)})
	tr := c.tracer()
	f.Fuzz(func(t *testing.T, tp, ts, bag string, shape uint8) {
		meta := map[string]any{"traceparent": tp, "tracestate": ts, "baggage": bag}
		switch shape % 4 {
		case 1:
			meta["traceparent"] = []any{tp}
		case 2:
			meta["baggage"] = map[string]any{"session.id": bag}
		case 3:
			meta = nil
		}
		req := &mcp.ServerRequest[*mcp.CallToolParamsRaw]{Params: &mcp.CallToolParamsRaw{Meta: meta, Name: bag, Arguments: []byte(ts)}}
		ctx, span := c.startServer(context.Background(), tr, methodCallTool, "TOOL", req)
		if span == nil {
			t.Fatal("no span")
		}
		finish(span, methodCallTool, &mcp.CallToolResult{IsError: true}, nil)
		if n := catcher.panics.Load(); n > 0 {
			t.Fatalf("%d panics recovered", n)
		}
		if sid := fi.SessionID(ctx); sid != "" && idbaggage.ValidateID("s", sid) != nil {
			t.Fatalf("invalid session id %q reached the context", sid)
		}
		if uid := fi.UserID(ctx); uid != "" && idbaggage.ValidateID("u", uid) != nil {
			t.Fatalf("invalid user id %q reached the context", uid)
		}
		if sc := trace.SpanContextFromContext(ctx); !sc.IsValid() {
			t.Fatal("server span context invalid")
		}
		// Also the nil and oddly shaped requests.
		for _, r := range []mcp.Request{nil, &mcp.ServerRequest[*mcp.CallToolParamsRaw]{}, &mcp.ServerRequest[*mcp.ListToolsParams]{Params: &mcp.ListToolsParams{Meta: meta}}} {
			_, s := c.startServer(context.Background(), tr, methodListTools, "CHAIN", r)
			finish(s, methodListTools, nil, nil)
		}
		if n := catcher.panics.Load(); n > 0 {
			t.Fatalf("%d panics recovered on odd requests", n)
		}
	})
}
