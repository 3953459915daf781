package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

const xssUser = `u"><img src=x onerror=alert(2)>`

// The sessions and users lists sort by each evaluation's mean, both ways,
// rows without a score last; it is their default order when evaluations
// exist, and an explicit sort still wins.
func TestListsSortByEvaluation(t *testing.T) {
	f := newFixture(t)
	h := f.handler()
	sessions := func(u string) string {
		t.Helper()
		return strings.Join(rowIDs(mustGet(t, h, u)), "|")
	}
	for u, want := range map[string]string{
		"/":                                  "chat-alice|chat-bob|" + xssID,
		"/?sort=eval:helpfulness&order=asc":  "chat-alice|chat-bob|" + xssID,
		"/?sort=eval:helpfulness&order=desc": "chat-bob|chat-alice|" + xssID,
		"/?sort=eval:helpfulness":            "chat-bob|chat-alice|" + xssID, // an explicit sort starts descending
		"/?sort=start&order=asc":             "chat-alice|chat-bob|" + xssID,
		"/?sort=end":                         xssID + "|chat-bob|chat-alice",
		"/users/alice":                       "chat-alice",
	} {
		if got := sessions(u); got != want {
			t.Errorf("GET %s: %s, want %s", u, got, want)
		}
	}
	body := mustGet(t, h, "/")
	contains(t, "eval column", body,
		`<th class="num" aria-sort="ascending"><a href="/?order=desc&amp;sort=eval%3Ahelpfulness" title="Sort by mean helpfulness score (rows without one come last)" class="sort active">helpfulness`,
		`<td class="num">0.2</td>`, `<td class="num">0.9</td>`)
	if !strings.Contains(body, `<td class="num">—</td>`) {
		t.Error("the unscored session shows no dash in its evaluation column")
	}

	userRe := regexp.MustCompile(`<tr data-href="/users/([^"]+)"`)
	users := func(u string) string {
		t.Helper()
		var ids []string
		for _, m := range userRe.FindAllStringSubmatch(mustGet(t, h, u), -1) {
			id, _ := url.PathUnescape(m[1])
			ids = append(ids, id)
		}
		return strings.Join(ids, "|")
	}
	for u, want := range map[string]string{
		"/users": "alice|bob|" + xssUser,
		"/users?sort=eval:helpfulness&order=desc": "bob|alice|" + xssUser,
		"/users?sort=user_id&order=desc":          xssUser + "|bob|alice",
	} {
		if got := users(u); got != want {
			t.Errorf("GET %s: users %s, want %s", u, got, want)
		}
	}
	for _, u := range []string{"/?sort=eval:", "/users?sort=eval:", "/?sort=eval:a%00b"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", u, nil))
		if rec.Code != http.StatusBadRequest {
			t.Errorf("GET %s: %d, want 400", u, rec.Code)
		}
	}
}
