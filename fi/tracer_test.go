package fi_test

import (
	"context"
	"errors"
	"io/fs"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/fi/semconv"
)

func newTestTracer(t *testing.T, cfg fi.TraceConfig) (*fi.Tracer, recorderProvider) {
	rp := newRecorderProvider(t, fi.NewSpanProcessor())
	return fi.NewTracer(fi.WithTracerProvider(rp.tp), fi.WithTraceConfig(cfg)), rp
}

type (
	namedBool  bool
	namedFloat float64
)

type point struct {
	X int     `json:"x"`
	Y float64 `json:"y"`
}

func TestSetInputOutputMimeTypes(t *testing.T) {
	tr, rp := newTestTracer(t, fi.TraceConfig{})
	for _, c := range []struct {
		name     string
		v        any
		mime     []semconv.MimeType
		wantVal  string
		wantMime string
	}{
		{"string", "hello", nil, "hello", "text/plain"},
		{"int", 42, nil, "42", "text/plain"},
		{"float", 1.0, nil, "1.0", "text/plain"},
		{"bool", true, nil, "True", "text/plain"},
		{"error", errors.New("bad"), nil, "bad", "text/plain"},
		{"duration", 1500 * time.Millisecond, nil, "1.5s", "text/plain"},
		{"map", map[string]any{"b": 1, "a": []int{1, 2}}, nil, `{"a": [1, 2], "b": 1}`, "application/json"},
		{"slice", []string{"x", "é"}, nil, `["x", "é"]`, "application/json"},
		{"struct", point{1, 2.5}, nil, `{"x": 1, "y": 2.5}`, "application/json"},
		{"json string", `{"already": "json"}`, []semconv.MimeType{semconv.MimeTypeJSON}, `{"already": "json"}`, "application/json"},
		{"forced text", map[string]int{"a": 1}, []semconv.MimeType{semconv.MimeTypeText}, "map[a:1]", "text/plain"},
		{"nil", nil, nil, "None", "text/plain"},
		{"named string", semconv.SpanKindLLM, nil, "LLM", "text/plain"},
		{"named bool", namedBool(false), nil, "False", "text/plain"},
		{"named float", namedFloat(2), nil, "2.0", "text/plain"},
	} {
		_, span := tr.Start(context.Background(), c.name, semconv.SpanKindChain)
		span.SetInput(c.v, c.mime...)
		span.SetOutput(c.v, c.mime...)
		span.End()
		wantAttrs(t, ended(t, rp.rec, c.name), map[attribute.Key]any{
			semconv.InputValue: c.wantVal, semconv.InputMimeType: c.wantMime,
			semconv.OutputValue: c.wantVal, semconv.OutputMimeType: c.wantMime,
			semconv.GenAISpanKind: "CHAIN",
		})
	}
}

func TestSpanStatusAndRecordError(t *testing.T) {
	tr, rp := newTestTracer(t, fi.TraceConfig{})

	_, ok := tr.Start(context.Background(), "ok", semconv.SpanKindTool)
	ok.End()
	if s := ended(t, rp.rec, "ok").Status(); s.Code != codes.Ok {
		t.Errorf("status of a span ended without error = %v", s)
	}

	_, failed := tr.Start(context.Background(), "failed", semconv.SpanKindTool)
	failed.RecordError(nil) // ignored
	err := &fs.PathError{Op: "open", Path: "/x", Err: fs.ErrNotExist}
	failed.RecordError(err)
	failed.End()
	s := ended(t, rp.rec, "failed")
	if s.Status().Code != codes.Error || s.Status().Description != "fs.PathError: open /x: file does not exist" {
		t.Errorf("status = %+v", s.Status())
	}
	if len(s.Events()) != 1 || s.Events()[0].Name != "exception" {
		t.Errorf("events = %v, want one exception", s.Events())
	}

	_, explicit := tr.Start(context.Background(), "explicit", semconv.SpanKindTool)
	explicit.SetStatus(codes.Unset, "")
	explicit.End()
	if c := ended(t, rp.rec, "explicit").Status().Code; c != codes.Unset {
		t.Errorf("an explicitly set status was overwritten: %v", c)
	}
}

