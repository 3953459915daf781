package storetest

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/traceai-go/traceai/explorer/store"
)

// testDashboard checks the dashboard's figures on the fixture: groups
// over a partition add up to the total and to the overview, tags and
// metadata group their sessions' turns, evaluations follow the turns they
// judge, and timeseries buckets without turns are zeros or nulls.
func testDashboard(t *testing.T, open Opener) {
	st := NewFixture(t, open(t)).Backend
	ctx := context.Background()
	ov, err := st.Overview(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, by := range []string{store.GroupByUser, store.GroupByModel} {
		g, err := st.Groups(ctx, store.GroupQuery{By: by})
		if err != nil {
			t.Fatal(err)
		}
		var sum store.GroupStats
		for _, x := range g.Groups {
			sum.Traces += x.Traces
			sum.Failed += x.Failed
			sum.Errors += x.Errors
			sum.InputTokens += x.InputTokens
			sum.OutputTokens += x.OutputTokens
			sum.Cost += x.Cost
		}
		tot := g.Total
		if sum.Traces != tot.Traces || sum.Failed != tot.Failed || sum.Errors != tot.Errors ||
			sum.InputTokens != tot.InputTokens || sum.OutputTokens != tot.OutputTokens || math.Abs(sum.Cost-tot.Cost) > 1e-9 {
			t.Errorf("by %s: groups add up to %+v, total %+v", by, sum, tot)
		}
		if tot.Traces != ov.Traces || tot.InputTokens != ov.InputTokens || tot.OutputTokens != ov.OutputTokens ||
			math.Abs(tot.Cost-ov.Cost) > 1e-9 || tot.Sessions != ov.Sessions {
			t.Errorf("by %s: total %+v disagrees with the overview %+v", by, tot, ov)
		}
	}

	g, err := st.Groups(ctx, store.GroupQuery{By: store.GroupByUser})
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Groups) != 2 || g.Groups[0].Key != "alice" || g.Groups[1].Key != "bob" {
		t.Fatalf("user groups %+v", g.Groups)
	}
	alice, bob := g.Groups[0], g.Groups[1]
	if alice.Traces != 5 || alice.Sessions != 1 || alice.Failed != 1 || alice.BrokenRate != 0.2 {
		t.Errorf("alice %+v", alice)
	}
	if bob.Traces != 2 || bob.Failed != 0 || bob.InputTokens != 250 || bob.P95LatencyMS < 800 {
		t.Errorf("bob %+v", bob)
	}
	if e := alice.Evaluations["faithfulness"]; e.Count != 2 || e.Mean == nil || math.Abs(*e.Mean-0.3) > 1e-9 || e.Labels["fail"] != 2 {
		t.Errorf("alice's evaluations %+v", alice.Evaluations)
	}
	if e := bob.Evaluations["faithfulness"]; e.Count != 1 || e.Mean == nil || *e.Mean != 0.9 {
		t.Errorf("bob's evaluations %+v", bob.Evaluations)
	}
	if alice.P95LatencyMS < 10_000 || alice.P50LatencyMS > 1_000 {
		t.Errorf("alice's latencies p50 %v p95 %v", alice.P50LatencyMS, alice.P95LatencyMS)
	}

	// Sorted by an evaluation mean, worst first.
	g, err = st.Groups(ctx, store.GroupQuery{By: store.GroupByUser, Sort: "eval:faithfulness"})
	if err != nil || g.Groups[0].Key != "alice" {
		t.Errorf("by faithfulness ascending: %+v %v", g, err)
	}
	// Tags and metadata group their sessions' turns.
	for _, by := range []string{store.GroupByTag, store.GroupByMetadataPrefix + "plan"} {
		g, err := st.Groups(ctx, store.GroupQuery{By: by})
		if err != nil || len(g.Groups) != 1 || g.Groups[0].Traces != 5 {
			t.Errorf("by %s: %+v %v", by, g, err)
		}
	}
	// Span kinds: every turn is an AGENT span over LLM calls; the LLM
	// group counts the calls, and its errors are the turns whose call failed.
	g, err = st.Groups(ctx, store.GroupQuery{By: store.GroupBySpanKind, Sort: "key"})
	if err != nil || len(g.Groups) != 2 || g.Groups[0].Key != "AGENT" || g.Groups[1].Key != "LLM" {
		t.Fatalf("by span kind: %+v %v", g, err)
	}
	var calls int64
	sessions, _, err := st.ListSessions(ctx, store.SessionFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sessions {
		calls += int64(s.LLMCalls)
	}
	agent, llm := g.Groups[0], g.Groups[1]
	if agent.Traces != 7 || agent.Spans != 7 || llm.Traces != 7 || llm.Spans != calls || calls <= 7 {
		t.Errorf("by span kind: agent %+v, llm %+v, %d LLM calls", agent, llm, calls)
	}
	if llm.Errors == 0 || llm.Errors != g.Total.Errors || llm.Failed != g.Total.Failed || llm.P95LatencyMS < 10_000 {
		t.Errorf("by span kind: llm %+v, total %+v", llm, g.Total)
	}
	if e := llm.Evaluations["faithfulness"]; e.Count != 3 {
		t.Errorf("by span kind: llm evaluations %+v", llm.Evaluations)
	}
	// Tokens and cost are the LLM calls': the kinds split the turns'.
	if agent.TotalTokens != 0 || agent.Cost != 0 || llm.InputTokens != g.Total.InputTokens || llm.OutputTokens != g.Total.OutputTokens ||
		llm.TotalTokens == 0 || math.Abs(llm.Cost-g.Total.Cost) > 1e-12 || llm.Cost == 0 {
		t.Errorf("by span kind, tokens and cost: agent %+v, llm %+v, total %+v", agent, llm, g.Total)
	}
	if _, err := st.Timeseries(ctx, store.TimeseriesQuery{Metric: "traces", GroupBy: store.GroupBySpanKind}); err == nil {
		t.Error("a series by span kind: no error")
	}
	// Prompt versions side by side, and the sessions list behind each.
	g, err = st.Groups(ctx, store.GroupQuery{By: store.GroupByPromptTemplateVersion, Sort: "key"})
	if err != nil || len(g.Groups) != 2 || g.Groups[0].Key != "support:1" || g.Groups[0].Traces != 5 ||
		g.Groups[1].Key != "support:2" || g.Groups[1].Traces != 2 || g.Groups[0].BrokenRate != 0.2 {
		t.Errorf("by prompt version: %+v %v", g, err)
	}
	g, err = st.Groups(ctx, store.GroupQuery{By: store.GroupByPromptTemplate})
	if err != nil || len(g.Groups) != 1 || g.Groups[0].Key != "support" || g.Groups[0].Traces != 7 {
		t.Errorf("by prompt template: %+v %v", g, err)
	}
	ss, _, err := st.ListSessions(ctx, store.SessionFilter{PromptTemplate: "support", PromptVersion: "2"})
	if err != nil || len(ss) != 1 || ss[0].SessionID != "sess-b" {
		t.Errorf("sessions of support v2: %v %v", ss, err)
	}
	if ss, _, err := st.ListSessions(ctx, store.SessionFilter{PromptTemplate: "support"}); err != nil || len(ss) != 2 {
		t.Errorf("sessions of support: %v %v", ss, err)
	}
	// Filters apply before grouping.
	g, err = st.Groups(ctx, store.GroupQuery{By: store.GroupByModel, TurnFilter: store.TurnFilter{UserID: "bob"}})
	if err != nil || len(g.Groups) != 1 || g.Groups[0].Key != "claude-sonnet-4-20250514" || g.Total.Traces != 2 {
		t.Errorf("bob's models: %+v %v", g, err)
	}
	g, err = st.Groups(ctx, store.GroupQuery{By: store.GroupByUser, TurnFilter: store.TurnFilter{Since: t0.Add(30 * time.Minute)}})
	if err != nil || g.Total.Traces != 2 {
		t.Errorf("since: %+v %v", g, err)
	}
	var fe *store.FilterError
	if _, err := st.Groups(ctx, store.GroupQuery{By: "colour"}); !asFilterError(err, &fe) {
		t.Errorf("unknown dimension: %v", err)
	}
	if _, err := st.Groups(ctx, store.GroupQuery{By: "user", Sort: "colour"}); !asFilterError(err, &fe) {
		t.Errorf("unknown sort: %v", err)
	}

	// Timeseries over three hours: the third has no turns.
	ts := func(q store.TimeseriesQuery) *store.Timeseries {
		t.Helper()
		q.Since, q.Until, q.Interval = t0, t0.Add(3*time.Hour), time.Hour
		r, err := st.Timeseries(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	values := func(s store.Series) []any {
		var out []any
		for _, p := range s.Points {
			if p.Value == nil {
				out = append(out, nil)
			} else {
				out = append(out, *p.Value)
			}
		}
		return out
	}
	eq := func(a, b []any) bool {
		if len(a) != len(b) {
			return false
		}
		for i := range a {
			x, xok := a[i].(float64)
			y, yok := b[i].(float64)
			if xok != yok || xok && math.Abs(x-y) > 1e-9 {
				return false
			}
		}
		return true
	}
	r := ts(store.TimeseriesQuery{Metric: "traces"})
	if r.Interval != "1h" || len(r.Series) != 1 || !eq(values(r.Series[0]), []any{5.0, 2.0, 0.0}) {
		t.Errorf("traces %+v", r)
	}
	if !r.Series[0].Points[1].T.Equal(t0.Add(time.Hour)) {
		t.Errorf("second bucket at %v", r.Series[0].Points[1].T)
	}
	if r := ts(store.TimeseriesQuery{Metric: "broken_rate"}); !eq(values(r.Series[0]), []any{0.2, 0.0, nil}) {
		t.Errorf("broken_rate %v", values(r.Series[0]))
	}
	if r := ts(store.TimeseriesQuery{Metric: "eval:faithfulness"}); !eq(values(r.Series[0]), []any{0.3, 0.9, nil}) || r.Series[0].Points[0].Samples != 2 {
		t.Errorf("eval:faithfulness %+v", r.Series[0])
	}
	r = ts(store.TimeseriesQuery{Metric: "sessions", GroupBy: store.GroupByUser})
	if len(r.Series) != 2 || r.Series[0].Key != "alice" || !eq(values(r.Series[0]), []any{1.0, 0.0, 0.0}) || !eq(values(r.Series[1]), []any{0.0, 1.0, 0.0}) {
		t.Errorf("sessions by user %+v", r.Series)
	}
	for _, q := range []store.TimeseriesQuery{{Metric: "colour"}, {Metric: "traces", Interval: time.Second}, {Metric: "eval:"}} {
		if _, err := st.Timeseries(ctx, q); !asFilterError(err, &fe) {
			t.Errorf("%+v: %v", q, err)
		}
	}
}
