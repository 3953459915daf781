package web

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/traceai-go/traceai/explorer/store"
	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/fi/semconv"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"golang.org/x/net/html"
)

func get(t testing.TB, h http.Handler, target string) (*http.Response, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
	res := rec.Result()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func mustGet(t testing.TB, h http.Handler, target string) string {
	t.Helper()
	res, body := get(t, h, target)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d\n%s", target, res.StatusCode, body)
	}
	return body
}

func contains(t testing.TB, where, body string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("%s: missing %q", where, w)
		}
	}
}

func lacks(t testing.TB, where, body string, bad ...string) {
	t.Helper()
	for _, b := range bad {
		if strings.Contains(body, b) {
			t.Errorf("%s: must not contain %q", where, b)
		}
	}
}

func TestPages(t *testing.T) {
	f := newFixture(t)
	h := f.handler()
	alice1 := f.alice[0].root.TraceID().String()
	cases := []struct {
		url    string
		status int
		want   []string
	}{
		{"/", 200, []string{"<h1>Sessions</h1>", "chat-alice", "chat-bob", "What is the capital of France?", "Goodbye!", `href="/users/alice"`}},
		{"/sessions/chat-alice", 200, []string{"Turn 1", "Turn 5", "Paris is the capital of France.", "gpt-4o-mini", "/traces/" + alice1}},
		{"/sessions/nope", 404, []string{"Session not found"}},
		{"/users", 200, []string{"<h1>Users</h1>", `href="/users/alice"`, `href="/users/bob"`}},
		{"/users/bob", 200, []string{"chat-bob", "Write a haiku about the sea"}},
		{"/users/nobody", 404, nil},
		{"/traces/" + alice1, 200, []string{"chat turn", "openai.chat", "Input messages", "You are a helpful assistant."}},
		{"/traces/0123456789abcdef0123456789abcdef", 404, []string{"Trace not found"}},
		{"/traces/" + alice1 + "?span=ffffffffffffffff", 404, []string{"Span not found"}},
		{"/rankings", 200, []string{"Worst", "Best", "chat-alice"}},
		{"/rankings?by=user&metric=eval:helpfulness", 200, []string{"alice", "bob", "Evaluation: helpfulness"}},
		{"/sessions?user_id=bob", 301, nil},
		{"/nowhere", 404, []string{"No page here."}},
		{"/?sort=bogus", 400, []string{"invalid sort"}},
		{"/?since=yesterday", 400, []string{"invalid since"}},
		{"/?limit=0", 400, []string{"invalid limit"}},
		{"/?has_errors=maybe", 400, []string{"invalid has_errors"}},
		{"/?range=2y", 400, []string{"invalid range"}},
		{"/?cursor=garbage", 400, nil},
		{"/rankings?metric=speed", 400, []string{"invalid metric"}},
		{"/rankings?by=team", 400, nil},
		{"/static/style.css", 200, []string{".turn.broken"}},
		{"/static/app.js", 200, []string{"use strict"}},
	}
	for _, c := range cases {
		res, body := get(t, h, c.url)
		if res.StatusCode != c.status {
			t.Errorf("GET %s: status %d, want %d\n%.2000s", c.url, res.StatusCode, c.status, body)
			continue
		}
		contains(t, c.url, body, c.want...)
		if got := res.Header.Get("Content-Security-Policy"); got != ContentSecurityPolicy {
			t.Errorf("GET %s: CSP %q", c.url, got)
		}
		if res.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: no nosniff", c.url)
		}
	}
}

