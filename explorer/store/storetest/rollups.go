package storetest

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/traceai-go/traceai/explorer/internal/synth"
	"github.com/traceai-go/traceai/explorer/store"
	"github.com/traceai-go/traceai/explorer/store/internal/record"
	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/fi/semconv"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// rollupStart is when the first conversation of testDashboardRollups
// starts: not on an hour, so that ranges have partial hours.
var rollupStart = time.Date(2026, 3, 1, 9, 20, 0, 0, time.UTC)

// testDashboardRollups checks that a backend's hourly rollups answer every
// dashboard query as scanning the turns does: counts, sums, sessions,
// users and evaluations exactly, percentiles within the histogram's 1%;
// before the stale hours are recomputed and after, and after a turn moves
// to another model, a session is given a tag, an old turn is judged and
// retention deletes turns.
func testDashboardRollups(t *testing.T, open Opener) {
	st := open(t)
	rf, ok := st.(store.RollupRefresher)
	if !ok {
		t.Skip("the backend keeps no rollups")
	}
	ctx := context.Background()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(fi.NewSpanProcessor()), sdktrace.WithSyncer(st.Exporter()))
	users := []string{"ana", "ben", "cho"}
	tags := [][]string{{"beta"}, {"beta", "eu"}, nil}
	var turns []synth.Emitted
	for i := range 12 {
		c := synth.Conversation{SessionID: fmt.Sprintf("roll-%02d", i), UserID: users[i%3], Tags: tags[i%3],
			Prompt: fi.PromptTemplate{Template: "support", Version: fmt.Sprint(1 + i%2)},
			Start:  rollupStart.Add(time.Duration(i) * 37 * time.Minute)}
		if i%4 != 3 {
			c.Metadata = map[string]any{"plan": []string{"free", "pro"}[i%2]}
		}
		for k := range 4 {
			tr := synth.Turn{User: fmt.Sprintf("question %d", k), Assistant: "answer",
				Model:   []string{"gpt-4o-mini", "claude-sonnet-4-20250514"}[(i+k)%2],
				Latency: time.Duration(100+(i*97+k*313)%2000) * time.Millisecond, InTokens: int64(10 + i + k), OutTokens: int64(5 + k)}
			if (i+k)%7 == 0 {
				tr.Assistant, tr.Error = "", "upstream 500"
			}
			c.Turns = append(c.Turns, tr)
		}
		turns = append(turns, synth.Emit(ctx, tp, c)...)
	}
	for i, e := range turns[:20] {
		if i%3 == 0 {
			synth.EmitEvaluation(ctx, tp, e.LLM, "faithfulness", ptr(float64(i%5)/4), []string{"pass", "fail"}[i%2], rollupStart.Add(20*time.Hour))
		}
	}
	until := rollupStart.Add(12 * time.Hour).Truncate(time.Hour)
	compare := func(stage string) {
		t.Helper()
		compareRollups(t, st, stage, until)
	}
	refresh := func() {
		t.Helper()
		if err := rf.RefreshRollups(ctx); err != nil {
			t.Fatal(err)
		}
	}
	compare("every hour stale")
	refresh()
	before := record.RollupRowsRead()
	compare("refreshed")
	if record.RollupRowsRead() == before {
		t.Fatal("no query read a rollup row")
	}

	// A later LLM call moves turn 0 of roll-10 (15:30) to another model;
	// roll-01 (09:57) is given a tag in a batch of its own, by a turn at
	// 14:21; a turn of roll-07 (13:39) is judged. Each changes other hours.
	tr := tp.Tracer("rollups")
	at := rollupStart.Add(10 * 37 * time.Minute)
	_, sp := tr.Start(trace.ContextWithSpanContext(ctx, turns[40].Root), "late call",
		trace.WithTimestamp(at.Add(2*time.Second)), trace.WithAttributes(semconv.SpanKindLLM.Attribute(),
			semconv.GenAIRequestModel.String("gemini-2.5-flash"), semconv.GenAIUsageInputTokens.Int64(7)))
	sp.End(trace.WithTimestamp(at.Add(3 * time.Second)))
	tctx := fi.UsingTags(fi.UsingSession(ctx, "roll-01"), "late-tag")
	_, sp = tr.Start(tctx, "note", trace.WithNewRoot(), trace.WithTimestamp(rollupStart.Add(5*time.Hour+time.Minute)),
		trace.WithAttributes(semconv.SpanKindChain.Attribute()))
	sp.End(trace.WithTimestamp(rollupStart.Add(5*time.Hour + 2*time.Minute)))
	synth.EmitEvaluation(ctx, tp, turns[30].LLM, "faithfulness", ptr(0.1), "fail", rollupStart.Add(21*time.Hour))
	compare("changed, stale")
	refresh()
	compare("changed, refreshed")
	g, err := st.Groups(ctx, store.GroupQuery{By: store.GroupByTag})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, x := range g.Groups {
		if x.Key == "late-tag" {
			found = x.Traces == 5 // roll-01's four turns and the note
		}
	}
	if !found {
		t.Errorf("the late tag groups %+v", g.Groups)
	}

	if r, ok := st.(store.Retainer); ok {
		DeleteAllBefore(t, r, rollupStart.Add(3*time.Hour), 0)
		compare("retained, stale")
		refresh()
		compare("retained, refreshed")
	}
}

