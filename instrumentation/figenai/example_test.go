package figenai_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"google.golang.org/genai"

	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/instrumentation/figenai"
)

// Trace google.golang.org/genai calls by giving the client an HTTP client
// with this package's transport. Every span inside the session and user
// scopes carries session.id and user.id.
func ExampleNewTransport() {
	body, _ := os.ReadFile("testdata/generate_response.json")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
	defer srv.Close()
	sr := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr)) // in an app: traceai.Register(ctx, ...)

	ctx := context.Background()
	client, err := genai.NewClient(ctx, &genai.ClientConfig{
		APIKey:      "AIza...",
		Backend:     genai.BackendGeminiAPI,
		HTTPClient:  &http.Client{Transport: figenai.NewTransport(nil, figenai.WithTracerProvider(tp))},
		HTTPOptions: genai.HTTPOptions{BaseURL: srv.URL}, // not needed against the real API
	})
	if err != nil {
		panic(err)
	}
	ctx = fi.UsingUser(fi.UsingSession(ctx, "chat-42"), "alice")
	res, err := client.Models.GenerateContent(ctx, "gemini-2.5-flash", genai.Text("Weather in Paris?"), nil)
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Text())
	s := sr.Ended()[0]
	fmt.Println("span:", s.Name())
	for _, kv := range s.Attributes() {
		switch kv.Key {
		case "gen_ai.span.kind", "session.id", "user.id", "gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens":
			fmt.Printf("%s: %s\n", kv.Key, kv.Value.Emit())
		}
	}
	// Unordered output:
	// It is 21°C and sunny in Paris. The picture shows a pixel.
	// span: GenerateContent
	// gen_ai.span.kind: LLM
	// session.id: chat-42
	// user.id: alice
	// gen_ai.usage.input_tokens: 96
	// gen_ai.usage.output_tokens: 58
}