// TestNoInlineCode parses every page and checks the CSP can hold: no inline
// script, no style element or attribute, no event handler attribute, and
// every script and stylesheet from /static/.
func TestNoInlineCode(t *testing.T) {
	f := newFixture(t)
	h := f.handler()
	tid := f.bob[1].root.TraceID().String()
	for _, u := range []string{"/", "/sessions/chat-alice", "/users", "/users/alice", "/traces/" + tid, "/rankings", "/nowhere"} {
		_, body := get(t, h, u)
		doc, err := html.Parse(strings.NewReader(body))
		if err != nil {
			t.Fatalf("%s: %v", u, err)
		}
		var walk func(n *html.Node)
		walk = func(n *html.Node) {
			if n.Type == html.ElementNode {
				for _, a := range n.Attr {
					if a.Key == "style" || strings.HasPrefix(a.Key, "on") {
						t.Errorf("%s: <%s %s=%q>", u, n.Data, a.Key, a.Val)
					}
				}
				switch n.Data {
				case "style":
					t.Errorf("%s: <style> element", u)
				case "script":
					src := attr(n, "src")
					if !strings.HasPrefix(src, "/static/") || n.FirstChild != nil {
						t.Errorf("%s: inline or foreign script %q", u, src)
					}
				case "link":
					if href := attr(n, "href"); !strings.HasPrefix(href, "/static/") {
						t.Errorf("%s: foreign link %q", u, href)
					}
				}
			}
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				walk(c)
			}
		}
		walk(doc)
	}
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// TestEscaping stores hostile prompts, outputs and ids; every page shows
// them as text.
func TestEscaping(t *testing.T) {
	f := newFixture(t)
	h := f.handler()
	trace2 := f.alice[1].root.TraceID().String()
	pages := map[string]string{
		"/":                                  mustGet(t, h, "/"),
		"/sessions/chat-alice":               mustGet(t, h, "/sessions/chat-alice"),
		"/traces/" + trace2:                  mustGet(t, h, "/traces/"+trace2),
		"/sessions/" + url.PathEscape(xssID): mustGet(t, h, "/sessions/"+url.PathEscape(xssID)),
		"/users":                             mustGet(t, h, "/users"),
	}
	for u, body := range pages {
		lacks(t, u, body, "<img src=x", `<img src="x"`, "<script>document", "<script>alert")
	}
	contains(t, "session", pages["/sessions/chat-alice"],
		`Render this: &lt;img src=x onerror=&#34;document.title=&#39;pwned&#39;&#34;&gt;`,
		`Sure: &lt;script&gt;document.body.setAttribute(&#39;data-pwned&#39;,&#39;1&#39;)&lt;/script&gt;`)
	contains(t, "trace", pages["/traces/"+trace2], `&lt;img src=x onerror=`)
	// The hostile session id is linked path-escaped and shown as text.
	contains(t, "sessions", pages["/"], `href="/sessions/s%22%2F%3E%3Cscript%3Ealert%281%29%3C%2Fscript%3E%3F%23x"`,
		`s&#34;/&gt;&lt;script&gt;alert(1)&lt;/script&gt;?#x`)
	contains(t, "hostile session", pages["/sessions/"+url.PathEscape(xssID)], "<h1 class=\"mono-id\">s&#34;/&gt;&lt;script&gt;")
}

var rowRe = regexp.MustCompile(`<tr data-href="/sessions/([^"]+)"`)

func rowIDs(body string) []string {
	var ids []string
	for _, m := range rowRe.FindAllStringSubmatch(body, -1) {
		id, _ := url.PathUnescape(m[1])
		ids = append(ids, id)
	}
	return ids
}

