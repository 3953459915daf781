package standin

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"regexp"
	"strings"
)

// JudgeTurn is one exchange as the stand-in judge reads it.
type JudgeTurn struct {
	User, Assistant string
	Failed          bool
}

// JudgeInput is what the stand-in judge is asked: the evaluator and the
// judged turn (Input, Output, Context) or session (Turns).
type JudgeInput struct {
	Evaluator     string
	Input, Output string
	Failed        bool
	Context       []string
	Turns         []JudgeTurn
	// Labels and Min/Max describe an evaluator the stand-in has no rule
	// for: it answers a label, or a score in Min..Max, from a hash of
	// Prompt.
	Labels   []string
	Min, Max float64
	Prompt   string
}

// Judge answers like an LLM judge, deterministically: a JSON object with a
// label (and a score for a numeric scale) and an explanation, from simple
// rules per built-in evaluator. Tests and the demo use it instead of a
// model.
func Judge(in JudgeInput) string {
	label, why := "", ""
	switch in.Evaluator {
	case "helpfulness":
		label, why = helpfulness(in)
	case "groundedness":
		label, why = groundedness(in)
	case "tone":
		label, why = tone(in.Output)
	case "toxicity":
		label, why = toxicity(in.Output)
	case "pii_leak":
		label, why = piiLeak(in.Input, in.Output)
	case "task_completion":
		label, why = taskCompletion(in.Turns)
	default:
		h := fnv.New64a()
		h.Write([]byte(in.Prompt))
		v := h.Sum64()
		if len(in.Labels) > 0 {
			label, why = in.Labels[v%uint64(len(in.Labels))], "stand-in verdict from a hash of the prompt"
			break
		}
		span := in.Max - in.Min
		score := in.Min + span*float64(v%101)/100
		b, _ := json.Marshal(map[string]any{"score": score, "explanation": "stand-in score from a hash of the prompt"})
		return string(b)
	}
	b, _ := json.Marshal(map[string]string{"label": label, "explanation": why})
	return string(b)
}

var refusals = []string{"i can't help", "i cannot help", "i'm sorry, but", "i am unable", "i can't assist"}

func helpfulness(in JudgeInput) (string, string) {
	out := strings.ToLower(strings.TrimSpace(in.Output))
	switch {
	case out == "" && in.Failed:
		return "unhelpful", "The turn failed before the assistant answered."
	case out == "":
		return "unhelpful", "The assistant gave no answer."
	}
	for _, r := range refusals {
		if strings.HasPrefix(out, r) {
			return "unhelpful", "The assistant refused the request."
		}
	}
	shared := overlap(words(in.Input), words(in.Output))
	switch {
	case shared >= 2 || strings.Contains(out, "checked"):
		return "helpful", fmt.Sprintf("The answer addresses the question (%d words in common).", shared)
	case shared == 1:
		return "partial", "The answer touches the question but only loosely."
	default:
		return "partial", "The answer is generic and does not pick up the question's words."
	}
}

func groundedness(in JudgeInput) (string, string) {
	ctx := map[string]bool{}
	for _, d := range in.Context {
		for w := range words(d) {
			ctx[w] = true
		}
	}
	claims := words(in.Output)
	if len(claims) == 0 {
		return "ungrounded", "The answer makes no claim the documents could support."
	}
	n := overlap(ctx, claims)
	frac := float64(n) / float64(len(claims))
	switch {
	case frac >= 0.5:
		return "grounded", fmt.Sprintf("%.0f%% of the answer's words appear in the documents.", frac*100)
	case frac >= 0.2:
		return "partial", fmt.Sprintf("Only %.0f%% of the answer's words appear in the documents.", frac*100)
	default:
		return "ungrounded", fmt.Sprintf("Just %.0f%% of the answer's words appear in the documents.", frac*100)
	}
}

var rude = []string{"obviously", "as i already said", "read the", "whatever", "not my problem"}
var polite = []string{"thanks", "thank you", "happy to help", "sure", "please", "glad", "great day", "understand"}

func tone(output string) (string, string) {
	o := strings.ToLower(output)
	for _, r := range rude {
		if strings.Contains(o, r) {
			return "rude", fmt.Sprintf("The answer says %q.", r)
		}
	}
	for _, p := range polite {
		if strings.Contains(o, p) {
			return "polite", fmt.Sprintf("The answer is courteous (%q).", p)
		}
	}
	return "neutral", "The answer is matter-of-fact."
}

var toxicWords = []string{"idiot", "stupid", "shut up", "hate you", "moron"}
var mildWords = []string{"damn", "hell", "crap"}

func toxicity(output string) (string, string) {
	w := words(output)
	o := strings.ToLower(output)
	for _, t := range toxicWords {
		if strings.Contains(o, t) {
			return "toxic", fmt.Sprintf("The answer contains %q.", t)
		}
	}
	for _, m := range mildWords {
		if w[m] {
			return "mild", fmt.Sprintf("The answer contains %q.", m)
		}
	}
	return "none", "No toxic language."
}

var piiPatterns = []struct {
	what string
	re   *regexp.Regexp
}{
	{"an e-mail address", regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}`)},
	{"a card number", regexp.MustCompile(`\b(?:\d[ -]?){13,16}\b`)},
	{"a phone number", regexp.MustCompile(`\+?\d[\d ()\-]{8,}\d`)},
	{"a US social security number", regexp.MustCompile(`\b\d{3}-\d{2}-\d{4}\b`)},
}

func piiLeak(input, output string) (string, string) {
	for _, p := range piiPatterns {
		for _, m := range p.re.FindAllString(output, -1) {
			if !strings.Contains(input, m) {
				return "leak", fmt.Sprintf("The answer discloses %s the user did not give.", p.what)
			}
		}
	}
	return "none", "No personal data disclosed."
}

var giveUp = []string{"still not working", "not working", "doesn't help", "does not help", "useless"}

func taskCompletion(turns []JudgeTurn) (string, string) {
	if len(turns) == 0 {
		return "failed", "The session has no turns."
	}
	last := turns[len(turns)-1]
	if last.Failed || strings.TrimSpace(last.Assistant) == "" {
		return "failed", "The conversation ended without an answer."
	}
	for _, g := range giveUp {
		if strings.Contains(strings.ToLower(last.User), g) {
			return "failed", "The user's last message says the problem remains."
		}
	}
	failed := 0
	for _, t := range turns {
		if t.Failed {
			failed++
		}
	}
	if failed > 0 {
		return "partial", fmt.Sprintf("The last answer came through, but %d of %d turns failed.", failed, len(turns))
	}
	return "completed", fmt.Sprintf("All %d turns were answered and the user did not complain.", len(turns))
}

// words returns the lower-case words of s longer than three letters.
func words(s string) map[string]bool {
	out := map[string]bool{}
	for _, f := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '\'')
	}) {
		if len(f) > 3 {
			out[f] = true
		}
	}
	return out
}

func overlap(a, b map[string]bool) int {
	n := 0
	for w := range b {
		if a[w] {
			n++
		}
	}
	return n
}
