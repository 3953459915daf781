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
		// The dashboard's, also in DashboardQueries.
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

// DashboardQueries returns the dashboard's queries over the whole range of
// st's turns, unfiltered unless named: groups by model, tag, user and span
// kind, an
// hourly series of the error rate, a daily series of sessions per model
// and an hourly p95 of one model. BenchmarkDashboard of every backend runs
// them, from the rollups and by scanning.
func DashboardQueries(tb testing.TB, st store.Reader) []PageQuery {
	tb.Helper()
	ov, err := st.Overview(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	span := store.TurnFilter{Since: ov.First, Until: ov.Last.Add(time.Second)}
	tb.Logf("%d turns over %v", ov.Traces, ov.Last.Sub(ov.First).Round(time.Hour))
	one := span
	one.Model = "gpt-4o"
	groups := func(by string) func(context.Context) error {
		return func(ctx context.Context) error {
			_, err := st.Groups(ctx, store.GroupQuery{TurnFilter: span, By: by})
			return err
		}
	}
	series := func(q store.TimeseriesQuery) func(context.Context) error {
		return func(ctx context.Context) error { _, err := st.Timeseries(ctx, q); return err }
	}
	return []PageQuery{
		{"groups-model", groups(store.GroupByModel)},
		{"groups-tag", groups(store.GroupByTag)},
		{"groups-user", groups(store.GroupByUser)},
		{"groups-span-kind", groups(store.GroupBySpanKind)},
		{"timeseries-hourly", series(store.TimeseriesQuery{TurnFilter: span, Metric: "error_rate", Interval: time.Hour})},
		{"timeseries-sessions-daily-by-model", series(store.TimeseriesQuery{TurnFilter: span, Metric: "sessions",
			Interval: 24 * time.Hour, GroupBy: store.GroupByModel})},
		{"timeseries-p95-hourly-one-model", series(store.TimeseriesQuery{TurnFilter: one, Metric: "latency_p95", Interval: time.Hour})},
	}
}

// BenchDashboard runs DashboardQueries from the rollups and, as the
// baseline in the same run, by scanning the turns.
func BenchDashboard(b *testing.B, st store.Reader) {
	qs := DashboardQueries(b, st)
	ctx := context.Background()
	for _, mode := range []string{"rollups", "scan"} {
		for _, q := range qs {
			b.Run(mode+"/"+q.Name, func(b *testing.B) {
				defer SetRollups(mode == "rollups")()
				for b.Loop() {
					if err := q.Run(ctx); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
