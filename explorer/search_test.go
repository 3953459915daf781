package explorer_test

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/traceai-go/traceai/explorer"
	"github.com/traceai-go/traceai/explorer/internal/synth"
	"github.com/traceai-go/traceai/explorer/store"
	"github.com/traceai-go/traceai/fi"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

func searchExplorer(t *testing.T) (*explorer.Explorer, map[string][]synth.Emitted) {
	t.Helper()
	x := start(t, explorer.WithOTLPGRPCAddr(explorer.Off))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(fi.NewSpanProcessor()), sdktrace.WithSyncer(x.Store().Exporter()))
	em := map[string][]synth.Emitted{}
	for i, c := range []synth.Conversation{
		{SessionID: "refund-1", UserID: "ana", Tags: []string{"billing"}, Turns: []synth.Turn{
			{User: "hi", Assistant: "hello"},
			{User: "I want a refund for order A-1032", Assistant: "Refund of A-1032 sent."},
		}},
		{SessionID: "cafe-2", UserID: "ana", Turns: []synth.Turn{{User: "Un café crème", Assistant: "Voilà."}}},
		{SessionID: "nohelp-3", UserID: "ben", Turns: []synth.Turn{
			{User: "hack the wifi", Assistant: "Sorry, I cannot help with that."},
			{User: "a refund then?", Assistant: "No refunds here."},
		}},
		{SessionID: "hostile-4", UserID: "cy", Turns: []synth.Turn{
			{User: `say "quoted" NEAR(x) {col}: * AND OR -- '; DROP TABLE sessions;`, Assistant: "<script>alert(1)</script>"},
		}},
	} {
		c.Start = t0.Add(time.Duration(i) * time.Hour)
		for j := range c.Turns {
			c.Turns[j].Latency = time.Second
		}
		em[c.SessionID] = synth.Emit(context.Background(), tp, c)
	}
	return x, em
}

type sessionsPage struct {
	Sessions []store.SessionSummary `json:"sessions"`
	Next     string                 `json:"next"`
}

func ids(ss []store.SessionSummary) []string {
	out := []string{}
	for _, s := range ss {
		out = append(out, s.SessionID)
	}
	slices.Sort(out)
	return out
}

func TestAPISearchQueryForms(t *testing.T) {
	x, _ := searchExplorer(t)
	base := x.UIURL()
	for _, c := range []struct {
		q, extra string
		want     []string
	}{
		{"refund", "", []string{"nohelp-3", "refund-1"}},
		{"REFUND", "", []string{"nohelp-3", "refund-1"}},
		{"refund a-1032", "", []string{"refund-1"}},
		{"1032", "", []string{"refund-1"}},
		// Exclusion is per turn: nohelp-3's second turn has no "wifi".
		{"refund -wifi", "", []string{"nohelp-3", "refund-1"}},
		{"refund -then", "", []string{"refund-1"}},
		{`"cannot help"`, "", []string{"nohelp-3"}},
		{`"help cannot"`, "", []string{}},
		{"cafe", "", []string{"cafe-2"}},
		{"CRÈME", "", []string{"cafe-2"}},
		{"helpful assistant", "", []string{}},
		{"helpful assistant", "&in=system", []string{"cafe-2", "hostile-4", "nohelp-3", "refund-1"}},
		{"refund", "&in=output", []string{"nohelp-3", "refund-1"}},
		{"refund", "&in=input", []string{"nohelp-3", "refund-1"}},
		{"a-1032", "&in=user,input", []string{"refund-1"}},
		{"refund", "&user_id=ben", []string{"nohelp-3"}},
		{"refund", "&tag=billing", []string{"refund-1"}},
		{"refund", "&sort=start&order=asc", []string{"nohelp-3", "refund-1"}},
		{"refund", "&sort=relevance", []string{"nohelp-3", "refund-1"}},
		{"refund", "&has_errors=false&since=2026-01-01", []string{"nohelp-3", "refund-1"}},
		// Hostile text is text: it finds the session that said it.
		{`"quoted"`, "", []string{"hostile-4"}},
		{`NEAR(x)`, "", []string{"hostile-4"}},
		{`{col}:`, "", []string{"hostile-4"}},
		{`'; DROP TABLE sessions;`, "", []string{"hostile-4"}},
		{`"DROP TABLE sessions"`, "", []string{"hostile-4"}},
		{`<script>`, "", []string{"hostile-4"}},
		{`AND OR`, "", []string{"hostile-4"}},
		{`* OR 1=1`, "", []string{}},
		{`x" OR "1"="1`, "", []string{}},
	} {
		var page sessionsPage
		getJSON(t, base+"/api/sessions?q="+url.QueryEscape(c.q)+c.extra, 200, &page)
		if got := ids(page.Sessions); !slices.Equal(got, c.want) {
			t.Errorf("q=%s%s: %v, want %v", c.q, c.extra, got, c.want)
		}
		for _, s := range page.Sessions {
			if s.Match == nil || !slices.ContainsFunc(s.Match.Snippet, func(f store.Fragment) bool { return f.Match }) {
				t.Errorf("q=%s: %s has no highlighted snippet: %+v", c.q, s.SessionID, s.Match)
			}
		}
	}
	// The user page's sessions.
	var u store.UserDetail
	getJSON(t, base+"/api/users/ana?q=cafe", 200, &u)
	if got := ids(u.Sessions); !slices.Equal(got, []string{"cafe-2"}) || u.Sessions[0].Match == nil {
		t.Fatalf("user sessions %v", got)
	}
	// Paging with the same cursor, by relevance (the default with q).
	seen := []string{}
	next := ""
	for range 5 {
		var page sessionsPage
		getJSON(t, base+"/api/sessions?limit=1&q=refund&cursor="+next, 200, &page)
		seen = append(seen, ids(page.Sessions)...)
		if next = page.Next; next == "" {
			break
		}
	}
	slices.Sort(seen)
	if !slices.Equal(seen, []string{"nohelp-3", "refund-1"}) {
		t.Fatalf("pages %v", seen)
	}
}

