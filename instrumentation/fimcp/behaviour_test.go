package fimcp_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/fi/semconv"
	"github.com/traceai-go/traceai/instrumentation/fimcp"
)

func TestUserPropagationNeedsBothSides(t *testing.T) {
	for _, tc := range []struct {
		name           string
		client, server bool
		want           string
	}{
		{"both", true, true, "user-1"},
		{"client only", true, false, ""},
		{"server only", false, true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, []fimcp.Option{fimcp.WithUserPropagation(tc.client)}, []fimcp.Option{fimcp.WithUserPropagation(tc.server)})
			ctx := fi.UsingAttributes(context.Background(), fi.Attributes{SessionID: "sess-1", UserID: "user-1"})
			if _, err := f.session.CallTool(ctx, &mcp.CallToolParams{Name: "lookup", Arguments: map[string]any{"order": "B2"}}); err != nil {
				t.Fatal(err)
			}
			srv := one(t, f.rec, "tools/call lookup", trace.SpanKindServer)
			a := attrs(srv)
			if a[semconv.UserID] != tc.want || a[semconv.SessionID] != "sess-1" {
				t.Errorf("server user.id %q session.id %q, want %q sess-1", a[semconv.UserID], a[semconv.SessionID], tc.want)
			}
			if got := f.seen.get("B2"); got != [2]string{"sess-1", tc.want} {
				t.Errorf("handler context ids = %v", got)
			}
		})
	}
}

func TestToolErrorsMarkSpans(t *testing.T) {
	f := newFixture(t, []fimcp.Option{}, []fimcp.Option{})
	ctx := fi.UsingSession(context.Background(), "sess-err")
	res, err := f.session.CallTool(ctx, &mcp.CallToolParams{Name: "broken"})
	if err != nil || !res.IsError {
		t.Fatalf("broken: %v %+v", err, res)
	}
	for _, kind := range []trace.SpanKind{trace.SpanKindClient, trace.SpanKindServer} {
		s := one(t, f.rec, "tools/call broken", kind)
		if s.Status().Code != codes.Error || s.Status().Description != "order database is down" {
			t.Errorf("%s status %+v", kind, s.Status())
		}
	}
	res, err = f.session.CallTool(ctx, &mcp.CallToolParams{Name: "fails"})
	if err == nil && (res == nil || !res.IsError) {
		t.Fatalf("fails: want an error, got %+v", res)
	}
	for _, kind := range []trace.SpanKind{trace.SpanKindClient, trace.SpanKindServer} {
		s := one(t, f.rec, "tools/call fails", kind)
		if s.Status().Code != codes.Error || !strings.Contains(s.Status().Description, "handler exploded") {
			t.Errorf("%s status %+v", kind, s.Status())
		}
	}
	// A JSON-RPC error: an unknown tool.
	if _, err := f.session.CallTool(ctx, &mcp.CallToolParams{Name: "nope"}); err == nil {
		t.Fatal("unknown tool: no error")
	}
	cli := one(t, f.rec, "tools/call nope", trace.SpanKindClient)
	if cli.Status().Code != codes.Error || !strings.Contains(cli.Status().Description, "nope") {
		t.Errorf("client status %+v", cli.Status())
	}
	if attrs(cli)[semconv.SessionID] != "sess-err" {
		t.Error("error span lacks session.id")
	}
}

func TestConcurrentCallsKeepTheirSession(t *testing.T) {
	f := newFixture(t, []fimcp.Option{}, []fimcp.Option{})
	var wg sync.WaitGroup
	errs := make(chan error, 10)
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := fi.UsingSession(context.Background(), fmt.Sprintf("sess-%d", i))
			_, err := f.session.CallTool(ctx, &mcp.CallToolParams{Name: "lookup", Arguments: map[string]any{"order": fmt.Sprint(i)}})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	byTrace := map[trace.TraceID]string{}
	for _, s := range spansNamed(f.rec, "tools/call lookup")[trace.SpanKindClient] {
		byTrace[s.SpanContext().TraceID()] = attrs(s)[semconv.SessionID]
	}
	srv := spansNamed(f.rec, "tools/call lookup")[trace.SpanKindServer]
	if len(byTrace) != 10 || len(srv) != 10 {
		t.Fatalf("%d client traces, %d server spans", len(byTrace), len(srv))
	}
	for _, s := range srv {
		a := attrs(s)
		want := byTrace[s.SpanContext().TraceID()]
		if want == "" || a[semconv.SessionID] != want || a[semconv.InputValue] != fmt.Sprintf(`{"order":"%s"}`, strings.TrimPrefix(want, "sess-")) {
			t.Errorf("server span session %q input %q, client trace session %q", a[semconv.SessionID], a[semconv.InputValue], want)
		}
	}
	for i := range 10 {
		if got := f.seen.get(fmt.Sprint(i)); got[0] != fmt.Sprintf("sess-%d", i) {
			t.Errorf("call %d: handler saw session %q", i, got[0])
		}
	}
}

