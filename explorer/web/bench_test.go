package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/traceai-go/traceai/explorer/store"
	"github.com/traceai-go/traceai/explorer/store/storetest"
	"github.com/traceai-go/traceai/fi"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// benchStore holds 60 sessions of 3 turns (a tool call in each), so the
// first page has 50 full rows.
func benchStore(b *testing.B) *store.Store {
	b.Helper()
	st, err := store.Open(filepath.Join(b.TempDir(), "spans.db"), store.WithSynchronous("OFF"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(fi.NewSpanProcessor()),
		sdktrace.WithBatcher(st.Exporter(), sdktrace.WithMaxExportBatchSize(512)))
	ctx := context.Background()
	for i := range 60 {
		emit(ctx, tp, convSpec{
			session: fmt.Sprintf("session-%03d", i), user: fmt.Sprintf("user-%02d", i%17),
			tags: []string{"bench"}, metadata: map[string]any{"plan": "pro"},
			start: t0.Add(time.Duration(i) * time.Minute),
			turns: []turnSpec{
				{user: "Summarise our refund policy for a customer who bought a laptop 20 days ago.", assistant: "You can return it within 30 days for a full refund; bring the receipt and all accessories.", latency: 700 * time.Millisecond, in: 420, out: 60},
				{user: "And if the box is opened?", assistant: "Opened items are still accepted if undamaged; a 10% restocking fee may apply.", latency: 650 * time.Millisecond, in: 510, out: 40, tool: true},
				{user: "Thanks!", assistant: "You're welcome.", latency: 300 * time.Millisecond, in: 560, out: 5},
			},
		})
	}
	if err := tp.Shutdown(ctx); err != nil {
		b.Fatal(err)
	}
	return st
}

// BenchmarkSessionsQuery is the baseline: the store query behind the
// sessions page, without rendering.
func BenchmarkSessionsQuery(b *testing.B) {
	st := benchStore(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		rows, _, err := st.ListSessions(ctx, store.SessionFilter{Sort: "end", Desc: true, Limit: 50})
		if err != nil || len(rows) != 50 {
			b.Fatal(len(rows), err)
		}
	}
}

// BenchmarkSessionsPage serves the sessions page with 50 rows from the real
// store, query and rendering.
func BenchmarkSessionsPage(b *testing.B) {
	h := New(benchStore(b))
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	b.ReportAllocs()
	var n int
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatal(rec.Code)
		}
		n = rec.Body.Len()
	}
	b.ReportMetric(float64(n), "bytes/page")
}

// rowsOnly answers ListSessions from memory, isolating rendering cost.
type rowsOnly struct {
	*store.Store
	rows []store.SessionSummary
}

func (r rowsOnly) ListSessions(context.Context, store.SessionFilter) ([]store.SessionSummary, string, error) {
	return r.rows, "next", nil
}

// BenchmarkSessionsRender renders the 50-row sessions page from rows
// already fetched: the template's share of BenchmarkSessionsPage.
func BenchmarkSessionsRender(b *testing.B) {
	st := benchStore(b)
	rows, _, err := st.ListSessions(context.Background(), store.SessionFilter{Limit: 50})
	if err != nil || len(rows) != 50 {
		b.Fatal(len(rows), err)
	}
	h := New(rowsOnly{st, rows})
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatal(rec.Code)
		}
	}
}

// BenchmarkSessionPage serves one session's conversation (3 turns).
func BenchmarkSessionPage(b *testing.B) {
	h := New(benchStore(b))
	req := httptest.NewRequest(http.MethodGet, "/sessions/session-007", nil)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatal(rec.Code)
		}
	}
}

// BenchmarkDashboardPage renders the dashboard (range 30 days, groups by
// model and by tag: two groups queries, one series per chart) on the
// 1,000,000-span store spread over 30 days, with the hourly rollups and,
// as the baseline in the same run, scanning the turns. Issue 22 aims at
// under 200 ms.
func BenchmarkDashboardPage(b *testing.B) {
	o := storetest.DashboardLoad()
	st := storetest.BulkStore(b, fmt.Sprintf("traceai-bench-dash-v6-%d.db", o.Sessions), o)
	end := o.Start.Add(o.Over)
	h := New(st, withClock(func() time.Time { return end }), WithOverviewTTL(time.Hour))
	for _, mode := range []string{"rollups", "scan"} {
		for _, by := range []string{"model", "tag", "user"} {
			b.Run(mode+"/by="+by, func(b *testing.B) {
				defer storetest.SetRollups(mode == "rollups")()
				req := httptest.NewRequest(http.MethodGet, "/dashboard?range=30d&by="+by, nil)
				for b.Loop() {
					rec := httptest.NewRecorder()
					h.ServeHTTP(rec, req)
					if rec.Code != http.StatusOK {
						b.Fatal(rec.Code, rec.Body.String())
					}
				}
			})
		}
	}
}
