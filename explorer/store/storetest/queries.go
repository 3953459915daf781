package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/traceai-go/traceai/explorer/store"
)

// PageQuery is one of the queries behind the explorer's pages.
type PageQuery struct {
	Name string
	Run  func(context.Context) error
}

// PageQueries returns the queries behind the pages over st, a store with
// sessions (of synth's users and tags): the lists, a session, a trace,
// rankings, the overview and the dashboard. Benchmarks of every backend
// run the same list.
func PageQueries(tb testing.TB, st store.Reader) []PageQuery {
	tb.Helper()
	ctx := context.Background()
	first, _, err := st.ListSessions(ctx, store.SessionFilter{})
	if err != nil || len(first) == 0 {
		tb.Fatalf("no sessions to query: %v", err)
	}
	sid := first[len(first)/2].SessionID
	det, err := st.GetSession(ctx, sid)
	if err != nil {
		tb.Fatal(err)
	}
	tid := det.Turns[0].TraceID
	ov, err := st.Overview(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	dayAgo := ov.Last.Add(-24 * time.Hour)
	yes := true
	list := func(f store.SessionFilter) func(context.Context) error {
		return func(ctx context.Context) error { _, _, err := st.ListSessions(ctx, f); return err }
	}
	return []PageQuery{
		{"list/first-page", list(store.SessionFilter{})},
		{"list/sort=cost", list(store.SessionFilter{Sort: store.SessionsByCost, Desc: true})},
		{"list/tag+errors", list(store.SessionFilter{Tag: "cohort-3", HasErrors: &yes})},
		{"list/user", list(store.SessionFilter{UserID: "user-0042"})},
		{"session-detail", func(ctx context.Context) error { _, err := st.GetSession(ctx, sid); return err }},
		{"trace", func(ctx context.Context) error { _, err := st.GetTrace(ctx, tid); return err }},
		{"users/first-page", func(ctx context.Context) error { _, _, err := st.ListUsers(ctx, store.UserFilter{}); return err }},
		{"rankings/latency_p95", func(ctx context.Context) error {
			_, err := st.Rankings(ctx, store.RankingQuery{Metric: "latency_p95"})
			return err
		}},
		{"overview", func(ctx context.Context) error { _, err := st.Overview(ctx); return err }},
		// The dashboard reads every turn of its range.
		{"dashboard/groups-model", func(ctx context.Context) error {
			_, err := st.Groups(ctx, store.GroupQuery{By: store.GroupByModel})
			return err
		}},
		{"dashboard/timeseries-broken-rate", func(ctx context.Context) error {
			_, err := st.Timeseries(ctx, store.TimeseriesQuery{Metric: "broken_rate"})
			return err
		}},
		{"dashboard/groups-model-one-day", func(ctx context.Context) error {
			_, err := st.Groups(ctx, store.GroupQuery{By: store.GroupByModel, TurnFilter: store.TurnFilter{Since: dayAgo}})
			return err
		}},
	}
}
