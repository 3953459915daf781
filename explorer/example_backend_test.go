package explorer_test

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/traceai-go/traceai/explorer"
	"github.com/traceai-go/traceai/explorer/store"
)

// Open the database a --db value names (an SQLite path here; a
// postgres:// URL opens PostgreSQL) and tell whether it can delete old
// traces.
func ExampleOpenBackend() {
	dir, _ := os.MkdirTemp("", "explorer-example")
	defer os.RemoveAll(dir)
	b, err := explorer.OpenBackend(context.Background(), filepath.Join(dir, "traceai.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()
	_, retains := b.(store.Retainer)
	fmt.Println(explorer.IsPostgresURL("postgres://traceai@db:5432/traceai"), retains)
	fmt.Println(explorer.RedactDB("postgres://traceai:s3cret@db:5432/traceai?sslmode=require"))
	// Output:
	// true true
	// postgres://traceai:xxxxx@db:5432/traceai?sslmode=require
}

// Keep 30 days of traces and at most 5 million spans: the explorer deletes
// older traces in the background once started.
func ExampleWithRetention() {
	dir, _ := os.MkdirTemp("", "explorer-example")
	defer os.RemoveAll(dir)
	x, err := explorer.New(
		explorer.WithDB(filepath.Join(dir, "traceai.db")),
		explorer.WithRetention(30*24*time.Hour),
		explorer.WithMaxSpans(5_000_000),
		explorer.WithHTTPAddr("127.0.0.1:0"),
		explorer.WithOTLPHTTPAddr(explorer.Off),
		explorer.WithOTLPGRPCAddr(explorer.Off),
		explorer.WithLogger(slog.New(slog.DiscardHandler)),
	)
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	if err := x.Start(ctx); err != nil {
		log.Fatal(err)
	}
	fmt.Println(x.DB() == filepath.Join(dir, "traceai.db"))
	x.Shutdown(ctx)
	// Output: true
}
