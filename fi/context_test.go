package fi_test

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/fi/semconv"
)

func startEnd(ctx context.Context, tr trace.Tracer, name string) {
	_, s := tr.Start(ctx, name)
	s.End()
}

func TestUsingSessionSetsSessionAndConversationID(t *testing.T) {
	tp, rec := newProvider(t)
	ctx := fi.UsingSession(context.Background(), "sess-1")
	startEnd(ctx, tp.Tracer("app"), "op")
	startEnd(context.Background(), tp.Tracer("app"), "outside")

	wantAttrs(t, ended(t, rec, "op"), map[attribute.Key]any{
		semconv.SessionID:           "sess-1",
		semconv.GenAIConversationID: "sess-1",
		semconv.UserID:              nil,
	})
	if n := len(ended(t, rec, "outside").Attributes()); n != 0 {
		t.Errorf("span outside the scope has %d attributes", n)
	}
	if got := fi.SessionID(ctx); got != "sess-1" {
		t.Errorf("SessionID = %q", got)
	}
	if got := fi.SessionID(context.Background()); got != "" {
		t.Errorf("SessionID(empty) = %q", got)
	}
}

func TestUsingUser(t *testing.T) {
	tp, rec := newProvider(t)
	ctx := fi.UsingUser(context.Background(), "user-1")
	startEnd(ctx, tp.Tracer("app"), "op")
	wantAttrs(t, ended(t, rec, "op"), map[attribute.Key]any{
		semconv.UserID:    "user-1",
		semconv.SessionID: nil,
	})
	if got := fi.UserID(ctx); got != "user-1" {
		t.Errorf("UserID = %q", got)
	}
}

func TestUsingMetadataPythonJSON(t *testing.T) {
	tp, rec := newProvider(t)
	ctx := fi.UsingMetadata(context.Background(), map[string]any{
		"n": 1, "k": "v", "f": 1.0, "nested": map[string]any{"b": []any{true, nil, "é"}, "a": 1e-07},
	})
	startEnd(ctx, tp.Tracer("app"), "op")
	wantAttrs(t, ended(t, rec, "op"), map[attribute.Key]any{
		semconv.Metadata: `{"f": 1.0, "k": "v", "n": 1, "nested": {"a": 1e-07, "b": [true, null, "é"]}}`,
	})

	ctx = fi.UsingMetadata(context.Background(), map[string]any{"k": "v", "n": 1})
	startEnd(ctx, tp.Tracer("app"), "simple")
	wantAttrs(t, ended(t, rec, "simple"), map[attribute.Key]any{semconv.Metadata: `{"k": "v", "n": 1}`})
}

func TestUsingTags(t *testing.T) {
	tp, rec := newProvider(t)
	ctx := fi.UsingTags(context.Background(), "prod", "chat")
	startEnd(ctx, tp.Tracer("app"), "op")
	s := ended(t, rec, "op")
	wantAttrs(t, s, map[attribute.Key]any{semconv.TagTags: []string{"prod", "chat"}})
	if typ := attrs(s)[semconv.TagTags].Type(); typ != attribute.STRINGSLICE {
		t.Errorf("tag.tags is %v, want a string list", typ)
	}
	if fi.UsingTags(context.Background()) != context.Background() {
		t.Error("UsingTags with no tags changed the context")
	}
}

func TestUsingPromptTemplate(t *testing.T) {
	tp, rec := newProvider(t)
	ctx := fi.UsingPromptTemplate(context.Background(), fi.PromptTemplate{
		Template:  "Describe the weather in {city}",
		Label:     "production",
		Version:   "v1.0",
		Variables: map[string]any{"city": "Johannesburg", "days": 3},
	})
	startEnd(ctx, tp.Tracer("app"), "op")
	wantAttrs(t, ended(t, rec, "op"), map[attribute.Key]any{
		semconv.GenAIPromptTemplateName:      "Describe the weather in {city}",
		semconv.GenAIPromptTemplateLabel:     "production",
		semconv.GenAIPromptTemplateVersion:   "v1.0",
		semconv.GenAIPromptTemplateVariables: `{"city": "Johannesburg", "days": 3}`,
	})

	// Only a template: the other keys stay unset.
	ctx = fi.UsingPromptTemplate(context.Background(), fi.PromptTemplate{Template: "t"})
	startEnd(ctx, tp.Tracer("app"), "only-template")
	wantAttrs(t, ended(t, rec, "only-template"), map[attribute.Key]any{
		semconv.GenAIPromptTemplateName:      "t",
		semconv.GenAIPromptTemplateLabel:     nil,
		semconv.GenAIPromptTemplateVersion:   nil,
		semconv.GenAIPromptTemplateVariables: nil,
	})
}

