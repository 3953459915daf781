package fiopenai_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	goopenai "github.com/sashabaranov/go-openai"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/instrumentation/fiopenai"
)

// fakeOpenAI answers every chat completion with the same reply.
func fakeOpenAI() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"id":"chatcmpl-1","object":"chat.completion","created":1740000000,"model":"gpt-4o-mini-2024-07-18",`+
			`"choices":[{"index":0,"message":{"role":"assistant","content":"Paris."},"finish_reason":"stop"}],`+
			`"usage":{"prompt_tokens":14,"completion_tokens":2,"total_tokens":16}}`)
	}))
}

func printSpan(s sdktrace.ReadOnlySpan) {
	a := map[string]string{}
	for _, kv := range s.Attributes() {
		a[string(kv.Key)] = kv.Value.Emit()
	}
	fmt.Println(s.Name(), a["gen_ai.span.kind"], a["session.id"], a["user.id"], a["gen_ai.request.model"], a["output.value"], a["gen_ai.usage.total_tokens"])
}

// With openai-go, the middleware goes in with option.WithMiddleware; the
// session and user come from the call's context.
func ExampleMiddleware() {
	srv := fakeOpenAI() // stands in for api.openai.com
	defer srv.Close()
	rec := tracetest.NewSpanRecorder()
	// In an application: tp, err := traceai.Register(ctx, ...).
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(fi.NewSpanProcessor()), sdktrace.WithSpanProcessor(rec))

	client := openai.NewClient(
		option.WithBaseURL(srv.URL+"/v1"),
		option.WithAPIKey("sk-..."),
		option.WithMiddleware(fiopenai.Middleware(fiopenai.WithTracerProvider(tp))),
	)
	ctx := fi.UsingAttributes(context.Background(), fi.Attributes{SessionID: "session-42", UserID: "alice"})
	_, err := client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
		Model:    openai.ChatModelGPT4oMini,
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Capital of France?")},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	printSpan(rec.Ended()[0])
	// Output: ChatCompletion LLM session-42 alice gpt-4o-mini-2024-07-18 Paris. 16
}

// Clients that take an *http.Client, such as go-openai, use NewTransport.
func ExampleNewTransport() {
	srv := fakeOpenAI()
	defer srv.Close()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(fi.NewSpanProcessor()), sdktrace.WithSpanProcessor(rec))

	cfg := goopenai.DefaultConfig("sk-...")
	cfg.BaseURL = srv.URL + "/v1"
	cfg.HTTPClient = &http.Client{Transport: fiopenai.NewTransport(http.DefaultTransport, fiopenai.WithTracerProvider(tp))}
	client := goopenai.NewClientWithConfig(cfg)

	ctx := fi.UsingSession(fi.UsingUser(context.Background(), "bob"), "session-7")
	_, err := client.CreateChatCompletion(ctx, goopenai.ChatCompletionRequest{
		Model:    goopenai.GPT4oMini,
		Messages: []goopenai.ChatCompletionMessage{{Role: goopenai.ChatMessageRoleUser, Content: "Capital of France?"}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	printSpan(rec.Ended()[0])
	// Output: ChatCompletion LLM session-7 bob gpt-4o-mini-2024-07-18 Paris. 16
}