func TestSessionsFiltersSortAndPages(t *testing.T) {
	f := newFixture(t)
	h := f.handler()
	eq := func(u string, want ...string) {
		t.Helper()
		got := rowIDs(mustGet(t, h, u))
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("GET %s: sessions %q, want %q", u, got, want)
		}
	}
	// With evaluations, the first one's mean, worst first, unscored last.
	eq("/", "chat-alice", "chat-bob", xssID)
	eq("/?sort=end", xssID, "chat-bob", "chat-alice") // newest activity first
	eq("/?sort=start&order=asc", "chat-alice", "chat-bob", xssID)
	eq("/?sort=tokens&order=desc", "chat-bob", "chat-alice", xssID)
	eq("/?sort=traces", "chat-alice", "chat-bob", xssID)
	eq("/?user_id=bob", "chat-bob")
	eq("/?tag=vip", "chat-alice")
	eq("/?model=claude-sonnet-4-20250514", "chat-bob")
	eq("/?metadata_key=plan&metadata_value=pro", "chat-alice")
	eq("/?metadata_key=plan&metadata_value=free")
	eq("/?has_errors=true", "chat-alice")
	eq("/?has_errors=false", "chat-bob", xssID)
	eq("/?since=2026-03-01T10:15", xssID)
	eq("/?until=2026-03-01T10:05", "chat-alice")
	eq("/?since=45m", xssID) // a duration back from the clock
	eq("/?range=15m")        // the clock is t0+1h; everything ended earlier
	eq("/?range=24h", "chat-alice", "chat-bob", xssID)

	// Sort headers: the active column links to the other order, others
	// start descending (ids ascending), and changing sort drops the cursor.
	body := mustGet(t, h, "/?sort=tokens&order=desc&user_id=alice")
	contains(t, "headers", body,
		`href="/?order=asc&amp;sort=tokens&amp;user_id=alice"`,
		`href="/?order=desc&amp;sort=cost&amp;user_id=alice"`,
		`href="/?order=asc&amp;sort=session_id&amp;user_id=alice"`,
		`aria-sort="descending"`)
	contains(t, "chips", body, `user: <b>alice</b>`)
	cols := columns("/", url.Values{"cursor": {"abc"}, "sort": {"cost"}}, "cost", true, sessionColumns)
	for _, c := range cols {
		if strings.Contains(c.URL, "cursor") {
			t.Errorf("sort link %q keeps the cursor", c.URL)
		}
	}

	// Cursor pagination, one row a page.
	var seen []string
	next := "/?limit=1"
	for i := 0; next != "" && i < 10; i++ {
		body := mustGet(t, h, next)
		seen = append(seen, rowIDs(body)...)
		m := regexp.MustCompile(`<a class="btn primary" href="([^"]+)" rel="next">`).FindStringSubmatch(body)
		next = ""
		if m != nil {
			next = html.UnescapeString(m[1])
			if !strings.Contains(next, "limit=1") {
				t.Fatalf("next link %q lost the filter", next)
			}
		}
	}
	if strings.Join(seen, "|") != strings.Join([]string{"chat-alice", "chat-bob", xssID}, "|") {
		t.Errorf("pages gave %q", seen)
	}

	// The row shows the columns the issue asks for.
	body = mustGet(t, h, "/?user_id=alice")
	contains(t, "row", body,
		`href="/users/alice"`,            // user
		"What is the capital of France?", // first input
		"Goodbye!",                       // last output
		`<td class="num">5</td>`,         // turns
		"1h ago",                         // start, relative to the clock
		`title="135 in · 26 out">161<`,   // tokens
		`title="1 of 5 turns failed; 3 error spans (retried ones included)">1<`, // failed turns
	)
}

