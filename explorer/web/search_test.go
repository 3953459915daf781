package web

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/traceai-go/traceai/internal/browsertest"
)

func TestSearchPages(t *testing.T) {
	f := newFixture(t)
	h := f.handler()
	body := mustGet(t, h, "/?q=germany")
	if ids := searchRowIDs(body); len(ids) != 1 || ids[0] != "chat-alice" {
		t.Fatalf("rows %v", ids)
	}
	contains(t, "search list", body,
		`<input type="search" name="q" value="germany"`,
		`<mark>Germany</mark>`,
		`href="/sessions/chat-alice?q=germany#first-match"`,
		`search: <b>germany</b>`)
	// The snippet of a hostile turn is text.
	body = mustGet(t, h, "/?q=onerror")
	contains(t, "hostile snippet", body, `<mark>onerror</mark>=&#34;document.title=`)
	lacks(t, "hostile snippet", body, `<img src=x`)
	// Filters and sorts combine with the search; system prompts only when asked.
	if ids := searchRowIDs(mustGet(t, h, "/?q=germany&user_id=bob")); len(ids) != 0 {
		t.Errorf("q with user_id: %v", ids)
	}
	if ids := searchRowIDs(mustGet(t, h, "/?q=weather&sort=start&order=asc")); len(ids) != 1 || ids[0] != "chat-bob" {
		t.Errorf("q with sort: %v", ids)
	}
	// The system prompts box alone changes nothing.
	if ids := searchRowIDs(mustGet(t, h, "/?in=all")); len(ids) != 3 {
		t.Errorf("in=all without q: %v", ids)
	}
	// A malformed search is a 400 page that says why.
	res, body := get(t, h, "/?q=%22unclosed")
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "unclosed quote") {
		t.Errorf("malformed q: %d %.300s", res.StatusCode, body)
	}
	// The user page's sessions.
	contains(t, "user search", mustGet(t, h, "/users/alice?q=berlin"), `<mark>Berlin</mark>`)

	// The replay marks the matching turns, the first with the anchor.
	body = mustGet(t, h, "/sessions/chat-alice?q=germany")
	marked := regexp.MustCompile(`<li class="turn[^"]* matched" id="turn-(\d)"`).FindAllStringSubmatch(body, -1)
	if len(marked) != 2 || marked[0][1] != "3" || marked[1][1] != "4" {
		t.Fatalf("marked turns %v", marked)
	}
	if i, j := strings.Index(body, `id="turn-3"`), strings.Index(body, `id="first-match"`); i < 0 || j < i || j > strings.Index(body, `id="turn-4"`) {
		t.Errorf("first-match anchor not in turn 3")
	}
	contains(t, "replay", body, `2 turns match “germany”:`, `<a href="#turn-3">turn 3</a>`, `<mark>Germany</mark>`)
	contains(t, "no match", mustGet(t, h, "/sessions/chat-bob?q=germany"), "No turn matches")
	if res, _ := get(t, h, "/sessions/chat-alice?q=ab"); res.StatusCode != http.StatusBadRequest {
		t.Errorf("malformed q on the replay: %d", res.StatusCode)
	}
}

// TestBrowserSearch types a word in the sessions page's search box, sees the
// highlighted snippet, opens the session and finds the matching turns marked
// and the first scrolled into view.
func TestBrowserSearch(t *testing.T) {
	browsertest.FindChromium(t)
	f := newFixture(t)
	srv := httptest.NewServer(f.handler())
	defer srv.Close()
	out := browsertest.Steps(t, srv.URL+"/",
		browsertest.Step{JS: `document.querySelector("form.filters input[name=q]").focus()`},
		browsertest.Step{Type: "germany"},
		browsertest.Step{JS: `document.querySelector("form.filters input[name=q]").form.requestSubmit()`, Navigates: true},
		browsertest.Step{JS: `JSON.stringify({
			search: location.search,
			rows: document.querySelectorAll("tr[data-href]").length,
			marks: Array.prototype.map.call(document.querySelectorAll("tr[data-href] .snippet mark"), function (m) { return m.textContent; }),
			boxValue: document.querySelector("input[name=q]").value
		})`},
		browsertest.Step{JS: `document.querySelector("tr[data-href] a.id").click()`, Navigates: true},
		browsertest.Step{JS: `new Promise(function (resolve) { setTimeout(function () {
			var first = document.querySelector("li.turn.matched");
			var r = first.getBoundingClientRect();
			resolve(JSON.stringify({
				hash: location.hash,
				marked: Array.prototype.map.call(document.querySelectorAll("li.turn.matched"), function (li) { return li.id; }),
				marks: Array.prototype.map.call(document.querySelectorAll("li.turn.matched mark"), function (m) { return m.textContent; }),
				scrolled: window.scrollY > 0,
				inView: r.top < window.innerHeight && r.bottom > 0
			}));
		}, 300); })`},
	)
	var list struct {
		Search, BoxValue string
		Rows             int
		Marks            []string
	}
	if err := json.Unmarshal([]byte(unquote(t, out[3])), &list); err != nil {
		t.Fatalf("%s: %v", out[3], err)
	}
	if !strings.Contains(list.Search, "q=germany") || list.Rows != 1 || list.BoxValue != "germany" ||
		len(list.Marks) == 0 || list.Marks[0] != "Germany" {
		t.Errorf("sessions page after typing: %+v", list)
	}
	var replay struct {
		Hash             string
		Marked, Marks    []string
		Scrolled, InView bool
	}
	if err := json.Unmarshal([]byte(unquote(t, out[5])), &replay); err != nil {
		t.Fatalf("%s: %v", out[5], err)
	}
	if replay.Hash != "#first-match" || strings.Join(replay.Marked, ",") != "turn-3,turn-4" ||
		len(replay.Marks) == 0 || replay.Marks[0] != "Germany" || !replay.Scrolled || !replay.InView {
		t.Errorf("replay: %+v", replay)
	}
}

// searchRowIDs are the sessions of a list, without the search the rows link
// with.
func searchRowIDs(body string) []string {
	ids := rowIDs(body)
	for i, id := range ids {
		ids[i], _, _ = strings.Cut(id, "?")
	}
	return ids
}
