package fiopenai

import (
	"github.com/tidwall/gjson"

	"github.com/traceai-go/traceai/fi/semconv"
	"github.com/traceai-go/traceai/internal/llmparse"
)

// Helpers every endpoint's request parser shares.

// requestParameters adds gen_ai.request.parameters: the request's fields
// other than those named in exclude (its inputs), as Python-layout JSON in
// document order, as the reference records them.
func requestParameters(attrs *llmparse.Attrs, body []byte, exclude ...string) {
	params, ok := llmparse.Select(body, func(k string) bool {
		for _, e := range exclude {
			if k == e {
				return false
			}
		}
		return true
	})
	if ok && params != "{}" {
		attrs.Str(semconv.GenAIRequestParameters, params)
	}
}

// toolDefinitions adds gen_ai.tool.definitions (the JSON list) and
// gen_ai.tool.definitions.<i>.tool.json_schema (each tool) when tools is a
// non-empty array. The reference writes the string "null" when a request
// has no tools; we leave the key out, as for every other absent field.
func toolDefinitions(attrs *llmparse.Attrs, tools gjson.Result) {
	if !tools.IsArray() {
		return
	}
	i := 0
	tools.ForEach(func(_, t gjson.Result) bool {
		attrs.Str(semconv.ToolDefinitionKey(i), llmparse.Format([]byte(t.Raw)))
		i++
		return true
	})
	if i > 0 {
		attrs.Str(semconv.GenAIToolDefinitions, llmparse.Format([]byte(tools.Raw)))
	}
}
