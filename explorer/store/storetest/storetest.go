// Package storetest is the behavioural test suite of a store.Backend:
// ingest (idempotent re-sends, spans split and reordered across requests),
// sessions, users, traces, filters, paging, rankings, search and, for a
// backend that implements store.Retainer, retention. Every backend passes
// the same tests: its own test calls Run with a constructor.
//
//	func TestBackend(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Backend {
//			b, err := open(t) // a new, empty database
//			if err != nil {
//				t.Fatal(err)
//			}
//			t.Cleanup(func() { b.Close() })
//			return b
//		})
//	}
package storetest

import (
	"testing"
	"time"

	"github.com/traceai-go/traceai/explorer/store"
)

// Opener returns a new, empty backend for one test, closed when the test
// ends (t.Cleanup). A test may call it more than once.
type Opener func(t *testing.T) store.Backend

// Run runs the whole suite against the backends open returns, each test
// in a subtest of its own.
func Run(t *testing.T, open Opener) {
	for _, c := range []struct {
		name string
		f    func(*testing.T, Opener)
	}{
		{"SessionsAndTurns", testSessionsAndTurns},
		{"FiltersAndPaging", testFiltersAndPaging},
		{"UsersTraceRankings", testUsersTraceRankings},
		{"RankingsTiesAndDefaultMetric", testRankingsTiesAndDefaultMetric},
		{"HasErrorsMeansFailedTurns", testHasErrorsMeansFailedTurns},
		{"SortByEvaluation", testSortByEvaluation},
		{"RankingsLeaveOutNothingToRank", testRankingsLeaveOutNothingToRank},
		{"IdempotentResend", testIdempotentResend},
		{"IngestSplitOrderAndRetries", testIngestSplitOrderAndRetries},
		{"Retention", testRetention},
		{"Dashboard", testDashboard},
		{"DashboardRollups", testDashboardRollups},
	} {
		t.Run(c.name, func(t *testing.T) { c.f(t, open) })
	}
	RunSearch(t, open)
}

// RunSearch runs the search tests of the suite alone (Run includes them).
func RunSearch(t *testing.T, open Opener) {
	t.Run("SearchSessions", func(t *testing.T) { testSearchSessions(t, open) })
	t.Run("SearchErrors", func(t *testing.T) { testSearchErrors(t, open) })
	t.Run("SearchTraceUpdated", func(t *testing.T) { testSearchTraceUpdated(t, open) })
}

var t0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

func ptr(f float64) *float64 { return &f }

func asFilterError(err error, fe **store.FilterError) bool {
	e, ok := err.(*store.FilterError)
	*fe = e
	return ok
}