func TestStartOptionsAndContext(t *testing.T) {
	tr, rp := newTestTracer(t, fi.TraceConfig{})
	ctx := fi.UsingSession(context.Background(), "s")
	when := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	ctx, parent := tr.Start(ctx, "parent", semconv.SpanKindAgent,
		trace.WithSpanKind(trace.SpanKindServer), trace.WithTimestamp(when),
		trace.WithAttributes(semconv.SessionID.String("explicit"), attribute.String("k", "v")))
	_, child := tr.Start(ctx, "child", "")
	child.End()
	parent.End()

	p := ended(t, rp.rec, "parent")
	// Context attributes are set after explicit ones and win, as in Python.
	wantAttrs(t, p, map[attribute.Key]any{semconv.SessionID: "s", "k": "v", semconv.GenAISpanKind: "AGENT"})
	if p.SpanKind() != trace.SpanKindServer || !p.StartTime().Equal(when) {
		t.Errorf("kind %v start %v", p.SpanKind(), p.StartTime())
	}
	c := ended(t, rp.rec, "child")
	if c.Parent().SpanID() != p.SpanContext().SpanID() {
		t.Error("child is not a child of parent")
	}
	wantAttrs(t, c, map[attribute.Key]any{semconv.SessionID: "s", semconv.GenAISpanKind: nil})
}

func TestChainAgentTool(t *testing.T) {
	tr, rp := newTestTracer(t, fi.TraceConfig{})
	ctx := fi.UsingUser(context.Background(), "u")

	out, err := fi.Chain(ctx, tr, "chain", "question", func(ctx context.Context) (string, error) {
		return fi.Agent(ctx, tr, "agent", map[string]any{"goal": "g"}, func(ctx context.Context) (string, error) {
			n, err := fi.Tool(ctx, tr, fi.ToolInfo{
				Name: "add", Description: "adds", Parameters: map[string]any{"type": "object"},
			}, []int{1, 2}, func(context.Context) (int, error) { return 3, nil })
			if err != nil {
				return "", err
			}
			return "answer " + string(rune('0'+n)), nil
		})
	})
	if out != "answer 3" || err != nil {
		t.Fatalf("Chain = %q, %v", out, err)
	}
	chain, agent, tool := ended(t, rp.rec, "chain"), ended(t, rp.rec, "agent"), ended(t, rp.rec, "add")
	wantAttrs(t, chain, map[attribute.Key]any{
		semconv.GenAISpanKind: "CHAIN", semconv.InputValue: "question", semconv.InputMimeType: "text/plain",
		semconv.OutputValue: "answer 3", semconv.OutputMimeType: "text/plain", semconv.UserID: "u",
	})
	wantAttrs(t, agent, map[attribute.Key]any{
		semconv.GenAISpanKind: "AGENT", semconv.InputValue: `{"goal": "g"}`, semconv.InputMimeType: "application/json",
		semconv.UserID: "u",
	})
	wantAttrs(t, tool, map[attribute.Key]any{
		semconv.GenAISpanKind: "TOOL", semconv.GenAIToolName: "add", semconv.GenAIToolDescription: "adds",
		semconv.ToolParameters: `{"type": "object"}`, semconv.InputValue: "[1, 2]", semconv.OutputValue: "3",
		semconv.OutputMimeType: "text/plain", semconv.UserID: "u",
	})
	if tool.Parent().SpanID() != agent.SpanContext().SpanID() || agent.Parent().SpanID() != chain.SpanContext().SpanID() {
		t.Error("spans are not nested chain > agent > tool")
	}
	for _, s := range []string{"chain", "agent", "add"} {
		if c := ended(t, rp.rec, s).Status().Code; c != codes.Ok {
			t.Errorf("%s status %v", s, c)
		}
	}
}

