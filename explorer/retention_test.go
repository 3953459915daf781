package explorer_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/traceai-go/traceai/explorer"
	"github.com/traceai-go/traceai/explorer/internal/synth"
	"github.com/traceai-go/traceai/explorer/store"
	"github.com/traceai-go/traceai/fi"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// TestRetentionLoop runs the explorer with --retain 24h: a conversation of
// last March is deleted in the background, today's stays, and turns sent
// after the first run are judged at the next one.
func TestRetentionLoop(t *testing.T) {
	x := start(t, explorer.WithRetention(24*time.Hour), explorer.WithMaxSpans(1_000_000),
		explorer.WithRetentionInterval(20*time.Millisecond))
	ctx := context.Background()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(fi.NewSpanProcessor()),
		sdktrace.WithSyncer(x.Store().Exporter()))
	synth.Emit(ctx, tp, synth.Conversation{SessionID: "old", UserID: "u", Start: t0,
		Turns: []synth.Turn{{User: "hi", Assistant: "hello", Latency: time.Second}}})
	synth.Emit(ctx, tp, synth.Conversation{SessionID: "mixed", UserID: "u", Start: time.Now().Add(-48 * time.Hour),
		Turns: []synth.Turn{{User: "first", Assistant: "one", Latency: time.Second}}})
	synth.Emit(ctx, tp, synth.Conversation{SessionID: "mixed", UserID: "u", Start: time.Now().Add(-time.Minute),
		Turns: []synth.Turn{{User: "second", Assistant: "two", Latency: time.Second}}})
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, err := x.Store().GetSession(ctx, "old")
		if errors.Is(err, store.ErrNotFound) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the old session is still there: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	for {
		m, err := x.Store().GetSession(ctx, "mixed")
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Turns) == 1 {
			if m.Summary.FirstInput != "second" || m.Summary.LastOutput != "two" || m.Summary.Traces != 1 {
				t.Errorf("mixed session after retention: %+v", m.Summary)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("mixed session still has %d turns", len(m.Turns))
		}
		time.Sleep(10 * time.Millisecond)
	}
	u, err := x.Store().GetUser(ctx, "u", store.SessionFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if u.Summary.Sessions != 1 || u.Summary.Traces != 1 {
		t.Errorf("user after retention: %+v", u.Summary)
	}
}

// New refuses retention on a backend that cannot delete traces.
func TestRetentionNeedsRetainer(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "r.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	only := struct{ store.Backend }{st} // hides DeleteBefore and TrimToSpans
	_, err = explorer.New(explorer.WithBackend(only), explorer.WithRetention(time.Hour),
		explorer.WithHTTPAddr(explorer.Off), explorer.WithOTLPHTTPAddr(explorer.Off), explorer.WithOTLPGRPCAddr(explorer.Off))
	if err == nil || !strings.Contains(err.Error(), "store.Retainer") {
		t.Errorf("New with retention on a backend without it: %v", err)
	}
	x, err := explorer.New(explorer.WithBackend(struct{ store.Backend }{openOther(t)}),
		explorer.WithHTTPAddr(explorer.Off), explorer.WithOTLPHTTPAddr(explorer.Off), explorer.WithOTLPGRPCAddr(explorer.Off))
	if err != nil {
		t.Fatalf("without retention: %v", err)
	}
	x.Shutdown(context.Background())
}

func openOther(t *testing.T) *store.Store {
	st, err := store.Open(filepath.Join(t.TempDir(), "o.db"))
	if err != nil {
		t.Fatal(err)
	}
	return st
}
