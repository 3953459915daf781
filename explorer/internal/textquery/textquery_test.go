package textquery

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParse(t *testing.T) {
	w := func(s string) Term { return Term{Text: s} }
	p := func(s string) Term { return Term{Text: s, Phrase: true} }
	x := func(t Term) Term { t.Exclude = true; return t }
	tests := []struct {
		in      string
		terms   []Term
		ignored []string
		err     string
	}{
		{in: "refund", terms: []Term{w("refund")}},
		{in: "  refund   order ", terms: []Term{w("refund"), w("order")}},
		{in: `"cannot help"`, terms: []Term{p("cannot help")}},
		{in: `"cannot   help"  now`, terms: []Term{p("cannot help"), w("now")}},
		{in: `refund -cancel`, terms: []Term{w("refund"), x(w("cancel"))}},
		{in: `refund -"not sure"`, terms: []Term{w("refund"), x(p("not sure"))}},
		{in: `A-1032`, terms: []Term{w("A-1032")}},
		{in: `refund - order`, terms: []Term{w("refund"), w("order")}, ignored: []string{"-"}},
		{in: `Refund refund RÉFUND`, terms: []Term{w("Refund")}},
		{in: `refund -refund`, terms: []Term{w("refund"), x(w("refund"))}},
		{in: `I want a refund`, terms: []Term{w("want"), w("refund")}, ignored: []string{"I", "a"}},
		{in: `don"t stop`, terms: []Term{w(`don"t`), w("stop")}},
		{in: `refund OR return`, terms: []Term{w("refund"), w("return")}, ignored: []string{"OR"}},
		{in: `NEAR(a b) col:x* ^start`, terms: []Term{w("NEAR(a"), w("col:x*"), w("^start")}, ignored: []string{"b)"}},
		{in: `'; DROP TABLE sessions; --`, terms: []Term{w("DROP"), w("TABLE"), w("sessions;")}, ignored: []string{"';", "-"}},
		{in: `""""`, err: "empty phrase"},
		{in: `"abc`, err: "unclosed quote"},
		{in: `refund "cannot`, err: "unclosed quote"},
		{in: ``, err: "nothing to search for"},
		{in: "   \t\n", err: "nothing to search for"},
		{in: `-refund`, err: "only exclusions"},
		{in: `ab cd`, err: "at least 3 characters"},
		{in: strings.Repeat("x", MaxBytes+1), err: "too long"},
		{in: strings.Repeat("word ", 3) + "a\x00b", err: "NUL"},
		{in: "bad \xff utf8", err: "UTF-8"},
		{in: strings.Repeat("abc ", 5) + "w01 w02 w03 w04 w05 w06 w07 w08 w09 w10 w11 w12 w13 w14 w15 w16 w17", err: "too many"},
	}
	for _, tt := range tests {
		q, err := Parse(tt.in)
		if tt.err != "" {
			var qe *Error
			if !errors.As(err, &qe) || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("Parse(%q) error = %v, want *Error with %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if !equalTerms(q.Terms, tt.terms) {
			t.Errorf("Parse(%q) terms = %+v, want %+v", tt.in, q.Terms, tt.terms)
		}
		if strings.Join(q.Ignored, "|") != strings.Join(tt.ignored, "|") {
			t.Errorf("Parse(%q) ignored = %q, want %q", tt.in, q.Ignored, tt.ignored)
		}
	}
}

func equalTerms(a, b []Term) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestMatch(t *testing.T) {
	tests := []struct {
		q, text string
		want    bool
	}{
		{"refund", "I asked for a REFUND yesterday", true},
		{"refund", "nonrefundable ticket", true},
		{"refund order", "refund please", false},
		{"refund order", "order 12: refund", true},
		{`"cannot help"`, "Sorry, I cannot help with that", true},
		{`"cannot help"`, "I cannot really help", false},
		{"refund -cancel", "refund, then cancel", false},
		{"refund -cancel", "refund only", true},
		{"cafe", "Un café crème", true},
		{"CRÈME", "creme brulee", true},
		{"1032", "Order A-1032 shipped", true},
		{"a-1032", "Order A-1032 shipped", true},
		{"ÉCOLE", "école", true},
	}
	for _, tt := range tests {
		q, err := Parse(tt.q)
		if err != nil {
			t.Fatal(err)
		}
		if got := q.Match(tt.text); got != tt.want {
			t.Errorf("%q.Match(%q) = %v, want %v", tt.q, tt.text, got, tt.want)
		}
	}
}

func TestSnippet(t *testing.T) {
	q, _ := Parse(`refund "A-1032"`)
	text := strings.Repeat("padding words here ", 20) + "the Refund for order a-1032 was sent " + strings.Repeat("and more text after ", 20)
	fs := q.Snippet(text, 80)
	var hits []string
	var all strings.Builder
	for _, f := range fs {
		all.WriteString(f.Text)
		if f.Match {
			hits = append(hits, f.Text)
		}
	}
	if strings.Join(hits, "|") != "Refund|a-1032" {
		t.Fatalf("hits = %q (%+v)", hits, fs)
	}
	s := all.String()
	if !strings.HasPrefix(s, "…") || !strings.HasSuffix(s, "…") || len(s) > 80+2*len("…") {
		t.Fatalf("snippet %q", s)
	}
	if q.Snippet("nothing here", 80) != nil {
		t.Fatal("snippet of a text without a match")
	}
	// Folded runes of other byte lengths keep the offsets right.
	q, _ = Parse("creme")
	fs = q.Snippet("ÉÉ Crème brûlée", 80)
	if len(fs) != 3 || fs[1].Text != "Crème" || !fs[1].Match {
		t.Fatalf("%+v", fs)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{`refund`, `"cannot help" -no`, `-"x y z"`, `A-1032 "`, `NEAR(a b)`, `'; DROP TABLE x; --`, "é\u0301 ÿ", `"""`, `- -- ---x`} {
		f.Add(s, "I asked for a refund of A-1032; cannot help, café")
	}
	f.Fuzz(func(t *testing.T, s, text string) {
		q, err := Parse(s)
		if err != nil {
			var qe *Error
			if !errors.As(err, &qe) {
				t.Fatalf("Parse(%q) error of type %T", s, err)
			}
			return
		}
		if len(q.Include()) == 0 || len(q.Terms) > MaxTerms {
			t.Fatalf("Parse(%q) = %+v", s, q)
		}
		for _, tm := range q.Terms {
			if utf8.RuneCountInString(tm.Text) < MinRunes || strings.ContainsRune(tm.Text, 0) {
				t.Fatalf("Parse(%q) term %q", s, tm.Text)
			}
		}
		// The normalised form parses to the same terms.
		q2, err := Parse(q.String())
		if err != nil || !equalTerms(q.Terms, q2.Terms) {
			t.Fatalf("Parse(%q).String() = %q reparses to %+v, %v", s, q.String(), q2, err)
		}
		if !utf8.ValidString(text) {
			return
		}
		var b strings.Builder
		for _, f := range q.Snippet(text, 120) {
			b.WriteString(f.Text)
		}
		if got := strings.Trim(b.String(), "…"); !strings.Contains(text, got) {
			t.Fatalf("snippet %q is not part of %q", got, text)
		}
	})
}
