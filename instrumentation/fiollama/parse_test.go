package fiollama

import (
	"bytes"
	"os"
	"path/filepath"
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

func lines(t testing.TB, name string) [][]byte {
	return bytes.Split(bytes.TrimSpace(fixture(t, name)), []byte("\n"))
}

func TestParseChatRequest(t *testing.T) {
	attrs, stream := parseRequest(pathChat, fixture(t, "chat_request.json"))
	if !stream {
		t.Error("stream not detected")
	}
	got := asMap(attrs)
	wantAttrs(t, got, map[string]string{
		"gen_ai.provider.name":                                                      "ollama",
		"gen_ai.operation.name":                                                     "chat",
		"gen_ai.request.model":                                                      "llama3.2",
		"gen_ai.request.parameters":                                                 `{"options": {"temperature": 0.2, "num_ctx": 4096}}`,
		"gen_ai.input.messages.0.message.role":                                      "system",
		"gen_ai.input.messages.0.message.content":                                   "You are a weather assistant.",
		"gen_ai.input.messages.1.message.content":                                   "Weather in Paris? Here is a photo.",
		"gen_ai.input.messages.1.message.contents.0.message_content.type":           "image",
		"gen_ai.input.messages.2.message.tool_calls.0.tool_call.function.name":      "get_weather",
		"gen_ai.input.messages.2.message.tool_calls.0.tool_call.function.arguments": `{"city": "Paris"}`,
		"gen_ai.input.messages.3.message.role":                                      "tool",
		"gen_ai.input.messages.3.message.name":                                      "get_weather",
		"gen_ai.input.messages.3.message.content":                                   "21°C, sunny",
		"gen_ai.tool.definitions.0.tool.json_schema":                                `{"type": "function", "function": {"name": "get_weather", "description": "Get the weather for a city", "parameters": {"type": "object", "required": ["city"], "properties": {"city": {"type": "string", "description": "The city"}}}}}`,
		"input.mime_type":                                                           "application/json",
	})
	if v := got["input.value"]; len(v) < 20 || v[:14] != `{"messages": [` {
		t.Errorf("input.value = %.40s", v)
	}
	if _, ok := got["gen_ai.input.messages.2.message.content"]; ok {
		t.Error("empty content recorded")
	}
}

func TestChatStream(t *testing.T) {
	var a answer
	for _, l := range lines(t, "chat_stream.ndjson") {
		if !a.add(l) {
			t.Fatalf("line not parsed: %s", l)
		}
	}
	got := asMap(a.attrs())
	wantAttrs(t, got, map[string]string{
		"gen_ai.request.model":                     "llama3.2",
		"gen_ai.output.messages.0.message.role":    "assistant",
		"gen_ai.output.messages.0.message.content": "It is 21°C and sunny.",
		"output.value":                             "It is 21°C and sunny.",
		"gen_ai.usage.input_tokens":                "143",
		"gen_ai.usage.output_tokens":               "9",
		"gen_ai.usage.total_tokens":                "152",
		"ollama.total_duration_ns":                 "1228365625",
		"ollama.eval_duration_ns":                  "490642000",
		"ollama.done_reason":                       "stop",
		"gen_ai.response.finish_reasons":           `["stop"]`,
	})
}

func TestChatToolsThinking(t *testing.T) {
	var a answer
	a.add(fixture(t, "chat_tools_response.json"))
	got := asMap(a.attrs())
	wantAttrs(t, got, map[string]string{
		"gen_ai.output.messages.0.message.content":                                   "",
		"gen_ai.output.messages.0.message.contents.0.message_content.type":           "thinking",
		"gen_ai.output.messages.0.message.contents.0.message_content.text":           "The user wants the forecast; call the tool.",
		"gen_ai.output.messages.0.message.tool_calls.0.tool_call.id":                 "call_k1n2",
		"gen_ai.output.messages.0.message.tool_calls.0.tool_call.function.name":      "get_forecast",
		"gen_ai.output.messages.0.message.tool_calls.0.tool_call.function.arguments": `{"city": "Paris", "days": 2}`,
	})
	if _, ok := got["output.value"]; ok {
		t.Error("output.value without text")
	}
}

func TestGenerate(t *testing.T) {
	attrs, stream := parseRequest(pathGenerate, fixture(t, "generate_request.json"))
	if !stream {
		t.Error("stream not detected")
	}
	wantAttrs(t, asMap(attrs), map[string]string{
		"gen_ai.operation.name":                   "text_completion",
		"gen_ai.input.messages.0.message.role":    "system",
		"gen_ai.input.messages.0.message.content": "You are a physics teacher.",
		"gen_ai.input.messages.1.message.role":    "user",
		"gen_ai.input.messages.1.message.content": "Why is the sky blue? One sentence.",
		"input.value":               "Why is the sky blue? One sentence.",
		"input.mime_type":           "text/plain",
		"gen_ai.request.parameters": `{"options": {"temperature": 0, "seed": 42}}`,
	})
	for _, name := range []string{"generate_stream.ndjson", "generate_response.json"} {
		var a answer
		for _, l := range lines(t, name) {
			a.add(l)
		}
		wantAttrs(t, asMap(a.attrs()), map[string]string{
			"gen_ai.output.messages.0.message.content": "Rayleigh scattering.",
			"gen_ai.usage.input_tokens":                "31",
			"gen_ai.usage.output_tokens":               "4",
			"gen_ai.usage.total_tokens":                "35",
		})
	}
}

func TestEmbed(t *testing.T) {
	attrs, stream := parseRequest(pathEmbed, fixture(t, "embed_request.json"))
	if stream {
		t.Error("embed is never streamed")
	}
	wantAttrs(t, asMap(attrs), map[string]string{
		"embedding.model_name":                  "all-minilm",
		"embedding.embeddings.0.embedding.text": "Why is the sky blue?",
		"embedding.embeddings.1.embedding.text": "Why is the grass green?",
		"input.value":                           `["Why is the sky blue?", "Why is the grass green?"]`,
	})
	wantAttrs(t, asMap(parseEmbedResponse(fixture(t, "embed_response.json"))), map[string]string{
		"embedding.embeddings.0.embedding.vector": "[0.010071029,-0.0017594862,0.05007221]",
		"embedding.embeddings.1.embedding.vector": "[-0.0098027075,0.06042469,0.025257962]",
		"gen_ai.usage.input_tokens":               "8",
	})
	attrs, _ = parseRequest(pathEmbed, []byte(`{"model":"m","input":"one text"}`))
	wantAttrs(t, asMap(attrs), map[string]string{"input.value": "one text", "input.mime_type": "text/plain", "embedding.embeddings.0.embedding.text": "one text"})
}

func TestErrors(t *testing.T) {
	if got := parseError(fixture(t, "error_response.json")); got != `model "llama9" not found, try pulling it first` {
		t.Fatalf("%q", got)
	}
	var a answer
	for _, l := range lines(t, "stream_error.ndjson") {
		a.add(l)
	}
	if a.done || a.err == "" {
		t.Fatalf("done %v err %q", a.done, a.err)
	}
	if got := asMap(a.attrs())["output.value"]; got != "Partial" {
		t.Fatalf("partial %q", got)
	}
}
