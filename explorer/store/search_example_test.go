package store_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/traceai-go/traceai/explorer/store"
	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/fi/semconv"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// Find the sessions where a user asked about an order, and show why each
// matched.
func ExampleStore_ListSessions_search() {
	dir, _ := os.MkdirTemp("", "store-search-example")
	defer os.RemoveAll(dir)
	st, err := store.Open(filepath.Join(dir, "spans.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()

	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(fi.NewSpanProcessor()), sdktrace.WithSyncer(st.Exporter()))
	for sid, said := range map[string]string{"s-1": "Where is order A-1032? I want a refund.", "s-2": "What's the weather?"} {
		_, span := tp.Tracer("example").Start(fi.UsingSession(context.Background(), sid), "turn")
		span.SetAttributes(semconv.SpanKindAgent.Attribute(), semconv.InputValue.String(said))
		span.End()
	}

	sessions, _, err := st.ListSessions(context.Background(), store.SessionFilter{Q: `refund 1032 -weather`})
	if err != nil {
		log.Fatal(err) // a malformed q is a *store.FilterError
	}
	for _, s := range sessions {
		var b strings.Builder
		for _, f := range s.Match.Snippet {
			if f.Match {
				b.WriteString("[" + f.Text + "]")
			} else {
				b.WriteString(f.Text)
			}
		}
		fmt.Println(s.SessionID, s.Match.Part+":", b.String())
	}
	// Output: s-1 input: Where is order A-[1032]? I want a [refund].
}
