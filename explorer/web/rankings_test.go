package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// Rankings where every row ties say there is nothing to rank instead of
// listing arbitrary sessions as the worst; with evaluations stored, the
// page ranks by the evaluation scored most often when no metric is asked.
func TestRankingsTieAndDefault(t *testing.T) {
	ctx := context.Background()
	st, tp := tempStore(t)
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

// The rankings page takes the API's time filter: a session that ended
// before since is not ranked, the form shows the filter, and the presets
// keep the metric.
func TestRankingsTimeFilter(t *testing.T) {
	f := newFixture(t)
	h := f.handler()
	body := mustGet(t, h, "/rankings?metric=tokens")
	contains(t, "all time", body, `href="/sessions/chat-alice"`, `href="/sessions/chat-bob"`)
	body = mustGet(t, h, "/rankings?metric=tokens&since=2026-03-01T10:15")
	contains(t, "since 10:15", body, `name="since" value="2026-03-01T10:15"`,
		`href="/rankings?metric=tokens&amp;range=24h"`, `href="/rankings?metric=tokens">all time</a>`)
	lacks(t, "since 10:15", body, `href="/sessions/chat-alice"`, `href="/sessions/chat-bob"`)
	body = mustGet(t, h, "/rankings?metric=tokens&until=2026-03-01T10:05&by=user")
	contains(t, "until 10:05", body, `href="/users/alice"`)
	lacks(t, "until 10:05", body, `href="/users/bob"`)
	body = mustGet(t, h, "/rankings?metric=tokens&range=15m")
	contains(t, "last 15 min", body, `name="since" value="2026-03-01T10:45"`, "Nothing to rank yet")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/rankings?since=yesterday-ish", nil))
	if rec.Code != http.StatusBadRequest {
		t.Errorf("a bad since: %d, want 400", rec.Code)
	}
}
