package store_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/traceai-go/traceai/explorer/store"
	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/fi/semconv"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// Record spans straight into a store and list the sessions.
func Example() {
	dir, _ := os.MkdirTemp("", "store-example")
	defer os.RemoveAll(dir)
	st, err := store.Open(filepath.Join(dir, "spans.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()

	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(fi.NewSpanProcessor()), sdktrace.WithSyncer(st.Exporter()))
	ctx := fi.UsingUser(fi.UsingSession(context.Background(), "s-1"), "alice")
	_, span := tp.Tracer("example").Start(ctx, "llm")
	span.SetAttributes(semconv.SpanKindLLM.Attribute(), semconv.GenAIRequestModel.String("gpt-4o"),
		semconv.GenAIUsageInputTokens.Int(1000), semconv.GenAIUsageOutputTokens.Int(100))
	span.End()

	sessions, next, err := st.ListSessions(context.Background(), store.SessionFilter{UserID: "alice"})
	if err != nil {
		log.Fatal(err)
	}
	s := sessions[0]
	fmt.Printf("%s %s turns=%d tokens=%d cost=$%.4f more=%v\n", s.SessionID, s.UserID, s.Traces, s.TotalTokens, s.Cost, next != "")
	// Output: s-1 alice turns=1 tokens=1100 cost=$0.0035 more=false
}
