package fimcp_test

import (
	"context"
	"fmt"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/instrumentation/fimcp"
)

// An agent calls a tool of an MCP server; the server's span and everything
// the tool handler traces join the agent's trace and session.
func Example() {
	server := mcp.NewServer(&mcp.Implementation{Name: "orders", Version: "1"}, nil)
	server.AddReceivingMiddleware(fimcp.ServerMiddleware())
	mcp.AddTool(server, &mcp.Tool{Name: "lookup", Description: "look up an order"},
		func(ctx context.Context, _ *mcp.CallToolRequest, in struct{ Order string }) (*mcp.CallToolResult, any, error) {
			// ctx carries the client's trace and session.
			text := fmt.Sprintf("order %s shipped (session %s)", in.Order, fi.SessionID(ctx))
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: text}}}, nil, nil
		})

	client := mcp.NewClient(&mcp.Implementation{Name: "agent", Version: "1"}, nil)
	client.AddSendingMiddleware(fimcp.ClientMiddleware())

	ct, st := mcp.NewInMemoryTransports()
	ss, err := server.Connect(context.Background(), st, nil)
	if err != nil {
		panic(err)
	}
	cs, err := client.Connect(context.Background(), ct, nil)
	if err != nil {
		panic(err)
	}
	defer func() { _ = cs.Close(); _ = ss.Wait() }()

	ctx := fi.UsingSession(context.Background(), "conversation-42")
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "lookup", Arguments: map[string]any{"Order": "A17"}})
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Content[0].(*mcp.TextContent).Text)
	// Output: order A17 shipped (session conversation-42)
}
