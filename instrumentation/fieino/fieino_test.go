package fieino_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/cloudwego/eino/callbacks"
	"github.com/cloudwego/eino/components/embedding"
	"github.com/cloudwego/eino/components/tool"
	"github.com/cloudwego/eino/compose"
	einoagent "github.com/cloudwego/eino/flow/agent"
	"github.com/cloudwego/eino/flow/agent/react"
	"github.com/cloudwego/eino/schema"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/instrumentation/fieino"
	"github.com/traceai-go/traceai/instrumentation/fiopenai"
	"github.com/traceai-go/traceai/internal/standin"
)

func one(t *testing.T, rec *tracetest.SpanRecorder, name string) sdktrace.ReadOnlySpan {
	t.Helper()
	s := byName(rec, name)
	if len(s) != 1 {
		t.Fatalf("want one span %q, got %d:\n%s", name, len(s), dump(rec))
	}
	return s[0]
}

func want(t *testing.T, s sdktrace.ReadOnlySpan, kv map[string]string) {
	t.Helper()
	for k, v := range kv {
		if got := str(s, k); got != v {
			t.Errorf("%s: %s = %q, want %q", s.Name(), k, got, v)
		}
	}
}

// checkBot asserts the span tree of one supportBot turn.
func checkBot(t *testing.T, rec *tracetest.SpanRecorder, llmName string) {
	t.Helper()
	root := one(t, rec, "SupportBot")
	agent := one(t, rec, "SupportAgent")
	ret := one(t, rec, "policyRetrieverRetriever")
	tl := one(t, rec, "lookup_order")
	llms := byName(rec, llmName)
	if len(llms) != 2 {
		t.Fatalf("want two %s spans (tool call, answer), got %d:\n%s", llmName, len(llms), dump(rec))
	}
	for _, s := range rec.Ended() {
		if s.SpanContext().TraceID() != root.SpanContext().TraceID() {
			t.Errorf("%s is in another trace", s.Name())
		}
		want(t, s, map[string]string{"session.id": "sess-eino", "user.id": "ann"})
	}
	want(t, root, map[string]string{"gen_ai.span.kind": "CHAIN", "input.value": "Where is my order 12345?"})
	if root.Parent().IsValid() || agent.Parent().SpanID() != root.SpanContext().SpanID() {
		t.Errorf("agent's parent %s, root %s", agent.Parent().SpanID(), root.SpanContext().SpanID())
	}
	want(t, agent, map[string]string{"gen_ai.span.kind": "AGENT"})
	want(t, ret, map[string]string{
		"gen_ai.span.kind": "RETRIEVER", "input.value": "Where is my order 12345?",
		"retrieval.documents.0.document.id": "returns", "retrieval.documents.0.document.content": "Returns are accepted within 30 days.",
		"retrieval.documents.0.document.metadata": `{"source":"policy"}`, "retrieval.documents.1.document.id": "shipping",
	})
	want(t, tl, map[string]string{
		"gen_ai.span.kind": "TOOL", "gen_ai.tool.name": "lookup_order", "input.value": `{"order_id":"A-12345"}`,
		"input.mime_type": "application/json", "output.value": `{"order_id":"A-12345","status":"shipped"}`,
	})
	if str(tl, "gen_ai.tool.call.id") == "<unset>" {
		t.Error("tool span has no gen_ai.tool.call.id")
	}
	for _, l := range llms {
		if l.Parent().SpanID() != agent.SpanContext().SpanID() {
			t.Errorf("%s's parent is %s, not the agent", l.Name(), l.Parent().SpanID())
		}
		want(t, l, map[string]string{"gen_ai.span.kind": "LLM", "gen_ai.input.messages.0.message.role": "system", "gen_ai.input.messages.1.message.content": "Where is my order 12345?"})
		if str(l, "gen_ai.usage.input_tokens") == "<unset>" || str(l, "gen_ai.usage.output_tokens") == "<unset>" {
			t.Errorf("%s has no usage", l.Name())
		}
	}
	var toolCall, answer sdktrace.ReadOnlySpan
	for _, l := range llms {
		if str(l, "gen_ai.output.messages.0.message.tool_calls.0.tool_call.function.name") == "lookup_order" {
			toolCall = l
		} else {
			answer = l
		}
	}
	if toolCall == nil || answer == nil {
		t.Fatalf("no LLM span with the tool call and one with the answer:\n%s", dump(rec))
	}
	if !strings.Contains(str(answer, "output.value"), "shipped") || str(answer, "gen_ai.input.messages.3.message.role") != "tool" {
		t.Errorf("answer span output %q, message 3 role %q", str(answer, "output.value"), str(answer, "gen_ai.input.messages.3.message.role"))
	}
}