func TestUsingSimulatorAttributesFalseIsAValue(t *testing.T) {
	tp, rec := newProvider(t)
	no := false
	ctx := fi.UsingSimulatorAttributes(context.Background(), fi.SimulatorAttributes{
		RunTestID: "run-1", TestExecutionID: "exec-1", CallExecutionID: "call-1", IsSimulatorTrace: &no,
	})
	startEnd(ctx, tp.Tracer("app"), "op")
	wantAttrs(t, ended(t, rec, "op"), map[attribute.Key]any{
		semconv.SimulatorRunTestID:        "run-1",
		semconv.SimulatorTestExecutionID:  "exec-1",
		semconv.SimulatorCallExecutionID:  "call-1",
		semconv.SimulatorIsSimulatorTrace: false,
	})

	// Unset stays unset; an inner true overrides an outer false.
	yes := true
	startEnd(fi.UsingSimulatorAttributes(context.Background(), fi.SimulatorAttributes{RunTestID: "r"}), tp.Tracer("app"), "unset")
	wantAttrs(t, ended(t, rec, "unset"), map[attribute.Key]any{semconv.SimulatorIsSimulatorTrace: nil})
	startEnd(fi.UsingSimulatorAttributes(ctx, fi.SimulatorAttributes{IsSimulatorTrace: &yes}), tp.Tracer("app"), "inner")
	wantAttrs(t, ended(t, rec, "inner"), map[attribute.Key]any{
		semconv.SimulatorIsSimulatorTrace: true,
		semconv.SimulatorRunTestID:        "run-1",
	})
}

func TestUsingAttributesAll(t *testing.T) {
	tp, rec := newProvider(t)
	yes := true
	ctx := fi.UsingAttributes(context.Background(), fi.Attributes{
		SessionID: "s", UserID: "u",
		Metadata: map[string]any{"key": "value"},
		Tags:     []string{"a", "b"},
		PromptTemplate: &fi.PromptTemplate{
			Template: "T {x}", Label: "L", Version: "V", Variables: map[string]any{"x": 1.5},
		},
		Simulator: &fi.SimulatorAttributes{RunTestID: "r", IsSimulatorTrace: &yes},
	})
	startEnd(ctx, tp.Tracer("app"), "op")
	s := ended(t, rec, "op")
	wantAttrs(t, s, map[attribute.Key]any{
		semconv.SessionID:                    "s",
		semconv.GenAIConversationID:          "s",
		semconv.UserID:                       "u",
		semconv.Metadata:                     `{"key": "value"}`,
		semconv.TagTags:                      []string{"a", "b"},
		semconv.GenAIPromptTemplateName:      "T {x}",
		semconv.GenAIPromptTemplateLabel:     "L",
		semconv.GenAIPromptTemplateVersion:   "V",
		semconv.GenAIPromptTemplateVariables: `{"x": 1.5}`,
		semconv.SimulatorRunTestID:           "r",
		semconv.SimulatorIsSimulatorTrace:    true,
	})
	// Order of the reference's CONTEXT_ATTRIBUTES.
	var keys []string
	for _, kv := range fi.ContextAttributes(ctx) {
		keys = append(keys, string(kv.Key))
	}
	want := "session.id gen_ai.conversation.id user.id metadata tag.tags gen_ai.prompt.template.name " +
		"gen_ai.prompt.template.label gen_ai.prompt.template.version gen_ai.prompt.template.variables " +
		"fi.simulator.run_test_id fi.simulator.is_simulator_trace"
	if got := strings.Join(keys, " "); got != want {
		t.Errorf("ContextAttributes order:\n got %s\nwant %s", got, want)
	}
	if fi.ContextAttributes(context.Background()) != nil {
		t.Error("ContextAttributes of an empty context is not nil")
	}
}