func TestSessionConversation(t *testing.T) {
	f := newFixture(t)
	h := f.handler()
	body := mustGet(t, h, "/sessions/chat-alice")
	// Turns in order, each with its user message and answer.
	order := []string{"What is the capital of France?", "Paris is the capital", "Render this:", "And of Germany?",
		"upstream 500: internal error", "Germany, again?", "Berlin.", "Thanks, bye", "Goodbye!"}
	last := -1
	for _, s := range order {
		i := strings.Index(body[max(last, 0):], s)
		if i < 0 {
			t.Fatalf("conversation: %q missing or out of order", s)
		}
		last += i + 1
	}
	turns := regexp.MustCompile(`<li class="turn( broken| warned)?" id="turn-(\d)"`).FindAllStringSubmatch(body, -1)
	if len(turns) != 5 {
		t.Fatalf("%d turns rendered, want 5", len(turns))
	}
	broken := map[string]bool{}
	for _, m := range turns {
		broken[m[2]] = m[1] == " broken"
	}
	// Turn 3 failed; 4 (a recovered retry) and 5 (slow) are warnings.
	want := map[string]bool{"1": false, "2": false, "3": true, "4": false, "5": false}
	for n, b := range want {
		if broken[n] != b {
			t.Errorf("turn %s broken=%v, want %v", n, broken[n], b)
		}
	}
	contains(t, "badges", body,
		`<span class="badge b-error" title="upstream 500: internal error">error</span>`,
		`<span class="badge b-retry"`, `retry ×1`,
		`<span class="badge b-slow"`,
		"The conversation first breaks at <a href=\"#turn-3\">turn 3</a>",
		`<li class="turn warned" id="turn-4"`, `<li class="turn warned" id="turn-5"`,
		"2 turns to look at",
		// chart: one bar per turn, broken ones marked, a latency line.
		`<svg viewBox="0 0 1000 170"`, `<polyline class="latline" points="`,
		`<rect class="bar broken"`, `<a href="#turn-5"><title>Turn 5:`,
		// evaluations, metadata, tags
		"helpfulness", "plan", `href="/?tag=vip"`,
	)
	if n := strings.Count(body, `<rect class="bar`); n != 5 {
		t.Errorf("%d chart bars, want 5", n)
	}
	if n := strings.Count(body, `<rect class="bar broken"`); n != 1 {
		t.Errorf("%d broken chart bars, want 1", n)
	}
	if n := strings.Count(body, `<rect class="bar warned"`); n != 2 {
		t.Errorf("%d warned chart bars, want 2", n)
	}
	// A clean session says so.
	contains(t, "bob", mustGet(t, h, "/sessions/chat-bob"), "No broken turn")
}

func TestTraceWaterfall(t *testing.T) {
	f := newFixture(t)
	h := f.handler()
	e := f.bob[1]
	tid := e.root.TraceID().String()
	body := mustGet(t, h, "/traces/"+tid)
	contains(t, "trace", body,
		`<li class="wf-row d0 selected"`, `<li class="wf-row d1"`,
		`<span class="badge k-agent">AGENT</span>`, `<span class="badge k-llm">LLM</span>`, `<span class="badge k-tool">TOOL</span>`,
		`<rect class="bar k-llm"`, `<rect class="bar k-tool"`,
		`href="/sessions/chat-bob"`, `href="/users/bob"`,
		"Collapse children",
	)
	// Small trace: every span's details are sent, the root's shown.
	if n := strings.Count(body, `<section class="card span-detail"`); n != 3 {
		t.Errorf("%d span details, want 3", n)
	}
	if n := strings.Count(body, `class="card span-detail" id="span-`+e.root.SpanID().String()+`" data-span="`+e.root.SpanID().String()+`">`); n != 1 {
		t.Errorf("root span details not shown first")
	}
	// Selecting the LLM span shows its messages and attributes.
	body = mustGet(t, h, "/traces/"+tid+"?span="+e.llm.SpanID().String())
	sel := `id="span-` + e.llm.SpanID().String() + `" data-span="` + e.llm.SpanID().String() + `">`
	i := strings.Index(body, sel)
	if i < 0 {
		t.Fatalf("selected span not visible")
	}
	detail := body[i:]
	detail = detail[:strings.Index(detail, "</section>")]
	contains(t, "llm span", detail,
		`<div class="msg role-system">`, `<div class="msg role-user">`, `<div class="msg role-assistant">`,
		"What is the weather in Paris?", "Sunny, 21°C.",
		"<th>gen_ai.request.model</th><td>claude-sonnet-4-20250514</td>",
		"<th>session.id</th><td>chat-bob</td>",
		"<th>gen_ai.usage.input_tokens</th><td>150</td>",
	)
	// The failed retry attempt shows as an error.
	body = mustGet(t, h, "/traces/"+f.alice[3].root.TraceID().String())
	contains(t, "retry trace", body, `<rect class="bar st-error"`, "429 Too Many Requests")
	// Evaluations are listed on the trace they live in.
	contains(t, "users", mustGet(t, h, "/users/alice"), "helpfulness", "0.2")
}

