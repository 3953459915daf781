package web

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/traceai-go/traceai/fi"
)

// A 20 KB attribute of 9,990 '[' then ']' made its trace page 200 MB:
// indenting it writes 2 spaces per level on each of 20,000 lines. Values
// are indented only below a size and depth bound and capped, so the page
// stays small whatever a span holds, on the span and on its resource.
func TestTracePageBoundedByDeepValues(t *testing.T) {
	ctx := context.Background()
	st, _ := tempStore(t)
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

// A trace page is bounded as a whole: the resource shows once at the top
// however many spans share it, the span details sent with the page share
// one budget, and a trace of thousands of spans lists the first
// maxTraceRows with a link to its JSON for the rest.
func TestTracePageBoundedByManySpans(t *testing.T) {
	ctx := context.Background()
	st, _ := tempStore(t)
	big := func(c byte) string { return strings.Repeat(string(c), 50<<10) }
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(fi.NewSpanProcessor()),
		sdktrace.WithBatcher(st.Exporter(), sdktrace.WithMaxExportBatchSize(2048), sdktrace.WithMaxQueueSize(4096)),
		sdktrace.WithResource(resource.NewSchemaless(attribute.String("resource.marker", "RESOURCE-MARK"), attribute.String("resource.big", big('r')))))
	tr := tp.Tracer("t")
	// 51 spans (few enough to all be sent with the page), 49 of 4 × 50 KB
	// attributes and one of 30: 11 MB.
	rctx, root := tr.Start(ctx, "wide")
	for range 49 {
		_, sp := tr.Start(rctx, "child")
		sp.SetAttributes(attribute.String("a", big('a')), attribute.String("b", big('b')), attribute.String("c", big('c')), attribute.String("d", big('d')))
		sp.End()
	}
	// One span of 30 × 50 KB, over what one span may show.
	_, huge := tr.Start(rctx, "huge")
	for i := range 30 {
		huge.SetAttributes(attribute.String("h"+strconv.Itoa(i), big('h')))
	}
	huge.End()
	root.End()
	// 2,000 small spans.
	lctx, long := tr.Start(ctx, "long")
	for range 1999 {
		_, sp := tr.Start(lctx, "step")
		sp.End()
	}
	long.End()
	if err := tp.ForceFlush(ctx); err != nil {
		t.Fatal(err)
	}

	h := New(st, WithOverviewTTL(0))
	wide := mustGet(t, h, "/traces/"+root.SpanContext().TraceID().String())
	if len(wide) > 3<<20 {
		t.Errorf("a trace of 11 MB: page is %d bytes, want under 3 MiB", len(wide))
	}
	if n := strings.Count(wide, "RESOURCE-MARK"); n != 1 {
		t.Errorf("the resource shows %d times, want once", n)
	}
	contains(t, "wide trace", wide, `<a href="#resource-1">#1</a>`)
	if n := strings.Count(wide, `<section class="card span-detail"`); n >= 51 {
		t.Errorf("all %d span details sent with the page", n)
	}
	hugePage := mustGet(t, h, "/traces/"+root.SpanContext().TraceID().String()+"?span="+huge.SpanContext().SpanID().String())
	if len(hugePage) > 3<<20 {
		t.Errorf("the page of a 1.5 MB span is %d bytes", len(hugePage))
	}
	contains(t, "huge span", hugePage, "more attributes or events not shown: the whole span is in",
		`href="/api/traces/`+root.SpanContext().TraceID().String()+`"`)
	t.Logf("a trace of 11 MB: page %d bytes", len(wide))

	tid := long.SpanContext().TraceID().String()
	page := mustGet(t, h, "/traces/"+tid)
	if rows := strings.Count(page, `<li class="wf-row`); rows != maxTraceRows {
		t.Errorf("%d waterfall rows, want %d", rows, maxTraceRows)
	}
	contains(t, "long trace", page, "1500 more spans not shown", `href="/api/traces/`+tid+`"`)
	t.Logf("2,000 spans: page %d bytes", len(page))
	// A span past the rows still opens.
	td, err := st.GetTrace(ctx, tid)
	if err != nil {
		t.Fatal(err)
	}
	last := td.Spans[len(td.Spans)-1].SpanID
	contains(t, "a span past the rows", mustGet(t, h, "/traces/"+tid+"?span="+last), `id="span-`+last+`"`)
}