func TestUsingAttributesEmptyFieldsAreNotErrors(t *testing.T) {
	errs := captureErrors(t)
	tp, rec := newProvider(t)
	outer := fi.UsingAttributes(context.Background(), fi.Attributes{SessionID: "s", UserID: "u"})
	inner := fi.UsingAttributes(outer, fi.Attributes{UserID: "u2"})
	startEnd(inner, tp.Tracer("app"), "op")
	wantAttrs(t, ended(t, rec, "op"), map[attribute.Key]any{semconv.SessionID: "s", semconv.UserID: "u2"})
	if e := errs.all(); len(e) != 0 {
		t.Errorf("errors reported for empty fields: %v", e)
	}
	// Nothing given at all: the context is returned as is.
	if fi.UsingAttributes(outer, fi.Attributes{}) != outer ||
		fi.UsingPromptTemplate(outer, fi.PromptTemplate{}) != outer ||
		fi.UsingSimulatorAttributes(outer, fi.SimulatorAttributes{}) != outer ||
		fi.UsingMetadata(outer, nil) != outer {
		t.Error("an empty scope made a new context")
	}
}

func TestNestedScopesOverridePerField(t *testing.T) {
	tp, rec := newProvider(t)
	tr := tp.Tracer("app")
	ctx := fi.UsingSession(context.Background(), "s1")
	ctx = fi.UsingMetadata(ctx, map[string]any{"a": 1})
	ctx = fi.UsingTags(ctx, "outer")
	startEnd(ctx, tr, "outer")

	inner := fi.UsingUser(ctx, "u1")
	startEnd(inner, tr, "user-only")

	inner2 := fi.UsingSession(inner, "s2")
	inner2 = fi.UsingTags(inner2, "inner")
	startEnd(inner2, tr, "session-override")

	startEnd(ctx, tr, "back-outside") // the outer context is unchanged

	wantAttrs(t, ended(t, rec, "outer"), map[attribute.Key]any{semconv.SessionID: "s1", semconv.UserID: nil, semconv.TagTags: []string{"outer"}})
	wantAttrs(t, ended(t, rec, "user-only"), map[attribute.Key]any{
		semconv.SessionID: "s1", semconv.GenAIConversationID: "s1", semconv.UserID: "u1", semconv.Metadata: `{"a": 1}`,
	})
	wantAttrs(t, ended(t, rec, "session-override"), map[attribute.Key]any{
		semconv.SessionID: "s2", semconv.GenAIConversationID: "s2", semconv.UserID: "u1",
		semconv.Metadata: `{"a": 1}`, semconv.TagTags: []string{"inner"},
	})
	wantAttrs(t, ended(t, rec, "back-outside"), map[attribute.Key]any{semconv.SessionID: "s1", semconv.UserID: nil})
}

func TestChildSpansInheritThroughSpanContext(t *testing.T) {
	tp, rec := newProvider(t)
	tr := tp.Tracer("app")
	ctx := fi.UsingUser(fi.UsingSession(context.Background(), "s"), "u")
	ctx, parent := tr.Start(ctx, "parent")
	ctx, child := tr.Start(ctx, "child")
	startEnd(ctx, tr, "grandchild")
	child.End()
	parent.End()
	for _, name := range []string{"parent", "child", "grandchild"} {
		wantAttrs(t, ended(t, rec, name), map[attribute.Key]any{semconv.SessionID: "s", semconv.UserID: "u"})
	}
}

