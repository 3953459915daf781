// Package textquery parses the explorer's search language and finds its
// matches in text, for every store backend alike.
//
// The language is what people type without reading docs: words (all must
// match), "exact phrases", -word or -"phrase" to exclude. Matching is
// case-insensitive, folds diacritics (café matches cafe) and finds
// substrings, so parts of ids such as A-1032 match. Nothing else is an
// operator: AND, OR, NEAR, *, ^, :, parentheses and SQL are text to find.
package textquery

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits on a query. A longer query is an *Error, not a slow search.
const (
	// MaxBytes is the longest query accepted, in bytes.
	MaxBytes = 512
	// MaxTerms is the most words and phrases a query may hold.
	MaxTerms = 16
	// MinRunes is the shortest word or phrase searched for: the index is of
	// three-character substrings. Shorter words are left out (Query.Ignored).
	MinRunes = 3
)

// Term is one word or phrase of a query.
type Term struct {
	// Text is the word or phrase as typed (without quotes or minus).
	Text string
	// Phrase is set when the term was quoted.
	Phrase bool
	// Exclude is set for -word and -"phrase".
	Exclude bool
}

// Query is a parsed search.
type Query struct {
	// Terms are the words and phrases searched for, in the order typed, at
	// least one of them not excluded. Duplicates (after folding) are left
	// out.
	Terms []Term
	// Ignored lists the words too short to search for (under MinRunes
	// characters), which the search leaves out.
	Ignored []string
}

// Error reports a query that cannot be searched for; the JSON API answers
// it with 400 and Msg.
type Error struct {
	Msg string
}

func (e *Error) Error() string { return "invalid q: " + e.Msg }

// Include returns the terms that must match.
func (q *Query) Include() []Term {
	var out []Term
	for _, t := range q.Terms {
		if !t.Exclude {
			out = append(out, t)
		}
	}
	return out
}

// Exclude returns the terms that must not match.
func (q *Query) Exclude() []Term {
	var out []Term
	for _, t := range q.Terms {
		if t.Exclude {
			out = append(out, t)
		}
	}
	return out
}

// String writes the query back in its own syntax, normalised.
func (q *Query) String() string {
	var b strings.Builder
	for i, t := range q.Terms {
		if i > 0 {
			b.WriteByte(' ')
		}
		if t.Exclude {
			b.WriteByte('-')
		}
		if t.Phrase {
			b.WriteString(`"` + t.Text + `"`)
		} else {
			b.WriteString(t.Text)
		}
	}
	return b.String()
}

// Parse parses s. An empty or blank s is an *Error, as is a query with an
// unclosed quote, an empty phrase, nothing but exclusions, only words too
// short to search for, or more than MaxBytes or MaxTerms.
func Parse(s string) (*Query, error) {
	if len(s) > MaxBytes {
		return nil, &Error{fmt.Sprintf("too long (%d bytes, at most %d)", len(s), MaxBytes)}
	}
	if !utf8.ValidString(s) {
		return nil, &Error{"not valid UTF-8"}
	}
	if strings.ContainsRune(s, 0) {
		return nil, &Error{"contains a NUL character"}
	}
	q := &Query{}
	seen := map[string]bool{}
	add := func(t Term) error {
		t.Text = strings.TrimSpace(t.Text)
		if t.Text == "" {
			if t.Phrase {
				return &Error{`empty phrase ""`}
			}
			return nil
		}
		if utf8.RuneCountInString(t.Text) < MinRunes {
			q.Ignored = append(q.Ignored, t.Text)
			return nil
		}
		key := fmt.Sprint(t.Exclude) + "\x00" + Fold(t.Text)
		if seen[key] {
			return nil
		}
		seen[key] = true
		if len(q.Terms) == MaxTerms {
			return &Error{fmt.Sprintf("too many words (at most %d)", MaxTerms)}
		}
		q.Terms = append(q.Terms, t)
		return nil
	}
	i := 0
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		if unicode.IsSpace(r) {
			i += n
			continue
		}
		var t Term
		if r == '-' && i+1 < len(s) {
			if r2, _ := utf8.DecodeRuneInString(s[i+1:]); !unicode.IsSpace(r2) {
				t.Exclude = true
				i++
				r, n = utf8.DecodeRuneInString(s[i:])
			}
		}
		if r == '"' {
			end := strings.IndexByte(s[i+1:], '"')
			if end < 0 {
				return nil, &Error{`unclosed quote: close the phrase with "`}
			}
			t.Phrase = true
			t.Text = s[i+1 : i+1+end]
			i += end + 2
		} else {
			j := i
			for j < len(s) {
				r, n := utf8.DecodeRuneInString(s[j:])
				if unicode.IsSpace(r) {
					break
				}
				j += n
			}
			t.Text = s[i:j]
			i = j
		}
		// A phrase's inner whitespace is one space, as text is indexed.
		if t.Phrase {
			t.Text = strings.Join(strings.Fields(t.Text), " ")
		}
		if err := add(t); err != nil {
			return nil, err
		}
	}
	if len(q.Terms) == 0 {
		if len(q.Ignored) > 0 {
			return nil, &Error{fmt.Sprintf("words must have at least %d characters", MinRunes)}
		}
		return nil, &Error{"nothing to search for"}
	}
	if len(q.Include()) == 0 {
		return nil, &Error{"only exclusions: add a word to find"}
	}
	return q, nil
}
