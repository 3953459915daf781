package fianthropic

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
)

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func asMap(kvs []attribute.KeyValue) map[string]string {
	m := map[string]string{}
	for _, kv := range kvs {
		m[string(kv.Key)] = kv.Value.Emit()
	}
	return m
}

func wantAttrs(t *testing.T, got map[string]string, want map[string]string) {
	t.Helper()
	for k, v := range want {
		g, ok := got[k]
		if !ok {
			t.Errorf("missing %s (want %q)", k, v)
			continue
		}
		if g != v {
			t.Errorf("%s = %q, want %q", k, g, v)
		}
	}
}

// sseData returns the data lines of an SSE fixture, one per event.
func sseData(t testing.TB, name string) [][]byte {
	var out [][]byte
	sc := bufio.NewScanner(bytes.NewReader(fixture(t, name)))
	for sc.Scan() {
		if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			out = append(out, []byte(d))
		}
	}
	return out
}

func TestParseRequestSimple(t *testing.T) {
	attrs, model, stream := parseRequest(fixture(t, "messages_request.json"))
	if model != "claude-sonnet-4-5" || stream {
		t.Fatalf("model %q stream %v", model, stream)
	}
	got := asMap(attrs)
	wantAttrs(t, got, map[string]string{
		"gen_ai.provider.name":                    "anthropic",
		"gen_ai.operation.name":                   "chat",
		"gen_ai.request.model":                    "claude-sonnet-4-5",
		"gen_ai.prompts":                          `"You are a terse weather assistant."`,
		"gen_ai.request.parameters":               `{"model": "claude-sonnet-4-5", "max_tokens": 1024, "system": "You are a terse weather assistant.", "temperature": 0.2, "metadata": {"user_id": "u-42"}}`,
		"gen_ai.input.messages.0.message.role":    "user",
		"gen_ai.input.messages.0.message.content": "What's the weather in Paris?",
		"input.mime_type":                         "application/json",
	})
	if _, ok := got["gen_ai.tool.definitions"]; ok {
		t.Error("tool definitions without tools")
	}
}

func TestParseRequestToolsImagesThinking(t *testing.T) {
	attrs, _, _ := parseRequest(fixture(t, "tools_request.json"))
	got := asMap(attrs)
	wantAttrs(t, got, map[string]string{
		"gen_ai.prompts": `[{"type": "text", "text": "You are a weather assistant.", "cache_control": {"type": "ephemeral"}}]`,
		"gen_ai.tool.definitions.0.tool.json_schema":                                `{"name": "get_weather", "description": "Get the current weather in a city", "input_schema": {"type": "object", "properties": {"location": {"type": "string", "description": "City name"}}, "required": ["location"]}}`,
		"gen_ai.input.messages.0.message.contents.0.message_content.type":           "text",
		"gen_ai.input.messages.0.message.contents.0.message_content.text":           "Weather in Paris?",
		"gen_ai.input.messages.0.message.contents.1.message_content.type":           "image",
		"gen_ai.input.messages.1.message.role":                                      "assistant",
		"gen_ai.input.messages.1.message.contents.0.message_content.type":           "thinking",
		"gen_ai.input.messages.1.message.contents.0.message_content.text":           "The user wants weather; call the tool.",
		"gen_ai.input.messages.1.message.contents.1.message_content.text":           "Let me check.",
		"gen_ai.input.messages.1.message.tool_calls.0.tool_call.id":                 "toolu_01A09q90qw90lq917835lq9",
		"gen_ai.input.messages.1.message.tool_calls.0.tool_call.function.name":      "get_weather",
		"gen_ai.input.messages.1.message.tool_calls.0.tool_call.function.arguments": `{"location": "Paris"}`,
		"gen_ai.input.messages.2.message.role":                                      "user",
		"gen_ai.input.messages.2.message.tool_call_id":                              "toolu_01A09q90qw90lq917835lq9",
		"gen_ai.input.messages.2.message.content":                                   "21°C, sunny",
	})
	if img := got["gen_ai.input.messages.0.message.contents.1.message_content.image"]; !strings.HasPrefix(img, "data:image/png;base64,iVBOR") {
		t.Errorf("image = %q", img)
	}
	if !strings.Contains(got["gen_ai.request.parameters"], `"tool_choice": {"type": "auto"}`) || strings.Contains(got["gen_ai.request.parameters"], `"messages"`) {
		t.Errorf("parameters = %s", got["gen_ai.request.parameters"])
	}
	if !strings.HasPrefix(got["gen_ai.input.images"], `["data:image/png;base64,`) {
		t.Errorf("input images = %s", got["gen_ai.input.images"])
	}
}

