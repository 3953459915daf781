// Command quickstart is the traceai-go quick start: a small chat service
// serving three sessions of two users. Every span it makes, from fi's
// helpers and from a plain OpenTelemetry tracer alike, carries session.id
// and user.id, because the session and user are put into the
// context.Context once per conversation.
//
// Spans print to stdout as JSON (the stdouttrace exporter; nothing goes over
// the network), followed by a one-line-per-span summary.
//
//	go run ./examples/quickstart
//	go run ./examples/quickstart -json=false   # summary only
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

	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/fi/semconv"
)

func main() {
	printJSON := flag.Bool("json", true, "print every span as JSON (stdouttrace)")
	flag.Parse()
	if err := run(os.Stdout, *printJSON); err != nil {
		log.Fatal(err)
	}
}

// run serves the conversations, writing spans (when printJSON) and the
// summary to w.
func run(w io.Writer, printJSON bool) error {
	out := w
	if !printJSON {
		out = io.Discard
	}
	exporter, err := stdouttrace.New(stdouttrace.WithWriter(out), stdouttrace.WithPrettyPrint())
	if err != nil {
		return err
	}
	summary := &summary{}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithSpanProcessor(fi.NewSpanProcessor()), // stamps session.id, user.id, ... on every span
		sdktrace.WithSyncer(exporter),                     // sdktrace.WithBatcher in a real service
		sdktrace.WithSpanProcessor(summary),
	)
	defer func() { _ = tp.Shutdown(context.Background()) }()

	app := &chatApp{
		fi:    fi.NewTracer(fi.WithTracerProvider(tp)), // traceAI spans: CHAIN, TOOL, LLM ...
		plain: tp.Tracer("quickstart/http"),            // any other OpenTelemetry tracer
	}

	conversations := []struct {
		session, user string
		messages      []string
	}{
		{"session-alice-1", "alice", []string{"Where is order 1042?", "Can I change the address?"}},
		{"session-bob-1", "bob", []string{"Do you ship to Lisbon?"}},
		{"session-alice-2", "alice", []string{"Cancel order 1042", "Thanks!"}},
	}

	ctx := context.Background()
	for _, c := range conversations {
		// Once per conversation: every span below carries session and user.
		cctx := fi.UsingAttributes(ctx, fi.Attributes{
			SessionID: c.session,
			UserID:    c.user,
			Metadata:  map[string]any{"channel": "web"},
			Tags:      []string{"quickstart"},
		})
		for _, m := range c.messages {
			app.handle(cctx, m)
		}
	}

	// A health check whose spans nobody wants.
	app.handle(fi.SuppressTracing(ctx), "ping")

	if err := tp.ForceFlush(ctx); err != nil {
		return err
	}
	summary.print(w)
	return nil
}

type chatApp struct {
	fi    *fi.Tracer
	plain trace.Tracer
}

// handle is one request: a plain span (what otelhttp would make), a CHAIN
// span for the answer, a TOOL span for an order lookup, and a plain span for
// the database query inside the tool.
func (a *chatApp) handle(ctx context.Context, message string) {
	if !fi.IsTracingSuppressed(ctx) {
		var span trace.Span
		ctx, span = a.plain.Start(ctx, "POST /chat", trace.WithSpanKind(trace.SpanKindServer))
		defer span.End()
	}
	_, _ = fi.Chain(ctx, a.fi, "answer", message, func(ctx context.Context) (string, error) {
		if !strings.Contains(message, "order") {
			return "Happy to help!", nil
		}
		order, err := fi.Tool(ctx, a.fi, fi.ToolInfo{
			Name:        "lookup_order",
			Description: "Find an order by number",
			Parameters:  map[string]any{"type": "object", "properties": map[string]any{"id": map[string]any{"type": "string"}}},
		}, map[string]any{"id": "1042"}, func(ctx context.Context) (map[string]any, error) {
			_, q := a.plain.Start(ctx, "SELECT orders", trace.WithSpanKind(trace.SpanKindClient))
			defer q.End()
			return map[string]any{"id": "1042", "status": "shipped"}, nil
		})
		if err != nil {
			return "", errors.New("lookup failed")
		}
		return fmt.Sprintf("Order %v is %v.", order["id"], order["status"]), nil
	})
}

// summary collects one line per ended span.
type summary struct {
	mu    sync.Mutex
	lines []string
}

func (s *summary) OnStart(context.Context, sdktrace.ReadWriteSpan) {}
func (s *summary) OnEnd(span sdktrace.ReadOnlySpan) {
	var session, user, kind string
	for _, kv := range span.Attributes() {
		switch kv.Key {
		case semconv.SessionID:
			session = kv.Value.AsString()
		case semconv.UserID:
			user = kv.Value.AsString()
		case semconv.GenAISpanKind:
			kind = kv.Value.AsString()
		}
	}
	if kind == "" {
		kind = "(plain)"
	}
	s.mu.Lock()
	scope := span.InstrumentationScope().Name
	scope = scope[strings.LastIndex(scope, "/")+1:]
	s.lines = append(s.lines, fmt.Sprintf("%-14s %-7s %-8s %-7s %s", span.Name(), scope, kind, user, session))
	s.mu.Unlock()
}
func (s *summary) Shutdown(context.Context) error   { return nil }
func (s *summary) ForceFlush(context.Context) error { return nil }

func (s *summary) print(w io.Writer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fmt.Fprintf(w, "\n%d spans (the suppressed health check made none):\n", len(s.lines))
	fmt.Fprintf(w, "%-14s %-7s %-8s %-7s %s\n", "span", "tracer", "kind", "user.id", "session.id")
	for _, l := range s.lines {
		fmt.Fprintln(w, l)
	}
}