func TestRunRecordsErrorAndPanic(t *testing.T) {
	tr, rp := newTestTracer(t, fi.TraceConfig{})
	boom := errors.New("boom")
	_, err := fi.Run(context.Background(), tr, semconv.SpanKindRetriever, "retrieve", nil,
		func(_ context.Context, s *fi.Span) ([]string, error) {
			s.SetAttributes(attribute.Int("k", 3))
			return nil, boom
		})
	if err != boom {
		t.Fatalf("err = %v", err)
	}
	s := ended(t, rp.rec, "retrieve")
	if s.Status().Code != codes.Error || s.Status().Description != "*errors.errorString: boom" &&
		s.Status().Description != "errors.errorString: boom" {
		t.Errorf("status %+v", s.Status())
	}
	wantAttrs(t, s, map[attribute.Key]any{semconv.OutputValue: nil, semconv.InputValue: nil, "k": 3, semconv.GenAISpanKind: "RETRIEVER"})

	func() {
		defer func() {
			if r := recover(); r != "kaboom" {
				t.Errorf("recovered %v, want the panic re-raised", r)
			}
		}()
		_, _ = fi.Chain(context.Background(), tr, "panics", "x", func(context.Context) (int, error) { panic("kaboom") })
	}()
	p := ended(t, rp.rec, "panics")
	if p.Status().Code != codes.Error || len(p.Events()) != 1 {
		t.Errorf("panic not recorded: %+v %v", p.Status(), p.Events())
	}
}

func TestSpanMaskingAfterStart(t *testing.T) {
	tr, rp := newTestTracer(t, fi.TraceConfig{HideInputs: true, HideOutputs: true})
	_, err := fi.Chain(context.Background(), tr, "masked", "secret in", func(context.Context) (string, error) {
		return "secret out", nil
	})
	if err != nil {
		t.Fatal(err)
	}
	s := ended(t, rp.rec, "masked")
	wantAttrs(t, s, map[attribute.Key]any{
		semconv.InputValue: "__REDACTED__", semconv.OutputValue: "__REDACTED__",
		semconv.InputMimeType: nil, semconv.OutputMimeType: nil,
	})
	for _, kv := range s.Attributes() {
		if v := kv.Value.Emit(); v == "secret in" || v == "secret out" {
			t.Errorf("%s leaked %q", kv.Key, v)
		}
	}
}

func TestSetAttributesDoesNotModifyCallerSlice(t *testing.T) {
	tr, _ := newTestTracer(t, fi.TraceConfig{HideInputs: true})
	_, span := tr.Start(context.Background(), "op", semconv.SpanKindChain)
	kvs := []attribute.KeyValue{semconv.InputMimeType.String("text/plain"), semconv.InputValue.String("v")}
	span.SetAttributes(kvs...)
	span.End()
	if kvs[0].Value.AsString() != "text/plain" || kvs[1].Value.AsString() != "v" {
		t.Errorf("caller's slice modified: %v", kvs)
	}
}

func TestNewTracerDefaults(t *testing.T) {
	clearEnv(t)
	rp := newRecorderProvider(t)
	tr := fi.NewTracer(fi.WithTracerProvider(rp.tp))
	_, s := tr.Start(context.Background(), "op", semconv.SpanKindLLM)
	s.End()
	sp := ended(t, rp.rec, "op")
	if sp.InstrumentationScope().Name != fi.ScopeName || sp.InstrumentationScope().Version != fi.Version {
		t.Errorf("scope %+v", sp.InstrumentationScope())
	}
	tr = fi.NewTracer(fi.WithTracerProvider(rp.tp), fi.WithInstrumentationName("mine"))
	_, s = tr.Start(context.Background(), "mine", semconv.SpanKindLLM)
	s.End()
	if n := ended(t, rp.rec, "mine").InstrumentationScope().Name; n != "mine" {
		t.Errorf("scope name %q", n)
	}
}

