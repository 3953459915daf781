package fimcp_test

import (
	"context"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/instrumentation/fimcp"
)

// benchProvider is a provider as traceai.Register builds one, in front of
// an exporter that drops the spans.
func benchProvider(b *testing.B) *sdktrace.TracerProvider {
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithSpanProcessor(fi.NewSpanProcessor()),
		sdktrace.WithBatcher(tracetest.NewNoopExporter()),
	)
	b.Cleanup(func() { tp.Shutdown(context.Background()) })
	return tp
}

func benchServer() *mcp.Server {
	s := mcp.NewServer(&mcp.Implementation{Name: "orders", Version: "1"}, nil)
	mcp.AddTool(s, &mcp.Tool{Name: "lookup_order", Description: "Looks up an order"},
		func(ctx context.Context, _ *mcp.CallToolRequest, in lookupIn) (*mcp.CallToolResult, any, error) {
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "order " + in.Order + " shipped"}}}, nil, nil
		})
	return s
}

// spanOnly is a middleware that wraps each traced method in an SDK span
// carrying the attributes fimcp records for the call, and does nothing else.
func spanOnly(tp trace.TracerProvider, kind trace.SpanKind) mcp.Middleware {
	tracer := tp.Tracer("floor")
	attrs := []attribute.KeyValue{
		attribute.String("gen_ai.span.kind", "TOOL"), attribute.String("mcp.method.name", "tools/call"),
		attribute.String("gen_ai.tool.name", "lookup_order"), attribute.String("gen_ai.operation.name", "execute_tool"),
		attribute.String("input.value", `{"order":"A7"}`), attribute.String("input.mime_type", "application/json"),
	}
	return func(next mcp.MethodHandler) mcp.MethodHandler {
		return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
			if method != "tools/call" {
				return next(ctx, method, req)
			}
			ctx, span := tracer.Start(ctx, "tools/call lookup_order", trace.WithSpanKind(kind), trace.WithAttributes(attrs...))
			res, err := next(ctx, method, req)
			span.SetAttributes(attribute.String("output.value", "order A7 shipped"), attribute.String("output.mime_type", "text/plain"))
			span.End()
			return res, err
		}
	}
}

// BenchmarkToolCall is one tools/call over the in-memory transport: bare,
// with an SDK span only (on the client, and on both sides: the floors),
// and with fimcp on the client and on both sides.
func BenchmarkToolCall(b *testing.B) {
	run := func(b *testing.B, clientMW, serverMW mcp.Middleware) {
		srv := benchServer()
		if serverMW != nil {
			srv.AddReceivingMiddleware(serverMW)
		}
		ct, st := mcp.NewInMemoryTransports()
		ss, err := srv.Connect(context.Background(), st, nil)
		if err != nil {
			b.Fatal(err)
		}
		c := mcp.NewClient(&mcp.Implementation{Name: "bot", Version: "1"}, nil)
		if clientMW != nil {
			c.AddSendingMiddleware(clientMW)
		}
		cs, err := c.Connect(context.Background(), ct, nil)
		if err != nil {
			b.Fatal(err)
		}
		defer func() { cs.Close(); ss.Wait() }()
		ctx := fi.UsingAttributes(context.Background(), fi.Attributes{SessionID: "bench-session", UserID: "bench-user", Tags: []string{"bench"}})
		params := &mcp.CallToolParams{Name: "lookup_order", Arguments: map[string]any{"order": "A7"}}
		b.ReportAllocs()
		cpu := processCPU()
		for b.Loop() {
			if _, err := cs.CallTool(ctx, params); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(processCPU()-cpu)/float64(b.N), "cpu-ns/op")
	}
	b.Run("bare", func(b *testing.B) { run(b, nil, nil) })
	b.Run("sdk-span", func(b *testing.B) { run(b, spanOnly(benchProvider(b), trace.SpanKindClient), nil) })
	b.Run("sdk-span-both", func(b *testing.B) {
		tp := benchProvider(b)
		run(b, spanOnly(tp, trace.SpanKindClient), spanOnly(tp, trace.SpanKindServer))
	})
	b.Run("instrumented-client", func(b *testing.B) {
		run(b, fimcp.ClientMiddleware(fimcp.WithTracerProvider(benchProvider(b))), nil)
	})
	b.Run("instrumented-both", func(b *testing.B) {
		tp := benchProvider(b)
		run(b, fimcp.ClientMiddleware(fimcp.WithTracerProvider(tp)), fimcp.ServerMiddleware(fimcp.WithTracerProvider(tp)))
	})
}

// BenchmarkMiddleware is the middleware alone, without a transport: a
// tools/call request through the client middleware and then the server
// middleware (as the server would receive it, _meta and all), each
// calling a handler that answers at once. The floor wraps the same
// handlers in an SDK span each.
func BenchmarkMiddleware(b *testing.B) {
	ct, st := mcp.NewInMemoryTransports()
	srv := benchServer()
	ss, err := srv.Connect(context.Background(), st, nil)
	if err != nil {
		b.Fatal(err)
	}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "bot", Version: "1"}, nil).Connect(context.Background(), ct, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer func() { cs.Close(); ss.Wait() }()
	result := &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "order A7 shipped"}}}
	run := func(b *testing.B, client, server mcp.Middleware) {
		serverSide := server(func(context.Context, string, mcp.Request) (mcp.Result, error) { return result, nil })
		clientSide := client(func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
			p := req.GetParams().(*mcp.CallToolParams)
			raw := &mcp.CallToolParamsRaw{Meta: p.Meta, Name: p.Name, Arguments: []byte(`{"order":"A7"}`)}
			return serverSide(context.Background(), method, &mcp.ServerRequest[*mcp.CallToolParamsRaw]{Params: raw})
		})
		ctx := fi.UsingAttributes(context.Background(), fi.Attributes{SessionID: "bench-session", UserID: "bench-user", Tags: []string{"bench"}})
		req := &mcp.ClientRequest[*mcp.CallToolParams]{Session: cs, Params: &mcp.CallToolParams{Name: "lookup_order", Arguments: map[string]any{"order": "A7"}}}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := clientSide(ctx, "tools/call", req); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("sdk-span-both", func(b *testing.B) {
		tp := benchProvider(b)
		run(b, spanOnly(tp, trace.SpanKindClient), spanOnly(tp, trace.SpanKindServer))
	})
	b.Run("instrumented-both", func(b *testing.B) {
		tp := benchProvider(b)
		run(b, fimcp.ClientMiddleware(fimcp.WithTracerProvider(tp)), fimcp.ServerMiddleware(fimcp.WithTracerProvider(tp)))
	})
}