func TestConcurrentSessionsNeverMix(t *testing.T) {
	tp, rec := newProvider(t)
	tr := tp.Tracer("app")
	fiTracer := fi.NewTracer(fi.WithTracerProvider(tp), fi.WithTraceConfig(fi.TraceConfig{}))
	shared := fi.UsingTags(context.Background(), "shared") // one scope, many goroutines
	const workers, spans = 8, 50
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := fi.UsingSession(shared, fmt.Sprintf("s%d", w))
			ctx = fi.UsingUser(ctx, fmt.Sprintf("u%d", w))
			for i := range spans {
				if i%2 == 0 {
					_, s := tr.Start(ctx, "op")
					s.SetAttributes(attribute.Int("worker", w), attribute.Int("i", i))
					s.End()
				} else {
					_, s := fiTracer.Start(ctx, "op", semconv.SpanKindLLM)
					s.SetAttributes(attribute.Int("worker", w), attribute.Int("i", i))
					s.End()
				}
			}
		}()
	}
	wg.Wait()
	got := rec.Ended()
	if len(got) != workers*spans {
		t.Fatalf("%d spans, want %d", len(got), workers*spans)
	}
	for _, s := range got {
		a := attrs(s)
		w := a["worker"].AsInt64()
		if a[semconv.SessionID].AsString() != fmt.Sprintf("s%d", w) || a[semconv.UserID].AsString() != fmt.Sprintf("u%d", w) ||
			a[semconv.GenAIConversationID].AsString() != fmt.Sprintf("s%d", w) {
			t.Fatalf("worker %d span carries session %q user %q", w, a[semconv.SessionID].AsString(), a[semconv.UserID].AsString())
		}
		if got := a[semconv.TagTags].AsStringSlice(); len(got) != 1 || got[0] != "shared" {
			t.Fatalf("worker %d span tags %v", w, got)
		}
	}
}

func TestDecorators(t *testing.T) {
	tp, rec := newProvider(t)
	tr := tp.Tracer("app")
	work := func(name string) func(context.Context) error {
		return func(ctx context.Context) error { startEnd(ctx, tr, name); return nil }
	}
	ctx := context.Background()
	if err := fi.WrapSession("s", work("with-session"))(ctx); err != nil {
		t.Fatal(err)
	}
	if err := fi.WrapUser("u", work("with-user"))(ctx); err != nil {
		t.Fatal(err)
	}
	if err := fi.WrapAttributes(fi.Attributes{SessionID: "s3", Tags: []string{"t"}}, work("with-attributes"))(ctx); err != nil {
		t.Fatal(err)
	}
	// Decorators compose: the inner user keeps the outer session.
	composed := fi.WrapSession("s4", fi.WrapUser("u4", work("composed")))
	if err := composed(ctx); err != nil {
		t.Fatal(err)
	}
	// The wrapped function's error comes back untouched.
	boom := fmt.Errorf("boom")
	if err := fi.WrapSession("s", func(context.Context) error { return boom })(ctx); err != boom {
		t.Errorf("error = %v, want boom", err)
	}
	startEnd(ctx, tr, "after") // the caller's context never changed

	wantAttrs(t, ended(t, rec, "with-session"), map[attribute.Key]any{semconv.SessionID: "s", semconv.UserID: nil})
	wantAttrs(t, ended(t, rec, "with-user"), map[attribute.Key]any{semconv.UserID: "u", semconv.SessionID: nil})
	wantAttrs(t, ended(t, rec, "with-attributes"), map[attribute.Key]any{semconv.SessionID: "s3", semconv.TagTags: []string{"t"}})
	wantAttrs(t, ended(t, rec, "composed"), map[attribute.Key]any{semconv.SessionID: "s4", semconv.UserID: "u4"})
	wantAttrs(t, ended(t, rec, "after"), map[attribute.Key]any{semconv.SessionID: nil, semconv.UserID: nil})
}

func TestEmptyIDsAreReported(t *testing.T) {
	tp, rec := newProvider(t)
	tr := tp.Tracer("app")
	for _, c := range []struct {
		name string
		fn   func(context.Context) context.Context
	}{
		{"empty session", func(ctx context.Context) context.Context { return fi.UsingSession(ctx, "") }},
		{"empty user", func(ctx context.Context) context.Context { return fi.UsingUser(ctx, "") }},
		{"long session", func(ctx context.Context) context.Context {
			return fi.UsingSession(ctx, strings.Repeat("s", fi.MaxIDLength+1))
		}},
		{"invalid utf8 user", func(ctx context.Context) context.Context { return fi.UsingUser(ctx, "a\xffb") }},
	} {
		t.Run(c.name, func(t *testing.T) {
			errs := captureErrors(t)
			base := context.Background()
			ctx := c.fn(base)
			if ctx != base {
				t.Error("context changed")
			}
			if got := errs.invalid(); len(got) != 1 {
				t.Errorf("%d errors reported, want 1: %v", len(got), errs.all())
			}
			// An enclosing scope's value stays.
			outer := fi.UsingUser(fi.UsingSession(base, "s"), "u")
			startEnd(c.fn(outer), tr, c.name)
			wantAttrs(t, ended(t, rec, c.name), map[attribute.Key]any{semconv.SessionID: "s", semconv.UserID: "u"})
		})
	}
	// The maximum length itself is accepted.
	errs := captureErrors(t)
	if fi.SessionID(fi.UsingSession(context.Background(), strings.Repeat("s", fi.MaxIDLength))) == "" {
		t.Error("id of MaxIDLength refused")
	}
	if e := errs.all(); len(e) != 0 {
		t.Errorf("errors: %v", e)
	}
	// Decorators report the same way.
	_ = fi.WrapSession("", func(ctx context.Context) error {
		if fi.SessionID(ctx) != "" {
			t.Error("empty session set")
		}
		return nil
	})(context.Background())
	if len(errs.invalid()) != 1 {
		t.Errorf("WrapSession(\"\"): %v", errs.all())
	}
}