func TestUsersAndRankings(t *testing.T) {
	f := newFixture(t)
	h := f.handler()
	body := mustGet(t, h, "/users?sort=tokens&order=desc")
	bi, ai := strings.Index(body, `href="/users/bob"`), strings.Index(body, `href="/users/alice"`)
	if bi < 0 || ai < 0 || bi > ai {
		t.Errorf("users by tokens: bob (%d) should precede alice (%d)", bi, ai)
	}
	body = mustGet(t, h, "/users/alice")
	contains(t, "user", body, "chat-alice", "Error rate", "20%")
	lacks(t, "user", body, "chat-bob")

	body = mustGet(t, h, "/rankings?by=session&metric=error_rate&limit=5")
	worst := body[strings.Index(body, "<h2>Worst</h2>"):strings.Index(body, "<h2>Best</h2>")]
	if !strings.Contains(worst, `href="/sessions/chat-alice"`) || !strings.Contains(worst, "20%") {
		t.Errorf("worst by error rate should list chat-alice at 20%%:\n%s", worst)
	}
	body = mustGet(t, h, "/rankings?by=user&metric=eval:helpfulness")
	worst = body[strings.Index(body, "<h2>Worst</h2>"):strings.Index(body, "<h2>Best</h2>")]
	best := body[strings.Index(body, "<h2>Best</h2>"):]
	if a, b := strings.Index(worst, "/users/alice"), strings.Index(worst, "/users/bob"); a < 0 || (b >= 0 && b < a) {
		t.Errorf("worst helpfulness should start with alice")
	}
	if a, b := strings.Index(best, "/users/alice"), strings.Index(best, "/users/bob"); b < 0 || (a >= 0 && a < b) {
		t.Errorf("best helpfulness should start with bob")
	}
}

func TestStaticCaching(t *testing.T) {
	h := New(nil)
	res, _ := get(t, h, "/static/style.css?v="+assetVersion)
	if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Cache-Control"), "immutable") {
		t.Errorf("versioned asset: %d %q", res.StatusCode, res.Header.Get("Cache-Control"))
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/css") {
		t.Errorf("style.css content type %q", ct)
	}
	res, _ = get(t, h, "/static/style.css")
	if res.Header.Get("Cache-Control") != "no-cache" {
		t.Errorf("unversioned asset cached: %q", res.Header.Get("Cache-Control"))
	}
	res, _ = get(t, h, "/static/nope.css")
	if res.StatusCode != 404 {
		t.Errorf("missing asset: %d", res.StatusCode)
	}
	// The directory is never listed.
	for _, dir := range []string{"/static/", "/static/?v=" + assetVersion} {
		res, body := get(t, h, dir)
		if res.StatusCode != 404 || strings.Contains(body, "style.css") {
			t.Errorf("%s: %d, lists the files: %v", dir, res.StatusCode, strings.Contains(body, "style.css"))
		}
	}
}

