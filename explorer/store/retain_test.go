package store_test

import (
	"database/sql"
	"testing"

	"github.com/traceai-go/traceai/explorer/store"
	"github.com/traceai-go/traceai/explorer/store/storetest"
)

// rowCounts counts the rows of the tables retention deletes from, read
// straight from the file.
func rowCounts(t *testing.T, path string) map[string]int {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	out := map[string]int{}
	for _, tb := range []string{"spans", "traces", "sessions", "users", "turn_text", "session_tags",
		"session_models", "session_meta", "evaluations"} {
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM ` + tb).Scan(&n); err != nil {
			t.Fatal(err)
		}
		out[tb] = n
	}
	var old int
	if err := db.QueryRow(`SELECT count(*) FROM traces WHERE start_ns < ?`, storetest.RetentionCut.UnixNano()).Scan(&old); err != nil {
		t.Fatal(err)
	}
	out["old traces"] = old
	return out
}

// TestRetentionRows checks the SQLite tables after retention (the backend
// suite checks what the pages show): every table holds what a store that
// only received the remaining turns holds, search documents and the
// expired sessions' tags, models and metadata included.
func TestRetentionRows(t *testing.T) {
	reqs := storetest.RetentionLoad(t, 1, storetest.RetentionStart)
	st := openTemp(t)
	storetest.IngestAll(t, st, reqs)
	ref := openTemp(t)
	storetest.IngestAll(t, ref, storetest.KeepFrom(reqs, storetest.RetentionCut))

	before := rowCounts(t, st.Path())
	if before["old traces"] == 0 || before["old traces"] == before["traces"] {
		t.Fatalf("the load does not straddle the cut: %v", before)
	}
	deleted, calls := storetest.DeleteAllBefore(t, st, storetest.RetentionCut, 7)
	if deleted != before["old traces"] || calls < 2 {
		t.Errorf("deleted %d traces in %d calls, want %d in several", deleted, calls, before["old traces"])
	}
	after, want := rowCounts(t, st.Path()), rowCounts(t, ref.Path())
	for k, v := range want {
		if after[k] != v {
			t.Errorf("%s: %d rows after retention, %d in the store of the remaining turns", k, after[k], v)
		}
	}
	if after["session_tags"] >= before["session_tags"] || after["turn_text"] >= before["turn_text"] {
		t.Errorf("tags %d -> %d, search documents %d -> %d", before["session_tags"], after["session_tags"],
			before["turn_text"], after["turn_text"])
	}
}

var _ store.Retainer = (*store.Store)(nil)
