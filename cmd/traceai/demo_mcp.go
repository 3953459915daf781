package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"go.opentelemetry.io/otel/trace"

	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/fi/semconv"
	"github.com/traceai-go/traceai/instrumentation/fimcp"
)

// brokenOrder is the order whose lookup fails in the demo: the broken
// session asks about it, so its first turn shows a failed tool call on
// both sides of the MCP boundary.
const brokenOrder = "A-4417"

type lookupArgs struct {
	OrderID string `json:"order_id"`
}

// connectOrderTools starts the order service as an in-process MCP server
// and connects the bot to it over in-memory transports, both sides traced
// by fimcp, so a tool call's server side joins the conversation's trace.
func connectOrderTools(ctx context.Context, tp trace.TracerProvider) (*mcp.ClientSession, func(), error) {
	srv := mcp.NewServer(&mcp.Implementation{Name: "order-service", Version: "1.0.0"}, nil)
	srv.AddReceivingMiddleware(fimcp.ServerMiddleware(fimcp.WithTracerProvider(tp)))
	tracer := fi.NewTracer(fi.WithTracerProvider(tp))
	mcp.AddTool(srv, &mcp.Tool{Name: lookupOrderTool.Name, Description: lookupOrderTool.Description},
		func(ctx context.Context, _ *mcp.CallToolRequest, in lookupArgs) (*mcp.CallToolResult, any, error) {
			// The order database query, a span of the server's own.
			text, err := fi.Run(ctx, tracer, semconv.SpanKindChain, "orders_db.get", in.OrderID, func(context.Context, *fi.Span) (string, error) {
				if strings.EqualFold(in.OrderID, brokenOrder) {
					return "", fmt.Errorf("order service timed out looking up %s", in.OrderID)
				}
				return lookupOrder(in.OrderID), nil
			})
			if err != nil {
				return nil, nil, err // the SDK answers an isError result
			}
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: text}}}, nil, nil
		})
	ct, st := mcp.NewInMemoryTransports()
	ss, err := srv.Connect(ctx, st, nil)
	if err != nil {
		return nil, nil, err
	}
	c := mcp.NewClient(&mcp.Implementation{Name: "support-bot", Version: "1.0.0"}, nil)
	c.AddSendingMiddleware(fimcp.ClientMiddleware(fimcp.WithTracerProvider(tp)))
	cs, err := c.Connect(ctx, ct, nil)
	if err != nil {
		ss.Close()
		return nil, nil, err
	}
	return cs, func() { cs.Close(); ss.Wait() }, nil
}

// callTool calls a tool of the order service with the model's JSON
// arguments. A tool that failed answers its error text, which the model
// sees, and failed is set.
func callTool(ctx context.Context, cs *mcp.ClientSession, name, args string) (out string, failed bool, err error) {
	var arguments any = args
	if json.Valid([]byte(args)) {
		arguments = json.RawMessage(args)
	}
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: arguments})
	if err != nil {
		return "", false, err
	}
	var b strings.Builder
	for _, c := range res.Content {
		if t, ok := c.(*mcp.TextContent); ok {
			b.WriteString(t.Text)
		}
	}
	if res.IsError {
		return "error: " + b.String(), true, nil
	}
	return b.String(), false, nil
}
