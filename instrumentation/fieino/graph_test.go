package fieino_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cloudwego/eino/components/prompt"
	"github.com/cloudwego/eino/components/retriever"
	"github.com/cloudwego/eino/components/tool"
	"github.com/cloudwego/eino/components/tool/utils"
	"github.com/cloudwego/eino/compose"
	"github.com/cloudwego/eino/flow/agent/react"
	"github.com/cloudwego/eino/schema"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/traceai-go/traceai/fi"
)

func newProvider() (*sdktrace.TracerProvider, *tracetest.SpanRecorder) {
	rec := tracetest.NewSpanRecorder()
	return sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(fi.NewSpanProcessor()), sdktrace.WithSpanProcessor(rec)), rec
}

// policyRetriever is a retriever over two fixed documents.
type policyRetriever struct{}

func (policyRetriever) Retrieve(_ context.Context, query string, _ ...retriever.Option) ([]*schema.Document, error) {
	return []*schema.Document{
		{ID: "returns", Content: "Returns are accepted within 30 days.", MetaData: map[string]any{"source": "policy"}},
		{ID: "shipping", Content: "Orders ship in 2 days."},
	}, nil
}

type lookupIn struct {
	OrderID string `json:"order_id"`
}

func lookupTool(t testing.TB, broken bool) tool.InvokableTool {
	lt, err := utils.InferTool("lookup_order", "Looks up an order by id", func(ctx context.Context, in lookupIn) (string, error) {
		if broken {
			return "", errors.New("order database unavailable")
		}
		return fmt.Sprintf(`{"order_id":%q,"status":"shipped"}`, in.OrderID), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return lt
}

// supportBot is a graph of the shape a support agent has: retrieve the
// policies, render the prompt, then a ReAct agent with an order-lookup tool.
func supportBot(t testing.TB, client *http.Client, url string, broken bool) compose.Runnable[string, *schema.Message] {
	ctx := context.Background()
	agent, err := react.NewAgent(ctx, &react.AgentConfig{
		ToolCallingModel: &standinModel{url: url, client: client},
		ToolsConfig:      compose.ToolsNodeConfig{Tools: []tool.BaseTool{lookupTool(t, broken)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	ag, agOpts := agent.ExportGraph()
	g := compose.NewGraph[string, *schema.Message]()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(g.AddRetrieverNode("policies", policyRetriever{}))
	must(g.AddLambdaNode("join_docs", compose.InvokableLambda(func(_ context.Context, docs []*schema.Document) (string, error) {
		var b strings.Builder
		for _, d := range docs {
			b.WriteString(d.Content + " ")
		}
		return b.String(), nil
	}), compose.WithOutputKey("docs")))
	must(g.AddLambdaNode("question", compose.InvokableLambda(func(_ context.Context, q string) (string, error) { return q, nil }), compose.WithOutputKey("question")))
	must(g.AddChatTemplateNode("prompt", prompt.FromMessages(schema.FString,
		schema.SystemMessage("You are a support bot. Policies: {docs}"), schema.UserMessage("{question}"))))
	must(g.AddGraphNode("agent", ag, append(agOpts, compose.WithNodeName("SupportAgent"))...))
	must(g.AddEdge(compose.START, "policies"))
	must(g.AddEdge(compose.START, "question"))
	must(g.AddEdge("policies", "join_docs"))
	must(g.AddEdge("join_docs", "prompt"))
	must(g.AddEdge("question", "prompt"))
	must(g.AddEdge("prompt", "agent"))
	must(g.AddEdge("agent", compose.END))
	r, err := g.Compile(ctx, compose.WithGraphName("SupportBot"), compose.WithNodeTriggerMode(compose.AllPredecessor))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func str(s sdktrace.ReadOnlySpan, k string) string {
	for _, kv := range s.Attributes() {
		if kv.Key == attribute.Key(k) {
			return kv.Value.Emit()
		}
	}
	return "<unset>"
}

func dump(rec *tracetest.SpanRecorder) string {
	var b strings.Builder
	for _, s := range rec.Ended() {
		fmt.Fprintf(&b, "%s kind=%s id=%s parent=%s status=%v\n", s.Name(), str(s, "gen_ai.span.kind"), s.SpanContext().SpanID(), s.Parent().SpanID(), s.Status())
	}
	return b.String()
}

func byName(rec *tracetest.SpanRecorder, name string) []sdktrace.ReadOnlySpan {
	var out []sdktrace.ReadOnlySpan
	for _, s := range rec.Ended() {
		if s.Name() == name {
			out = append(out, s)
		}
	}
	return out
}

// waitFor waits until a span named name has ended: streamed spans end on
// the handler's goroutine after the application's last read.
func waitFor(t *testing.T, rec *tracetest.SpanRecorder, name string) {
	t.Helper()
	for range 500 {
		if len(byName(rec, name)) > 0 {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("span %q never ended:\n%s", name, dump(rec))
}

// waitAllEnded waits until every started span has ended: each streamed
// component's span ends on its own goroutine, in no set order, so the
// graph's span may end before a model's.
func waitAllEnded(t *testing.T, rec *tracetest.SpanRecorder) {
	t.Helper()
	for range 500 {
		if len(rec.Ended()) == len(rec.Started()) {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("%d spans started, %d ended:\n%s", len(rec.Started()), len(rec.Ended()), dump(rec))
}
