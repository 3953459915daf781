package storetest

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/traceai-go/traceai/explorer/internal/synth"
	"github.com/traceai-go/traceai/explorer/store"
	"github.com/traceai-go/traceai/fi"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// Sessions and users sort by an evaluation's mean score, both ways, paging
// across the rows without a score, which come last in either order.
func testSortByEvaluation(t *testing.T, open Opener) {
	ctx := context.Background()
	st := open(t)
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(fi.NewSpanProcessor()), sdktrace.WithSyncer(st.Exporter()))
	// session: user, its helpfulness scores (nil: a label only, none: no evaluation)
	for i, c := range []struct {
		id, user string
		scores   []*float64
	}{
		{"s-a", "u1", []*float64{ptr(0.2), ptr(0.4)}},
		{"s-b", "u1", []*float64{ptr(0.9)}},
		{"s-c", "u2", []*float64{nil}},
		{"s-d", "u2", nil},
		{"s-e", "u3", []*float64{ptr(0.6)}},
	} {
		em := synth.Emit(ctx, tp, synth.Conversation{SessionID: c.id, UserID: c.user, Start: t0.Add(time.Duration(i) * time.Minute),
			Turns: []synth.Turn{{User: "hi", Assistant: "hello", Latency: 300 * time.Millisecond, InTokens: 5, OutTokens: 2}}})
		for _, sc := range c.scores {
			synth.EmitEvaluation(ctx, tp, em[0].LLM, "helpfulness", sc, "l", t0.Add(time.Hour))
		}
		synth.EmitEvaluation(ctx, tp, em[0].LLM, "tone", ptr(float64(i)), "", t0.Add(time.Hour))
	}
	sessions := func(desc bool, limit int) []string {
		t.Helper()
		var ids []string
		cur := ""
		for range 10 {
			list, next, err := st.ListSessions(ctx, store.SessionFilter{Sort: store.SessionsByEval("helpfulness"), Desc: desc, Limit: limit, Cursor: cur})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, orderedIDs(list)...)
			if cur = next; cur == "" {
				break
			}
		}
		return ids
	}
	for _, c := range []struct {
		desc  bool
		limit int
		want  []string
	}{
		{false, 50, []string{"s-a", "s-e", "s-b", "s-c", "s-d"}},
		{true, 50, []string{"s-b", "s-e", "s-a", "s-d", "s-c"}},
		{false, 2, []string{"s-a", "s-e", "s-b", "s-c", "s-d"}},
		{true, 1, []string{"s-b", "s-e", "s-a", "s-d", "s-c"}},
	} {
		if got := sessions(c.desc, c.limit); !reflect.DeepEqual(got, c.want) {
			t.Errorf("sessions by helpfulness, desc %v, %d a page: %v, want %v", c.desc, c.limit, got, c.want)
		}
	}
	// The user's page lists their sessions in that order too.
	u, err := st.GetUser(ctx, "u1", store.SessionFilter{Sort: store.SessionsByEval("helpfulness")})
	if err != nil || !reflect.DeepEqual(orderedIDs(u.Sessions), []string{"s-a", "s-b"}) {
		t.Errorf("user u1's sessions by helpfulness: %v %v", u, err)
	}
	for _, c := range []struct {
		desc bool
		want []string
	}{{false, []string{"u1", "u3", "u2"}}, {true, []string{"u3", "u1", "u2"}}} {
		var got []string
		cur := ""
		for range 10 {
			list, next, err := st.ListUsers(ctx, store.UserFilter{Sort: store.UsersByEval("helpfulness"), Desc: c.desc, Limit: 1, Cursor: cur})
			if err != nil {
				t.Fatal(err)
			}
			for _, u := range list {
				got = append(got, u.UserID)
			}
			if cur = next; cur == "" {
				break
			}
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("users by helpfulness, desc %v: %v, want %v", c.desc, got, c.want)
		}
	}
	// Another evaluation orders differently; an unknown one puts every row last.
	if list, _, err := st.ListSessions(ctx, store.SessionFilter{Sort: store.SessionsByEval("tone"), Desc: true}); err != nil ||
		!reflect.DeepEqual(orderedIDs(list), []string{"s-e", "s-d", "s-c", "s-b", "s-a"}) {
		t.Errorf("by tone: %v %v", orderedIDs(list), err)
	}
	if list, _, err := st.ListSessions(ctx, store.SessionFilter{Sort: store.SessionsByEval("nope")}); err != nil || len(list) != 5 {
		t.Errorf("by an unknown evaluation: %v %v", orderedIDs(list), err)
	}
	var fe *store.FilterError
	for _, bad := range []store.SessionSort{store.SessionsByEval(""), store.SessionsByEval("a\x00b"), "evaluation"} {
		if _, _, err := st.ListSessions(ctx, store.SessionFilter{Sort: bad}); !errors.As(err, &fe) || fe.Param != "sort" {
			t.Errorf("sort %q: %v, want a sort FilterError", bad, err)
		}
	}
	if _, _, err := st.ListUsers(ctx, store.UserFilter{Sort: store.UsersByEval("")}); !errors.As(err, &fe) || fe.Param != "sort" {
		t.Errorf("users sort eval: with no name: %v", err)
	}
	// A cursor of one evaluation does not page another.
	_, next, err := st.ListSessions(ctx, store.SessionFilter{Sort: store.SessionsByEval("tone"), Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.ListSessions(ctx, store.SessionFilter{Sort: store.SessionsByEval("helpfulness"), Limit: 1, Cursor: next}); !errors.As(err, &fe) {
		t.Errorf("a tone cursor on a helpfulness sort: %v", err)
	}
}

// orderedIDs are the sessions' ids in the list's order.
func orderedIDs(ss []store.SessionSummary) []string {
	out := make([]string, len(ss))
	for i := range ss {
		out[i] = ss[i].SessionID
	}
	return out
}

// "Worst" lists only rows with something to rank: a session whose only
// trace is an evaluation has no turn, so no error rate or tokens, and a
// session without a score for an evaluation is not ranked by it.
func testRankingsLeaveOutNothingToRank(t *testing.T, open Opener) {
	ctx := context.Background()
	st := open(t)
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(fi.NewSpanProcessor()), sdktrace.WithSyncer(st.Exporter()))
	em := synth.Emit(ctx, tp, synth.Conversation{SessionID: "talk", UserID: "u", Start: t0,
		Turns: []synth.Turn{{User: "hi", Assistant: "hello", Latency: 300 * time.Millisecond, InTokens: 5, OutTokens: 2}}})
	synth.Emit(ctx, tp, synth.Conversation{SessionID: "broken", UserID: "u", Start: t0.Add(time.Minute),
		Turns: []synth.Turn{{User: "hi", Latency: 300 * time.Millisecond, InTokens: 5, Error: "upstream 500"}}})
	synth.Emit(ctx, tp, synth.Conversation{SessionID: "unscored", UserID: "u", Start: t0.Add(2 * time.Minute),
		Turns: []synth.Turn{{User: "hi", Assistant: "hey", Latency: 300 * time.Millisecond, InTokens: 5, OutTokens: 2}}})
	// An evaluation recorded in a session of its own, without a turn.
	synth.EmitEvaluation(fi.UsingSession(ctx, "judged-only"), tp, em[0].LLM, "tone", ptr(0.1), "", t0.Add(time.Hour))
	synth.EmitEvaluation(ctx, tp, em[0].LLM, "tone", ptr(0.5), "", t0.Add(time.Hour))
	for _, metric := range []string{"error_rate", "tokens", "eval:tone"} {
		for _, order := range []string{"worst", "best"} {
			r, err := st.Rankings(ctx, store.RankingQuery{Metric: metric, Order: order})
			if err != nil {
				t.Fatal(err)
			}
			for _, row := range r.Rows {
				if row.ID == "judged-only" || (metric == "eval:tone" && row.ID == "unscored") {
					t.Errorf("%s %s ranks %s, which has nothing to rank: %+v", order, metric, row.ID, r.Rows)
				}
			}
			if len(r.Rows) == 0 {
				t.Errorf("%s %s: no rows", order, metric)
			}
		}
	}
}