func TestCancellationEndsSpans(t *testing.T) {
	f := newFixture(t, []fimcp.Option{}, []fimcp.Option{})
	ctx, cancel := context.WithTimeout(fi.UsingSession(context.Background(), "sess-c"), 100*time.Millisecond)
	defer cancel()
	_, err := f.session.CallTool(ctx, &mcp.CallToolParams{Name: "slow"})
	if err == nil {
		t.Fatal("no error after cancellation")
	}
	cli := one(t, f.rec, "tools/call slow", trace.SpanKindClient)
	if cli.Status().Code != codes.Error {
		t.Errorf("client status %+v", cli.Status())
	}
	// The server learns of the cancellation by notification; its span ends
	// when the handler returns.
	deadline := time.Now().Add(5 * time.Second)
	for len(spansNamed(f.rec, "tools/call slow")[trace.SpanKindServer]) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("server span never ended")
		}
		time.Sleep(10 * time.Millisecond)
	}
	srv := one(t, f.rec, "tools/call slow", trace.SpanKindServer)
	if srv.Status().Code != codes.Error || srv.SpanContext().TraceID() != cli.SpanContext().TraceID() {
		t.Errorf("server span status %+v, same trace %v", srv.Status(), srv.SpanContext().TraceID() == cli.SpanContext().TraceID())
	}
	if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Errorf("ctx err %v", ctx.Err())
	}
}

func TestOtherMethods(t *testing.T) {
	f := newFixture(t, []fimcp.Option{}, []fimcp.Option{})
	ctx := fi.UsingSession(context.Background(), "sess-o")
	if _, err := f.session.ListTools(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := f.session.ReadResource(ctx, &mcp.ReadResourceParams{URI: "file:///faq.txt"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.session.GetPrompt(ctx, &mcp.GetPromptParams{Name: "greet", Arguments: map[string]string{"name": "Ann"}}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, key, want string }{
		{"tools/list", string(semconv.OutputValue), `["broken","fails","lookup","slow"]`},
		{"resources/read", string(semconv.OutputValue), "returns within 30 days"},
		{"resources/read", "mcp.resource.uri", "file:///faq.txt"},
		{"prompts/get greet", string(semconv.InputValue), `{"name":"Ann"}`},
		{"prompts/get greet", string(semconv.GenAIPromptName), "greet"},
	} {
		cli := one(t, f.rec, tc.name, trace.SpanKindClient)
		srv := one(t, f.rec, tc.name, trace.SpanKindServer)
		if srv.SpanContext().TraceID() != cli.SpanContext().TraceID() {
			t.Errorf("%s: client and server in different traces", tc.name)
		}
		for _, s := range []map[attributeKey]string{attrs(cli), attrs(srv)} {
			if s[semconv.GenAISpanKind] != "CHAIN" || s[semconv.SessionID] != "sess-o" {
				t.Errorf("%s: kind %q session %q", tc.name, s[semconv.GenAISpanKind], s[semconv.SessionID])
			}
		}
		if got := attrs(cli)[attributeKey(tc.key)]; !strings.Contains(got, tc.want) {
			t.Errorf("%s: %s = %q, want %q", tc.name, tc.key, got, tc.want)
		}
	}
}

func TestUninstrumentedPeers(t *testing.T) {
	// An instrumented client with a plain server, and the reverse, work.
	f := newFixture(t, []fimcp.Option{}, nil)
	if _, err := f.session.CallTool(context.Background(), &mcp.CallToolParams{Name: "lookup", Arguments: map[string]any{"order": "x"}}); err != nil {
		t.Fatal(err)
	}
	g := newFixture(t, nil, []fimcp.Option{})
	if _, err := g.session.CallTool(fi.UsingSession(context.Background(), "s"), &mcp.CallToolParams{Name: "lookup", Arguments: map[string]any{"order": "y"}}); err != nil {
		t.Fatal(err)
	}
	srv := one(t, g.rec, "tools/call lookup", trace.SpanKindServer)
	if srv.Parent().IsValid() || attrs(srv)[semconv.SessionID] != "" {
		t.Errorf("server span without client context: parent %v attrs %v", srv.Parent(), attrs(srv))
	}
}

func TestIDPropagationOff(t *testing.T) {
	f := newFixture(t, []fimcp.Option{fimcp.WithIDPropagation(false), fimcp.WithUserPropagation(true)}, []fimcp.Option{fimcp.WithUserPropagation(true)})
	ctx := fi.UsingAttributes(context.Background(), fi.Attributes{SessionID: "sess-1", UserID: "user-1"})
	if _, err := f.session.CallTool(ctx, &mcp.CallToolParams{Name: "lookup", Arguments: map[string]any{"order": "C3"}}); err != nil {
		t.Fatal(err)
	}
	cli := one(t, f.rec, "tools/call lookup", trace.SpanKindClient)
	srv := one(t, f.rec, "tools/call lookup", trace.SpanKindServer)
	if srv.SpanContext().TraceID() != cli.SpanContext().TraceID() {
		t.Error("trace context not sent")
	}
	if a := attrs(srv); a[semconv.SessionID] != "" || a[semconv.UserID] != "" {
		t.Errorf("ids crossed: %v", a)
	}
	if attrs(cli)[semconv.SessionID] != "sess-1" {
		t.Error("client span lost its own session")
	}
}

func TestTraceConfigMasks(t *testing.T) {
	hide := fimcp.WithTraceConfig(fi.TraceConfig{HideInputs: true, HideOutputs: true})
	f := newFixture(t, []fimcp.Option{hide}, []fimcp.Option{hide})
	if _, err := f.session.CallTool(context.Background(), &mcp.CallToolParams{Name: "lookup", Arguments: map[string]any{"order": "secret"}}); err != nil {
		t.Fatal(err)
	}
	for _, kind := range []trace.SpanKind{trace.SpanKindClient, trace.SpanKindServer} {
		a := attrs(one(t, f.rec, "tools/call lookup", kind))
		if strings.Contains(a[semconv.InputValue]+a[semconv.OutputValue], "secret") {
			t.Errorf("%s span recorded hidden values: %v", kind, a)
		}
		if a[semconv.GenAIToolName] != "lookup" {
			t.Errorf("%s span lost the tool name", kind)
		}
	}
}
