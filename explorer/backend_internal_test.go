package explorer

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/traceai-go/traceai/explorer/store"
)

// A postgres:// or postgresql:// URL goes to openPostgres (its password
// kept out of errors), anything else is an SQLite path.
func TestOpenBackendSelects(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for _, p := range []string{"a.db", "postgres.db", "postgres:x.db"} {
		b, err := OpenBackend(ctx, filepath.Join(dir, p))
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if _, ok := b.(*store.Store); !ok {
			t.Errorf("%s: %T, want the SQLite store", p, b)
		}
		b.Close()
	}

	old := openPostgres
	defer func() { openPostgres = old }()
	const url = "postgres://traceai:s3cret@db.internal:5432/traceai?sslmode=require"
	openPostgres = nil
	_, err := OpenBackend(ctx, url)
	if err == nil || !strings.Contains(err.Error(), "openPostgres") || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("without PostgreSQL wired in: %v", err)
	}
	var got []string
	openPostgres = func(_ context.Context, u string) (store.Backend, error) {
		got = append(got, u)
		return nil, errors.New("cannot connect to " + u)
	}
	for _, u := range []string{url, "POSTGRESQL://traceai:s3cret@db/traceai"} {
		_, err := OpenBackend(ctx, u)
		if err == nil || strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), "xxxxx") {
			t.Errorf("%s: error %v", u, err)
		}
	}
	if len(got) != 2 || got[0] != url {
		t.Errorf("openPostgres called with %q", got)
	}
	if r := RedactDB("postgresql://u@h/db?password=pw&sslmode=disable"); strings.Contains(r, "pw") {
		t.Errorf("RedactDB: %s", r)
	}
}
