package evaluate_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/traceai-go/traceai/explorer/evaluate"
	"github.com/traceai-go/traceai/explorer/store"
	"github.com/traceai-go/traceai/fi/semconv"
)

func builtins(t *testing.T, names ...string) []*evaluate.Evaluator {
	t.Helper()
	evs, err := evaluate.Select(names, nil)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func TestRunStandIn(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	roots := load(t, st, fixture())
	res, err := evaluate.Run(ctx, st, evaluate.Config{Evaluators: builtins(t), Judge: evaluate.StandIn{}, Concurrency: 8})
	if err != nil {
		t.Fatal(err)
	}
	// 5 turns × 5 turn evaluators + 3 sessions × task_completion; two
	// turns without retrieval are not applicable to groundedness (three:
	// s-bad has none, s-pii has none).
	if res.Sessions != 3 || res.Turns != 5 {
		t.Fatalf("selected %d sessions, %d turns; want 3, 5", res.Sessions, res.Turns)
	}
	if res.NotApplicable != 3 || res.Judged != 5*5+3-3 || res.Errors != 0 || res.WriteErrors != 0 {
		t.Fatalf("result %+v", res)
	}
	if n := evalCount(t, st); n != res.Judged {
		t.Fatalf("store holds %d evaluations, run judged %d", n, res.Judged)
	}

	// Session level: a child of the last turn's root, in its trace.
	bad := turnEvals(t, st, "s-bad")
	tc, ok := find(bad[1], "task_completion")
	if !ok {
		t.Fatalf("no task_completion on s-bad's last turn: %+v", bad[1])
	}
	last := roots[key("s-bad", 1)]
	if tc.Label != "failed" || tc.Score == nil || *tc.Score != 0 || tc.Explanation == "" {
		t.Errorf("task_completion of s-bad = %+v", tc)
	}
	if tc.TargetSpanID != last.SpanID().String() || tc.TraceID != last.TraceID().String() || tc.SessionID != "s-bad" || tc.UserID != "u-bob" {
		t.Errorf("task_completion targets %s in %s (session %q user %q), want %s in %s", tc.TargetSpanID, tc.TraceID,
			tc.SessionID, tc.UserID, last.SpanID(), last.TraceID())
	}
	if _, ok := find(bad[0], "task_completion"); ok {
		t.Error("task_completion also on the first turn")
	}
	good := turnEvals(t, st, "s-good")
	if tc, _ := find(good[1], "task_completion"); tc.Label != "completed" {
		t.Errorf("task_completion of s-good = %+v", tc)
	}
	for i, evs := range good {
		g, ok := find(evs, "groundedness")
		if !ok || g.Label != "grounded" || g.TargetSpanID != roots[key("s-good", i)].SpanID().String() {
			t.Errorf("groundedness of s-good turn %d = %+v", i, g)
		}
	}
	if h, _ := find(bad[1], "helpfulness"); h.Label != "unhelpful" {
		t.Errorf("helpfulness of the failed turn = %+v", h)
	}
	if p, _ := find(turnEvals(t, st, "s-pii")[0], "pii_leak"); p.Label != "leak" || *p.Score != 0 {
		t.Errorf("pii_leak of s-pii = %+v", p)
	}

	// The span itself carries fi.RecordEvaluation's keys.
	td, err := st.GetTrace(ctx, last.TraceID().String())
	if err != nil {
		t.Fatal(err)
	}
	var evalSpan *store.Span
	for i := range td.Spans {
		if td.Spans[i].SpanID == tc.SpanID {
			evalSpan = &td.Spans[i]
		}
	}
	if evalSpan == nil || evalSpan.SpanKind != string(semconv.SpanKindEvaluator) || evalSpan.ParentID != last.SpanID().String() {
		t.Fatalf("evaluation span %+v", evalSpan)
	}
	attrs := map[string]any{}
	for _, a := range evalSpan.Attributes {
		attrs[a.Key] = a.Value
	}
	for k, want := range map[string]any{
		string(semconv.GenAIEvaluationName): "task_completion", string(semconv.GenAIEvaluationScoreLabel): "failed",
		string(semconv.GenAIEvaluationTargetSpanID): last.SpanID().String(), string(semconv.SessionID): "s-bad",
		string(semconv.UserID): "u-bob",
	} {
		if attrs[k] != want {
			t.Errorf("%s = %v, want %v", k, attrs[k], want)
		}
	}
	if _, ok := attrs[string(semconv.GenAIEvaluationScoreValue)]; !ok {
		t.Error("no score value on the span")
	}

	// Rankings and the session list see the results; the evaluation spans
	// add no turns.
	rk, err := st.Rankings(ctx, store.RankingQuery{By: "session", Metric: "eval:task_completion", Order: "worst", Limit: 1})
	if err != nil || len(rk.Rows) != 1 || rk.Rows[0].ID != "s-bad" {
		t.Fatalf("worst session by task_completion: %+v, %v", rk, err)
	}
	rk, err = st.Rankings(ctx, store.RankingQuery{By: "user", Metric: "eval:pii_leak", Order: "worst", Limit: 1})
	if err != nil || len(rk.Rows) != 1 || rk.Rows[0].ID != "u-cy" {
		t.Fatalf("worst user by pii_leak: %+v, %v", rk, err)
	}
	list, _, err := st.ListSessions(ctx, store.SessionFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range list {
		if s.Evaluations["task_completion"].Count != 1 {
			t.Errorf("session %s lists task_completion %+v", s.SessionID, s.Evaluations["task_completion"])
		}
		if want := map[string]int{"s-good": 2, "s-bad": 2, "s-pii": 1}[s.SessionID]; s.Traces != want {
			t.Errorf("session %s has %d turns after the run, want %d", s.SessionID, s.Traces, want)
		}
	}
}

func TestRunIsIdempotent(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	load(t, st, fixture())
	cfg := evaluate.Config{Evaluators: builtins(t), Judge: evaluate.StandIn{}}
	first, err := evaluate.Run(ctx, st, cfg)
	if err != nil {
		t.Fatal(err)
	}
	n := evalCount(t, st)
	second, err := evaluate.Run(ctx, st, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if second.Judged != 0 || second.Skipped != first.Judged || second.NotApplicable != first.NotApplicable {
		t.Fatalf("second run %+v after first %+v", second, first)
	}
	if m := evalCount(t, st); m != n {
		t.Fatalf("evaluations went from %d to %d", n, m)
	}
	// A new version of a rubric scores again; the old verdicts stay.
	custom := builtins(t, "helpfulness")[0]
	v2 := *custom
	v2.Version = "2"
	third, err := evaluate.Run(ctx, st, evaluate.Config{Evaluators: []*evaluate.Evaluator{&v2}, Judge: evaluate.StandIn{}})
	if err != nil {
		t.Fatal(err)
	}
	if third.Judged != 5 || evalCount(t, st) != n+5 {
		t.Fatalf("version 2: %+v, store %d (was %d)", third, evalCount(t, st), n)
	}
}

// stopAfter judges n requests, then cancels the run, as a crash would stop
// it midway.
type stopAfter struct {
	n      int64
	cancel context.CancelFunc
	calls  atomic.Int64
}

func (s *stopAfter) Judge(ctx context.Context, r *evaluate.Request) (evaluate.Response, error) {
	if s.calls.Add(1) > s.n {
		s.cancel()
		<-ctx.Done()
		return evaluate.Response{}, ctx.Err()
	}
	return evaluate.StandIn{}.Judge(ctx, r)
}

func TestRunContinuesAfterInterruption(t *testing.T) {
	st := openStore(t)
	load(t, st, fixture())
	evs := builtins(t)
	ctx, cancel := context.WithCancel(context.Background())
	j := &stopAfter{n: 7, cancel: cancel}
	res, err := evaluate.Run(ctx, st, evaluate.Config{Evaluators: evs, Judge: j, Concurrency: 2})
	if err == nil {
		t.Fatal("interrupted run returned no error")
	}
	if res.Judged < 1 || res.Judged > 7 || res.Errors != 0 {
		t.Fatalf("interrupted run %+v", res)
	}
	stored := evalCount(t, st)
	if stored != res.Judged {
		t.Fatalf("interrupted run judged %d, stored %d", res.Judged, stored)
	}
	rest, err := evaluate.Run(context.Background(), st, evaluate.Config{Evaluators: evs, Judge: evaluate.StandIn{}})
	if err != nil {
		t.Fatal(err)
	}
	if rest.Skipped != res.Judged || rest.Judged+res.Judged != 25 {
		t.Fatalf("second run %+v after %d judged", rest, res.Judged)
	}
	if n := evalCount(t, st); n != 25 {
		t.Fatalf("store holds %d evaluations, want 25 (no target twice)", n)
	}
}

func TestRunDryRun(t *testing.T) {
	st := openStore(t)
	load(t, st, fixture())
	res, err := evaluate.Run(context.Background(), st, evaluate.Config{Evaluators: builtins(t, "helpfulness", "task_completion", "groundedness"), DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Judged != 5+3+2 || res.NotApplicable != 3 || res.PromptTokens < 500 || res.CompletionTokens != 10*60 {
		t.Fatalf("dry run %+v", res)
	}
	if n := evalCount(t, st); n != 0 {
		t.Fatalf("dry run wrote %d evaluations", n)
	}
	var b strings.Builder
	if err := evaluate.WriteReport(context.Background(), &b, st, res, true, evaluate.Price{Input: 1, Output: 2}, 3); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "3 sessions, 5 turns") || !strings.Contains(b.String(), "$0.0") {
		t.Errorf("dry-run report:\n%s", b.String())
	}
}

func TestRunFilters(t *testing.T) {
	st := openStore(t)
	load(t, st, fixture())
	hp := builtins(t, "helpfulness", "task_completion")
	for _, c := range []struct {
		name     string
		cfg      evaluate.Config
		sessions int
		turns    int
	}{
		{"user", evaluate.Config{UserID: "u-bob"}, 1, 2},
		{"session", evaluate.Config{SessionID: "s-pii"}, 1, 1},
		{"tag", evaluate.Config{Tag: "web"}, 2, 3},
		{"since", evaluate.Config{Since: t0.Add(time.Hour + 30*time.Second)}, 2, 2},
		{"until", evaluate.Config{Until: t0.Add(30 * time.Second)}, 1, 1},
		{"sample", evaluate.Config{Sample: 1}, 1, -1},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.cfg.Evaluators, c.cfg.DryRun = hp, true
			res, err := evaluate.Run(context.Background(), st, c.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if res.Sessions != c.sessions || (c.turns >= 0 && res.Turns != c.turns) {
				t.Fatalf("selected %d sessions, %d turns; want %d, %d", res.Sessions, res.Turns, c.sessions, c.turns)
			}
			if c.turns >= 0 && res.Judged != int64(c.turns+c.sessions) {
				t.Fatalf("would judge %d", res.Judged)
			}
		})
	}
}

func TestRunProgress(t *testing.T) {
	st := openStore(t)
	load(t, st, fixture())
	var b strings.Builder
	_, err := evaluate.Run(context.Background(), st, evaluate.Config{Evaluators: builtins(t, "tone"), Judge: evaluate.StandIn{},
		Progress: &lockedWriter{b: &b}, ProgressEvery: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if !strings.HasSuffix(out, "\n") || !strings.Contains(out, "judged 5, already scored 0, not applicable 0, errors 0") ||
		!strings.Contains(out, "5/5 (100%)") || !strings.Contains(out, "ETA") {
		t.Errorf("progress: %q", out)
	}
}
