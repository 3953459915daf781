package pgstore_test

import (
	"testing"

	"github.com/traceai-go/traceai/explorer/store"
	"github.com/traceai-go/traceai/explorer/store/internal/record"
	"github.com/traceai-go/traceai/explorer/store/storetest"
	"github.com/traceai-go/traceai/internal/pgtest"
)

// TestBackend runs the backend suite (package storetest), which the SQLite
// store passes too, against PostgreSQL; the searches run again with every
// search common (the sessions read in order and their turns checked).
func TestBackend(t *testing.T) {
	open := func(t *testing.T) store.Backend { return openPG(t, pgtest.DSN(t)) }
	storetest.Run(t, open)
	t.Run("CommonSearch", func(t *testing.T) {
		defer record.SetProbeDocs(0)()
		storetest.RunSearch(t, open)
	})
}