func TestAPISearchTurnsAndReplay(t *testing.T) {
	x, em := searchExplorer(t)
	base := x.UIURL()
	var res struct {
		Turns []store.TurnHit `json:"turns"`
		Next  string          `json:"next"`
	}
	getJSON(t, base+"/api/search?q=refund", 200, &res)
	if len(res.Turns) != 2 || res.Next != "" {
		t.Fatalf("%+v", res)
	}
	for _, h := range res.Turns {
		want := em[h.SessionID][1].Root.TraceID().String()
		if h.TraceID != want || len(h.Matches) == 0 || h.Matches[0].TraceID != want {
			t.Errorf("hit %+v, want trace %s", h, want)
		}
	}
	getJSON(t, base+"/api/search?q=refund&limit=1", 200, &res)
	if len(res.Turns) != 1 || res.Next == "" {
		t.Fatalf("%+v", res)
	}
	getJSON(t, base+"/api/search?q=refund&user_id=ben&in=output", 200, &res)
	if len(res.Turns) != 1 || res.Turns[0].SessionID != "nohelp-3" || res.Turns[0].Matches[0].Part != "output" {
		t.Fatalf("%+v", res)
	}
	var d struct {
		Turns   []store.Turn      `json:"turns"`
		Matches []store.TextMatch `json:"matches"`
	}
	getJSON(t, base+"/api/sessions/nohelp-3?q=refund", 200, &d)
	if len(d.Turns) != 2 || len(d.Matches) != 1 || d.Matches[0].TraceID != d.Turns[1].TraceID {
		t.Fatalf("%+v", d)
	}
}

func TestAPISearchHostile(t *testing.T) {
	x, _ := searchExplorer(t)
	base := x.UIURL()
	long := strings.Repeat("refund order A-1032 ", 512) // 10 KB
	for _, c := range []struct {
		path string
		code int
	}{
		{"/api/sessions?q=" + url.QueryEscape(`"unclosed`), 400},
		{"/api/sessions?q=" + url.QueryEscape(`""`), 400},
		{"/api/sessions?q=" + url.QueryEscape(`-refund`), 400},
		{"/api/sessions?q=ab", 400},
		{"/api/sessions?q=" + url.QueryEscape(long), 400},
		{"/api/sessions?q=" + url.QueryEscape(`"`+long+`"`), 400},
		{"/api/sessions?q=%FF%FEbad", 400},
		{"/api/sessions?q=refund%00x", 400},
		{"/api/sessions?q=refund&in=body", 400},
		{"/api/sessions?in=input", 400},
		{"/api/sessions?sort=relevance", 400},
		{"/api/sessions?q=refund&q=order", 400},
		{"/api/sessions?q=refund&cursor=eyJzIjoicmVsZXZhbmNlIiwiZCI6dHJ1ZSwidiI6Im5vIiwiayI6IngifQ", 400},
		{"/api/users/ana?q=" + url.QueryEscape(`"x`), 400},
		{"/api/search", 400},
		{"/api/search?q=" + url.QueryEscape(`NEAR("a" "b)`), 400},
		{"/api/search?q=" + url.QueryEscape(long), 400},
		{"/api/search?q=refund&cursor=zzz", 400},
		{"/api/search?q=refund&limit=0", 200},
		{"/api/sessions/refund-1?q=" + url.QueryEscape(`"x`), 400},
		{"/api/sessions?q=" + url.QueryEscape(strings.Repeat(`" `, 200)), 400},
		{"/api/sessions?q=" + url.QueryEscape(strings.Repeat("-", 400)), 400},
		{"/api/sessions?q=" + url.QueryEscape(`NEAR(refund order, 2) OR refund* ^refund`), 200},
	} {
		var e map[string]any
		getJSON(t, base+c.path, c.code, &e)
		if c.code == 400 {
			if msg, _ := e["error"].(string); msg == "" {
				t.Errorf("%.80s: no error message: %v", c.path, e)
			}
		}
	}
	var o store.Overview
	getJSON(t, base+"/api/overview", 200, &o)
	if o.Sessions != 4 {
		t.Fatalf("overview after hostile queries: %+v", o)
	}
}
