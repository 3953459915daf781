package textquery

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// latin folds the letters with diacritics of Latin-1 and Latin Extended-A
// (U+00C0 to U+017F) to their base letter, as SQLite's remove_diacritics
// does; 0 keeps the letter.
var latin = [...]rune{
	// U+00C0
	'a', 'a', 'a', 'a', 'a', 'a', 0, 'c', 'e', 'e', 'e', 'e', 'i', 'i', 'i', 'i',
	'd', 'n', 'o', 'o', 'o', 'o', 'o', 0, 'o', 'u', 'u', 'u', 'u', 'y', 0, 0,
	'a', 'a', 'a', 'a', 'a', 'a', 0, 'c', 'e', 'e', 'e', 'e', 'i', 'i', 'i', 'i',
	'd', 'n', 'o', 'o', 'o', 'o', 'o', 0, 'o', 'u', 'u', 'u', 'u', 'y', 0, 'y',
	// U+0100
	'a', 'a', 'a', 'a', 'a', 'a', 'c', 'c', 'c', 'c', 'c', 'c', 'c', 'c', 'd', 'd',
	'd', 'd', 'e', 'e', 'e', 'e', 'e', 'e', 'e', 'e', 'e', 'e', 'g', 'g', 'g', 'g',
	'g', 'g', 'g', 'g', 'h', 'h', 'h', 'h', 'i', 'i', 'i', 'i', 'i', 'i', 'i', 'i',
	'i', 0, 0, 0, 'j', 'j', 'k', 'k', 0, 'l', 'l', 'l', 'l', 'l', 'l', 'l',
	'l', 'l', 'l', 'n', 'n', 'n', 'n', 'n', 'n', 0, 0, 0, 'o', 'o', 'o', 'o',
	'o', 'o', 0, 0, 'r', 'r', 'r', 'r', 'r', 'r', 's', 's', 's', 's', 's', 's',
	's', 's', 't', 't', 't', 't', 't', 't', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u',
	'u', 'u', 'u', 'u', 'w', 'w', 'y', 'y', 'y', 'z', 'z', 'z', 'z', 'z', 'z', 0,
}

// FoldRune lower-cases r and removes its diacritic (Latin letters).
func FoldRune(r rune) rune {
	r = unicode.ToLower(r)
	if r >= 0xC0 && r <= 0x17F {
		if f := latin[r-0xC0]; f != 0 {
			return f
		}
	}
	return r
}

// Fold returns s lower-cased with diacritics removed, rune for rune.
func Fold(s string) string {
	return strings.Map(FoldRune, s)
}

// NormalizeSpace turns every run of white space in s into one space and
// trims the ends: text is indexed so, and phrases are matched so.
func NormalizeSpace(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// Range is a match in a text, as byte offsets [Start, End).
type Range struct{ Start, End int }

// folded is a text folded rune for rune, with the byte offset in the
// original text of each folded rune.
type folded struct {
	runes []rune
	at    []int // at[i] is the offset of runes[i]; at[len(runes)] = len(text)
}

func fold(s string) folded {
	f := folded{runes: make([]rune, 0, len(s)), at: make([]int, 0, len(s)+1)}
	for i, r := range s {
		f.runes = append(f.runes, FoldRune(r))
		f.at = append(f.at, i)
	}
	f.at = append(f.at, len(s))
	return f
}

func (f folded) index(from int, needle []rune) int {
	for i := from; i+len(needle) <= len(f.runes); i++ {
		if f.runes[i] != needle[0] {
			continue
		}
		ok := true
		for j := 1; j < len(needle); j++ {
			if f.runes[i+j] != needle[j] {
				ok = false
				break
			}
		}
		if ok {
			return i
		}
	}
	return -1
}

// Matches returns where the terms to include occur in text, in order and
// merged where they overlap.
func (q *Query) Matches(text string) []Range {
	f := fold(text)
	var rs []Range
	for _, t := range q.Include() {
		needle := []rune(Fold(t.Text))
		if len(needle) == 0 {
			continue
		}
		for i := f.index(0, needle); i >= 0; i = f.index(i+len(needle), needle) {
			rs = append(rs, Range{f.at[i], f.at[i+len(needle)]})
		}
	}
	return merge(rs)
}

// Match reports whether text holds every term to include and none of the
// terms to exclude: what the index answers, for backends without one and
// for tests.
func (q *Query) Match(text string) bool {
	f := fold(text)
	for _, t := range q.Terms {
		found := f.index(0, []rune(Fold(t.Text))) >= 0
		if found == t.Exclude {
			return false
		}
	}
	return true
}

func merge(rs []Range) []Range {
	if len(rs) < 2 {
		return rs
	}
	for i := 1; i < len(rs); i++ {
		for j := i; j > 0 && rs[j].Start < rs[j-1].Start; j-- {
			rs[j], rs[j-1] = rs[j-1], rs[j]
		}
	}
	out := rs[:1]
	for _, r := range rs[1:] {
		last := &out[len(out)-1]
		if r.Start <= last.End {
			last.End = max(last.End, r.End)
			continue
		}
		out = append(out, r)
	}
	return out
}

// Fragment is a piece of a snippet; Match marks the words searched for.
type Fragment struct {
	Text  string `json:"text"`
	Match bool   `json:"match,omitempty"`
}

// Snippet cuts text to about width bytes around its first match and splits
// it at the matches. It returns nil when the text holds no match. An
// ellipsis marks text cut at either end.
func (q *Query) Snippet(text string, width int) []Fragment {
	rs := q.Matches(text)
	if len(rs) == 0 {
		return nil
	}
	lo := max(0, rs[0].Start-width/3)
	hi := min(len(text), lo+width)
	if hi-lo < width {
		lo = max(0, hi-width)
	}
	// Cut at rune boundaries, preferring a space near the cut.
	for lo > 0 && !utf8.RuneStart(text[lo]) {
		lo--
	}
	for hi < len(text) && !utf8.RuneStart(text[hi]) {
		hi++
	}
	if lo > 0 {
		if sp := strings.IndexByte(text[lo:rs[0].Start], ' '); sp >= 0 {
			lo += sp + 1
		}
	}
	if hi < len(text) {
		if sp := strings.LastIndexByte(text[rs[0].End:hi], ' '); sp >= 0 {
			hi = rs[0].End + sp
		}
	}
	var out []Fragment
	if lo > 0 {
		out = append(out, Fragment{Text: "…"})
	}
	pos := lo
	for _, r := range rs {
		if r.End <= lo || r.Start >= hi {
			continue
		}
		s, e := max(r.Start, lo), min(r.End, hi)
		if s > pos {
			out = append(out, Fragment{Text: text[pos:s]})
		}
		out = append(out, Fragment{Text: text[s:e], Match: true})
		pos = e
	}
	if pos < hi {
		out = append(out, Fragment{Text: text[pos:hi]})
	}
	if hi < len(text) {
		out = append(out, Fragment{Text: "…"})
	}
	// Join the ellipsis to its neighbour so that fragments alternate.
	return joinPlain(out)
}

func joinPlain(fs []Fragment) []Fragment {
	out := fs[:0]
	for _, f := range fs {
		if n := len(out); n > 0 && !out[n-1].Match && !f.Match {
			out[n-1].Text += f.Text
			continue
		}
		out = append(out, f)
	}
	return out
}
