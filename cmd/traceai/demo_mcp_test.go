package main

import (
	"slices"
	"testing"

	"github.com/traceai-go/traceai/explorer/store"
)

// checkDemoMCP checks the broken session's first turn, whose order lookup
// fails: both sides of the MCP tool call are in the turn's trace with the
// session's ids, the server's own span under them, and the turn is broken.
func checkDemoMCP(t *testing.T, get func(string, any), broken store.SessionDetail) {
	t.Helper()
	if len(broken.Turns) == 0 {
		t.Fatal("broken session has no turns")
	}
	first := broken.Turns[0]
	var tr store.TraceDetail
	get("/api/traces/"+first.TraceID, &tr)
	var client, server, db *store.Span
	for i := range tr.Spans {
		sp := &tr.Spans[i]
		switch {
		case sp.Name == "tools/call lookup_order" && sp.Kind == "CLIENT":
			client = sp
		case sp.Name == "tools/call lookup_order" && sp.Kind == "SERVER":
			server = sp
		case sp.Name == "orders_db.get":
			db = sp
		}
	}
	if client == nil || server == nil || db == nil {
		var names []string
		for _, sp := range tr.Spans {
			names = append(names, sp.Name+"/"+sp.Kind)
		}
		t.Fatalf("first broken turn lacks the MCP client, server or database span: %v", names)
	}
	if server.ParentID != client.SpanID || db.ParentID != server.SpanID {
		t.Errorf("MCP spans not nested: client %s, server parent %s, db parent %s", client.SpanID, server.ParentID, db.ParentID)
	}
	for _, sp := range []*store.Span{client, server, db} {
		if sp.SessionID != broken.Summary.SessionID || sp.StatusCode != "ERROR" {
			t.Errorf("%s (%s): session %q status %s", sp.Name, sp.Kind, sp.SessionID, sp.StatusCode)
		}
	}
	if !first.Broken || !slices.Contains(first.Reasons, "error") {
		t.Errorf("turn with the failed tool: broken %v, reasons %v", first.Broken, first.Reasons)
	}
}
