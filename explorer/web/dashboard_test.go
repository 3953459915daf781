package web

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/traceai-go/traceai/explorer/store"
	"github.com/traceai-go/traceai/internal/browsertest"
	"golang.org/x/net/html"
)

func TestDashboardPage(t *testing.T) {
	f := newFixture(t)
	h := f.handler()
	res, body := get(t, h, "/dashboard?range=24h&by=model")
	if res.StatusCode != 200 {
		t.Fatalf("status %d: %.300s", res.StatusCode, body)
	}
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	heads := findAll(doc, func(n *html.Node) bool { return hasClass(n, "dash-head") })
	if len(heads) < 6 || !strings.Contains(text(heads[0]), "Turns") || !strings.Contains(text(heads[0]), "8") {
		t.Fatalf("headlines: %d, first %q", len(heads), text(heads[0]))
	}
	charts := findAll(doc, func(n *html.Node) bool { return hasClass(n, "dash-chart") })
	if len(charts) != 6 { // five metrics and the helpfulness evaluation
		t.Errorf("%d charts", len(charts))
	}
	rows := findAll(doc, func(n *html.Node) bool { return n.Data == "tr" && n.Parent != nil && n.Parent.Data == "tbody" })
	var claude *html.Node
	for _, r := range rows {
		if strings.Contains(text(r), "claude-sonnet-4-20250514") {
			claude = r
		}
	}
	if len(rows) != 2 || claude == nil {
		t.Fatalf("group rows %d, claude %v", len(rows), claude != nil)
	}
	links := findAll(claude, func(n *html.Node) bool { return n.Data == "a" })
	if len(links) == 0 || !strings.Contains(attr(links[0], "href"), "model=claude-sonnet-4-20250514") {
		t.Errorf("claude row links to %v", links)
	}
	// Alice's turns (the other model) hold the failed turn: the worse
	// broken rate of the two is marked on her row, the better on claude's.
	if n := findAll(claude, func(n *html.Node) bool { return hasClass(n, "better") }); len(n) == 0 {
		t.Errorf("claude's row marks no better value: %q", text(claude))
	}
	if strings.Contains(body, "<script>alert") || strings.Contains(body, "onerror=alert") {
		t.Error("a payload became markup")
	}
	for _, bad := range []string{"/dashboard?range=2y", "/dashboard?by=colour"} {
		if res, _ := get(t, h, bad); res.StatusCode != 400 {
			t.Errorf("%s: %d", bad, res.StatusCode)
		}
	}
	if res, body := get(t, h, "/dashboard?by=span_kind"); res.StatusCode != 200 || !strings.Contains(body, ">LLM<") || !strings.Contains(body, ">AGENT<") {
		t.Errorf("by span kind: %d %.300s", res.StatusCode, body)
	}
	if res, body := get(t, h, "/dashboard?by=metadata:plan"); res.StatusCode != 200 || !strings.Contains(body, ">pro<") {
		t.Errorf("by metadata: %d", res.StatusCode)
	}
}

// TestBrowserDashboard opens the dashboard in Chromium, reads the turns
// chart and follows its bar into the sessions list of that hour.
func TestBrowserDashboard(t *testing.T) {
	browsertest.FindChromium(t)
	f := newFixture(t)
	srv := httptest.NewServer(f.handler())
	defer srv.Close()
	dir := t.TempDir()
	browsertest.ScreenshotSize(t, srv.URL+"/dashboard", filepath.Join(dir, "dashboard.png"), 1400, 1000)
	browsertest.ScreenshotSize(t, srv.URL+"/dashboard", filepath.Join(dir, "dashboard-400.png"), 400, 1200)
	out := browsertest.Steps(t, srv.URL+"/dashboard",
		browsertest.Step{JS: `JSON.stringify({
			bars: Array.prototype.map.call(document.querySelectorAll('[data-metric="traces"] svg a'), function (a) {
				return {href: a.getAttribute("href"), title: a.querySelector("title").textContent,
					h: a.querySelector("rect").getBBox().height};
			}),
			wide: document.documentElement.scrollWidth <= window.innerWidth
		})`},
		browsertest.Step{JS: `document.querySelector('[data-metric="traces"] svg a').dispatchEvent(new MouseEvent("click", {bubbles: true, cancelable: true}))`, Navigates: true},
		browsertest.Step{JS: `JSON.stringify({path: location.pathname, search: location.search,
			rows: Array.prototype.map.call(document.querySelectorAll("tr[data-href] a.id"), function (a) { return a.textContent; })})`},
	)
	var chart struct {
		Bars []struct {
			Href, Title string
			H           float64
		}
		Wide bool
	}
	if err := json.Unmarshal([]byte(unquote(t, out[0])), &chart); err != nil {
		t.Fatalf("%s: %v", out[0], err)
	}
	if len(chart.Bars) == 0 || chart.Bars[0].H <= 0 || !strings.Contains(chart.Bars[0].Title, "turns") || !chart.Wide {
		t.Fatalf("turns chart: %+v", chart)
	}
	var list struct {
		Path, Search string
		Rows         []string
	}
	if err := json.Unmarshal([]byte(unquote(t, out[2])), &list); err != nil {
		t.Fatalf("%s: %v", out[2], err)
	}
	if list.Path != "/" || !strings.Contains(list.Search, "since=") || !strings.Contains(list.Search, "until=") || len(list.Rows) == 0 {
		t.Errorf("after following the bar: %+v (bar %s)", list, chart.Bars[0].Href)
	}
	t.Logf("screenshots in %s", dir)
}

// TestGroupTableOneLatencyUnit checks that the groups table prints a
// column of latencies in one unit, its largest value's.
func TestGroupTableOneLatencyUnit(t *testing.T) {
	g := &store.Groups{By: store.GroupByModel, Total: store.GroupStats{Traces: 3, P95LatencyMS: 2400},
		Groups: []store.GroupStats{{Key: "a", Traces: 2, P95LatencyMS: 2400}, {Key: "b", Traces: 1, P95LatencyMS: 120}}}
	_, rows, total := groupTable(g, []dashMetric{{"latency_p95", "Latency p95", "up"}}, t0, t0.Add(time.Hour))
	got := []string{rows[0].Cells[1].Value, rows[1].Cells[1].Value, total[1].Value}
	want := []string{"2.4 s", "0.12 s", "2.4 s"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("latency cells %q, want %q", got, want)
	}
}