func TestSupportBotInvoke(t *testing.T) {
	si := standin.New(standin.Options{Speed: 0.01})
	defer si.Close()
	tp, rec := newProvider()
	bot := supportBot(t, http.DefaultClient, si.URL, false)
	ctx := fi.UsingAttributes(context.Background(), fi.Attributes{SessionID: "sess-eino", UserID: "ann"})
	out, err := bot.Invoke(ctx, "Where is my order 12345?", compose.WithCallbacks(fieino.NewHandler(fieino.WithTracerProvider(tp))))
	if err != nil {
		t.Fatal(err)
	}
	if out.Role != schema.Assistant || !strings.Contains(out.Content, "shipped") {
		t.Fatalf("answer %+v", out)
	}
	checkBot(t, rec, "ChatModel")
	want(t, one(t, rec, "DefaultChatTemplate"), map[string]string{"gen_ai.span.kind": "CHAIN", "input.mime_type": "application/json"})
}

func TestSupportBotStream(t *testing.T) {
	si := standin.New(standin.Options{Speed: 0.01})
	defer si.Close()
	tp, rec := newProvider()
	bot := supportBot(t, http.DefaultClient, si.URL, false)
	ctx := fi.UsingAttributes(context.Background(), fi.Attributes{SessionID: "sess-eino", UserID: "ann"})
	sr, err := bot.Stream(ctx, "Where is my order 12345?", compose.WithCallbacks(fieino.NewHandler(fieino.WithTracerProvider(tp))))
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	for {
		m, err := sr.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		text.WriteString(m.Content)
	}
	sr.Close()
	if !strings.Contains(text.String(), "shipped") {
		t.Fatalf("streamed answer %q", text.String())
	}
	waitFor(t, rec, "SupportBot")
	waitAllEnded(t, rec)
	checkBot(t, rec, "ChatModel")
	for _, l := range byName(rec, "ChatModel") {
		if len(l.Events()) == 0 || l.Events()[0].Name != "First Token Stream Event" {
			t.Errorf("streamed LLM span has events %v", l.Events())
		}
	}
}

// TestWithFiopenai: the model's HTTP client is traced by fiopenai and
// fieino's model spans are off, so each model call has one LLM span,
// fiopenai's, under the agent.
func TestWithFiopenai(t *testing.T) {
	si := standin.New(standin.Options{Speed: 0.01})
	defer si.Close()
	tp, rec := newProvider()
	client := &http.Client{Transport: fiopenai.NewTransport(nil, fiopenai.WithTracerProvider(tp))}
	bot := supportBot(t, client, si.URL, false)
	ctx := fi.UsingAttributes(context.Background(), fi.Attributes{SessionID: "sess-eino", UserID: "ann"})
	if _, err := bot.Invoke(ctx, "Where is my order 12345?", compose.WithCallbacks(
		fieino.NewHandler(fieino.WithTracerProvider(tp), fieino.WithModelSpans(false)))); err != nil {
		t.Fatal(err)
	}
	if n := len(byName(rec, "ChatModel")); n != 0 {
		t.Errorf("%d model spans from fieino with WithModelSpans(false)", n)
	}
	checkBot(t, rec, "ChatCompletion")
}

func TestToolError(t *testing.T) {
	si := standin.New(standin.Options{Speed: 0.01})
	defer si.Close()
	tp, rec := newProvider()
	bot := supportBot(t, http.DefaultClient, si.URL, true)
	ctx := fi.UsingSession(context.Background(), "sess-err")
	if _, err := bot.Invoke(ctx, "Where is my order 12345?", compose.WithCallbacks(fieino.NewHandler(fieino.WithTracerProvider(tp)))); err == nil {
		t.Fatal("want the tool's error")
	}
	for _, name := range []string{"lookup_order", "SupportAgent", "SupportBot"} {
		s := one(t, rec, name)
		if s.Status().Code != codes.Error || !strings.Contains(s.Status().Description, "order database unavailable") {
			t.Errorf("%s status %+v", name, s.Status())
		}
	}
}

