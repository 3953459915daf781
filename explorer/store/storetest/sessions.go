package storetest

import (
	"context"
	"encoding/json"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/traceai-go/traceai/explorer/internal/spanconv"
	"github.com/traceai-go/traceai/explorer/internal/synth"
	"github.com/traceai-go/traceai/explorer/store"
	"github.com/traceai-go/traceai/fi"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

func testSessionsAndTurns(t *testing.T, open Opener) {
	f := NewFixture(t, open(t))
	ctx := context.Background()
	list, next, err := f.Backend.ListSessions(ctx, store.SessionFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if next != "" || len(list) != 2 {
		t.Fatalf("got %d sessions, next %q", len(list), next)
	}
	if list[0].SessionID != "sess-b" || list[1].SessionID != "sess-a" {
		t.Fatalf("order (newest first): %s, %s", list[0].SessionID, list[1].SessionID)
	}
	a := list[1]
	if a.UserID != "alice" || a.Traces != 5 || a.LLMCalls != 6 || a.Spans != 11 {
		t.Errorf("alice session counts: %+v", a)
	}
	// Turn 3 failed before usage was known: no tokens.
	// Errors: turn 3's LLM and root, turn 4's failed first attempt.
	if a.Errors != 3 || a.ErrorTraces != 1 || a.ErrorRate != 0.2 {
		t.Errorf("errors=%d error_traces=%d rate=%v", a.Errors, a.ErrorTraces, a.ErrorRate)
	}
	if a.InputTokens != 120 || a.OutputTokens != 17 || a.TotalTokens != 137 {
		t.Errorf("tokens in=%d out=%d total=%d", a.InputTokens, a.OutputTokens, a.TotalTokens)
	}
	wantCost := (120*0.15 + 17*0.60) / 1e6
	if math.Abs(a.Cost-wantCost) > 1e-12 || !a.CostComplete {
		t.Errorf("cost = %v (complete %v), want %v", a.Cost, a.CostComplete, wantCost)
	}
	if a.FirstInput != "hello" || a.LastOutput != "Bye!" {
		t.Errorf("first/last = %q / %q", a.FirstInput, a.LastOutput)
	}
	if !a.Start.Equal(t0) || a.End.Before(a.Start) {
		t.Errorf("start/end = %v / %v", a.Start, a.End)
	}
	if !reflect.DeepEqual(a.Tags, []string{"vip"}) || !reflect.DeepEqual(a.Models, []string{"gpt-4o-mini"}) {
		t.Errorf("tags %v models %v", a.Tags, a.Models)
	}
	if a.P50LatencyMS < 400 || a.P50LatencyMS > 600 || a.P95LatencyMS < 5000 {
		t.Errorf("p50 %v p95 %v", a.P50LatencyMS, a.P95LatencyMS)
	}
	ev := a.Evaluations["faithfulness"]
	if ev.Count != 2 || ev.Mean == nil || math.Abs(*ev.Mean-0.3) > 1e-9 || ev.Labels["fail"] != 2 {
		t.Errorf("alice evaluations = %+v", a.Evaluations)
	}
	b := list[0]
	if ev := b.Evaluations["faithfulness"]; ev.Count != 1 || ev.Labels["pass"] != 1 {
		t.Errorf("bob evaluations (stored before their target) = %+v", b.Evaluations)
	}
	if wantB := (250*3.0 + 30*15.0) / 1e6; math.Abs(b.Cost-wantB) > 1e-12 {
		t.Errorf("claude cost = %v, want %v", b.Cost, wantB)
	}

	d, err := f.Backend.GetSession(ctx, "sess-a")
	if err != nil {
		t.Fatal(err)
	}
	// Metadata comes back as the application typed it: a number stays a
	// number, the string "3" a string.
	wantMeta := map[string]any{"plan": "pro", "seats": json.Number("3"), "trial": true, "code": "3",
		"limits": json.RawMessage(`{"rpm":60}`), "ref": nil}
	if !reflect.DeepEqual(d.Metadata, wantMeta) {
		t.Errorf("metadata = %#v, want %#v", d.Metadata, wantMeta)
	}
	if b, _ := json.Marshal(d.Metadata); string(b) != `{"code":"3","limits":{"rpm":60},"plan":"pro","ref":null,"seats":3,"trial":true}` {
		t.Errorf("metadata JSON = %s", b)
	}
	wantIn := []string{"hello", "how do I pick a lock?", "ok, what is 2+2?", "again: 2+2?", "thanks, bye"}
	wantOut := []string{"Hi! How can I help?", "I'm sorry, but I can't help with that.", "", "4", "Bye!"}
	wantReasons := [][]string{{}, {"refused"}, {"error"}, {"retry"}, {"slow"}}
	if len(d.Turns) != 5 {
		t.Fatalf("%d turns", len(d.Turns))
	}
	for i, turn := range d.Turns {
		if turn.Input != wantIn[i] || turn.Output != wantOut[i] {
			t.Errorf("turn %d: %q -> %q", i, turn.Input, turn.Output)
		}
		if turn.TraceID != f.A[i].Root.TraceID().String() {
			t.Errorf("turn %d trace %s", i, turn.TraceID)
		}
		// Broken is a failed turn (error, refusal, empty answer); a
		// recovered retry or a slow turn is a warning.
		wantBroken := i == 1 || i == 2
		wantWarning := i == 3 || i == 4
		if !reflect.DeepEqual(turn.Reasons, wantReasons[i]) || turn.Broken != wantBroken || turn.Warning != wantWarning {
			t.Errorf("turn %d reasons %v broken %v warning %v, want %v broken %v warning %v", i, turn.Reasons, turn.Broken, turn.Warning,
				wantReasons[i], wantBroken, wantWarning)
		}
	}
	if d.Turns[2].ErrorMessage != "upstream 500" || d.Turns[3].Retries != 1 || d.Turns[0].Model != "gpt-4o-mini" {
		t.Errorf("turn details: %+v / %+v", d.Turns[2], d.Turns[3])
	}
	if len(d.Turns[0].Evaluations) != 1 || *d.Turns[0].Evaluations[0].Score != 0.2 {
		t.Errorf("turn 0 evaluations %+v", d.Turns[0].Evaluations)
	}
	if _, err := f.Backend.GetSession(ctx, "nope"); err != store.ErrNotFound {
		t.Errorf("missing session: %v", err)
	}
}

func testFiltersAndPaging(t *testing.T, open Opener) {
	f := NewFixture(t, open(t))
	ctx := context.Background()
	yes, no := true, false
	for _, c := range []struct {
		name string
		f    store.SessionFilter
		want []string
	}{
		{"user", store.SessionFilter{UserID: "bob"}, []string{"sess-b"}},
		{"tag", store.SessionFilter{Tag: "vip"}, []string{"sess-a"}},
		{"model", store.SessionFilter{Model: "claude-sonnet-4-20250514"}, []string{"sess-b"}},
		{"metadata", store.SessionFilter{MetadataKey: "plan", MetadataValue: "pro"}, []string{"sess-a"}},
		{"metadata-other", store.SessionFilter{MetadataKey: "plan", MetadataValue: "free"}, []string{}},
		{"metadata-number", store.SessionFilter{MetadataKey: "seats", MetadataValue: "3"}, []string{"sess-a"}},
		{"metadata-bool", store.SessionFilter{MetadataKey: "trial", MetadataValue: "true"}, []string{"sess-a"}},
		{"has-errors", store.SessionFilter{HasErrors: &yes}, []string{"sess-a"}},
		{"no-errors", store.SessionFilter{HasErrors: &no}, []string{"sess-b"}},
		{"since", store.SessionFilter{Since: t0.Add(30 * time.Minute)}, []string{"sess-b"}},
		{"until", store.SessionFilter{Until: t0.Add(30 * time.Minute)}, []string{"sess-a"}},
		{"sort-tokens", store.SessionFilter{Sort: "tokens", Desc: true}, []string{"sess-b", "sess-a"}},
		{"sort-start-asc", store.SessionFilter{Sort: "start"}, []string{"sess-a", "sess-b"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, _, err := f.Backend.ListSessions(ctx, c.f)
			if err != nil {
				t.Fatal(err)
			}
			ids := []string{}
			for _, s := range got {
				ids = append(ids, s.SessionID)
			}
			if !reflect.DeepEqual(ids, c.want) {
				t.Errorf("got %v, want %v", ids, c.want)
			}
		})
	}
	// Paging through with limit 1 visits both sessions once.
	var seen []string
	cur := ""
	for range 3 {
		page, next, err := f.Backend.ListSessions(ctx, store.SessionFilter{Limit: 1, Cursor: cur, Sort: "cost", Desc: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range page {
			seen = append(seen, s.SessionID)
		}
		if next == "" {
			break
		}
		cur = next
	}
	if !reflect.DeepEqual(seen, []string{"sess-b", "sess-a"}) {
		t.Errorf("paged %v", seen)
	}
	var fe *store.FilterError
	for _, bad := range []store.SessionFilter{{Sort: "bogus"}, {Limit: -1}, {Limit: 100000}, {Cursor: "!!"}, {Cursor: cur, Sort: "start"}, {MetadataValue: "x"}} {
		if _, _, err := f.Backend.ListSessions(ctx, bad); !asFilterError(err, &fe) {
			t.Errorf("%+v: err %v, want FilterError", bad, err)
		}
	}
}

func testUsersTraceRankings(t *testing.T, open Opener) {
	f := NewFixture(t, open(t))
	ctx := context.Background()
	users, _, err := f.Backend.ListUsers(ctx, store.UserFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != 2 || users[0].UserID != "bob" || users[1].UserID != "alice" {
		t.Fatalf("users %+v", users)
	}
	if u := users[1]; u.Sessions != 1 || u.Traces != 5 || u.Errors != 3 || u.InputTokens != 120 || u.Evaluations["faithfulness"].Count != 2 {
		t.Errorf("alice = %+v", u)
	}
	ud, err := f.Backend.GetUser(ctx, "alice", store.SessionFilter{})
	if err != nil || len(ud.Sessions) != 1 || ud.Sessions[0].SessionID != "sess-a" {
		t.Fatalf("GetUser: %v %+v", err, ud)
	}

	tr, err := f.Backend.GetTrace(ctx, f.A[3].Root.TraceID().String())
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Spans) != 3 || tr.SessionID != "sess-a" || tr.UserID != "alice" {
		t.Fatalf("trace: %d spans, %s/%s", len(tr.Spans), tr.SessionID, tr.UserID)
	}
	// The trace's tokens are its turn's.
	if sd, err := f.Backend.GetSession(ctx, "sess-a"); err != nil || len(sd.Turns) < 4 {
		t.Fatalf("GetSession: %v", err)
	} else if turn := sd.Turns[3]; turn.TraceID != tr.TraceID || tr.TotalTokens != turn.Tokens || tr.InputTokens != turn.InputTokens ||
		tr.OutputTokens != turn.OutputTokens || tr.TotalTokens == 0 {
		t.Errorf("trace tokens %d/%d/%d, its turn's %d/%d/%d", tr.InputTokens, tr.OutputTokens, tr.TotalTokens,
			turn.InputTokens, turn.OutputTokens, turn.Tokens)
	}
	root := tr.Spans[0]
	if root.Depth != 0 || root.SpanKind != "AGENT" || root.Name != "chat turn" || root.StatusCode != "OK" {
		t.Errorf("root %+v", root)
	}
	if tr.Spans[1].Depth != 1 || tr.Spans[1].StatusCode != "ERROR" || tr.Spans[1].StatusMessage != "429 Too Many Requests" {
		t.Errorf("first attempt %+v", tr.Spans[1])
	}
	llm := tr.Spans[2]
	if llm.Kind != "CLIENT" || llm.Model != "gpt-4o-mini" || len(llm.OutputMessages) != 1 || llm.OutputMessages[0].Content != "4" {
		t.Errorf("llm span %+v", llm)
	}
	if n := len(llm.InputMessages); n != 8 || llm.InputMessages[n-1].Role != "user" || llm.InputMessages[n-1].Content != "again: 2+2?" {
		t.Errorf("input messages %+v", llm.InputMessages)
	}
	found := false
	for _, a := range llm.Attributes {
		if a.Key == "session.id" && a.Value == "sess-a" {
			found = true
		}
	}
	if !found {
		t.Error("session.id attribute missing from span attributes")
	}

	for _, c := range []struct {
		q    store.RankingQuery
		want []string
	}{
		{store.RankingQuery{Metric: "eval:faithfulness"}, []string{"sess-a", "sess-b"}},
		{store.RankingQuery{Metric: "eval:faithfulness", Order: "best"}, []string{"sess-b", "sess-a"}},
		{store.RankingQuery{Metric: "error_rate", Limit: 1}, []string{"sess-a"}},
		{store.RankingQuery{Metric: "latency_p95"}, []string{"sess-a", "sess-b"}},
		{store.RankingQuery{Metric: "cost", Order: "best"}, []string{"sess-a", "sess-b"}},
		{store.RankingQuery{By: "user", Metric: "tokens"}, []string{"bob", "alice"}},
		{store.RankingQuery{By: "user", Metric: "eval:faithfulness", Order: "best"}, []string{"bob", "alice"}},
		{store.RankingQuery{Metric: "eval:unknown"}, []string{}},
	} {
		r, err := f.Backend.Rankings(ctx, c.q)
		if err != nil {
			t.Fatalf("%+v: %v", c.q, err)
		}
		ids := []string{}
		for _, row := range r.Rows {
			ids = append(ids, row.ID)
			if (row.Session == nil) == (c.q.By != "user") {
				t.Errorf("%+v: row summary missing", c.q)
			}
		}
		if !reflect.DeepEqual(ids, c.want) {
			t.Errorf("%+v: got %v, want %v", c.q, ids, c.want)
		}
	}
	r, _ := f.Backend.Rankings(ctx, store.RankingQuery{Metric: "eval:faithfulness"})
	if math.Abs(r.Rows[0].Value-0.3) > 1e-9 || r.Rows[0].Samples != 2 {
		t.Errorf("eval ranking row %+v", r.Rows[0])
	}
	for _, bad := range []store.RankingQuery{{By: "x"}, {Metric: "x"}, {Order: "x"}, {Metric: "eval:"}, {Limit: -3}} {
		if _, err := f.Backend.Rankings(ctx, bad); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
	o, err := f.Backend.Overview(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if o.Sessions != 2 || o.Users != 2 || o.Traces != 7 || o.Evaluations != 3 || !reflect.DeepEqual(o.EvaluationNames, []string{"faithfulness"}) {
		t.Errorf("overview %+v", o)
	}
}

// When every session has the same value there is nothing to rank: the
// ranking says so instead of listing arbitrary sessions as the worst.
// Without a metric, rankings use the evaluation scored most often, and
// the error rate where nothing was evaluated.
func testRankingsTiesAndDefaultMetric(t *testing.T, open Opener) {
	ctx := context.Background()
	st := open(t)
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(fi.NewSpanProcessor()), sdktrace.WithSyncer(st.Exporter()))
	var turns [][]synth.Emitted
	for i, id := range []string{"calm-1", "calm-2", "calm-3"} {
		turns = append(turns, synth.Emit(ctx, tp, synth.Conversation{
			SessionID: id, UserID: "u", Start: t0.Add(time.Duration(i) * time.Hour),
			Turns: []synth.Turn{{User: "hi", Assistant: "hello", Latency: 300 * time.Millisecond, InTokens: 5, OutTokens: 2}},
		}))
	}
	for _, order := range []string{"worst", "best"} {
		r, err := st.Rankings(ctx, store.RankingQuery{Order: order})
		if err != nil {
			t.Fatal(err)
		}
		if r.Metric != "error_rate" || !r.Tied || r.TiedValue != 0 || len(r.Rows) != 0 {
			t.Errorf("%s, no errors anywhere: %+v, want error_rate tied at 0 with no rows", order, r)
		}
	}
	// Tokens differ nowhere either; latency is the same too.
	if r, err := st.Rankings(ctx, store.RankingQuery{Metric: "tokens"}); err != nil || !r.Tied {
		t.Errorf("tokens: %+v %v", r, err)
	}

	// Evaluations: the most frequent one becomes the default metric.
	synth.EmitEvaluation(ctx, tp, turns[0][0].LLM, "tone", ptr(0.9), "ok", t0.Add(5*time.Hour))
	synth.EmitEvaluation(ctx, tp, turns[0][0].LLM, "helpfulness", ptr(0.2), "bad", t0.Add(5*time.Hour))
	synth.EmitEvaluation(ctx, tp, turns[1][0].LLM, "helpfulness", ptr(0.8), "good", t0.Add(5*time.Hour))
	r, err := st.Rankings(ctx, store.RankingQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Metric != "eval:helpfulness" || r.Tied || len(r.Rows) != 2 || r.Rows[0].ID != "calm-1" {
		t.Errorf("default with evaluations: metric %s, tied %v, rows %+v; want eval:helpfulness, calm-1 worst", r.Metric, r.Tied, r.Rows)
	}
	// One session alone is not a tie.
	if r, err := st.Rankings(ctx, store.RankingQuery{Metric: "eval:tone"}); err != nil || r.Tied || len(r.Rows) != 1 {
		t.Errorf("a single row: %+v %v", r, err)
	}
}

// has_errors means a failed turn: a session whose only error was a retried
// call that recovered is not one of them, though it counts the error span.
// A failed turn's answer is never an inner span's output.
func testHasErrorsMeansFailedTurns(t *testing.T, open Opener) {
	ctx := context.Background()
	st := open(t)
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

// testIdempotentResend sends a batch twice (an exporter retry): nothing is
// stored twice.
func testIdempotentResend(t *testing.T, open Opener) {
	ctx := context.Background()
	st := open(t)
	mem := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(fi.NewSpanProcessor()), sdktrace.WithSyncer(mem))
	c := ConvA()
	c.SessionID = "sess-c"
	synth.Emit(ctx, tp, c)
	batch := spanconv.ToProto(mem.GetSpans().Snapshots())
	var once string
	for i := range 2 {
		if n, err := st.Ingest(ctx, batch); err != nil || n != 11 {
			t.Fatalf("ingest: %d, %v", n, err)
		}
		if i == 0 {
			once = Snapshot(t, st)
		}
	}
	d, err := st.GetSession(ctx, "sess-c")
	if err != nil || d.Summary.Traces != 5 || d.Summary.Spans != 11 {
		t.Fatalf("after a duplicate batch: %v %+v", err, d)
	}
	if got := Snapshot(t, st); got != once {
		t.Errorf("after a duplicate batch:\n got %s\nwant %s", got, once)
	}
	if n, err := st.Ingest(ctx, nil); err != nil || n != 0 {
		t.Errorf("empty ingest: %d, %v", n, err)
	}
}
