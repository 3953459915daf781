package fianthropic_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"

	"github.com/anthropics/anthropic-sdk-go"
	"github.com/anthropics/anthropic-sdk-go/option"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/instrumentation/fianthropic"
)

// fakeAnthropic stands in for api.anthropic.com with a recorded answer.
func fakeAnthropic() *httptest.Server {
	body, _ := os.ReadFile("testdata/messages_response.json")
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
}

func span(sr *tracetest.SpanRecorder, keys ...string) {
	s := sr.Ended()[0]
	fmt.Println("span:", s.Name())
	for _, k := range keys {
		for _, kv := range s.Attributes() {
			if string(kv.Key) == k {
				fmt.Printf("%s: %s\n", k, kv.Value.Emit())
			}
		}
	}
}

// Trace anthropic-sdk-go calls: the middleware, and WithoutOpenTelemetry so
// that the SDK's own span does not double ours. Every span inside the
// session and user scopes carries session.id and user.id.
func ExampleMiddleware() {
	srv := fakeAnthropic()
	defer srv.Close()
	sr := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr)) // in an app: traceai.Register(ctx, ...)

	client := anthropic.NewClient(
		option.WithBaseURL(srv.URL), // not needed against the real API
		option.WithAPIKey("sk-ant-..."),
		option.WithMiddleware(fianthropic.Middleware(fianthropic.WithTracerProvider(tp))),
		option.WithoutOpenTelemetry(),
	)
	ctx := fi.UsingUser(fi.UsingSession(context.Background(), "chat-42"), "alice")
	msg, err := client.Messages.New(ctx, anthropic.MessageNewParams{
		Model:     "claude-sonnet-4-5",
		MaxTokens: 1024,
		Messages:  []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("What's the weather in Paris?"))},
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(msg.Content[0].Text)
	span(sr, "gen_ai.span.kind", "session.id", "user.id", "gen_ai.request.model", "gen_ai.usage.total_tokens")
	// Output:
	// Sunny, 21°C in Paris.
	// span: Messages
	// gen_ai.span.kind: LLM
	// session.id: chat-42
	// user.id: alice
	// gen_ai.request.model: claude-sonnet-4-5-20250929
	// gen_ai.usage.total_tokens: 37
}

// Trace Messages API calls made with plain net/http.
func ExampleNewTransport() {
	srv := fakeAnthropic()
	defer srv.Close()
	sr := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr))

	hc := &http.Client{Transport: fianthropic.NewTransport(nil, fianthropic.WithTracerProvider(tp))}
	req, _ := http.NewRequestWithContext(fi.UsingSession(context.Background(), "chat-7"), "POST", srv.URL+"/v1/messages",
		strings.NewReader(`{"model":"claude-sonnet-4-5","max_tokens":64,"messages":[{"role":"user","content":"Hi"}]}`))
	req.Header.Set("x-api-key", "sk-ant-...")
	res, err := hc.Do(req)
	if err != nil {
		panic(err)
	}
	io.ReadAll(res.Body) // the span ends with the body: at its end, or when closed
	res.Body.Close()
	span(sr, "session.id", "gen_ai.input.messages.0.message.content", "gen_ai.output.messages.0.message.content")
	// Output:
	// span: Messages
	// session.id: chat-7
	// gen_ai.input.messages.0.message.content: Hi
	// gen_ai.output.messages.0.message.content: Sunny, 21°C in Paris.
}
