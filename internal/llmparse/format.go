package llmparse

import (
	"encoding/json"
	"unicode/utf8"

	"github.com/traceai-go/traceai/internal/pyjson"
)

// format rewrites valid JSON text in the layout of Python's json.dumps
// (", " and ": " separators, non-ASCII unescaped) in one pass: strings
// without escapes are copied as they are, the others re-encoded.
func format(data []byte) string {
	out := make([]byte, 0, len(data)+len(data)/8)
	for i := 0; i < len(data); i++ {
		switch c := data[i]; c {
		case ' ', '\t', '\n', '\r':
		case ',':
			out = append(out, ',', ' ')
		case ':':
			out = append(out, ':', ' ')
		case '"':
			end, plain := stringEnd(data, i)
			if plain {
				out = append(out, data[i:end]...)
			} else {
				var s string
				_ = json.Unmarshal(data[i:end], &s)
				q, _ := pyjson.Marshal(s)
				out = append(out, q...)
			}
			i = end - 1
		default:
			out = append(out, c)
		}
	}
	return string(out)
}

// stringEnd returns the index just past the JSON string starting at
// data[i], and whether it holds only characters Python writes as they are
// (no escapes, valid UTF-8).
func stringEnd(data []byte, i int) (int, bool) {
	plain := true
	for j := i + 1; j < len(data); j++ {
		switch c := data[j]; {
		case c == '"':
			if plain && !utf8.Valid(data[i:j]) {
				plain = false
			}
			return j + 1, plain
		case c == '\\':
			plain = false
			j++
		case c < 0x20:
			plain = false
		}
	}
	return len(data), false
}

// skipValue returns the index just past the JSON value starting at or
// after data[i] (data must be valid JSON).
func skipValue(data []byte, i int) int {
	for i < len(data) && isSpace(data[i]) {
		i++
	}
	if i >= len(data) {
		return i
	}
	switch data[i] {
	case '"':
		end, _ := stringEnd(data, i)
		return end
	case '{', '[':
		depth := 0
		for ; i < len(data); i++ {
			switch data[i] {
			case '"':
				end, _ := stringEnd(data, i)
				i = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
		}
		return i
	}
	for i < len(data) {
		switch data[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return i
		}
		i++
	}
	return i
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
