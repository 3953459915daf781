package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/traceai-go/traceai/internal/standin"
)

func TestRun(t *testing.T) {
	s := standin.New(standin.Options{Speed: 0.01})
	defer s.Close()
	exp := tracetest.NewInMemoryExporter()
	var out bytes.Buffer
	if err := run(context.Background(), config{model: "gpt-4o-mini", apiKey: "sk-example-SECRET", baseURL: s.URL, exporter: keep{exp}, out: &out}); err != nil {
		t.Fatal(err)
	}
	spans := exp.GetSpans()
	want := []struct{ session, user string }{
		{"my-session-id", ""}, {"", "my-user-id"}, {"my-session-id", "my-user-id"},
		{"my-session-id", ""}, {"", "my-user-id"}, {"my-session-id", "my-user-id"},
	}
	if len(spans) != len(want) {
		t.Fatalf("%d spans, want %d", len(spans), len(want))
	}
	for i, sp := range spans {
		a := map[string]string{}
		for _, kv := range sp.Attributes {
			a[string(kv.Key)] = kv.Value.Emit()
			if strings.Contains(kv.Value.Emit(), "SECRET") {
				t.Errorf("span %d: API key in %s", i, kv.Key)
			}
		}
		if sp.Name != "ChatCompletion" || a["gen_ai.span.kind"] != "LLM" || a["gen_ai.request.model"] == "" || a["output.value"] == "" {
			t.Errorf("span %d: %s %v", i, sp.Name, a)
		}
		if a["session.id"] != want[i].session || a["user.id"] != want[i].user {
			t.Errorf("span %d: session %q user %q, want %q %q", i, a["session.id"], a["user.id"], want[i].session, want[i].user)
		}
	}
	last := map[string]string{}
	for _, kv := range spans[5].Attributes {
		last[string(kv.Key)] = kv.Value.Emit()
	}
	if last["metadata"] != `{"key-1": "value-1", "key-2": 2}` || last["tag.tags"] != `["tag-1","tag-2"]` {
		t.Errorf("decorator attributes: metadata %q tags %q", last["metadata"], last["tag.tags"])
	}
}

// The default output: a line per span.
func TestRunPrints(t *testing.T) {
	s := standin.New(standin.Options{Speed: 0.01})
	defer s.Close()
	var out bytes.Buffer
	if err := run(context.Background(), config{model: "gpt-4o-mini", apiKey: "sk-x", baseURL: s.URL, out: &out}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 6 || !strings.Contains(lines[2], "session.id=my-session-id user.id=my-user-id") {
		t.Errorf("output:\n%s", out.String())
	}
}

// keep holds the spans past the provider's shutdown, which would reset an
// InMemoryExporter.
type keep struct{ *tracetest.InMemoryExporter }

func (keep) Shutdown(context.Context) error { return nil }