func TestUnserialisableMetadata(t *testing.T) {
	tp, rec := newProvider(t)
	cyclic := map[string]any{"name": "loop"}
	cyclic["self"] = cyclic
	type node struct {
		Name string
		Next *node
	}
	ring := &node{Name: "a"}
	ring.Next = ring
	for _, c := range []struct {
		name string
		md   map[string]any
		want []string // substrings of the recorded JSON
	}{
		{"channel", map[string]any{"ok": 1, "ch": make(chan int)}, []string{`"ok": 1`, `"ch": "0x`}},
		{"func", map[string]any{"ok": "yes", "fn": func() {}}, []string{`"ok": "yes"`, `"fn": "0x`}},
		{"nan", map[string]any{"ok": true, "x": math.NaN(), "inf": math.Inf(1)}, []string{`"ok": true`, `"x": NaN`, `"inf": Infinity`}},
		{"map cycle", cyclic, []string{`{"name": "loop", "self": "<cycle: map[string]interface {}>"}`}},
		{"pointer cycle", map[string]any{"ok": 2, "ring": ring}, []string{`"ok": 2`, `"ring": {"Name": "a", "Next": "<cycle: *fi_test.node>"}`}},
		{"complex", map[string]any{"c": complex(1, 2)}, []string{`"c": "(1+2i)"`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			errs := captureErrors(t)
			var ctx context.Context
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Fatalf("panic: %v", r)
					}
				}()
				ctx = fi.UsingMetadata(context.Background(), c.md)
			}()
			startEnd(ctx, tp.Tracer("app"), c.name)
			got := attrs(ended(t, rec, c.name))[semconv.Metadata].AsString()
			for _, w := range c.want {
				if !strings.Contains(got, w) {
					t.Errorf("metadata %s lacks %s", got, w)
				}
			}
			if len(errs.invalid()) == 0 {
				t.Errorf("nothing reported for %s", c.name)
			}
		})
	}
}

func TestMetadataAndTagLimits(t *testing.T) {
	tp, rec := newProvider(t)
	tr := tp.Tracer("app")

	errs := captureErrors(t)
	big := map[string]any{"blob": strings.Repeat("x", fi.MaxMetadataLength)}
	ctx := fi.UsingMetadata(fi.UsingMetadata(context.Background(), map[string]any{"small": 1}), big)
	startEnd(ctx, tr, "big-metadata")
	wantAttrs(t, ended(t, rec, "big-metadata"), map[attribute.Key]any{semconv.Metadata: `{"small": 1}`})
	if len(errs.invalid()) != 1 {
		t.Errorf("oversized metadata: %v", errs.all())
	}

	errs = captureErrors(t)
	bigVars := fi.PromptTemplate{Template: "t", Variables: big}
	startEnd(fi.UsingPromptTemplate(context.Background(), bigVars), tr, "big-vars")
	wantAttrs(t, ended(t, rec, "big-vars"), map[attribute.Key]any{
		semconv.GenAIPromptTemplateName: "t", semconv.GenAIPromptTemplateVariables: nil,
	})
	if len(errs.invalid()) != 1 {
		t.Errorf("oversized variables: %v", errs.all())
	}

	errs = captureErrors(t)
	tags := make([]string, 0, fi.MaxTags+10)
	tags = append(tags, "", strings.Repeat("t", fi.MaxTagLength+1), "bad\xff")
	for i := range fi.MaxTags + 7 {
		tags = append(tags, fmt.Sprintf("t%d", i))
	}
	startEnd(fi.UsingTags(context.Background(), tags...), tr, "tags")
	got := attrs(ended(t, rec, "tags"))[semconv.TagTags].AsStringSlice()
	if len(got) != fi.MaxTags || got[0] != "t0" || got[fi.MaxTags-1] != fmt.Sprintf("t%d", fi.MaxTags-1) {
		t.Errorf("tags kept: %d, first %q", len(got), got[0])
	}
	if n := len(errs.invalid()); n != 4 { // empty, long, invalid UTF-8, too many
		t.Errorf("%d tag errors, want 4: %v", n, errs.all())
	}
}

