package explorer_test

import (
	"math"
	"net/url"
	"testing"

	"github.com/traceai-go/traceai/explorer/store"
)

// The dashboard endpoints over HTTP: a partition's groups add up to the
// overview, filters and sorts reach the store, empty buckets are explicit,
// and bad parameters are 400s.
func TestAPIGroupsAndTimeseries(t *testing.T) {
	x, _ := searchExplorer(t)
	base := x.UIURL()
	var ov store.Overview
	getJSON(t, base+"/api/overview", 200, &ov)
	for _, by := range []string{"user", "model"} {
		var g store.Groups
		getJSON(t, base+"/api/groups?by="+by, 200, &g)
		var traces, in, out int64
		var cost float64
		for _, x := range g.Groups {
			traces, in, out, cost = traces+x.Traces, in+x.InputTokens, out+x.OutputTokens, cost+x.Cost
		}
		if traces != ov.Traces || in != ov.InputTokens || out != ov.OutputTokens || math.Abs(cost-ov.Cost) > 1e-9 || g.Total.Traces != ov.Traces {
			t.Errorf("by %s: groups sum to %d traces %d/%d tokens %v cost; overview %+v", by, traces, in, out, cost, ov)
		}
	}
	var g store.Groups
	getJSON(t, base+"/api/groups?by=user&sort=traces", 200, &g)
	if len(g.Groups) != 3 || g.Groups[0].Key != "ana" || g.Groups[0].Traces != 3 || g.Groups[0].Sessions != 2 {
		t.Errorf("users by traces: %+v", g.Groups)
	}
	getJSON(t, base+"/api/groups?by=span_kind&sort=spans", 200, &g)
	if len(g.Groups) == 0 || g.Groups[0].Spans == 0 || g.Groups[0].Traces == 0 || g.Groups[0].Traces > g.Total.Traces {
		t.Errorf("by span kind: %+v", g)
	}
	getJSON(t, base+"/api/timeseries?metric=traces&group_by=span_kind", 400, nil)
	getJSON(t, base+"/api/groups?by=tag&user_id=ana", 200, &g)
	// The total is every turn of ana's, the one of her untagged session too.
	if len(g.Groups) != 1 || g.Groups[0].Key != "billing" || g.Groups[0].Traces != 2 || g.Total.Traces != 3 {
		t.Errorf("ana's tags: %+v", g)
	}

	var ts store.Timeseries
	q := url.Values{"metric": {"traces"}, "interval": {"1h"}, "since": {t0.Format("2006-01-02T15:04:05Z")},
		"until": {t0.Add(6 * 3600e9).Format("2006-01-02T15:04:05Z")}}
	getJSON(t, base+"/api/timeseries?"+q.Encode(), 200, &ts)
	want := []float64{2, 1, 2, 1, 0, 0}
	if ts.Interval != "1h" || len(ts.Series) != 1 || len(ts.Series[0].Points) != len(want) {
		t.Fatalf("timeseries %+v", ts)
	}
	for i, p := range ts.Series[0].Points {
		if p.Value == nil || *p.Value != want[i] {
			t.Errorf("bucket %d: %v, want %v", i, p.Value, want[i])
		}
	}
	q.Set("metric", "latency_p95")
	getJSON(t, base+"/api/timeseries?"+q.Encode(), 200, &ts)
	if pts := ts.Series[0].Points; pts[0].Value == nil || *pts[0].Value < 900 || pts[5].Value != nil {
		t.Errorf("latency_p95 %+v", pts)
	}
	q.Set("group_by", "user")
	q.Set("metric", "sessions")
	getJSON(t, base+"/api/timeseries?"+q.Encode(), 200, &ts)
	if len(ts.Series) != 3 || ts.Series[0].Key != "ana" {
		t.Errorf("sessions by user %+v", ts.Series)
	}

	for _, path := range []string{
		"/api/groups", "/api/groups?by=colour", "/api/groups?by=user&sort=colour", "/api/groups?by=user&colour=1",
		"/api/timeseries?metric=colour", "/api/timeseries?metric=traces&interval=fortnight",
		"/api/timeseries?metric=traces&interval=1s", "/api/timeseries?metric=traces&since=2026-01-02&until=2025-01-01",
	} {
		var e map[string]string
		getJSON(t, base+path, 400, &e)
		if e["error"] == "" {
			t.Errorf("%s: no error message", path)
		}
	}
}
