package pgstore

import (
	"context"
	"os"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/traceai-go/traceai/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// TestMigrateConcurrentReplicas: eight replicas migrating one empty
// database at once all succeed, each version is recorded once, the tables
// exist, and a later start is a no-op.
func TestMigrateConcurrentReplicas(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.DSN(t)
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pool, err := pgxpool.New(ctx, dsn)
			if err != nil {
				errs[i] = err
				return
			}
			defer pool.Close()
			errs[i] = Migrate(ctx, pool)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("replica %d: %v", i, err)
		}
	}
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var rows, maxv int
	if err := pool.QueryRow(ctx, "SELECT count(*), max(version) FROM schema_migrations").Scan(&rows, &maxv); err != nil {
		t.Fatal(err)
	}
	if rows != len(migrations) || maxv != SchemaVersion() {
		t.Fatalf("schema_migrations: %d rows, max %d; want %d, %d", rows, maxv, len(migrations), SchemaVersion())
	}
	for _, tbl := range []string{"spans", "traces", "sessions", "users", "evaluations", "resources", "session_tags", "session_models", "session_meta"} {
		var ok bool
		if err := pool.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", tbl).Scan(&ok); err != nil || !ok {
			t.Errorf("table %s missing (%v)", tbl, err)
		}
	}
	if err := Migrate(ctx, pool); err != nil {
		t.Fatalf("second start: %v", err)
	}
	// A span re-sent is a no-op (the key that makes re-sends idempotent).
	for range 2 {
		if _, err := pool.Exec(ctx, `INSERT INTO spans VALUES ('t','s',1,'',0,'\x00') ON CONFLICT DO NOTHING`); err != nil {
			t.Fatal(err)
		}
	}
	var n int
	pool.QueryRow(ctx, "SELECT count(*) FROM spans").Scan(&n)
	if n != 1 {
		t.Errorf("%d span rows after a re-send", n)
	}
}

// TestMigrateRefusesNewerSchema: a binary older than the database stops
// rather than writing a schema it does not know.
func TestMigrateRefusesNewerSchema(t *testing.T) {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, pgtest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if err := Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, "INSERT INTO schema_migrations(version) VALUES ($1)", SchemaVersion()+1); err != nil {
		t.Fatal(err)
	}
	if err := Migrate(ctx, pool); err == nil {
		t.Fatal("a newer schema was accepted")
	}
}