// TestThirdPartySpansCarryAttributes covers spans the fi package never sees
// start: a plain OpenTelemetry tracer and otelhttp's server and client spans.
func TestThirdPartySpansCarryAttributes(t *testing.T) {
	tp, rec := newProvider(t)
	scope := func(ctx context.Context) context.Context {
		return fi.UsingAttributes(ctx, fi.Attributes{SessionID: "s-http", UserID: "u-http", Tags: []string{"web"}})
	}

	// Server: a middleware outside otelhttp opens the scope, as an app would
	// after authenticating the request.
	var handlerSpanCtx trace.SpanContext
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handlerSpanCtx = trace.SpanContextFromContext(r.Context())
		startEnd(r.Context(), tp.Tracer("plain"), "handler-work")
		_, _ = w.Write([]byte("ok"))
	})
	h := otelhttp.NewHandler(inner, "server", otelhttp.WithTracerProvider(tp))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(scope(r.Context())))
	}))
	defer srv.Close()

	// Client: the request context carries the scope.
	client := &http.Client{Transport: otelhttp.NewTransport(http.DefaultTransport, otelhttp.WithTracerProvider(tp))}
	ctx := scope(context.Background())
	ctx, parent := tp.Tracer("plain").Start(ctx, "client-parent")
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	parent.End()
	if err := tp.ForceFlush(context.Background()); err != nil {
		t.Fatal(err)
	}

	var kinds []trace.SpanKind
	for _, s := range rec.Ended() {
		kinds = append(kinds, s.SpanKind())
		wantAttrs(t, s, map[attribute.Key]any{
			semconv.SessionID: "s-http", semconv.GenAIConversationID: "s-http", semconv.UserID: "u-http",
			semconv.TagTags: []string{"web"},
		})
	}
	if len(rec.Ended()) != 4 {
		t.Fatalf("spans: %d (%v), want client-parent, client, server, handler-work", len(rec.Ended()), kinds)
	}
	var sawServer, sawClient bool
	for _, k := range kinds {
		sawServer = sawServer || k == trace.SpanKindServer
		sawClient = sawClient || k == trace.SpanKindClient
	}
	if !sawServer || !sawClient || !handlerSpanCtx.IsValid() {
		t.Errorf("otelhttp spans missing: kinds %v", kinds)
	}
}

// setCounter wraps the fi processor and records which keys it sets on
// which span, next to the attributes the span was started with.
type setCounter struct {
	inner *fi.SpanProcessor
	mu    sync.Mutex
	dups  []string
	calls int
}

type countingSpan struct {
	sdktrace.ReadWriteSpan
	c       *setCounter
	initial map[attribute.Key]bool
}

func (s countingSpan) SetAttributes(kvs ...attribute.KeyValue) {
	s.c.mu.Lock()
	s.c.calls++
	for _, kv := range kvs {
		if s.initial[kv.Key] {
			s.c.dups = append(s.c.dups, s.Name()+": "+string(kv.Key))
		}
		s.initial[kv.Key] = true
	}
	s.c.mu.Unlock()
	s.ReadWriteSpan.SetAttributes(kvs...)
}

