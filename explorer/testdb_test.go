package explorer_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/traceai-go/traceai/explorer"
	"github.com/traceai-go/traceai/explorer/store"
	"github.com/traceai-go/traceai/internal/pgtest"
)

// TestMain stops the PostgreSQL cluster pgtest may have started.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// EnvTestBackend selects the backend of the receiver, API and page tests:
// "postgres" gives each test explorer a new PostgreSQL database
// (internal/pgtest), anything else a new SQLite file.
const envTestBackend = "TRACEAI_TEST_BACKEND"

// testDB is the database option of a test explorer (see envTestBackend).
func testDB(t testing.TB) explorer.Option {
	if os.Getenv(envTestBackend) == "postgres" {
		return explorer.WithDB(pgtest.DSN(t))
	}
	return explorer.WithDBPath(filepath.Join(t.TempDir(), "traceai.db"))
}

// spanRows counts the spans stored in a session's traces: the rows of the
// SQLite file, or the spans the backend reads back.
func spanRows(t *testing.T, x *explorer.Explorer, sessionID string) int {
	t.Helper()
	if st, ok := x.Store().(*store.Store); ok {
		return dbCount(t, st.Path(), sessionSpanRows, sessionID)
	}
	return len(sessionSpans(t, x.Store(), sessionID))
}
