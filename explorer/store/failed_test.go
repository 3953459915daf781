package store_test

import (
	"context"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/traceai-go/traceai/explorer/internal/synth"
	"github.com/traceai-go/traceai/explorer/store"
	"github.com/traceai-go/traceai/fi"
)

// has_errors means a failed turn: a session whose only error was a retried
// call that recovered is not one of them, though it counts the error span.
// A failed turn's answer is never an inner span's output.
func TestHasErrorsMeansFailedTurns(t *testing.T) {
	ctx := context.Background()
	st := openTemp(t)
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(fi.NewSpanProcessor()), sdktrace.WithSyncer(st.Exporter()))
	synth.Emit(ctx, tp, synth.Conversation{SessionID: "recovered", UserID: "u", Start: t0,
		Turns: []synth.Turn{{User: "2+2?", Assistant: "4", Latency: 300 * time.Millisecond, InTokens: 5, OutTokens: 1, Retry: true}}})
	synth.Emit(ctx, tp, synth.Conversation{SessionID: "failed", UserID: "u", Start: t0.Add(time.Minute),
		Turns: []synth.Turn{{User: "2+2?", Latency: 300 * time.Millisecond, InTokens: 5, Error: "upstream 500"}}})
	yes, no := true, false
	for _, c := range []struct {
		has  *bool
		want string
	}{{&yes, "failed"}, {&no, "recovered"}} {
		list, _, err := st.ListSessions(ctx, store.SessionFilter{HasErrors: c.has})
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 || list[0].SessionID != c.want {
			t.Errorf("has_errors=%v: %v, want only %s", *c.has, list, c.want)
		}
	}
	// Sorting by failed turns puts the failed session first.
	for _, desc := range []bool{true, false} {
		list, _, err := st.ListSessions(ctx, store.SessionFilter{Sort: "failed", Desc: desc})
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 2 || (list[0].SessionID == "failed") != desc {
			t.Errorf("sort=failed desc=%v: %v", desc, list)
		}
	}
	rec, err := st.GetSession(ctx, "recovered")
	if err != nil {
		t.Fatal(err)
	}
	if rec.Summary.Errors == 0 || rec.Summary.ErrorTraces != 0 || rec.Turns[0].Broken || !rec.Turns[0].Warning {
		t.Errorf("recovered: errors %d, failed %d, broken %v, warning %v; want errors counted, no failed turn, a warning",
			rec.Summary.Errors, rec.Summary.ErrorTraces, rec.Turns[0].Broken, rec.Turns[0].Warning)
	}
	failed, err := st.GetSession(ctx, "failed")
	if err != nil {
		t.Fatal(err)
	}
	if tr := failed.Turns[0]; !tr.Broken || tr.Output != "" || tr.ErrorMessage == "" {
		t.Errorf("failed turn: broken %v, output %q, error %q; want broken with no answer and the error", tr.Broken, tr.Output, tr.ErrorMessage)
	}
}