func (c *setCounter) OnStart(parent context.Context, s sdktrace.ReadWriteSpan) {
	initial := map[attribute.Key]bool{}
	for _, kv := range s.Attributes() {
		initial[kv.Key] = true
	}
	c.inner.OnStart(parent, countingSpan{s, c, initial})
}
func (c *setCounter) OnEnd(sdktrace.ReadOnlySpan)      {}
func (c *setCounter) Shutdown(context.Context) error   { return nil }
func (c *setCounter) ForceFlush(context.Context) error { return nil }

// TestNoAttributeSetTwice runs fi.Tracer (which stamps its own spans) on a
// provider with the processor installed, and checks the processor sets
// nothing the span started with, while still stamping plain spans, children
// included.
func TestNoAttributeSetTwice(t *testing.T) {
	counter := &setCounter{inner: fi.NewSpanProcessor()}
	rec := newRecorderProvider(t, counter)
	tp := rec.tp
	tr := fi.NewTracer(fi.WithTracerProvider(tp), fi.WithTraceConfig(fi.TraceConfig{}))
	ctx := fi.UsingAttributes(context.Background(), fi.Attributes{SessionID: "s", UserID: "u", Tags: []string{"x"}})

	cctx, chain := tr.Start(ctx, "chain", semconv.SpanKindChain)
	startEnd(cctx, tp.Tracer("plain"), "plain-child") // processor stamps this one
	lctx, llm := tr.Start(cctx, "llm", semconv.SpanKindLLM)
	startEnd(lctx, tp.Tracer("plain"), "plain-grandchild")
	llm.End()
	chain.End()

	if len(counter.dups) > 0 {
		t.Errorf("set twice: %v", counter.dups)
	}
	if counter.calls != 2 {
		t.Errorf("processor stamped %d spans, want 2 (the plain ones)", counter.calls)
	}
	for _, name := range []string{"chain", "llm", "plain-child", "plain-grandchild"} {
		wantAttrs(t, ended(t, rec.rec, name), map[attribute.Key]any{
			semconv.SessionID: "s", semconv.UserID: "u", semconv.TagTags: []string{"x"},
		})
	}
	for _, s := range rec.rec.Ended() {
		seen := map[attribute.Key]bool{}
		for _, kv := range s.Attributes() {
			if seen[kv.Key] {
				t.Errorf("%s: %s twice in Attributes()", s.Name(), kv.Key)
			}
			seen[kv.Key] = true
		}
		if s.DroppedAttributes() != 0 {
			t.Errorf("%s: %d attributes dropped", s.Name(), s.DroppedAttributes())
		}
	}
	wantAttrs(t, ended(t, rec.rec, "llm"), map[attribute.Key]any{semconv.GenAISpanKind: "LLM"})
	wantAttrs(t, ended(t, rec.rec, "plain-child"), map[attribute.Key]any{semconv.GenAISpanKind: nil})
}

func TestTracerStampsWithoutProcessor(t *testing.T) {
	rec := newRecorderProvider(t)
	tr := fi.NewTracer(fi.WithTracerProvider(rec.tp), fi.WithTraceConfig(fi.TraceConfig{}))
	ctx := fi.UsingUser(fi.UsingSession(context.Background(), "s"), "u")
	_, span := tr.Start(ctx, "llm", semconv.SpanKindLLM)
	span.End()
	wantAttrs(t, ended(t, rec.rec, "llm"), map[attribute.Key]any{
		semconv.SessionID: "s", semconv.GenAIConversationID: "s", semconv.UserID: "u", semconv.GenAISpanKind: "LLM",
	})
}

func TestSuppressTracing(t *testing.T) {
	tp, rec := newProvider(t)
	tr := fi.NewTracer(fi.WithTracerProvider(tp), fi.WithTraceConfig(fi.TraceConfig{}))
	ctx := fi.UsingSession(context.Background(), "s")
	if fi.IsTracingSuppressed(ctx) {
		t.Fatal("suppressed before SuppressTracing")
	}
	sctx := fi.SuppressTracing(ctx)
	if !fi.IsTracingSuppressed(sctx) || !fi.IsTracingSuppressed(fi.UsingUser(sctx, "u")) {
		t.Fatal("not suppressed inside SuppressTracing, or lost by a nested scope")
	}
	gotCtx, span := tr.Start(sctx, "suppressed", semconv.SpanKindChain)
	if gotCtx != sctx {
		t.Error("Start inside SuppressTracing changed the context")
	}
	if span.IsRecording() {
		t.Error("span records inside SuppressTracing")
	}
	span.SetInput("x")
	span.End()
	out, err := fi.Chain(sctx, tr, "chain", "in", func(context.Context) (string, error) { return "ran", nil })
	if out != "ran" || err != nil {
		t.Errorf("Chain inside SuppressTracing = %q, %v", out, err)
	}
	_, span = tr.Start(ctx, "visible", semconv.SpanKindChain)
	span.End()
	if n := len(rec.Ended()); n != 1 || rec.Ended()[0].Name() != "visible" {
		t.Errorf("%d spans recorded, want only \"visible\"", n)
	}
}

