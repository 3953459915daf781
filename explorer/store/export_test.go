package store

import "context"

// Hooks for the tests of package store_test.

// SetWriteHook makes the writer call f when it has received a request,
// before it gathers the others waiting into the same transaction.
func SetWriteHook(s *Store, f func()) { s.w.writeHook = f }

// SetSyncHook makes the syncer call f before each flush of the WAL.
func SetSyncHook(s *Store, f func()) { s.w.syncHook = f }

// Queued returns the number of requests waiting for the writer.
func Queued(s *Store) int { return len(s.w.reqs) }

// FlushesWAL reports whether the store acknowledges after its own flush of
// the WAL (synchronous FULL on a WAL database).
func FlushesWAL(s *Store) bool { return s.w.syncWAL }

// SetMaxTraceSpans changes the number of spans GetTrace returns, for the
// test's duration.
func SetMaxTraceSpans(n int) (restore func()) {
	old := maxTraceSpans
	maxTraceSpans = n
	return func() { maxTraceSpans = old }
}

// SetPercentileWindow changes the number of latest turns behind p50/p95, for
// the test's duration.
func SetPercentileWindow(n int) (restore func()) {
	old := percentileWindow
	percentileWindow = n
	return func() { percentileWindow = old }
}

// ReadWindows makes s read every latency window from the traces table
// instead of keeping them.
func ReadWindows(s *Store) { s.w.readWindows = true }

// SetSearchIndexing turns the search index at ingest on or off (the
// benchmarks compare the two).
func SetSearchIndexing(s *Store, on bool) { s.w.noSearch = !on }

// SetProbeDocs changes how many matches make a search common (read in the
// list's order and checked turn by turn), for the test's duration.
func SetProbeDocs(n int) (restore func()) {
	old := probeDocs
	probeDocs = n
	return func() { probeDocs = old }
}

// MarkAllHours marks every hour holding a turn stale, as the migration to
// schema 8 does.
func MarkAllHours(s *Store) error {
	req := &writeReq{done: make(chan error, 1), job: func(t *txn) error { return t.exec(markAllHours) }}
	return s.submit(context.Background(), req)
}
