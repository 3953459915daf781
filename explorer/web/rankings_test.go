package web

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/traceai-go/traceai/explorer/store"
	"github.com/traceai-go/traceai/fi"
)

// Rankings where every row ties say there is nothing to rank instead of
// listing arbitrary sessions as the worst; with evaluations stored, the
// page ranks by the evaluation scored most often when no metric is asked.
func TestRankingsTieAndDefault(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(filepath.Join(t.TempDir(), "spans.db"), store.WithSynchronous("NORMAL"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(fi.NewSpanProcessor()), sdktrace.WithSyncer(st.Exporter()))
	var first []emitted
	for i, id := range []string{"calm-1", "calm-2"} {
		e := emit(ctx, tp, convSpec{session: id, user: "u", start: t0.Add(time.Duration(i) * time.Minute),
			turns: []turnSpec{{user: "hi", assistant: "hello", latency: 300 * time.Millisecond, in: 5, out: 2}}})
		if first == nil {
			first = e
		}
	}
	h := New(st, withClock(func() time.Time { return t0.Add(time.Hour) }), WithOverviewTTL(0))
	body := mustGet(t, h, "/rankings")
	contains(t, "rankings, all tied", body, "Every session has the same error rate (0%): nothing to rank.")
	lacks(t, "rankings, all tied", body, `href="/sessions/calm-1"`, `href="/sessions/calm-2"`)

	emitEval(ctx, tp, first[0].llm, "helpfulness", 0.2, "bad", t0.Add(30*time.Minute))
	body = mustGet(t, h, "/rankings")
	contains(t, "rankings, default metric", body, `<option value="eval:helpfulness" selected>`, `href="/sessions/calm-1"`)
}