func TestProcessorPIIRedaction(t *testing.T) {
	tp, rec := newProvider(t, fi.WithTraceConfig(fi.TraceConfig{PIIRedaction: true}))
	ctx := fi.UsingAttributes(context.Background(), fi.Attributes{
		SessionID: "s-1", UserID: "john@example.com",
		Metadata: map[string]any{"ip": "10.0.0.1"},
		Tags:     []string{"ok", "call 555-123-4567"},
	})
	startEnd(ctx, tp.Tracer("app"), "op")
	wantAttrs(t, ended(t, rec, "op"), map[attribute.Key]any{
		semconv.SessionID: "s-1",
		semconv.UserID:    "<EMAIL_ADDRESS>",
		semconv.Metadata:  `{"ip": "<IP_ADDRESS>"}`,
		semconv.TagTags:   []string{"ok", "call <PHONE_NUMBER>"},
	})
	// The scope itself is not modified: a provider without redaction sees
	// the raw values.
	tp2, rec2 := newProvider(t)
	startEnd(ctx, tp2.Tracer("app"), "raw")
	wantAttrs(t, ended(t, rec2, "raw"), map[attribute.Key]any{
		semconv.UserID:  "john@example.com",
		semconv.TagTags: []string{"ok", "call 555-123-4567"},
	})
}

// TestProcessorRedactsSpansStampedWithoutPII: an instrumentation tracer
// configured without PII redaction stamps raw context values; the processor,
// configured with it, sets the redacted values over them, and only then.
func TestProcessorRedactsSpansStampedWithoutPII(t *testing.T) {
	counter := &setCounter{inner: fi.NewSpanProcessor(fi.WithTraceConfig(fi.TraceConfig{PIIRedaction: true}))}
	rp := newRecorderProvider(t, counter)
	raw := fi.NewTracer(fi.WithTracerProvider(rp.tp), fi.WithTraceConfig(fi.TraceConfig{}))
	redacting := fi.NewTracer(fi.WithTracerProvider(rp.tp), fi.WithTraceConfig(fi.TraceConfig{PIIRedaction: true}))

	ctx := fi.UsingAttributes(context.Background(), fi.Attributes{SessionID: "s", UserID: "ann@example.com", Tags: []string{"t"}})
	_, span := raw.Start(ctx, "raw-tracer", semconv.SpanKindLLM)
	span.End()
	wantAttrs(t, ended(t, rp.rec, "raw-tracer"), map[attribute.Key]any{
		semconv.UserID: "<EMAIL_ADDRESS>", semconv.SessionID: "s", semconv.TagTags: []string{"t"},
	})
	if len(counter.dups) != 1 || counter.dups[0] != "raw-tracer: user.id" {
		t.Errorf("processor set %v, want only the user.id fix", counter.dups)
	}

	counter.dups, counter.calls = nil, 0
	_, span = redacting.Start(ctx, "redacting-tracer", semconv.SpanKindLLM)
	span.End()
	wantAttrs(t, ended(t, rp.rec, "redacting-tracer"), map[attribute.Key]any{semconv.UserID: "<EMAIL_ADDRESS>"})
	if counter.calls != 0 {
		t.Errorf("processor touched a span already redacted: %v", counter.dups)
	}

	// Nothing personal in the scope: stamped spans are left alone.
	clean := fi.UsingUser(context.Background(), "user-7")
	_, span = raw.Start(clean, "clean", semconv.SpanKindLLM)
	span.End()
	if counter.calls != 0 {
		t.Errorf("processor touched a clean stamped span")
	}
}