func TestParseResponse(t *testing.T) {
	got := asMap(parseResponse(fixture(t, "messages_response.json")))
	wantAttrs(t, got, map[string]string{
		"gen_ai.request.model":                     "claude-sonnet-4-5-20250929",
		"gen_ai.response.model":                    "claude-sonnet-4-5-20250929",
		"gen_ai.response.id":                       "msg_01XFDUDYJgAACzvnptvVoYEL",
		"gen_ai.response.finish_reasons":           `["end_turn"]`,
		"gen_ai.output.messages.0.message.role":    "assistant",
		"gen_ai.output.messages.0.message.content": "Sunny, 21°C in Paris.",
		"output.value":                             "Sunny, 21°C in Paris.",
		"output.mime_type":                         "text/plain",
		"gen_ai.usage.input_tokens":                "25",
		"gen_ai.usage.output_tokens":               "12",
		"gen_ai.usage.total_tokens":                "37",
	})
	if _, ok := got["gen_ai.usage.input_tokens.cache_read"]; ok {
		t.Error("zero cache_read recorded")
	}
}

func TestParseResponseToolsThinkingCache(t *testing.T) {
	got := asMap(parseResponse(fixture(t, "tools_response.json")))
	wantAttrs(t, got, map[string]string{
		"gen_ai.response.finish_reasons":                                             `["tool_use"]`,
		"gen_ai.output.messages.0.message.content":                                   "It is 21°C and sunny in Paris. Checking tomorrow:",
		"gen_ai.output.messages.0.message.contents.0.message_content.type":           "thinking",
		"gen_ai.output.messages.0.message.contents.0.message_content.text":           "I have the result; maybe check tomorrow too.",
		"gen_ai.output.messages.0.message.tool_calls.0.tool_call.id":                 "toolu_02B",
		"gen_ai.output.messages.0.message.tool_calls.0.tool_call.function.name":      "get_weather",
		"gen_ai.output.messages.0.message.tool_calls.0.tool_call.function.arguments": `{"location": "Paris", "day": "tomorrow"}`,
		"gen_ai.usage.input_tokens":                                                  "512",
		"gen_ai.usage.output_tokens":                                                 "87",
		"gen_ai.usage.total_tokens":                                                  "599",
		"gen_ai.usage.input_tokens.cache_read":                                       "2048",
		"gen_ai.usage.input_tokens.cache_write":                                      "1200",
	})
}

func TestParseErrorBody(t *testing.T) {
	typ, msg := parseError(fixture(t, "error_response.json"))
	if typ != "overloaded_error" || msg != "Overloaded" {
		t.Fatalf("%q %q", typ, msg)
	}
	if parseResponse(fixture(t, "error_response.json")) != nil {
		t.Fatal("error body parsed as a message")
	}
}

func TestStreamRebuildsMessage(t *testing.T) {
	var s stream
	for _, d := range sseData(t, "stream_tools.sse") {
		s.event(d)
	}
	if !s.done {
		t.Fatal("message_stop not seen")
	}
	got := asMap(s.attrs())
	wantAttrs(t, got, map[string]string{
		"gen_ai.response.id":                       "msg_01Stream9kL",
		"gen_ai.response.finish_reasons":           `["tool_use"]`,
		"gen_ai.output.messages.0.message.content": "Let me look that up.",
		"output.value":                             "Let me look that up.",
		"gen_ai.output.messages.0.message.contents.0.message_content.type":           "thinking",
		"gen_ai.output.messages.0.message.contents.0.message_content.text":           "The user asks about Paris. I should call get_weather.",
		"gen_ai.output.messages.0.message.tool_calls.0.tool_call.id":                 "toolu_01T1x1fJ34qAmk2tNTrN7Up6",
		"gen_ai.output.messages.0.message.tool_calls.0.tool_call.function.name":      "get_weather",
		"gen_ai.output.messages.0.message.tool_calls.0.tool_call.function.arguments": `{"location": "Paris"}`,
		"gen_ai.usage.input_tokens":            "472",
		"gen_ai.usage.output_tokens":           "89",
		"gen_ai.usage.total_tokens":            "561",
		"gen_ai.usage.input_tokens.cache_read": "1536",
	})
}

func TestStreamErrorEvent(t *testing.T) {
	var s stream
	for _, d := range sseData(t, "stream_error.sse") {
		s.event(d)
	}
	if s.done || s.errTyp != "overloaded_error" || s.errMsg != "Overloaded" {
		t.Fatalf("done %v err %q %q", s.done, s.errTyp, s.errMsg)
	}
	if got := asMap(s.attrs())["output.value"]; got != "Partial" {
		t.Fatalf("partial output %q", got)
	}
}
