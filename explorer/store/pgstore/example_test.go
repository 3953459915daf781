package pgstore_test

import (
	"context"
	"fmt"
	"os"

	"github.com/traceai-go/traceai/explorer/store"
	"github.com/traceai-go/traceai/explorer/store/pgstore"
)

// Open a store on a PostgreSQL database and list its latest sessions.
func ExampleOpen() {
	ctx := context.Background()
	url := os.Getenv("TRACEAI_DB") // e.g. postgres://traceai:secret@db:5432/traceai?sslmode=require
	if url == "" {
		return
	}
	st, err := pgstore.Open(ctx, url)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer st.Close()
	sessions, _, err := st.ListSessions(ctx, store.SessionFilter{Limit: 10})
	if err != nil {
		fmt.Println(err) // the database is unreachable: try again later
		return
	}
	for _, s := range sessions {
		fmt.Println(s.SessionID, s.Traces, s.Cost)
	}
}