// compareRollups runs the dashboard's queries with the rollups and by
// scanning, and reports where they differ.
func compareRollups(t *testing.T, st store.Reader, stage string, until time.Time) {
	t.Helper()
	ctx := context.Background()
	ranges := []store.TurnFilter{
		{},
		{Since: rollupStart.Truncate(time.Hour), Until: until},
		{Since: rollupStart.Add(50 * time.Minute), Until: rollupStart.Add(5*time.Hour + 10*time.Minute)},
	}
	filters := []func(*store.TurnFilter){
		func(*store.TurnFilter) {},
		func(f *store.TurnFilter) { f.Model = "gpt-4o-mini" },
		func(f *store.TurnFilter) { f.Tag = "beta" },
		func(f *store.TurnFilter) { f.UserID = "ben" },
		func(f *store.TurnFilter) { f.Model, f.UserID = "gpt-4o-mini", "ben" },
	}
	run := func(q any) (any, error) {
		switch q := q.(type) {
		case store.GroupQuery:
			return st.Groups(ctx, q)
		case store.TimeseriesQuery:
			return st.Timeseries(ctx, q)
		}
		return nil, nil
	}
	var queries []any
	for _, r := range ranges {
		for n, filter := range filters {
			f := r
			filter(&f)
			for _, by := range []string{store.GroupByModel, store.GroupByTag, store.GroupByPromptTemplateVersion, store.GroupByUser,
				store.GroupBySpanKind, store.GroupByMetadataPrefix + "plan"} {
				if n == 0 || by == store.GroupByModel {
					queries = append(queries, store.GroupQuery{TurnFilter: f, By: by})
				}
			}
			if r.Until.IsZero() {
				continue // a series without until ends now
			}
			for _, m := range append([]string{"eval:faithfulness"}, store.TimeseriesMetrics...) {
				for _, iv := range []time.Duration{time.Hour, 3 * time.Hour, 15 * time.Minute} {
					queries = append(queries, store.TimeseriesQuery{TurnFilter: f, Metric: m, Interval: iv})
				}
				if n == 0 {
					queries = append(queries, store.TimeseriesQuery{TurnFilter: f, Metric: m, Interval: time.Hour, GroupBy: store.GroupByModel},
						store.TimeseriesQuery{TurnFilter: f, Metric: m, Interval: time.Hour, GroupBy: store.GroupByTag})
				}
			}
		}
	}
	for _, q := range queries {
		got, err := run(q)
		if err != nil {
			t.Fatalf("%s: %+v: %v", stage, q, err)
		}
		restore := record.SetRollups(false)
		want, err := run(q)
		restore()
		if err != nil {
			t.Fatalf("%s: %+v: %v", stage, q, err)
		}
		if d := rollupDiff(got, want); d != "" {
			t.Errorf("%s: %+v: %s", stage, q, d)
		}
	}
}

