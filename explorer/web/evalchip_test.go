package web

import (
	"strings"
	"testing"
)

// An evaluation chip shows the score and the label, with the explanation
// cut short beside it and, longer, in its tooltip; the session replay and
// the trace page show the same chip.
func TestEvaluationChipsShowScoreAndExplanation(t *testing.T) {
	f := newFixture(t)
	h := f.handler()
	short := clip(evalWhy, 90)
	for _, u := range []string{"/sessions/chat-alice", "/traces/" + f.alice[0].root.TraceID().String()} {
		body := mustGet(t, h, u)
		contains(t, u, body, `helpfulness: <b>0.2</b> · bad</span>`, `<span class="eval-why-short">`+short+`</span>`,
			`title="The answer names the capital but ignores the follow-up question and repeats itself`)
		if !strings.HasSuffix(short, "…") {
			t.Fatalf("the fixture's explanation is too short to be cut: %q", short)
		}
		if i := strings.Index(body, `<span class="badge b-eval" title="`); i < 0 || strings.Contains(body[i:i+800], "END-OF-WHY") {
			t.Errorf("%s: the chip's tooltip is not cut short", u)
		}
	}
	body := mustGet(t, h, "/sessions/chat-bob")
	contains(t, "bob", body, `helpfulness: <b>0.9</b> · good</span>`, `title="no explanation recorded"`)
}
