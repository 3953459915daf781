package fimcp_test

import (
	"context"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/fi/semconv"
	"github.com/traceai-go/traceai/instrumentation/fimcp"
)

func attrKey(k string) attribute.Key { return attribute.Key(k) }

type attributeKey = attribute.Key

func TestToolCallOneTraceWithSession(t *testing.T) {
	f := newFixture(t, []fimcp.Option{}, []fimcp.Option{})
	ctx := fi.UsingAttributes(context.Background(), fi.Attributes{SessionID: "sess-1", UserID: "user-1"})
	params := &mcp.CallToolParams{Name: "lookup", Arguments: map[string]any{"order": "A17"}}
	res, err := f.session.CallTool(ctx, params)
	if err != nil || res.IsError {
		t.Fatalf("call: %v %+v", err, res)
	}
	if _, ok := params.Meta["traceparent"]; ok {
		t.Error("the caller's params were modified")
	}
	cli := one(t, f.rec, "tools/call lookup", trace.SpanKindClient)
	srv := one(t, f.rec, "tools/call lookup", trace.SpanKindServer)
	db := one(t, f.rec, "db.query", trace.SpanKindInternal)
	if srv.SpanContext().TraceID() != cli.SpanContext().TraceID() || db.SpanContext().TraceID() != cli.SpanContext().TraceID() {
		t.Fatal("client, server and handler spans are not in one trace")
	}
	if srv.Parent().SpanID() != cli.SpanContext().SpanID() || !srv.Parent().IsRemote() {
		t.Errorf("server span parent %v, want remote client span %v", srv.Parent(), cli.SpanContext())
	}
	if db.Parent().SpanID() != srv.SpanContext().SpanID() {
		t.Error("the handler's span is not a child of the server span")
	}
	ca := attrs(cli)
	for k, want := range map[string]string{
		string(semconv.GenAISpanKind): "TOOL", string(semconv.GenAIToolName): "lookup",
		string(semconv.InputValue): `{"order":"A17"}`, string(semconv.InputMimeType): "application/json",
		string(semconv.OutputValue): "order A17 shipped", string(semconv.OutputMimeType): "text/plain",
		"mcp.method.name": "tools/call", string(semconv.SessionID): "sess-1", string(semconv.UserID): "user-1",
	} {
		if got := ca[attrKey(k)]; got != want {
			t.Errorf("client %s = %q, want %q", k, got, want)
		}
	}
	sa := attrs(srv)
	for k, want := range map[string]string{
		string(semconv.GenAISpanKind): "TOOL", string(semconv.GenAIToolName): "lookup",
		string(semconv.InputValue): `{"order":"A17"}`, string(semconv.SessionID): "sess-1",
		string(semconv.OutputValue): "order A17 shipped",
	} {
		if got := sa[attrKey(k)]; got != want {
			t.Errorf("server %s = %q, want %q", k, got, want)
		}
	}
	if _, ok := sa[semconv.UserID]; ok {
		t.Error("user.id crossed without WithUserPropagation")
	}
	if got := attrs(db)[semconv.SessionID]; got != "sess-1" {
		t.Errorf("handler span session.id = %q", got)
	}
	if got := f.seen.get("A17"); got != [2]string{"sess-1", ""} {
		t.Errorf("handler context ids = %v", got)
	}
	if cli.Status().Code != codes.Ok || srv.Status().Code != codes.Ok {
		t.Errorf("statuses %v %v", cli.Status(), srv.Status())
	}
}
