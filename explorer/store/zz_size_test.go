package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/traceai-go/traceai/explorer/store"
)

func BenchmarkZZSize(b *testing.B) {
	p := filepath.Join(b.TempDir(), "b.db")
	st, err := store.Open(p)
	if err != nil {
		b.Fatal(err)
	}
	for _, rs := range batches512(b, 200, 1) {
		if _, err := st.Ingest(context.Background(), rs); err != nil {
			b.Fatal(err)
		}
	}
	st.Close()
	db, _ := sql.Open("sqlite", p)
	rows, err := db.Query(`SELECT name, count(*), sum(payload), sum(unused) FROM dbstat GROUP BY name ORDER BY 2 DESC`)
	if err != nil {
		b.Fatal(err)
	}
	for rows.Next() {
		var n string
		var c, pl, un int64
		rows.Scan(&n, &c, &pl, &un)
		fmt.Printf("%-28s pages %6d payload %9d unused %9d\n", n, c, pl, un)
	}
}
