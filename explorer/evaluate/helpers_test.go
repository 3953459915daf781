package evaluate_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/traceai-go/traceai/explorer/store"
	"github.com/traceai-go/traceai/fi/semconv"
)

// fixTurn is one turn of a fixture conversation.
type fixTurn struct {
	user, answer string
	docs         []string // RETRIEVER documents; none means no RETRIEVER span
	fail         string   // the turn fails with this message (no answer)
}

type fixSession struct {
	id, user string
	tags     []string
	start    time.Time
	turns    []fixTurn
}

// roots maps "session/turn index" to the root span of that turn.
type roots map[string]trace.SpanContext

var t0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

// fixture is three sessions: a good one with retrieval, one whose last
// turn fails after "still not working", and one whose answer leaks an
// e-mail address.
func fixture() []fixSession {
	return []fixSession{
		{id: "s-good", user: "u-ann", tags: []string{"web"}, start: t0, turns: []fixTurn{
			{user: "How long do refunds take to arrive?", answer: "Refunds go back to the original payment method within five business days.",
				docs: []string{"Refunds go back to the original payment method within five business days."}},
			{user: "And how long does standard shipping take?", answer: "Standard shipping takes three to five days; express arrives the next day. Happy to help!",
				docs: []string{"Standard shipping takes three to five days; express arrives the next day."}},
		}},
		{id: "s-bad", user: "u-bob", tags: []string{"app"}, start: t0.Add(time.Hour), turns: []fixTurn{
			{user: "My password reset link does not arrive", answer: "Sure thing. Items can be returned within 30 days."},
			{user: "It is still not working", fail: "upstream 500"},
		}},
		{id: "s-pii", user: "u-cy", tags: []string{"web"}, start: t0.Add(2 * time.Hour), turns: []fixTurn{
			{user: "Who handles my account?", answer: "Your account manager is jane.doe@example.com, write to her directly."},
		}},
	}
}

// load writes sessions into st as an instrumented app would: one trace a
// turn, an AGENT root with input and output, a RETRIEVER child listing the
// documents.
func load(t testing.TB, st *store.Store, sessions []fixSession) roots {
	t.Helper()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(st.Exporter()))
	defer tp.Shutdown(context.Background())
	tr := tp.Tracer("fixture")
	out := roots{}
	for _, s := range sessions {
		at := s.start
		for i, turn := range s.turns {
			ids := []attribute.KeyValue{semconv.SessionID.String(s.id), semconv.UserID.String(s.user)}
			if len(s.tags) > 0 {
				ids = append(ids, semconv.TagTags.StringSlice(s.tags))
			}
			ctx, root := tr.Start(context.Background(), "turn", trace.WithTimestamp(at),
				trace.WithAttributes(append(ids, semconv.SpanKindAgent.Attribute(), semconv.InputValue.String(turn.user))...))
			if len(turn.docs) > 0 {
				_, r := tr.Start(ctx, "retrieve", trace.WithTimestamp(at.Add(time.Millisecond)),
					trace.WithAttributes(append(ids, semconv.SpanKindRetriever.Attribute())...))
				for j, d := range turn.docs {
					r.SetAttributes(semconv.RetrievalDocumentKey(j, semconv.DocumentContent).String(d))
				}
				r.End(trace.WithTimestamp(at.Add(5 * time.Millisecond)))
			}
			if turn.fail != "" {
				root.SetStatus(codes.Error, turn.fail)
			} else {
				root.SetAttributes(semconv.OutputValue.String(turn.answer))
			}
			root.End(trace.WithTimestamp(at.Add(800 * time.Millisecond)))
			out[key(s.id, i)] = root.SpanContext()
			at = at.Add(time.Minute)
		}
	}
	return out
}

func key(session string, turn int) string { return session + "/" + string(rune('0'+turn)) }

func openStore(t testing.TB) *store.Store {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "eval.db"), store.WithSynchronous("NORMAL"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// turnEvals returns the evaluations of the session's turns, by turn.
func turnEvals(t testing.TB, st *store.Store, session string) [][]store.Evaluation {
	t.Helper()
	d, err := st.GetSession(context.Background(), session)
	if err != nil {
		t.Fatal(err)
	}
	out := make([][]store.Evaluation, len(d.Turns))
	for i, tu := range d.Turns {
		out[i] = tu.Evaluations
	}
	return out
}

func find(evs []store.Evaluation, name string) (store.Evaluation, bool) {
	for _, e := range evs {
		if e.Name == name {
			return e, true
		}
	}
	return store.Evaluation{}, false
}

func evalCount(t testing.TB, st *store.Store) int64 {
	t.Helper()
	ov, err := st.Overview(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return ov.Evaluations
}

var errBoom = errors.New("boom")

// lockedWriter is a strings.Builder the progress goroutine and the test
// share.
type lockedWriter struct {
	mu sync.Mutex
	b  *strings.Builder
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}