func TestFormat(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{fmtDuration(0.5), "0.5 ms"}, {fmtDuration(12.4), "12.4 ms"}, {fmtDuration(1234), "1.23 s"},
		{fmtDuration(42_000), "42 s"}, {fmtDuration(125_000), "2.08 min"}, {fmtDuration(2 * 3600_000), "120 min"},
		{fmtInt(int64(1234567)), "1,234,567"}, {fmtInt(-1234), "-1,234"}, {fmtInt(12), "12"},
		{fmtTokens(950), "950"}, {fmtTokens(12_345), "12.3k"}, {fmtTokens(4_560_000), "4.56M"},
		{fmtCost(0, false), "—"}, {fmtCost(0.0012, true), "$0.0012"}, {fmtCost(1.5, false), "$1.5+"},
		{fmtPct(0.2), "20%"}, {fmtPct(0.05), "5%"},
		{clip("a  b\nc", 10), "a b c"}, {clip("héllo wörld", 5), "héllo…"},
		{shortID("0123456789abcdef0123"), "01234567…"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

// TestLargeTrace: past preRenderLimit spans only the selected span's details
// are sent; deep trees indent up to the deepest class.
func TestLargeTrace(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "spans.db"), store.WithSynchronous("NORMAL"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(fi.NewSpanProcessor()), sdktrace.WithSyncer(st.Exporter()))
	tr := tp.Tracer("test")
	ctx := fi.UsingSession(context.Background(), "big")
	rctx, root := tr.Start(ctx, "agent run", trace.WithTimestamp(t0), trace.WithAttributes(semconv.SpanKindAgent.Attribute()))
	var last trace.Span
	for i := range preRenderLimit + 10 {
		_, sp := tr.Start(rctx, fmt.Sprintf("step %d", i), trace.WithTimestamp(t0.Add(time.Duration(i)*time.Millisecond)),
			trace.WithAttributes(semconv.SpanKindTool.Attribute(), semconv.InputValue.String(fmt.Sprintf("input %d", i))))
		sp.End(trace.WithTimestamp(t0.Add(time.Duration(i+1) * time.Millisecond)))
		last = sp
	}
	// A chain 25 deep.
	dctx := rctx
	var chain []trace.Span
	for i := range 25 {
		var sp trace.Span
		dctx, sp = tr.Start(dctx, fmt.Sprintf("nested %d", i), trace.WithTimestamp(t0.Add(80*time.Millisecond)))
		chain = append(chain, sp)
	}
	for i := len(chain) - 1; i >= 0; i-- {
		chain[i].End(trace.WithTimestamp(t0.Add(90 * time.Millisecond)))
	}
	root.End(trace.WithTimestamp(t0.Add(100 * time.Millisecond)))
	h := New(st, WithOverviewTTL(0))
	tid := root.SpanContext().TraceID().String()
	body := mustGet(t, h, "/traces/"+tid+"?span="+last.SpanContext().SpanID().String())
	if n := strings.Count(body, `<section class="card span-detail"`); n != 1 {
		t.Errorf("%d span details sent, want only the selected one", n)
	}
	contains(t, "large", body, fmt.Sprintf("input %d", preRenderLimit+9), `<li class="wf-row d1 selected"`,
		`<li class="wf-row d20" data-span=`, ">nested 24<")
	if n := strings.Count(body, `<li class="wf-row`); n != preRenderLimit+10+25+1 {
		t.Errorf("%d waterfall rows, want %d", n, preRenderLimit+10+25+1)
	}
}

func TestAttrValue(t *testing.T) {
	long := `{"messages":[{"role":"user","content":"` + strings.Repeat("x", 80) + `"}]}`
	for _, c := range []struct {
		in    any
		want  string
		block bool
	}{
		{"plain", "plain", false},
		{`{"plan": "pro"}`, `{"plan":"pro"}`, false},
		{[]any{"vip", "beta"}, `["vip","beta"]`, false},
		{int64(42), "42", false},
		{3.5, "3.5", false},
		{true, "true", false},
		{nil, "null", false},
		{"line one\nline two", "line one\nline two", true},
		{"{not json", "{not json", false},
	} {
		got, block := attrValue(c.in)
		if got != c.want || block != c.block {
			t.Errorf("attrValue(%#v) = %q, %v; want %q, %v", c.in, got, block, c.want, c.block)
		}
	}
	got, block := attrValue(long)
	if !block || !strings.Contains(got, "\n  \"messages\": [") {
		t.Errorf("long JSON not indented: %q", got)
	}
}

// TestEmptyStore: a fresh explorer shows friendly empty pages, not errors.
func TestEmptyStore(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "spans.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	h := New(st)
	contains(t, "sessions", mustGet(t, h, "/"), "No sessions", "fi.UsingSession")
	contains(t, "filtered", mustGet(t, h, "/?user_id=x"), "No sessions match these filters", "Clear filters")
	contains(t, "users", mustGet(t, h, "/users"), "No users")
	contains(t, "rankings", mustGet(t, h, "/rankings?metric=eval:nothing"), "Nothing to rank yet: no evaluation of this name")
}
