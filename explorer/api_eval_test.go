package explorer_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/traceai-go/traceai/explorer/evaluate"
	"github.com/traceai-go/traceai/explorer/internal/synth"
	"github.com/traceai-go/traceai/explorer/store"
	"github.com/traceai-go/traceai/fi"
)

// TestAPIEvaluationsFromEval runs traceai eval's engine over a running
// explorer and reads the verdicts back through /api/sessions: the
// session-level evaluation in `evaluations`, and the eval/eval_below filter.
func TestAPIEvaluationsFromEval(t *testing.T) {
	x := start(t)
	ctx := context.Background()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(fi.NewSpanProcessor()), sdktrace.WithSyncer(x.Store().Exporter()))
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	synth.Emit(ctx, tp, synth.Conversation{SessionID: "ok", UserID: "u1", Start: at, Turns: []synth.Turn{
		{User: "How do refunds work?", Assistant: "Refunds work by going back to your card.", Latency: time.Millisecond}}})
	synth.Emit(ctx, tp, synth.Conversation{SessionID: "stuck", UserID: "u2", Start: at.Add(time.Minute), Turns: []synth.Turn{
		{User: "Reset my password", Assistant: "Items can be returned in 30 days.", Latency: time.Millisecond},
		{User: "still not working", Error: "upstream 500", Latency: time.Millisecond}}})
	if err := tp.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	evs, err := evaluate.Select([]string{"task_completion", "helpfulness"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := evaluate.Run(ctx, x.Store(), evaluate.Config{Evaluators: evs, Judge: evaluate.StandIn{}})
	if err != nil || res.Judged != 2+3 {
		t.Fatalf("run: %+v, %v", res, err)
	}
	var page struct {
		Sessions []store.SessionSummary `json:"sessions"`
	}
	getJSON(t, x.UIURL()+"/api/sessions", 200, &page)
	got := map[string]store.EvalAggregate{}
	for _, s := range page.Sessions {
		got[s.SessionID] = s.Evaluations["task_completion"]
	}
	if a := got["stuck"]; a.Count != 1 || a.Mean == nil || *a.Mean != 0 || a.Labels["failed"] != 1 {
		t.Errorf("stuck task_completion %+v", a)
	}
	if a := got["ok"]; a.Count != 1 || a.Mean == nil || *a.Mean != 1 {
		t.Errorf("ok task_completion %+v", a)
	}
	for q, want := range map[string][]string{
		"eval=task_completion&eval_below=0.5": {"stuck"},
		"eval=task_completion&eval_below=1.5": {"ok", "stuck"},
		"eval=helpfulness&eval_below=0.3":     {"stuck"}, // partial then unhelpful: 0.25
		"eval=nope":                           {},
	} {
		getJSON(t, x.UIURL()+"/api/sessions?sort=session_id&order=asc&"+q, 200, &page)
		var ids []string
		for _, s := range page.Sessions {
			ids = append(ids, s.SessionID)
		}
		if len(ids) != len(want) || (len(ids) > 0 && ids[0] != want[0]) || (len(ids) > 1 && ids[1] != want[1]) {
			t.Errorf("%s: %v, want %v", q, ids, want)
		}
	}
	// sort=eval:<name> orders by the mean, both ways, in both lists.
	for q, want := range map[string]string{
		"sessions?sort=eval:task_completion&order=asc":  "stuck ok",
		"sessions?sort=eval:task_completion&order=desc": "ok stuck",
		"users?sort=eval:task_completion&order=asc":     "u2 u1",
		"users?sort=eval:task_completion":               "u1 u2",
	} {
		var list struct {
			Sessions []store.SessionSummary `json:"sessions"`
			Users    []store.UserSummary    `json:"users"`
		}
		getJSON(t, x.UIURL()+"/api/"+q, 200, &list)
		var ids []string
		for _, s := range list.Sessions {
			ids = append(ids, s.SessionID)
		}
		for _, u := range list.Users {
			ids = append(ids, u.UserID)
		}
		if got := strings.Join(ids, " "); got != want {
			t.Errorf("%s: %s, want %s", q, got, want)
		}
	}
	getJSON(t, x.UIURL()+"/api/users?sort=eval:", 400, nil)
	for _, q := range []string{"eval_below=0.5", "eval=x&eval_below=low", "eval=x&eval_below=" + url.QueryEscape("NaN")} {
		getJSON(t, x.UIURL()+"/api/sessions?"+q, 400, nil)
	}
}
