package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/traceai-go/traceai/explorer"
	"github.com/traceai-go/traceai/explorer/store"
	"github.com/traceai-go/traceai/internal/browsertest"
)

// TestDemoOnce runs "traceai demo --once" in-process against a temporary
// database and checks the result through the explorer's HTTP API.
func TestDemoOnce(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	c, err := parseDemoFlags([]string{"--once", "--http", "127.0.0.1:0", "--otlp-http", "127.0.0.1:0", "--db", filepath.Join(dir, "demo.db"),
		"--sessions", "8", "--users", "3", "--speed", "0.02"}, &out)
	if err != nil {
		t.Fatal(err)
	}
	checked := false
	c.afterRun = func(ex *explorer.Explorer) error {
		checked = true
		// The chatbot exported through the second receiver, on its own port.
		if ex.OTLPHTTPEndpoint() == ex.UIURL() {
			t.Errorf("OTLP/HTTP shares the pages' address %s; want a receiver of its own", ex.UIURL())
		}
		checkDemo(t, ex.UIURL())
		checkOneRed(t, ex.UIURL())
		if os.Getenv("TRACEAI_UPDATE_SCREENSHOTS") == "1" {
			screenshots(t, ex.UIURL())
		}
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := demo(ctx, c); err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	if !checked {
		t.Fatal("afterRun not called")
	}
	text := out.String()
	for _, want := range []string{"8/8]", "8 sessions, 3 users", "worst sessions", "best sessions", brokenSessionID, "Open http://127.0.0.1:", "OTLP/HTTP also at http://127.0.0.1:"} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	// The worst table comes first and starts with the broken session.
	worst := text[strings.Index(text, "worst sessions"):strings.Index(text, "best sessions")]
	if lines := strings.Split(strings.TrimSpace(worst), "\n"); len(lines) < 3 || !strings.Contains(lines[2], brokenSessionID) {
		t.Errorf("broken session not first in the worst table:\n%s", worst)
	}
}

func checkDemo(t *testing.T, base string) {
	t.Helper()
	ctx := context.Background()
	get := func(path string, v any) {
		t.Helper()
		if err := getJSON(ctx, base, path, v); err != nil {
			t.Fatal(err)
		}
	}

	var sessions struct{ Sessions []store.SessionSummary }
	get("/api/sessions?limit=100", &sessions)
	if len(sessions.Sessions) != 8 {
		t.Fatalf("%d sessions, want 8", len(sessions.Sessions))
	}
	var users struct{ Users []store.UserSummary }
	get("/api/users?limit=100", &users)
	if len(users.Users) < 2 || len(users.Users) > 3 {
		t.Errorf("%d users, want 2..3 (of 3 drawn)", len(users.Users))
	}

	// Every LLM and embedding span carries the session and user of its
	// conversation; every turn has retrieval, the model, and evaluations.
	kinds := map[string]int{}
	turns := 0
	for _, s := range sessions.Sessions {
		var d store.SessionDetail
		get("/api/sessions/"+s.SessionID, &d)
		for _, turn := range d.Turns {
			turns++
			var tr store.TraceDetail
			get("/api/traces/"+turn.TraceID, &tr)
			for _, sp := range tr.Spans {
				kinds[sp.SpanKind]++
				if sp.SpanKind == "LLM" || sp.SpanKind == "EMBEDDING" {
					if sp.SessionID != s.SessionID || sp.UserID != s.UserID || sp.UserID == "" {
						t.Errorf("%s span %s: session %q user %q, want %q %q", sp.SpanKind, sp.SpanID, sp.SessionID, sp.UserID, s.SessionID, s.UserID)
					}
				}
			}
		}
	}
	for _, k := range []string{"AGENT", "CHAIN", "RETRIEVER", "LLM", "EMBEDDING", "TOOL", "EVALUATOR"} {
		if kinds[k] == 0 {
			t.Errorf("no %s spans (kinds %v)", k, kinds)
		}
	}
	if kinds["LLM"] < turns {
		t.Errorf("%d LLM spans for %d turns", kinds["LLM"], turns)
	}

	// The broken session ranks worst by error rate and by helpfulness; the
	// smooth one is resolved.
	for _, metric := range []string{"error_rate", "eval:helpfulness"} {
		var r store.Ranking
		get("/api/rankings?by=session&order=worst&limit=3&metric="+metric, &r)
		if len(r.Rows) == 0 || r.Rows[0].ID != brokenSessionID {
			t.Errorf("worst by %s: %+v, want %s first", metric, r.Rows, brokenSessionID)
		}
		get("/api/rankings?by=session&order=best&limit=3&metric="+metric, &r)
		for _, row := range r.Rows {
			if row.ID == brokenSessionID {
				t.Errorf("broken session among the best by %s", metric)
			}
		}
	}

	// Evaluations aggregate per session ...
	var broken, smooth store.SessionDetail
	get("/api/sessions/"+brokenSessionID, &broken)
	get("/api/sessions/"+goodSessionID, &smooth)
	bh := broken.Summary.Evaluations["helpfulness"]
	if bh.Count != len(broken.Turns) || bh.Mean == nil || *bh.Mean > 0.3 {
		t.Errorf("broken helpfulness = %+v over %d turns", bh, len(broken.Turns))
	}
	if l := broken.Summary.Evaluations["resolution"].Labels; l["escalated"] != 1 {
		t.Errorf("broken resolution labels %v", l)
	}
	sh := smooth.Summary.Evaluations["helpfulness"]
	if sh.Count != 3 || sh.Mean == nil || *sh.Mean < 0.7 {
		t.Errorf("smooth helpfulness = %+v", sh)
	}
	if l := smooth.Summary.Evaluations["resolution"].Labels; l["resolved"] != 1 {
		t.Errorf("smooth resolution labels %v", l)
	}
	// traceai eval's task_completion, judged on the last turn next to its
	// helpfulness.
	if l := broken.Summary.Evaluations["task_completion"].Labels; l["failed"] != 1 {
		t.Errorf("broken task_completion labels %v", l)
	}
	if l := smooth.Summary.Evaluations["task_completion"].Labels; l["completed"] != 1 {
		t.Errorf("smooth task_completion labels %v", l)
	}
	if last := broken.Turns[len(broken.Turns)-1].Evaluations; len(last) < 2 {
		t.Errorf("broken last turn evaluations %+v", last)
	}
	if broken.Summary.ErrorTraces == 0 || smooth.Summary.ErrorTraces != 0 {
		t.Errorf("error turns: broken %d, smooth %d", broken.Summary.ErrorTraces, smooth.Summary.ErrorTraces)
	}
	checkDemoMCP(t, get, broken)
	checkDemoVariants(t, get)
	if broken.Metadata["plan"] != "pro" {
		t.Errorf("broken metadata %v", broken.Metadata)
	}

	// ... and per user: a user's helpfulness count is the sum of their
	// sessions' turns.
	for _, u := range users.Users {
		var ud store.UserDetail
		get("/api/users/"+u.UserID+"?limit=100", &ud)
		want := 0
		for _, s := range ud.Sessions {
			want += s.Evaluations["helpfulness"].Count
		}
		got := ud.Summary.Evaluations["helpfulness"]
		if got.Count != want || want == 0 || got.Mean == nil {
			t.Errorf("user %s helpfulness %+v, want count %d", u.UserID, got, want)
		}
		if r := ud.Summary.Evaluations["resolution"]; r.Count != len(ud.Sessions) {
			t.Errorf("user %s resolution count %d, want %d", u.UserID, r.Count, len(ud.Sessions))
		}
	}
	var ur store.Ranking
	get("/api/rankings?by=user&order=worst&limit=1&metric=eval:helpfulness", &ur)
	if len(ur.Rows) != 1 || ur.Rows[0].ID != userName(0) {
		t.Errorf("worst user %+v, want %s (owner of the broken session)", ur.Rows, userName(0))
	}
}

// screenshots writes the README images from the demo data.
func screenshots(t *testing.T, base string) {
	t.Helper()
	dir := filepath.Join("..", "..", "docs", "images")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	browsertest.ScreenshotSize(t, base+"/", filepath.Join(dir, "sessions.png"), 1400, 900)
	browsertest.ScreenshotSize(t, fmt.Sprintf("%s/sessions/%s", base, brokenSessionID), filepath.Join(dir, "session-replay.png"), 1400, 900)
}

func TestDemoFlags(t *testing.T) {
	var out bytes.Buffer
	c, err := parseDemoFlags(nil, &out)
	if err != nil {
		t.Fatal(err)
	}
	if c.httpAddr != "127.0.0.1:7070" || c.once || c.real || c.sessions != 30 || !strings.HasSuffix(c.db, filepath.Join("traceai", "demo.db")) {
		t.Errorf("defaults %+v", c)
	}
	t.Setenv("OPENAI_API_KEY", "")
	for _, args := range [][]string{{"--real"}, {"--speed", "0"}, {"--sessions", "1"}, {"extra"}} {
		if _, err := parseDemoFlags(args, &out); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}

// A second run on the same database adds its own sessions (run2-...) and
// leaves the first run's conversations as they were.
func TestDemoRerun(t *testing.T) {
	db := filepath.Join(t.TempDir(), "demo.db")
	var turns [2]int
	for run := range 2 {
		var out bytes.Buffer
		c, err := parseDemoFlags([]string{"--once", "--http", "127.0.0.1:0", "--otlp-http", "off", "--db", db,
			"--sessions", "4", "--users", "2", "--speed", "0.02"}, &out)
		if err != nil {
			t.Fatal(err)
		}
		c.afterRun = func(ex *explorer.Explorer) error {
			var sessions struct{ Sessions []store.SessionSummary }
			if err := getJSON(context.Background(), ex.UIURL(), "/api/sessions?limit=100", &sessions); err != nil {
				return err
			}
			if len(sessions.Sessions) != 4*(run+1) {
				t.Errorf("run %d: %d sessions stored, want %d", run+1, len(sessions.Sessions), 4*(run+1))
			}
			var d store.SessionDetail
			if err := getJSON(context.Background(), ex.UIURL(), "/api/sessions/"+brokenSessionID, &d); err != nil {
				return err
			}
			turns[run] = len(d.Turns)
			return nil
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		err = demo(ctx, c)
		cancel()
		if err != nil {
			t.Fatalf("run %d: %v\n%s", run+1, err, out.String())
		}
		if run == 1 && !strings.Contains(out.String(), `sessions start with "run2-"`) {
			t.Errorf("second run output:\n%s", out.String())
		}
	}
	if turns[0] != 7 || turns[1] != 7 {
		t.Errorf("broken session turns after each run: %v, want 7 and 7", turns)
	}
}

// TestDemoWithAuthToken: with TRACEAI_AUTH_TOKEN set, the demo's explorer
// requires it and the demo's own exports and report still get through.
func TestDemoWithAuthToken(t *testing.T) {
	t.Setenv("TRACEAI_AUTH_TOKEN", "demo-token")
	var out bytes.Buffer
	c, err := parseDemoFlags([]string{"--once", "--http", "127.0.0.1:0", "--db", filepath.Join(t.TempDir(), "demo.db"),
		"--sessions", "4", "--users", "2", "--speed", "0.02"}, &out)
	if err != nil {
		t.Fatal(err)
	}
	c.afterRun = func(ex *explorer.Explorer) error {
		res, err := http.Get(ex.UIURL() + "/api/sessions")
		if err != nil {
			return err
		}
		res.Body.Close()
		if res.StatusCode != http.StatusUnauthorized {
			t.Errorf("API without the token: %d, want 401", res.StatusCode)
		}
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := demo(ctx, c); err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "4 sessions, 2 users") {
		t.Errorf("demo output:\n%s", out.String())
	}
}

// checkOneRed opens the demo's first page in headless Chromium: the broken
// session is the only row with a red edge, and the best-ranked session's
// replay carries no broken banner.
func checkOneRed(t *testing.T, base string) {
	t.Helper()
	red := browsertest.Eval(t, base+"/", `JSON.stringify([...document.querySelectorAll("table.sessions tbody tr")]
		.filter(tr => getComputedStyle(tr.querySelector("td")).boxShadow.includes("rgb(220, 38, 38)"))
		.map(tr => tr.querySelector("a.id").textContent))`)
	var ids []string
	if err := json.Unmarshal([]byte(red), &red); err != nil {
		t.Fatalf("page answer %s: %v", red, err)
	}
	if err := json.Unmarshal([]byte(red), &ids); err != nil {
		t.Fatalf("page answer %s: %v", red, err)
	}
	if len(ids) != 1 || ids[0] != brokenSessionID {
		t.Errorf("red sessions on the first page: %v, want only %s", ids, brokenSessionID)
	}
	var rk store.Ranking
	if err := getJSON(context.Background(), base, "/api/rankings?order=best&limit=1", &rk); err != nil {
		t.Fatal(err)
	}
	if len(rk.Rows) != 1 {
		t.Fatalf("best ranking: %+v", rk)
	}
	banner := browsertest.Eval(t, base+"/sessions/"+rk.Rows[0].ID, `document.querySelector("#breaks") === null`)
	if banner != "true" {
		t.Errorf("best session %s (by %s) carries a broken banner", rk.Rows[0].ID, rk.Metric)
	}
}

// checkDemoVariants: the dashboard's groups show prompt version 2 and the
// smaller model doing worse than version 1 and the demo's own model.
func checkDemoVariants(t *testing.T, get func(string, any)) {
	t.Helper()
	mean := func(by, key string) float64 {
		var g store.Groups
		get("/api/groups?by="+by, &g)
		for _, x := range g.Groups {
			if x.Key == key {
				if e := x.Evaluations["helpfulness"]; e.Mean != nil {
					return *e.Mean
				}
			}
		}
		t.Errorf("no helpfulness for %s %q", by, key)
		return 0
	}
	if v1, v2 := mean("prompt_template_version", "support-answer:1"), mean("prompt_template_version", "support-answer:2"); v2 > v1-0.05 {
		t.Errorf("helpfulness of prompt v1 %.2f, v2 %.2f: v2 should be clearly worse", v1, v2)
	}
	if base, alt := mean("model", "gpt-4o-mini"), mean("model", altModel); alt > base-0.05 {
		t.Errorf("helpfulness of gpt-4o-mini %.2f, %s %.2f: the smaller model should be worse", base, altModel, alt)
	}
}
