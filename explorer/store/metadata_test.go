package store_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/traceai-go/traceai/explorer/internal/synth"
	"github.com/traceai-go/traceai/explorer/store"
	"github.com/traceai-go/traceai/fi"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// A schema 5 database, whose metadata values have no kind, opens as schema
// 6: its values stay the strings they were stored as, and metadata written
// afterwards comes back typed.
func TestMetadataKindMigration(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	ctx := context.Background()
	emit := func(st *store.Store, sid string, meta map[string]any) {
		t.Helper()
		tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(fi.NewSpanProcessor()), sdktrace.WithSyncer(st.Exporter()))
		synth.Emit(ctx, tp, synth.Conversation{SessionID: sid, UserID: "u", Metadata: meta, Start: time.Unix(1_700_000_000, 0),
			Turns: []synth.Turn{{User: "hi", Assistant: "hello", Latency: time.Second}}})
	}
	st, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	emit(st, "old", map[string]any{"seats": 3})
	st.Close()

	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`ALTER TABLE session_meta DROP COLUMN kind`, `PRAGMA user_version = 5`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(q, err)
		}
	}
	db.Close()

	st, err = store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	emit(st, "new", map[string]any{"seats": 3})
	for sid, want := range map[string]any{"old": "3", "new": json.Number("3")} {
		d, err := st.GetSession(ctx, sid)
		if err != nil {
			t.Fatal(err)
		}
		if got := d.Metadata["seats"]; !reflect.DeepEqual(got, want) {
			t.Errorf("session %s: seats = %#v, want %#v", sid, got, want)
		}
	}
}
