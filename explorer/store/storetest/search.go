package storetest

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/traceai-go/traceai/explorer/internal/synth"
	"github.com/traceai-go/traceai/explorer/store"
	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/fi/semconv"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// SearchConvs are the conversations the search tests look through.
func SearchConvs() []synth.Conversation {
	return []synth.Conversation{
		{SessionID: "s-refund", UserID: "ana", Tags: []string{"billing"}, Start: t0, Turns: []synth.Turn{
			{User: "hello there", Assistant: "Hi, how can I help?", Latency: time.Second},
			{User: "I want a REFUND for order A-1032", Assistant: "The refund for A-1032 is on its way.", Latency: time.Second},
		}},
		{SessionID: "s-cafe", UserID: "ana", Start: t0.Add(time.Hour), Turns: []synth.Turn{
			{User: "Un café crème, s'il vous plaît", Assistant: "Voilà votre café.", Latency: time.Second},
		}},
		{SessionID: "s-cannot", UserID: "ben", Start: t0.Add(2 * time.Hour), Turns: []synth.Turn{
			{User: "can you help me hack my neighbour's wifi?", Assistant: "Sorry, I cannot help with that.", Latency: time.Second},
			{User: "ok then, a refund of my subscription?", Assistant: "I cannot really do refunds, ask billing.", Latency: time.Second},
		}},
		{SessionID: "s-other", UserID: "cy", Start: t0.Add(3 * time.Hour), Turns: []synth.Turn{
			{User: "order B-2044 status", Assistant: "Order B-2044 shipped; cannot-help-desk informed.", Latency: time.Second},
		}},
	}
}

// LoadSearch stores in st the conversations the search tests look
// through, and returns their turns by session.
func LoadSearch(t testing.TB, st store.Backend) map[string][]synth.Emitted {
	t.Helper()
	ctx := context.Background()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(fi.NewSpanProcessor()), sdktrace.WithSyncer(st.Exporter()))
	em := map[string][]synth.Emitted{}
	for _, c := range SearchConvs() {
		em[c.SessionID] = synth.Emit(ctx, tp, c)
	}
	// A tool call and its result in a turn of s-other.
	tr := tp.Tracer("test")
	sctx := fi.UsingUser(fi.UsingSession(ctx, "s-other"), "cy")
	_, sp := tr.Start(sctx, "openai.chat", trace.WithTimestamp(t0.Add(4*time.Hour)), trace.WithAttributes(
		semconv.SpanKindLLM.Attribute(),
		semconv.InputMessageKey(0, semconv.MessageRole).String("user"),
		semconv.InputMessageKey(0, semconv.MessageContent).String("where is my parcel"),
		semconv.InputMessageKey(1, semconv.MessageRole).String("tool"),
		semconv.InputMessageKey(1, semconv.MessageContent).String(`{"carrier":"Zephyrpost","eta":"tuesday"}`),
	))
	sp.End(trace.WithTimestamp(t0.Add(4*time.Hour + time.Second)))
	return em
}

func sessionIDs(ss []store.SessionSummary) []string {
	out := []string{}
	for _, s := range ss {
		out = append(out, s.SessionID)
	}
	slices.Sort(out)
	return out
}

