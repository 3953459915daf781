package llmparse

import (
	"github.com/tidwall/gjson"

	"github.com/traceai-go/traceai/fi/semconv"
)

// Attributes every provider's request parser records the same way.

// ToolDefinitions adds gen_ai.tool.definitions (the JSON list) and
// gen_ai.tool.definitions.<i>.tool.json_schema (each tool) when tools is a
// non-empty array. The reference writes the string "null" when a request
// has no tools; we leave the key out, as for every other absent field.
func (a *Attrs) ToolDefinitions(tools gjson.Result) {
	if !tools.IsArray() {
		return
	}
	i := 0
	tools.ForEach(func(_, t gjson.Result) bool {
		a.Str(semconv.ToolDefinitionKey(i), Format([]byte(t.Raw)))
		i++
		return true
	})
	if i > 0 {
		a.Str(semconv.GenAIToolDefinitions, Format([]byte(tools.Raw)))
	}
}

// RequestInput adds gen_ai.input.images (the request's image URLs, when
// there are any) and the whole request body as input.value, JSON.
func (a *Attrs) RequestInput(body []byte, images []string) {
	if len(images) > 0 {
		a.Str(semconv.InputImages, Marshal(images))
	}
	a.Str(semconv.InputValue, Format(body))
	a.Str(semconv.InputMimeType, string(semconv.MimeTypeJSON))
}
