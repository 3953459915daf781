package store_test

import (
	"context"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/traceai-go/traceai/explorer/internal/synth"
	"github.com/traceai-go/traceai/explorer/store"
	"github.com/traceai-go/traceai/fi"
)

// When every session has the same value there is nothing to rank: the
// ranking says so instead of listing arbitrary sessions as the worst.
// Without a metric, rankings use the evaluation scored most often, and
// the error rate where nothing was evaluated.
func TestRankingsTiesAndDefaultMetric(t *testing.T) {
	ctx := context.Background()
	st := openTemp(t)
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(fi.NewSpanProcessor()), sdktrace.WithSyncer(st.Exporter()))
	var turns [][]synth.Emitted
	for i, id := range []string{"calm-1", "calm-2", "calm-3"} {
		turns = append(turns, synth.Emit(ctx, tp, synth.Conversation{
			SessionID: id, UserID: "u", Start: t0.Add(time.Duration(i) * time.Hour),
			Turns: []synth.Turn{{User: "hi", Assistant: "hello", Latency: 300 * time.Millisecond, InTokens: 5, OutTokens: 2}},
		}))
	}
	for _, order := range []string{"worst", "best"} {
		r, err := st.Rankings(ctx, store.RankingQuery{Order: order})
		if err != nil {
			t.Fatal(err)
		}
		if r.Metric != "error_rate" || !r.Tied || r.TiedValue != 0 || len(r.Rows) != 0 {
			t.Errorf("%s, no errors anywhere: %+v, want error_rate tied at 0 with no rows", order, r)
		}
	}
	// Tokens differ nowhere either; latency is the same too.
	if r, err := st.Rankings(ctx, store.RankingQuery{Metric: "tokens"}); err != nil || !r.Tied {
		t.Errorf("tokens: %+v %v", r, err)
	}

	// Evaluations: the most frequent one becomes the default metric.
	synth.EmitEvaluation(ctx, tp, turns[0][0].LLM, "tone", ptr(0.9), "ok", t0.Add(5*time.Hour))
	synth.EmitEvaluation(ctx, tp, turns[0][0].LLM, "helpfulness", ptr(0.2), "bad", t0.Add(5*time.Hour))
	synth.EmitEvaluation(ctx, tp, turns[1][0].LLM, "helpfulness", ptr(0.8), "good", t0.Add(5*time.Hour))
	r, err := st.Rankings(ctx, store.RankingQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Metric != "eval:helpfulness" || r.Tied || len(r.Rows) != 2 || r.Rows[0].ID != "calm-1" {
		t.Errorf("default with evaluations: metric %s, tied %v, rows %+v; want eval:helpfulness, calm-1 worst", r.Metric, r.Tied, r.Rows)
	}
	// One session alone is not a tie.
	if r, err := st.Rankings(ctx, store.RankingQuery{Metric: "eval:tone"}); err != nil || r.Tied || len(r.Rows) != 1 {
		t.Errorf("a single row: %+v %v", r, err)
	}
}
