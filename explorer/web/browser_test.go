package web

import (
	"encoding/json"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/traceai-go/traceai/internal/browsertest"
	"golang.org/x/net/html"
)

// findAll returns the elements under n for which match is true, in document
// order.
func findAll(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && match(n) {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return out
}

func hasClass(n *html.Node, c string) bool {
	return strings.Contains(" "+attr(n, "class")+" ", " "+c+" ")
}

func text(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

// loadDOM renders url in headless Chromium (scripts run) and checks that no
// payload executed or became markup.
func loadDOM(t *testing.T, url, wantTitle string) *html.Node {
	t.Helper()
	dom := browsertest.DumpDOM(t, url)
	doc, err := html.Parse(strings.NewReader(dom))
	if err != nil {
		t.Fatal(err)
	}
	titles := findAll(doc, func(n *html.Node) bool { return n.Data == "title" })
	if len(titles) == 0 || !strings.HasPrefix(text(titles[0]), wantTitle) { // the first is the document's; SVG has its own
		t.Fatalf("%s: title %q, want %q (page: %.600s)", url, text(titles[0]), wantTitle, dom)
	}
	if strings.Contains(dom, "pwned'</title>") || strings.Contains(text(titles[0]), "pwned") {
		t.Errorf("%s: the img payload ran", url)
	}
	if imgs := findAll(doc, func(n *html.Node) bool { return n.Data == "img" && attr(n, "src") == "x" }); len(imgs) > 0 {
		t.Errorf("%s: the payload became an <img> element", url)
	}
	for _, s := range findAll(doc, func(n *html.Node) bool { return n.Data == "script" }) {
		if s.FirstChild != nil || !strings.HasPrefix(attr(s, "src"), "/static/") {
			t.Errorf("%s: a payload became a <script> element: %q", url, text(s))
		}
	}
	if body := findAll(doc, func(n *html.Node) bool { return n.Data == "body" }); attr(body[0], "data-pwned") != "" {
		t.Errorf("%s: the script payload ran", url)
	}
	// Our own script did run (CSP lets /static/ through): it marks <html>.
	if root := findAll(doc, func(n *html.Node) bool { return n.Data == "html" }); !hasClass(root[0], "js") {
		t.Errorf("%s: app.js did not run", url)
	}
	return doc
}

// TestBrowser loads the pages in headless Chromium: the sessions list, the
// session with the hostile turn (shown as text, in order, broken turns
// marked) and its trace, and screenshots of the first two.
func TestBrowser(t *testing.T) {
	browsertest.FindChromium(t)
	f := newFixture(t)
	srv := httptest.NewServer(f.handler())
	defer srv.Close()

	doc := loadDOM(t, srv.URL+"/", "Sessions")
	rows := findAll(doc, func(n *html.Node) bool { return n.Data == "tr" && attr(n, "data-href") != "" })
	if len(rows) != 3 {
		t.Errorf("sessions page shows %d rows, want 3", len(rows))
	}
	if !strings.Contains(text(doc), `Render this: <img src=x onerror="document.title='pwned'">`) &&
		!strings.Contains(text(doc), "What is the capital of France?") {
		t.Errorf("sessions page lacks alice's first input")
	}

	doc = loadDOM(t, srv.URL+"/sessions/chat-alice", "Session chat-alice")
	turns := findAll(doc, func(n *html.Node) bool { return n.Data == "li" && hasClass(n, "turn") })
	wantUser := []string{"What is the capital of France?", "Render this: " + xssImg, "And of Germany?", "Germany, again?", "Thanks, bye"}
	// Turn 3 failed; turns 4 (a recovered retry) and 5 (slow) are warnings.
	wantBroken := []bool{false, false, true, false, false}
	wantWarned := []bool{false, false, false, true, true}
	if len(turns) != len(wantUser) {
		t.Fatalf("%d turns shown, want %d", len(turns), len(wantUser))
	}
	for i, tn := range turns {
		users := findAll(tn, func(n *html.Node) bool { return hasClass(n, "user") && hasClass(n, "bubble") })
		if len(users) != 1 || !strings.Contains(text(users[0]), wantUser[i]) {
			t.Errorf("turn %d: user bubble %q, want %q", i+1, text(users[0]), wantUser[i])
		}
		if hasClass(tn, "broken") != wantBroken[i] {
			t.Errorf("turn %d: broken=%v, want %v", i+1, hasClass(tn, "broken"), wantBroken[i])
		}
		badges := findAll(tn, func(n *html.Node) bool { return hasClass(n, "badge") })
		if hasClass(tn, "warned") != wantWarned[i] {
			t.Errorf("turn %d: warned=%v, want %v", i+1, hasClass(tn, "warned"), wantWarned[i])
		}
		if (wantBroken[i] || wantWarned[i]) && len(badges) == 0 {
			t.Errorf("turn %d: broken without a badge", i+1)
		}
	}
	if got := text(turns[1]); !strings.Contains(got, "Sure: "+xssScript) {
		t.Errorf("turn 2 does not show the script payload as text: %q", got)
	}

	tid := f.alice[1].root.TraceID().String()
	doc = loadDOM(t, srv.URL+"/traces/"+tid+"?span="+f.alice[1].llm.SpanID().String(), "Trace")
	msgs := findAll(doc, func(n *html.Node) bool { return hasClass(n, "msg") })
	var all string
	for _, m := range msgs {
		all += text(m)
	}
	if !strings.Contains(all, xssImg) || !strings.Contains(all, xssScript) {
		t.Errorf("trace page does not show the payloads as message text: %q", all)
	}

	// The README's screenshots come from the demo (cmd/traceai TestDemoOnce);
	// these only prove that the pages render.
	dir := t.TempDir()
	browsertest.Screenshot(t, srv.URL+"/", filepath.Join(dir, "sessions.png"))
	browsertest.Screenshot(t, srv.URL+"/sessions/chat-alice", filepath.Join(dir, "session.png"))
	t.Logf("screenshots in %s", dir)
}

// TestBrowserScript drives the pages' script in Chromium: the hostile
// session leaves the page's JS state untouched, and in the waterfall a click
// switches the span shown without a round trip and a twisty folds a subtree.
func TestBrowserScript(t *testing.T) {
	browsertest.FindChromium(t)
	f := newFixture(t)
	srv := httptest.NewServer(f.handler())
	defer srv.Close()

	got := browsertest.Eval(t, srv.URL+"/sessions/chat-alice",
		`JSON.stringify({title: document.title, pwned: document.body.getAttribute("data-pwned"),
		  imgs: document.querySelectorAll("img[src=x]").length, js: document.documentElement.className})`)
	var st struct {
		Title, JS string
		Pwned     *string
		Imgs      int
	}
	if err := json.Unmarshal([]byte(unquote(t, got)), &st); err != nil {
		t.Fatalf("%s: %v", got, err)
	}
	if st.Title != "Session chat-alice · traceAI explorer" || st.Pwned != nil || st.Imgs != 0 || st.JS != "js" {
		t.Errorf("session page state after load: %+v", st)
	}

	e := f.bob[1]
	llm := e.llm.SpanID().String()
	got = browsertest.Eval(t, srv.URL+"/traces/"+e.root.TraceID().String(), `(function () {
		var rows = document.querySelectorAll(".wf-row");
		var link = document.querySelector('.wf-row[data-span="`+llm+`"] a.span-link');
		link.click();
		var shown = Array.prototype.filter.call(document.querySelectorAll(".span-detail"), function (s) { return !s.hidden; })
			.map(function (s) { return s.getAttribute("data-span"); });
		var selected = Array.prototype.map.call(document.querySelectorAll(".wf-row.selected"), function (r) { return r.getAttribute("data-span"); });
		var search = location.search;
		rows[0].querySelector(".twisty").click();
		var folded = Array.prototype.filter.call(rows, function (r) { return r.hidden; }).length;
		rows[0].querySelector(".twisty").click();
		var unfolded = Array.prototype.filter.call(rows, function (r) { return r.hidden; }).length;
		return JSON.stringify({shown: shown, selected: selected, search: search, folded: folded, unfolded: unfolded});
	})()`)
	var wf struct {
		Shown, Selected  []string
		Search           string
		Folded, Unfolded int
	}
	if err := json.Unmarshal([]byte(unquote(t, got)), &wf); err != nil {
		t.Fatalf("%s: %v", got, err)
	}
	if len(wf.Shown) != 1 || wf.Shown[0] != llm || len(wf.Selected) != 1 || wf.Selected[0] != llm ||
		wf.Search != "?span="+llm || wf.Folded != 2 || wf.Unfolded != 0 {
		t.Errorf("waterfall script: %+v (want %s shown and selected, 2 rows folded)", wf, llm)
	}
}

func unquote(t *testing.T, s string) string {
	t.Helper()
	var v string
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("not a JSON string: %s", s)
	}
	return v
}
