package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/traceai-go/traceai/explorer/store"
	"github.com/traceai-go/traceai/fi/semconv"
)

func TestEvalFlags(t *testing.T) {
	now := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	t.Setenv("OPENAI_API_KEY", "")
	t.Setenv("OPENAI_BASE_URL", "")
	cfg := filepath.Join(t.TempDir(), "c.json")
	if err := os.WriteFile(cfg, []byte(`{"evaluators":[{"name":"brevity","prompt":"{{.Output}}","min":0,"max":10}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		err  string
	}{
		{[]string{"--stand-in"}, ""},
		{[]string{"--stand-in", "--evaluators", "tone,task_completion", "--since", "24h", "--until", "2026-03-01", "--sample", "5"}, ""},
		{[]string{"--dry-run", "--config", cfg, "--evaluators", "brevity"}, ""},
		{[]string{"--judge-url", "http://127.0.0.1:1/v1", "--model", "m"}, ""},
		{[]string{}, "OPENAI_API_KEY"},
		{[]string{"--stand-in", "--evaluators", "nope"}, "unknown evaluator"},
		{[]string{"--stand-in", "--since", "yesterday"}, "--since"},
		{[]string{"--stand-in", "--concurrency", "0"}, "--concurrency"},
		{[]string{"--stand-in", "--rate", "-1"}, "--rate"},
		{[]string{"--stand-in", "--config", "/nonexistent.json"}, "--config"},
		{[]string{"--stand-in", "extra"}, "unexpected"},
	} {
		c2, err := parseEvalFlags(c.args, &bytes.Buffer{}, now)
		if c.err == "" && err != nil {
			t.Errorf("%v: %v", c.args, err)
		}
		if c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)) {
			t.Errorf("%v: err %v, want %q", c.args, err, c.err)
		}
		if len(c.args) > 4 && c.args[4] == "--since" && err == nil && !c2.run.Since.Equal(now.Add(-24*time.Hour)) {
			t.Errorf("since %v", c2.run.Since)
		}
	}
}

func TestEvalCommand(t *testing.T) {
	db := filepath.Join(t.TempDir(), "x.db")
	st, err := store.Open(db, store.WithSynchronous("NORMAL"))
	if err != nil {
		t.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(st.Exporter()))
	tr := tp.Tracer("test")
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	for s := range 6 {
		answer := "Refunds arrive within five days."
		if s == 0 {
			answer = "I can't help with that."
		}
		for turn := range 3 {
			_, sp := tr.Start(context.Background(), "turn", trace.WithTimestamp(at), trace.WithAttributes(
				semconv.SessionID.String(fmt.Sprintf("s%d", s)), semconv.UserID.String(fmt.Sprintf("u%d", s%2)),
				semconv.SpanKindAgent.Attribute(), semconv.InputValue.String(fmt.Sprintf("question %d about refunds", turn)),
				semconv.OutputValue.String(answer)))
			sp.End(trace.WithTimestamp(at.Add(time.Second)))
			at = at.Add(time.Minute)
		}
	}
	err = tp.Shutdown(context.Background())
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (string, error) {
		var out, progress bytes.Buffer
		c, err := parseEvalFlags(append([]string{"--db", db}, args...), &progress, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		c.out = &out
		err = evalRun(context.Background(), c)
		return out.String() + progress.String(), err
	}
	out, err := run("--dry-run", "--evaluators", "helpfulness,task_completion")
	if err != nil || !strings.Contains(out, "dry run: 6 sessions, 18 turns") || !strings.Contains(out, "estimate:") {
		t.Fatalf("dry run: %v\n%s", err, out)
	}
	out, err = run("--stand-in", "--evaluators", "helpfulness,task_completion", "--concurrency", "3")
	if err != nil || !strings.Contains(out, "18 turns selected; 24 judged") || !strings.Contains(out, "worst sessions by task_completion") ||
		!strings.Contains(out, "worst users by helpfulness") || !strings.Contains(out, "every session scores 1.00") {
		t.Fatalf("run: %v\n%s", err, out)
	}
	out, err = run("--stand-in", "--evaluators", "helpfulness,task_completion")
	if err != nil || !strings.Contains(out, "0 judged, 24 already scored") {
		t.Fatalf("rerun: %v\n%s", err, out)
	}
	if _, err := run("--stand-in", "--db", filepath.Join(t.TempDir(), "missing.db")); err == nil {
		t.Fatal("a missing database was created")
	}
}
