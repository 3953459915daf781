package store_test

import (
	"context"
	"testing"

	"github.com/traceai-go/traceai/explorer/internal/synth"
	"github.com/traceai-go/traceai/explorer/store"
	"github.com/traceai-go/traceai/explorer/store/storetest"
	"go.opentelemetry.io/otel/trace"
)

// TestBackend runs the backend suite (package storetest) against the
// SQLite store; the searches run again with every search common (the
// sessions read in order and their turns checked rather than the matches
// read from the index).
func TestBackend(t *testing.T) {
	open := func(t *testing.T) store.Backend { return openTemp(t) }
	storetest.Run(t, open)
	t.Run("CommonSearch", func(t *testing.T) {
		defer store.SetProbeDocs(0)()
		storetest.RunSearch(t, open)
	})
}

// The SQLite tests below use the suite's fixtures and helpers.

type fixture struct {
	st       *store.Store
	path     string
	a, b     []synth.Emitted
	lateEval trace.SpanContext
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	st := openTemp(t)
	f := storetest.NewFixture(t, st)
	return &fixture{st: st, path: st.Path(), a: f.A, b: f.B, lateEval: f.LateEval}
}

type spanItem = storetest.SpanItem

var (
	convA         = storetest.ConvA
	packItems     = storetest.Pack
	splitSpans    = storetest.SplitSpans
	splitRequests = storetest.SplitRequests
)

func snapshot(t testing.TB, st store.Reader) string { return storetest.Snapshot(t, st) }

func searchStore(t testing.TB) (*store.Store, map[string][]synth.Emitted) {
	t.Helper()
	st, err := store.Open(t.TempDir() + "/s.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st, storetest.LoadSearch(t, st)
}

func asFilterError(err error, fe **store.FilterError) bool {
	e, ok := err.(*store.FilterError)
	*fe = e
	return ok
}

// oneBatch returns a new store holding items sent in one request: the
// reference the split and grouped sends are compared with.
func oneBatch(t *testing.T, items []spanItem) *store.Store {
	t.Helper()
	st := openTemp(t)
	if _, err := st.Ingest(context.Background(), packItems(items)); err != nil {
		t.Fatal(err)
	}
	return st
}
