package web

import (
	"net/http"
	"slices"
	"testing"
)

func TestSessionsEvaluationBelow(t *testing.T) {
	f := newFixture(t)
	h := f.handler()
	// alice's helpfulness is 0.2, bob's 0.9; the third session has none.
	for q, want := range map[string][]string{
		"/?eval=helpfulness&eval_below=0.5": {"chat-alice"},
		"/?eval=helpfulness&eval_below=1":   {"chat-alice", "chat-bob"},
		"/?eval=helpfulness":                {"chat-alice", "chat-bob"},
	} {
		body := mustGet(t, h, q+"&sort=session_id&order=asc")
		if got := rowIDs(body); !slices.Equal(got, want) {
			t.Errorf("%s: rows %v, want %v", q, got, want)
		}
		contains(t, q, body, `<option value="helpfulness" selected>helpfulness</option>`, `name="eval_below"`)
	}
	contains(t, "chip", mustGet(t, h, "/?eval=helpfulness&eval_below=0.5"), "evaluation", "below")
	for _, q := range []string{"/?eval_below=0.5", "/?eval=helpfulness&eval_below=low", "/?eval=helpfulness&eval_below=Inf"} {
		if resp, _ := get(t, h, q); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", q, resp.StatusCode)
		}
	}
	// The session page lists each evaluation with its score and label.
	contains(t, "session", mustGet(t, h, "/sessions/chat-alice"), "helpfulness: <b>0.2</b> · bad", "Why (1 evaluations)",
		"<td>helpfulness</td><td class=\"num\">0.2</td><td>bad</td>")
}