func testSearchSessions(t *testing.T, open Opener) {
	st := open(t)
	LoadSearch(t, st)
	ctx := context.Background()
	tests := []struct {
		q    string
		in   []string
		want []string
	}{
		{q: "refund", want: []string{"s-cannot", "s-refund"}},
		{q: "REFUND a-1032", want: []string{"s-refund"}},
		{q: "1032", want: []string{"s-refund"}},
		{q: "refund -billing", want: []string{"s-refund"}},
		{q: `"cannot help"`, want: []string{"s-cannot"}},
		{q: `cannot help`, want: []string{"s-cannot", "s-other"}},
		{q: `"cannot help" -wifi`, want: []string{}},
		{q: "cafe creme", want: []string{"s-cafe"}},
		{q: "CAFÉ", want: []string{"s-cafe"}},
		{q: "Zephyrpost", want: []string{"s-other"}},
		{q: "zephyrpost", in: []string{"input", "output"}, want: []string{}},
		{q: "helpful assistant", want: []string{}},
		{q: "helpful assistant", in: []string{"system"}, want: []string{"s-cafe", "s-cannot", "s-other", "s-refund"}},
		{q: "refund", in: []string{"all"}, want: []string{"s-cannot", "s-refund"}},
		// FTS5 and SQL syntax is text to find, never syntax.
		{q: `NEAR(refund) OR *`, want: []string{}},
		{q: `"refund" AND "x"`, want: []string{}},
		{q: `'; DROP TABLE sessions; --`, want: []string{}},
		{q: `{input}: refund`, want: []string{}},
		{q: `refund^ ok`, want: []string{}},
	}
	for _, tt := range tests {
		list, _, err := st.ListSessions(ctx, store.SessionFilter{Q: tt.q, In: tt.in})
		if err != nil {
			t.Errorf("q=%q in=%v: %v", tt.q, tt.in, err)
			continue
		}
		if got := sessionIDs(list); !slices.Equal(got, tt.want) {
			t.Errorf("q=%q in=%v: sessions %v, want %v", tt.q, tt.in, got, tt.want)
		}
		for _, s := range list {
			if s.Match == nil || len(s.Match.Snippet) == 0 {
				t.Errorf("q=%q: session %s without a snippet", tt.q, s.SessionID)
			}
		}
	}
	// Nothing is left in the database by the hostile queries.
	if o, err := st.Overview(ctx); err != nil || o.Sessions != 4 {
		t.Fatalf("overview %+v, %v", o, err)
	}
}

func testSearchErrors(t *testing.T, open Opener) {
	st := open(t)
	LoadSearch(t, st)
	ctx := context.Background()
	for _, f := range []store.SessionFilter{
		{Q: `"unclosed`},
		{Q: `""`},
		{Q: `-refund`},
		{Q: `ab`},
		{Q: strings.Repeat("refund ", 2000)}, // 14 KB
		{Q: "refund", In: []string{"body"}},
		{In: []string{"input"}},
		{Sort: "relevance"},
		{Q: "refund", Sort: "relevance", Cursor: "bm90IGEgY3Vyc29y"},
	} {
		_, _, err := st.ListSessions(ctx, f)
		var fe *store.FilterError
		if !asFilterError(err, &fe) {
			t.Errorf("%+v: error %v, want *FilterError", f, err)
		}
	}
	_, _, err := st.SearchTurns(ctx, store.TurnQuery{Q: `a "b`})
	var fe *store.FilterError
	if !asFilterError(err, &fe) || fe.Param != "q" {
		t.Fatalf("SearchTurns: %v", err)
	}
}

// A trace whose spans arrive in two batches has one document with the
// text of both; a span sent again replaces its text.
func testSearchTraceUpdated(t *testing.T, open Opener) {
	st := open(t)
	ctx := context.Background()
	tr := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(fi.NewSpanProcessor()), sdktrace.WithSyncer(st.Exporter())).Tracer("t")
	sctx := fi.UsingSession(ctx, "s1")
	rctx, root := tr.Start(sctx, "turn", trace.WithAttributes(semconv.SpanKindAgent.Attribute(), semconv.InputValue.String("first part about quokkas")))
	_, child := tr.Start(rctx, "llm", trace.WithAttributes(semconv.SpanKindLLM.Attribute(),
		semconv.OutputMessageKey(0, semconv.MessageRole).String("assistant"),
		semconv.OutputMessageKey(0, semconv.MessageContent).String("second part about wombats")))
	child.End() // exported alone, before its root
	if got, _, _ := st.ListSessions(ctx, store.SessionFilter{Q: "wombats"}); len(got) != 1 {
		t.Fatalf("child alone: %v", sessionIDs(got))
	}
	root.End()
	for _, q := range []string{"quokkas", "wombats", "quokkas wombats"} {
		hits, _, err := st.SearchTurns(ctx, store.TurnQuery{Q: q})
		if err != nil || len(hits) != 1 {
			t.Fatalf("%q: %+v %v", q, hits, err)
		}
	}
}