func TestRunKeepsOutputSetByFn(t *testing.T) {
	tr, rp := newTestTracer(t, fi.TraceConfig{})
	_, _ = fi.Run(context.Background(), tr, semconv.SpanKindChain, "own-output", "in",
		func(_ context.Context, s *fi.Span) (int, error) {
			s.SetOutput(map[string]int{"custom": 1})
			return 7, nil
		})
	wantAttrs(t, ended(t, rp.rec, "own-output"), map[attribute.Key]any{
		semconv.OutputValue: `{"custom": 1}`, semconv.OutputMimeType: "application/json",
	})
}

func TestStartKindsAndScopesReuse(t *testing.T) {
	tr, rp := newTestTracer(t, fi.TraceConfig{})
	ctx := fi.UsingSession(context.Background(), "s")
	for _, c := range []struct {
		name string
		ctx  context.Context
		kind semconv.SpanKind
	}{
		{"custom", ctx, "MY_KIND"}, {"custom-no-scope", context.Background(), "MY_KIND"},
		{"llm-1", ctx, semconv.SpanKindLLM}, {"llm-2", ctx, semconv.SpanKindLLM},
		{"llm-no-scope", context.Background(), semconv.SpanKindLLM}, {"none", ctx, ""},
	} {
		_, s := tr.Start(c.ctx, c.name, c.kind, trace.WithSpanKind(trace.SpanKindClient))
		s.End()
	}
	want := map[string][2]string{
		"custom": {"MY_KIND", "s"}, "custom-no-scope": {"MY_KIND", ""},
		"llm-1": {"LLM", "s"}, "llm-2": {"LLM", "s"}, "llm-no-scope": {"LLM", ""}, "none": {"", "s"},
	}
	for name, w := range want {
		s := ended(t, rp.rec, name)
		a := attrs(s)
		if a[semconv.GenAISpanKind].AsString() != w[0] || a[semconv.SessionID].AsString() != w[1] {
			t.Errorf("%s: kind %q session %q", name, a[semconv.GenAISpanKind].AsString(), a[semconv.SessionID].AsString())
		}
		if s.SpanKind() != trace.SpanKindClient {
			t.Errorf("%s: OpenTelemetry kind %v", name, s.SpanKind())
		}
		wantN := 0
		if w[0] != "" {
			wantN++ // gen_ai.span.kind
		}
		if w[1] != "" {
			wantN += 2 // session.id, gen_ai.conversation.id
		}
		if n := len(s.Attributes()); n != wantN {
			t.Errorf("%s: %d attributes: %v", name, n, s.Attributes())
		}
	}
}

// quotaError names its own type for traces.
type quotaError struct{}

func (quotaError) Error() string     { return "quota exceeded" }
func (quotaError) ErrorType() string { return "billing.QuotaError" }

func TestRecordErrorNamedType(t *testing.T) {
	rp := newRecorderProvider(t, fi.NewSpanProcessor())
	tr := fi.NewTracer(fi.WithTracerProvider(rp.tp))
	_, span := tr.Start(context.Background(), "op", semconv.SpanKindLLM)
	span.RecordError(quotaError{})
	span.End()
	s := ended(t, rp.rec, "op")
	if s.Status().Code != codes.Error || s.Status().Description != "billing.QuotaError: quota exceeded" {
		t.Errorf("status %+v", s.Status())
	}
	evs := s.Events()
	if len(evs) != 1 || evs[0].Name != "exception" {
		t.Fatalf("events %+v", evs)
	}
	got := map[attribute.Key]string{}
	for _, kv := range evs[0].Attributes {
		got[kv.Key] = kv.Value.Emit()
	}
	if got["exception.type"] != "billing.QuotaError" || got["exception.message"] != "quota exceeded" {
		t.Errorf("exception attributes %v", got)
	}
	if d := fi.ErrorDescription(quotaError{}); d != "billing.QuotaError: quota exceeded" {
		t.Errorf("ErrorDescription = %q", d)
	}
}
