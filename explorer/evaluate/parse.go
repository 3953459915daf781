package evaluate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Verdict is a judge's parsed answer.
type Verdict struct {
	Score       float64
	Label       string
	Explanation string
}

// ErrUnparsable wraps every judge answer that is not a verdict of the
// evaluator's scale.
var ErrUnparsable = errors.New("judge output not understood")

// maxExplanation bounds the explanation kept (the store truncates text
// further).
const maxExplanation = 2000

// parseVerdict reads the judge's text: one JSON object, possibly inside a
// code fence or surrounded by prose.
func (e *Evaluator) parseVerdict(text string) (Verdict, error) {
	start := strings.IndexByte(text, '{')
	end := strings.LastIndexByte(text, '}')
	if start < 0 || end < start {
		return Verdict{}, fmt.Errorf("%w: no JSON object in %q", ErrUnparsable, clip(text, 120))
	}
	var raw struct {
		Score       json.RawMessage `json:"score"`
		Label       json.RawMessage `json:"label"`
		Explanation json.RawMessage `json:"explanation"`
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(text[start : end+1])))
	if err := dec.Decode(&raw); err != nil {
		return Verdict{}, fmt.Errorf("%w: %v in %q", ErrUnparsable, err, clip(text, 120))
	}
	var v Verdict
	v.Label = strings.TrimSpace(jsonString(raw.Label))
	v.Explanation = clip(strings.TrimSpace(jsonString(raw.Explanation)), maxExplanation)
	if len(e.Labels) > 0 {
		for _, l := range e.Labels {
			if strings.EqualFold(l.Name, v.Label) {
				v.Label, v.Score = l.Name, l.Score
				return v, nil
			}
		}
		return Verdict{}, fmt.Errorf("%w: label %q is not one of %s", ErrUnparsable, clip(v.Label, 40), e.Scale())
	}
	score, ok := jsonNumber(raw.Score)
	if !ok {
		return Verdict{}, fmt.Errorf("%w: no numeric score in %q", ErrUnparsable, clip(text, 120))
	}
	if score < e.Min || score > e.Max {
		return Verdict{}, fmt.Errorf("%w: score %g outside %g..%g", ErrUnparsable, score, e.Min, e.Max)
	}
	v.Score = score
	return v, nil
}

// jsonString returns a JSON string's value, or the raw text of another
// scalar ("label": 3 reads as "3").
func jsonString(m json.RawMessage) string {
	if len(m) == 0 || string(m) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(m, &s) == nil {
		return s
	}
	return string(m)
}

// jsonNumber accepts a JSON number or a string holding one ("4", "0.5").
func jsonNumber(m json.RawMessage) (float64, bool) {
	if len(m) == 0 {
		return 0, false
	}
	var f float64
	if json.Unmarshal(m, &f) != nil {
		var s string
		if json.Unmarshal(m, &s) != nil {
			return 0, false
		}
		var err error
		if f, err = strconv.ParseFloat(strings.TrimSpace(s), 64); err != nil {
			return 0, false
		}
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "…"
}
