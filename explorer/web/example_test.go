package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"

	"github.com/traceai-go/traceai/explorer/store"
	"github.com/traceai-go/traceai/explorer/web"
	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/fi/semconv"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// Serve the pages of a store: here one span recorded in process, then the
// session page fetched. Prompts show as text, never as markup.
func Example() {
	dir, _ := os.MkdirTemp("", "traceai-web")
	defer os.RemoveAll(dir)
	st, err := store.Open(filepath.Join(dir, "spans.db"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer st.Close()

	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(fi.NewSpanProcessor()),
		sdktrace.WithSyncer(st.Exporter()))
	ctx := fi.UsingUser(fi.UsingSession(context.Background(), "chat-42"), "u-17")
	_, span := tp.Tracer("example").Start(ctx, "chat turn", trace.WithAttributes(
		semconv.SpanKindAgent.Attribute(),
		semconv.InputValue.String("Is <b>this</b> bold?"),
		semconv.OutputValue.String("No, it is text."),
	))
	span.End()

	srv := httptest.NewServer(web.New(st))
	defer srv.Close()
	res, err := http.Get(srv.URL + "/sessions/chat-42")
	if err != nil {
		fmt.Println(err)
		return
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	fmt.Println(res.StatusCode, res.Header.Get("Content-Type"))
	fmt.Println(strings.Contains(string(body), "Is &lt;b&gt;this&lt;/b&gt; bold?"))
	// Output:
	// 200 text/html; charset=utf-8
	// true
}
