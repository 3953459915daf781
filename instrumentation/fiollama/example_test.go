package fiollama_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"

	"github.com/ollama/ollama/api"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/instrumentation/fiollama"
)

// Trace github.com/ollama/ollama/api calls by giving the client an HTTP
// client with this package's transport. The NDJSON stream reaches the
// callback as it arrives; the span ends with it, carrying the whole answer
// and Ollama's token counts.
func ExampleNewTransport() {
	stream, _ := os.ReadFile("testdata/chat_stream.ndjson")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-ndjson")
		w.Write(stream)
	}))
	defer srv.Close()
	sr := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr)) // in an app: traceai.Register(ctx, ...)

	base, _ := url.Parse(srv.URL) // http://127.0.0.1:11434 for a local Ollama
	client := api.NewClient(base, &http.Client{Transport: fiollama.NewTransport(nil, fiollama.WithTracerProvider(tp))})

	ctx := fi.UsingUser(fi.UsingSession(context.Background(), "chat-42"), "alice")
	err := client.Chat(ctx, &api.ChatRequest{
		Model:    "llama3.2",
		Messages: []api.Message{{Role: "user", Content: "Weather in Paris?"}},
	}, func(r api.ChatResponse) error {
		fmt.Print(r.Message.Content)
		return nil
	})
	if err != nil {
		panic(err)
	}
	fmt.Println()
	s := sr.Ended()[0]
	fmt.Println("span:", s.Name())
	for _, kv := range s.Attributes() {
		switch kv.Key {
		case "session.id", "user.id", "gen_ai.output.messages.0.message.content", "gen_ai.usage.total_tokens":
			fmt.Printf("%s: %s\n", kv.Key, kv.Value.Emit())
		}
	}
	// Unordered output:
	// It is 21°C and sunny.
	// span: ollama.chat
	// session.id: chat-42
	// user.id: alice
	// gen_ai.output.messages.0.message.content: It is 21°C and sunny.
	// gen_ai.usage.total_tokens: 152
}
