package explorer

import (
	"context"

	"github.com/traceai-go/traceai/explorer/store"
)

// openPostgres opens the PostgreSQL backend for a postgres:// URL. It is
// the one place PostgreSQL is wired into the explorer: set it to
// pgstore.Open (package explorer/store/pgstore) once that implements
// store.Backend:
//
//	var openPostgres = func(ctx context.Context, url string) (store.Backend, error) { return pgstore.Open(ctx, url) }
//
// While it is nil, a postgres:// database is refused with an error that
// says so.
var openPostgres func(ctx context.Context, url string) (store.Backend, error)
