package figenai

import (
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

func TestRoute(t *testing.T) {
	for _, c := range []struct{ path, model, method string }{
		{"/v1beta/models/gemini-2.5-flash:generateContent", "gemini-2.5-flash", methodGenerate},
		{"/v1beta/models/gemini-2.5-flash:streamGenerateContent", "gemini-2.5-flash", methodStream},
		{"/v1beta1/projects/p/locations/us-central1/publishers/google/models/gemini-2.0-flash:generateContent", "gemini-2.0-flash", methodGenerate},
		{"/v1beta/models/text-embedding-004:batchEmbedContents", "text-embedding-004", methodBatchEmbed},
		{"/v1beta/models/text-embedding-004:embedContent", "text-embedding-004", methodEmbed},
	} {
		m, meth, ok := route(c.path)
		if !ok || m != c.model || meth != c.method {
			t.Errorf("route(%q) = %q %q %v", c.path, m, meth, ok)
		}
	}
	for _, p := range []string{"/v1beta/models/gemini:countTokens", "/v1beta/models", "/v1beta/cachedContents"} {
		if _, _, ok := route(p); ok {
			t.Errorf("route(%q) traced", p)
		}
	}
}

func TestParseGenerateRequest(t *testing.T) {
	got := asMap(parseGenerate("gemini-2.5-flash", fixture(t, "generate_request.json")))
	wantAttrs(t, got, map[string]string{
		"gen_ai.provider.name":                                                      "google",
		"gen_ai.request.model":                                                      "gemini-2.5-flash",
		"input.mime_type":                                                           "application/json",
		"gen_ai.request.parameters":                                                 `{"systemInstruction": {"parts": [{"text": "You are a weather assistant."}], "role": "user"}, "generationConfig": {"temperature": 0.3, "maxOutputTokens": 256, "thinkingConfig": {"includeThoughts": true}}}`,
		"gen_ai.input.messages.0.message.role":                                      "system",
		"gen_ai.input.messages.0.message.content":                                   "You are a weather assistant.",
		"gen_ai.input.messages.1.message.role":                                      "user",
		"gen_ai.input.messages.1.message.contents.0.message_content.type":           "text",
		"gen_ai.input.messages.1.message.contents.0.message_content.text":           "What's the weather in Paris?",
		"gen_ai.input.messages.2.message.role":                                      "model",
		"gen_ai.input.messages.2.message.tool_calls.0.tool_call.function.name":      "get_weather",
		"gen_ai.input.messages.2.message.tool_calls.0.tool_call.function.arguments": `{"location": "Paris"}`,
		"gen_ai.input.messages.2.message.tool_calls.0.tool_call.id":                 "call-1",
		"gen_ai.input.messages.3.message.content":                                   `{"temp_c": 21, "sky": "sunny"}`,
		"gen_ai.input.messages.3.message.tool_call_id":                              "call-1",
		"gen_ai.input.messages.4.message.contents.1.message_content.type":           "image",
		"gen_ai.input.messages.4.message.contents.2.message_content.type":           "audio",
		"gen_ai.input.messages.4.message.contents.2.message_content.audio":          "https://generativelanguage.googleapis.com/v1beta/files/abc123",
		"gen_ai.tool.definitions.0.tool.json_schema":                                `{"name": "get_weather", "description": "Get the weather for a city", "parameters": {"type": "OBJECT", "properties": {"location": {"type": "STRING"}}, "required": ["location"]}}`,
		"gen_ai.tool.definitions.1.tool.json_schema":                                `{"googleSearch": {}}`,
	})
	if !strings.HasPrefix(got["gen_ai.input.messages.4.message.contents.1.message_content.image"], "data:image/png;base64,iVBOR") {
		t.Error("inline image not recorded as a data URL")
	}
	if !strings.HasPrefix(got["input.value"], `{"contents": [`) {
		t.Errorf("input.value = %.40s", got["input.value"])
	}
}

func TestParseGenerateResponse(t *testing.T) {
	var g generation
	if !g.add(fixture(t, "generate_response.json")) {
		t.Fatal("not parsed")
	}
	got := asMap(g.attrs())
	wantAttrs(t, got, map[string]string{
		"gen_ai.request.model":                                                       "gemini-2.5-flash",
		"gen_ai.response.id":                                                         "mN0kaZ2vNvWv1MkPq5-ZmQQ",
		"gen_ai.response.finish_reasons":                                             `["STOP"]`,
		"gen_ai.usage.total_tokens":                                                  "154",
		"gen_ai.usage.input_tokens":                                                  "96",
		"gen_ai.usage.input_tokens.audio":                                            "16",
		"gen_ai.usage.output_tokens":                                                 "58",
		"gen_ai.usage.output_tokens.reasoning":                                       "40",
		"gen_ai.usage.input_tokens.cache_read":                                       "32",
		"gen_ai.output.messages.0.message.role":                                      "model",
		"gen_ai.output.messages.0.message.content":                                   "It is 21°C and sunny in Paris.\n The picture shows a pixel.",
		"gen_ai.output.messages.0.message.contents.0.message_content.type":           "thinking",
		"gen_ai.output.messages.0.message.contents.0.message_content.text":           "Thinking about the weather data first.",
		"gen_ai.output.messages.0.message.tool_calls.0.tool_call.function.name":      "get_forecast",
		"gen_ai.output.messages.0.message.tool_calls.0.tool_call.function.arguments": `{"location": "Paris", "days": 2}`,
		"output.value":     "It is 21°C and sunny in Paris.\n The picture shows a pixel.",
		"output.mime_type": "text/plain",
	})
}

func TestStreamChunksAccumulate(t *testing.T) {
	g := generation{stream: true}
	for _, ev := range bytes.Split(fixture(t, "stream_response.sse"), []byte("\r\n\r\n")) {
		if d, ok := bytes.CutPrefix(ev, []byte("data: ")); ok {
			g.add(d)
		}
	}
	got := asMap(g.attrs())
	wantAttrs(t, got, map[string]string{
		"gen_ai.output.messages.0.message.content": "Sunny and 21°C in Paris.",
		"gen_ai.response.finish_reasons":           `["STOP"]`,
		"gen_ai.usage.input_tokens":                "9",
		"gen_ai.usage.output_tokens":               "27",
		"gen_ai.usage.total_tokens":                "36",
		"gen_ai.response.id":                       "q90kaYSqI8KE1MkP5rC1oQU",
	})
}

func TestParseEmbed(t *testing.T) {
	got := asMap(parseEmbed("text-embedding-004", fixture(t, "embed_request.json")))
	wantAttrs(t, got, map[string]string{
		"embedding.model_name":                  "text-embedding-004",
		"embedding.embeddings.0.embedding.text": "The quick brown fox",
		"input.value":                           "The quick brown fox",
		"input.mime_type":                       "text/plain",
		"gen_ai.request.parameters":             `{"taskType": "RETRIEVAL_DOCUMENT", "outputDimensionality": 4}`,
	})
	got = asMap(parseEmbedResponse(fixture(t, "embed_response.json")))
	wantAttrs(t, got, map[string]string{"embedding.embeddings.0.embedding.vector": "[0.013168523,-0.008711934,-0.046782676,0.00069968984]"})

	got = asMap(parseEmbed("text-embedding-004", fixture(t, "batch_embed_request.json")))
	wantAttrs(t, got, map[string]string{
		"embedding.embeddings.0.embedding.text": "hello",
		"embedding.embeddings.1.embedding.text": "world",
		"input.value":                           `["hello", "world"]`,
		"input.mime_type":                       "application/json",
	})
	got = asMap(parseEmbedResponse(fixture(t, "batch_embed_response.json")))
	wantAttrs(t, got, map[string]string{
		"embedding.embeddings.0.embedding.vector": "[0.25,-0.5,0.125]",
		"embedding.embeddings.1.embedding.vector": "[-0.75,0.0625,1]",
	})
}

func TestParseError(t *testing.T) {
	st, msg := parseError(fixture(t, "error_response.json"))
	if st != "INVALID_ARGUMENT" || !strings.HasPrefix(msg, "API key not valid") {
		t.Fatalf("%q %q", st, msg)
	}
}
