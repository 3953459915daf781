// Package fimcp traces Model Context Protocol calls made with
// github.com/modelcontextprotocol/go-sdk and carries the trace and the
// traceAI session across the MCP boundary.
//
// ClientMiddleware (for Client.AddSendingMiddleware) turns tools/call into a
// TOOL span and tools/list, resources/read and prompts/get into CHAIN spans,
// and writes the W3C trace context (traceparent, tracestate) and the session
// id (the user id only with WithUserPropagation(true)) into the request's
// _meta. ServerMiddleware (for Server.AddReceivingMiddleware) reads them
// back, so the server's spans, the tool handler's included, join the
// client's trace and carry the same session.id through fi.NewSpanProcessor.
//
// See docs/agents.md for the span kinds and propagation rules.
package fimcp