// rollupDiff describes how an answer from rollups differs from the
// scanned one beyond the percentiles' accuracy.
func rollupDiff(got, want any) string {
	switch w := want.(type) {
	case *store.Groups:
		g := got.(*store.Groups)
		if len(g.Groups) != len(w.Groups) {
			return fmt.Sprintf("%d groups, want %d", len(g.Groups), len(w.Groups))
		}
		for i := range w.Groups {
			if d := statsDiff(&g.Groups[i], &w.Groups[i]); d != "" {
				return fmt.Sprintf("group %q: %s", w.Groups[i].Key, d)
			}
		}
		return statsDiff(&g.Total, &w.Total)
	case *store.Timeseries:
		g := got.(*store.Timeseries)
		if len(g.Series) != len(w.Series) || g.Interval != w.Interval || !g.Since.Equal(w.Since) {
			return fmt.Sprintf("%d series %s from %v, want %d %s from %v", len(g.Series), g.Interval, g.Since, len(w.Series), w.Interval, w.Since)
		}
		pct := w.Metric == "latency_p50" || w.Metric == "latency_p95"
		for i, ws := range w.Series {
			gs := g.Series[i]
			if gs.Key != ws.Key || len(gs.Points) != len(ws.Points) {
				return fmt.Sprintf("series %q of %d points, want %q of %d", gs.Key, len(gs.Points), ws.Key, len(ws.Points))
			}
			for j, wp := range ws.Points {
				gp := gs.Points[j]
				if !gp.T.Equal(wp.T) || gp.Samples != wp.Samples || (gp.Value == nil) != (wp.Value == nil) ||
					(wp.Value != nil && !near(*gp.Value, *wp.Value, pct)) {
					return fmt.Sprintf("series %q point %d: %+v %v, want %+v %v", ws.Key, j, gp, deref(gp.Value), wp, deref(wp.Value))
				}
			}
		}
	}
	return ""
}

func deref(v *float64) any {
	if v == nil {
		return nil
	}
	return *v
}

func statsDiff(g, w *store.GroupStats) string {
	if g.Key != w.Key || g.Sessions != w.Sessions || g.Traces != w.Traces || g.Errors != w.Errors || g.Failed != w.Failed ||
		g.InputTokens != w.InputTokens || g.OutputTokens != w.OutputTokens || g.TotalTokens != w.TotalTokens ||
		!near(g.Cost, w.Cost, false) || g.ErrorRate != w.ErrorRate || g.BrokenRate != w.BrokenRate ||
		!near(g.P50LatencyMS, w.P50LatencyMS, true) || !near(g.P95LatencyMS, w.P95LatencyMS, true) {
		return fmt.Sprintf("%+v, want %+v", *g, *w)
	}
	if len(g.Evaluations) != len(w.Evaluations) {
		return fmt.Sprintf("evaluations %+v, want %+v", g.Evaluations, w.Evaluations)
	}
	for name, we := range w.Evaluations {
		ge := g.Evaluations[name]
		if ge.Count != we.Count || (ge.Mean == nil) != (we.Mean == nil) || (we.Mean != nil && !near(*ge.Mean, *we.Mean, false)) ||
			fmt.Sprint(ge.Labels) != fmt.Sprint(we.Labels) {
			return fmt.Sprintf("evaluation %s %+v, want %+v", name, ge, we)
		}
	}
	return ""
}

// near compares figures: sums to rounding, percentiles to the histogram's
// relative accuracy (1%).
func near(a, b float64, percentile bool) bool {
	tol := 1e-9 * math.Max(1, math.Abs(b))
	if percentile {
		tol = 0.0101*math.Abs(b) + 1e-9
	}
	return math.Abs(a-b) <= tol
}

// SetRollups turns the dashboard's reads of hourly rollups on or off (off:
// every query scans the turns) and returns the restore, for benchmarks
// that compare the two.
func SetRollups(on bool) (restore func()) { return record.SetRollups(on) }