func TestGlobalHandlerAndSuppression(t *testing.T) {
	si := standin.New(standin.Options{Speed: 0.01})
	defer si.Close()
	tp, rec := newProvider()
	callbacks.AppendGlobalHandlers(fieino.NewHandler(fieino.WithTracerProvider(tp)))
	t.Cleanup(func() { callbacks.InitCallbackHandlers(nil) })
	bot := supportBot(t, http.DefaultClient, si.URL, false)
	ctx := fi.UsingAttributes(context.Background(), fi.Attributes{SessionID: "sess-eino", UserID: "ann"})
	if _, err := bot.Invoke(ctx, "Where is my order 12345?"); err != nil {
		t.Fatal(err)
	}
	checkBot(t, rec, "ChatModel")
	rec.Reset()
	if _, err := bot.Invoke(fi.SuppressTracing(ctx), "Where is my order 12345?"); err != nil {
		t.Fatal(err)
	}
	if n := len(rec.Ended()); n != 0 {
		t.Errorf("%d spans inside SuppressTracing", n)
	}
}

type fixedEmbedder struct{}

func (fixedEmbedder) EmbedStrings(_ context.Context, texts []string, _ ...embedding.Option) ([][]float64, error) {
	out := make([][]float64, len(texts))
	for i, s := range texts {
		out[i] = []float64{float64(len(s)), 0.5}
	}
	return out, nil
}

func TestEmbedderInChain(t *testing.T) {
	tp, rec := newProvider()
	ch := compose.NewChain[[]string, [][]float64]().AppendEmbedding(fixedEmbedder{})
	r, err := ch.Compile(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ctx := fi.UsingSession(context.Background(), "sess-emb")
	if _, err := r.Invoke(ctx, []string{"hello", "hi"}, compose.WithCallbacks(fieino.NewHandler(fieino.WithTracerProvider(tp)))); err != nil {
		t.Fatal(err)
	}
	var emb sdktrace.ReadOnlySpan
	for _, s := range rec.Ended() {
		if str(s, "gen_ai.span.kind") == "EMBEDDING" {
			emb = s
		}
	}
	if emb == nil {
		t.Fatalf("no EMBEDDING span:\n%s", dump(rec))
	}
	want(t, emb, map[string]string{
		"embedding.embeddings.0.embedding.text": "hello", "embedding.embeddings.1.embedding.text": "hi",
		"embedding.embeddings.0.embedding.vector": "[5,0.5]", "session.id": "sess-emb",
	})
}

func TestTraceConfigMasking(t *testing.T) {
	si := standin.New(standin.Options{Speed: 0.01})
	defer si.Close()
	tp, rec := newProvider()
	bot := supportBot(t, http.DefaultClient, si.URL, false)
	cfg := fi.TraceConfig{HideInputs: true, HideOutputs: true}
	ctx := fi.UsingSession(context.Background(), "sess-mask")
	if _, err := bot.Invoke(ctx, "Where is my order 12345?", compose.WithCallbacks(
		fieino.NewHandler(fieino.WithTracerProvider(tp), fieino.WithTraceConfig(cfg)))); err != nil {
		t.Fatal(err)
	}
	if len(rec.Ended()) < 8 {
		t.Fatalf("only %d spans", len(rec.Ended()))
	}
	for _, s := range rec.Ended() {
		for _, kv := range s.Attributes() {
			if strings.Contains(kv.Value.Emit(), "12345") {
				t.Errorf("%s records %s = %q with inputs and outputs hidden", s.Name(), kv.Key, kv.Value.Emit())
			}
		}
	}
}

// Eino's ReAct agent run on its own is an AGENT span by its graph name.
func TestReActAgentAlone(t *testing.T) {
	si := standin.New(standin.Options{Speed: 0.01})
	defer si.Close()
	tp, rec := newProvider()
	agent, err := react.NewAgent(context.Background(), &react.AgentConfig{
		ToolCallingModel: &standinModel{url: si.URL, client: http.DefaultClient},
		ToolsConfig:      compose.ToolsNodeConfig{Tools: []tool.BaseTool{lookupTool(t, false)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := fi.UsingSession(context.Background(), "sess-react")
	if _, err := agent.Generate(ctx, []*schema.Message{schema.UserMessage("Where is my order 77?")},
		einoagent.WithComposeOptions(compose.WithCallbacks(fieino.NewHandler(fieino.WithTracerProvider(tp))))); err != nil {
		t.Fatal(err)
	}
	root := one(t, rec, react.GraphName)
	want(t, root, map[string]string{"gen_ai.span.kind": "AGENT", "session.id": "sess-react"})
	if root.Parent().IsValid() {
		t.Errorf("agent span has parent %s", root.Parent().SpanID())
	}
	want(t, one(t, rec, "lookup_order"), map[string]string{"input.value": `{"order_id":"A-77"}`})
}
