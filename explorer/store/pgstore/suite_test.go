package pgstore_test

import (
	"testing"

	"github.com/traceai-go/traceai/explorer/store"
	"github.com/traceai-go/traceai/explorer/store/storetest"
	"github.com/traceai-go/traceai/internal/pgtest"
)

// TestBackend runs the backend suite (package storetest), which the SQLite
// store passes too, against PostgreSQL.
func TestBackend(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Backend { return openPG(t, pgtest.DSN(t)) })
}
