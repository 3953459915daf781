package explorer_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"

	"github.com/traceai-go/traceai/explorer"
	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/fi/semconv"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// Run the explorer in-process, send it a span over OTLP/HTTP and read the
// session back from the JSON API.
func Example() {
	dir, _ := os.MkdirTemp("", "explorer-example")
	defer os.RemoveAll(dir)
	ctx := context.Background()

	x, err := explorer.New(
		explorer.WithDBPath(filepath.Join(dir, "traceai.db")),
		explorer.WithHTTPAddr("127.0.0.1:0"),
		explorer.WithOTLPHTTPAddr("127.0.0.1:0"),
		explorer.WithOTLPGRPCAddr(explorer.Off),
		explorer.WithLogger(slog.New(slog.DiscardHandler)),
	)
	if err != nil {
		log.Fatal(err)
	}
	if err := x.Start(ctx); err != nil {
		log.Fatal(err)
	}
	defer x.Shutdown(ctx)

	exp, _ := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(x.OTLPHTTPEndpoint()+"/v1/traces"))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(fi.NewSpanProcessor()), sdktrace.WithBatcher(exp))
	sctx := fi.UsingUser(fi.UsingSession(ctx, "support-42"), "alice")
	_, span := tp.Tracer("example").Start(sctx, "chat")
	span.SetAttributes(semconv.SpanKindAgent.Attribute(), semconv.InputValue.String("Where is my order?"))
	span.End()
	tp.Shutdown(ctx) // flushes; the explorer answers once the span is committed

	resp, err := http.Get(x.UIURL() + "/api/sessions")
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	var page struct {
		Sessions []struct {
			SessionID  string `json:"session_id"`
			UserID     string `json:"user_id"`
			Traces     int    `json:"traces"`
			FirstInput string `json:"first_input"`
		} `json:"sessions"`
	}
	json.NewDecoder(resp.Body).Decode(&page)
	s := page.Sessions[0]
	fmt.Println(s.SessionID, s.UserID, s.Traces, s.FirstInput)
	// Output: support-42 alice 1 Where is my order?
}
