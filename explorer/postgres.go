package explorer

import (
	"context"

	"github.com/traceai-go/traceai/explorer/store"
	"github.com/traceai-go/traceai/explorer/store/pgstore"
)

// openPostgres opens the PostgreSQL backend for a postgres:// URL: the one
// place PostgreSQL is wired into the explorer.
var openPostgres = func(ctx context.Context, url string) (store.Backend, error) {
	st, err := pgstore.Open(ctx, url)
	if err != nil {
		return nil, err
	}
	return st, nil
}
