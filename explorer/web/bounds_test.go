package web

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/traceai-go/traceai/explorer/store"
	"github.com/traceai-go/traceai/fi"
)

// A 20 KB attribute of 9,990 '[' then ']' made its trace page 200 MB:
// indenting it writes 2 spaces per level on each of 20,000 lines. Values
// are indented only below a size and depth bound and capped, so the page
// stays small whatever a span holds, on the span and on its resource.
func TestTracePageBoundedByDeepValues(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(filepath.Join(t.TempDir(), "spans.db"), store.WithSynchronous("NORMAL"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	deep := strings.Repeat("[", 9990) + strings.Repeat("]", 9990)
	long := strings.Repeat("x", 1<<20)
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(fi.NewSpanProcessor()), sdktrace.WithSyncer(st.Exporter()),
		sdktrace.WithResource(resource.NewSchemaless(attribute.String("deep.resource", deep))))
	_, sp := tp.Tracer("t").Start(ctx, "deep")
	sp.SetAttributes(attribute.String("deep.attr", deep), attribute.String("long.attr", long))
	tid := sp.SpanContext().TraceID().String()
	sp.End()

	h := New(st, WithOverviewTTL(0))
	body := mustGet(t, h, "/traces/"+tid)
	if len(body) > 1<<20 {
		t.Errorf("trace page is %d bytes, want under 1 MiB", len(body))
	}
	contains(t, "trace page", body, "more bytes not shown")
	t.Logf("trace page: %d bytes", len(body))
}

func TestJSONDepth(t *testing.T) {
	for in, want := range map[string]int{`1`: 0, `[]`: 1, `{"a":[1,{"b":"]]]["}]}`: 3, `["\"[[["]`: 1} {
		if got := jsonDepth([]byte(in)); got != want {
			t.Errorf("jsonDepth(%s) = %d, want %d", in, got, want)
		}
	}
}
