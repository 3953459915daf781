package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestQuickstartSummary(t *testing.T) {
	var buf bytes.Buffer
	if err := run(&buf, false); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.Contains(out, "14 spans") {
		t.Fatalf("summary:\n%s", out)
	}
	for _, want := range []string{
		"SELECT orders  http    (plain)  alice   session-alice-1",
		"lookup_order   fi      TOOL     alice   session-alice-2",
		"POST /chat     http    (plain)  bob     session-bob-1",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
}

// TestQuickstartJSON decodes the stdouttrace output: every span carries
// session.id and user.id.
func TestQuickstartJSON(t *testing.T) {
	var buf bytes.Buffer
	if err := run(&buf, true); err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(strings.NewReader(buf.String()[:strings.Index(buf.String(), "\n14 spans")]))
	n := 0
	for dec.More() {
		var span struct {
			Name       string
			Attributes []struct {
				Key   string
				Value struct{ Value any }
			}
		}
		if err := dec.Decode(&span); err != nil {
			t.Fatal(err)
		}
		n++
		got := map[string]any{}
		for _, a := range span.Attributes {
			got[a.Key] = a.Value.Value
		}
		if got["session.id"] == nil || got["user.id"] == nil || got["session.id"] != got["gen_ai.conversation.id"] {
			t.Errorf("span %s: %v", span.Name, got)
		}
	}
	if n != 14 {
		t.Errorf("%d spans printed, want 14", n)
	}
}
