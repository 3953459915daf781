package llmparse

import (
	"strings"

	"go.opentelemetry.io/otel/attribute"

	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/fi/semconv"
)

// MaskImages applies the TraceConfig image rules where fi's masking, which
// knows the keys inside messages only, does not reach. gen_ai.input.images
// (the list of input image URLs) goes when inputs, input messages or images
// are hidden; in it, a base64 data URL longer than the limit becomes
// fi.RedactedValue. In input.value (the whole request), so do base64 image
// data URLs (every one when images are hidden) and the "data" strings of
// inline media (Anthropic's image source, Gemini's inlineData) longer than
// the limit. attrs is modified in place.
func MaskImages(cfg *fi.TraceConfig, attrs []attribute.KeyValue) []attribute.KeyValue {
	if cfg == nil {
		return attrs
	}
	limit := cfg.Base64ImageMaxLength
	if limit <= 0 {
		limit = fi.DefaultBase64ImageMaxLength
	}
	out := attrs[:0]
	for _, kv := range attrs {
		switch kv.Key {
		case semconv.InputImages:
			if cfg.HideInputs || cfg.HideInputMessages || cfg.HideInputImages {
				continue
			}
			kv.Value = attribute.StringValue(RedactBase64(kv.Value.AsString(), limit, false))
		case semconv.InputValue:
			kv.Value = attribute.StringValue(RedactBase64(kv.Value.AsString(), limit, cfg.HideInputImages))
		}
		out = append(out, kv)
	}
	return out
}

// RedactBase64 replaces, in JSON text, by fi.RedactedValue: each string
// holding a base64 image data URL longer than limit (every one, with all),
// and each "data" string longer than limit (the base64 bytes of inline
// media). Text without such strings is returned as it is.
func RedactBase64(js string, limit int, all bool) string {
	var b strings.Builder
	done := 0 // js[:done] is in b, or nothing is when b is empty
	for i := 0; i < len(js); {
		q := strings.IndexByte(js[i:], '"')
		if q < 0 {
			break
		}
		start := i + q
		end, ok := jsonStringEnd(js, start)
		if !ok {
			break
		}
		s := js[start+1 : end-1]
		redact := false
		switch {
		case strings.HasPrefix(s, "data:image/"):
			redact = strings.Contains(s[:min(len(s), 64)], ";base64,") && (all || len(s) > limit)
		case len(s) > limit && isDataKey(js, start):
			redact = true
		}
		if redact {
			b.WriteString(js[done:start])
			b.WriteString(`"` + fi.RedactedValue + `"`)
			done = end
		}
		i = end
	}
	if done == 0 {
		return js
	}
	b.WriteString(js[done:])
	return b.String()
}

// isDataKey reports whether the JSON string whose opening quote is at
// js[open] is the value of a "data" member: `"data":` before it, with
// optional spaces.
func isDataKey(js string, open int) bool {
	k := strings.TrimRight(js[:open], " \t\r\n")
	if !strings.HasSuffix(k, ":") {
		return false
	}
	return strings.HasSuffix(strings.TrimRight(k[:len(k)-1], " \t\r\n"), `"data"`)
}

// jsonStringEnd returns the index after the closing quote of the JSON
// string whose opening quote is at js[start].
func jsonStringEnd(js string, start int) (int, bool) {
	for i := start + 1; i < len(js); i++ {
		switch js[i] {
		case '\\':
			i++
		case '"':
			return i + 1, true
		}
	}
	return 0, false
}
