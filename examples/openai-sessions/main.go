// Command openai-sessions shows how sessions and users reach the spans of
// OpenAI calls: the traceAI docs' three using_attributes examples (a
// session; a user; a session and a user) and their decorator forms, in Go,
// with openai-go and the fiopenai middleware.
//
// With no flags it talks to a built-in OpenAI-compatible stand-in and prints
// one line per span; nothing leaves the machine:
//
//	go run ./examples/openai-sessions
//
// Against a real model, with the spans sent to the session explorer
// (traceai serve) or any OTLP/HTTP endpoint:
//
//	OPENAI_API_KEY=sk-... go run ./examples/openai-sessions -real -endpoint http://127.0.0.1:7070
//
// OPENAI_BASE_URL points it at any OpenAI-compatible server (vLLM, Ollama's
// /v1, Groq, Azure, ...).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"strings"
	"sync"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/traceai-go/traceai"
	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/fi/semconv"
	"github.com/traceai-go/traceai/instrumentation/fiopenai"
	"github.com/traceai-go/traceai/internal/standin"
)

func main() {
	real := flag.Bool("real", false, "call the model at OPENAI_BASE_URL (default api.openai.com) with OPENAI_API_KEY instead of the built-in stand-in")
	endpoint := flag.String("endpoint", "", "send the spans to this OTLP/HTTP endpoint (e.g. the explorer at http://127.0.0.1:7070) instead of printing them")
	model := flag.String("model", openai.ChatModelGPT4oMini, "chat model")
	flag.Parse()

	cfg := config{model: *model, endpoint: *endpoint, out: os.Stdout}
	if *real {
		cfg.apiKey, cfg.baseURL = os.Getenv("OPENAI_API_KEY"), os.Getenv("OPENAI_BASE_URL")
		if cfg.apiKey == "" {
			log.Fatal("-real needs OPENAI_API_KEY")
		}
	} else {
		s := standin.New(standin.Options{Speed: 0.1})
		defer s.Close()
		cfg.apiKey, cfg.baseURL = "sk-standin", s.URL
	}
	if err := run(context.Background(), cfg); err != nil {
		log.Fatal(err)
	}
}

type config struct {
	model, apiKey, baseURL string
	endpoint               string                // OTLP/HTTP; empty: print a line per span to out
	exporter               sdktrace.SpanExporter // replaces both (tests)
	out                    io.Writer
}

func run(ctx context.Context, c config) error {
	// traceai.Register builds the tracer provider: the span processor that stamps
	// session.id, user.id, ... on every span, and an OTLP exporter.
	opts := []traceai.Option{traceai.WithProjectName("openai-sessions"), traceai.WithSetGlobal(false)}
	lines := &lineExporter{out: c.out}
	switch {
	case c.exporter != nil:
		opts = append(opts, traceai.WithExporter(c.exporter))
	case c.endpoint != "":
		opts = append(opts, traceai.WithEndpoint(c.endpoint), traceai.WithTransport(traceai.TransportHTTP))
	default:
		opts = append(opts, traceai.WithExporter(lines), traceai.WithBatch(false))
	}
	tp, err := traceai.Register(ctx, opts...)
	if err != nil {
		return err
	}
	defer func() { _ = tp.Shutdown(context.Background()) }()

	clientOpts := []option.RequestOption{
		option.WithAPIKey(c.apiKey),
		// One line instruments every call of this client.
		option.WithMiddleware(fiopenai.Middleware(fiopenai.WithTracerProvider(tp))),
	}
	if c.baseURL != "" {
		clientOpts = append(clientOpts, option.WithBaseURL(c.baseURL))
	}
	client := openai.NewClient(clientOpts...)

	// callFn is the function the decorator examples wrap.
	callFn := func(ctx context.Context) error {
		_, err := client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
			Model:     c.model,
			Messages:  []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Write a haiku.")},
			MaxTokens: openai.Int(20),
		})
		return err
	}

	var errs []error
	// 1. using_session: every span started from ctx carries session.id.
	errs = append(errs, callFn(fi.UsingSession(ctx, "my-session-id")))
	// 2. using_user: user.id.
	errs = append(errs, callFn(fi.UsingUser(ctx, "my-user-id")))
	// 3. using_attributes with both.
	errs = append(errs, callFn(fi.UsingAttributes(ctx, fi.Attributes{SessionID: "my-session-id", UserID: "my-user-id"})))

	// The decorator forms: a function wrapped once, called as often as needed.
	errs = append(errs, fi.WrapSession("my-session-id", callFn)(ctx))
	errs = append(errs, fi.WrapUser("my-user-id", callFn)(ctx))
	errs = append(errs, fi.WrapAttributes(fi.Attributes{
		SessionID: "my-session-id",
		UserID:    "my-user-id",
		Metadata:  map[string]any{"key-1": "value-1", "key-2": 2},
		Tags:      []string{"tag-1", "tag-2"},
	}, callFn)(ctx))
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if err := tp.ForceFlush(ctx); err != nil {
		return err
	}
	if c.exporter == nil && c.endpoint != "" {
		fmt.Fprintf(c.out, "sent the spans of %d calls to %s\n", len(errs), c.endpoint)
	}
	return nil
}

// lineExporter prints one line per span: its name, kind, session, user and
// model.
type lineExporter struct {
	mu  sync.Mutex
	out io.Writer
}

func (e *lineExporter) ExportSpans(_ context.Context, spans []sdktrace.ReadOnlySpan) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, s := range spans {
		a := map[string]string{}
		for _, kv := range s.Attributes() {
			a[string(kv.Key)] = kv.Value.Emit()
		}
		var keys []string
		for _, k := range []string{string(semconv.SessionID), string(semconv.UserID), string(semconv.GenAIRequestModel), string(semconv.GenAIUsageTotalTokens), string(semconv.Metadata), string(semconv.TagTags)} {
			if v, ok := a[k]; ok {
				keys = append(keys, k+"="+v)
			}
		}
		fmt.Fprintf(e.out, "%-16s %-4s %s\n", s.Name(), a[string(semconv.GenAISpanKind)], strings.Join(keys, " "))
	}
	return nil
}

func (e *lineExporter) Shutdown(context.Context) error { return nil }
