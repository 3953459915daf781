package store

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Each row type lists every column of its table, so that a column added to
// the schema cannot be left out of the writer's inserts.
func TestRowTypesCoverSchema(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for name, cols := range map[string]string{"traces": tracesTable.cols, "sessions": sessionsTable.cols, "users": usersTable.cols} {
		rows, err := s.rdb.Query(`SELECT name FROM pragma_table_info(?)`, name)
		if err != nil {
			t.Fatal(err)
		}
		var schema []string
		for rows.Next() {
			var c string
			if err := rows.Scan(&c); err != nil {
				t.Fatal(err)
			}
			schema = append(schema, c)
		}
		rows.Close()
		have := strings.Split(cols, ", ")
		slices.Sort(schema)
		slices.Sort(have)
		if !slices.Equal(schema, have) {
			t.Errorf("%s: row type columns %v, schema %v", name, have, schema)
		}
	}
	// And appendRow gives one value per column.
	tr := &traceRow{traceSummary: &traceSummary{}}
	if n := len(tracesTable.appendRow(nil, tr)); n != tracesTable.width || tracesTable.width != len(strings.Split(tracesTable.cols, ", ")) {
		t.Errorf("traces row: %d values, width %d", n, tracesTable.width)
	}
}
