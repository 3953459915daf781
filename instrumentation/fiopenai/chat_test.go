package fiopenai

import (
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"

	"github.com/traceai-go/traceai/internal/llmparse"
)

func chatTestFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func chatKVMap(kvs []attribute.KeyValue) map[string]string {
	m := map[string]string{}
	for _, kv := range kvs {
		m[string(kv.Key)] = kv.Value.Emit()
	}
	return m
}

// chatExact fails unless got has exactly the keys and values of want.
func chatExact(t *testing.T, got []attribute.KeyValue, want map[string]string) {
	t.Helper()
	g := chatKVMap(got)
	if len(g) != len(got) {
		t.Errorf("duplicate keys in %v", got)
	}
	var keys []string
	for k := range g {
		keys = append(keys, k)
	}
	for k := range want {
		if _, ok := g[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		if g[k] != want[k] {
			t.Errorf("%s = %q, want %q", k, g[k], want[k])
		}
	}
}

func TestChatRequestToolsExact(t *testing.T) {
	body := chatTestFixture(t, "chat_tools_request.json")
	attrs, stream, ok := parseChatRequest(body)
	if !ok || stream {
		t.Fatal(ok, stream)
	}
	tool := `{"type": "function", "function": {"name": "get_weather", "description": "Current weather for a city", "parameters": {"type": "object", "properties": {"city": {"type": "string", "description": "City name"}}, "required": ["city"]}}}`
	m := "gen_ai.input.messages."
	chatExact(t, attrs, map[string]string{
		"gen_ai.operation.name":                                   "chat",
		"gen_ai.request.model":                                    "gpt-4o",
		"gen_ai.request.parameters":                               `{"model": "gpt-4o", "tool_choice": "auto", "parallel_tool_calls": true}`,
		"gen_ai.tool.definitions":                                 "[" + tool + "]",
		"gen_ai.tool.definitions.0.tool.json_schema":              tool,
		m + "0.message.role":                                      "user",
		m + "0.message.content":                                   "What's the weather in Paris and in Tokyo?",
		m + "1.message.role":                                      "assistant",
		m + "1.message.tool_calls.0.tool_call.id":                 "call_prev01",
		m + "1.message.tool_calls.0.tool_call.function.name":      "get_weather",
		m + "1.message.tool_calls.0.tool_call.function.arguments": `{"city":"Berlin"}`,
		m + "2.message.role":                                      "tool",
		m + "2.message.tool_call_id":                              "call_prev01",
		m + "2.message.content":                                   `{"temp_c":14,"sky":"cloudy"}`,
		m + "3.message.role":                                      "user",
		m + "3.message.content":                                   "Now Paris and Tokyo, please.",
		"input.value":                                             llmparse.Format(body),
		"input.mime_type":                                         "application/json",
	})
}

func TestChatRequestImageExact(t *testing.T) {
	body := chatTestFixture(t, "chat_image_request.json")
	attrs, _, ok := parseChatRequest(body)
	if !ok {
		t.Fatal("not parsed")
	}
	data := "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
	p := "gen_ai.input.messages.0.message."
	chatExact(t, attrs, map[string]string{
		"gen_ai.operation.name":                "chat",
		"gen_ai.request.model":                 "gpt-4o-mini",
		"gen_ai.request.parameters":            `{"model": "gpt-4o-mini", "max_completion_tokens": 300}`,
		p + "role":                             "user",
		p + "contents.0.message_content.type":  "text",
		p + "contents.0.message_content.text":  "What is in these images?",
		p + "contents.1.message_content.type":  "image",
		p + "contents.1.message_content.image": "https://upload.example.org/boardwalk.jpg",
		p + "contents.2.message_content.type":  "image",
		p + "contents.2.message_content.image": data,
		"gen_ai.input.images":                  `["https://upload.example.org/boardwalk.jpg", "` + data + `"]`,
		"input.value":                          llmparse.Format(body),
		"input.mime_type":                      "application/json",
	})
}

func TestChatRequestOddMessages(t *testing.T) {
	body := []byte(`{"model":"m","stream":true,"functions":[{"name":"f"}],"messages":[
		{"role":"assistant","content":null,"function_call":{"name":"lookup","arguments":"{\"q\":1}"}},
		{"role":"function","name":"lookup","content":"42"},
		{"role":"user","content":[{"type":"input_audio","input_audio":{"data":"UklGRg==","format":"wav"}},{"type":"file","file":{"file_id":"f1"}},{"type":"text","text":"é"}]},
		{"role":"user","content":["a","b"]},
		{"role":"developer","content":""},
		"junk"]}`)
	attrs, stream, ok := parseChatRequest(body)
	if !ok || !stream {
		t.Fatal(ok, stream)
	}
	m := "gen_ai.input.messages."
	chatExact(t, attrs, map[string]string{
		"gen_ai.operation.name":                          "chat",
		"gen_ai.request.model":                           "m",
		"gen_ai.request.parameters":                      `{"model": "m", "stream": true}`,
		m + "0.message.role":                             "assistant",
		m + "0.message.function_call_name":               "lookup",
		m + "0.message.function_call_arguments_json":     `{"q":1}`,
		m + "1.message.role":                             "function",
		m + "1.message.name":                             "lookup",
		m + "1.message.content":                          "42",
		m + "2.message.role":                             "user",
		m + "2.message.contents.0.message_content.type":  "audio",
		m + "2.message.contents.0.message_content.audio": "UklGRg==",
		m + "2.message.contents.2.message_content.type":  "text",
		m + "2.message.contents.2.message_content.text":  "é",
		m + "3.message.role":                             "user",
		m + "3.message.content":                          `["a", "b"]`,
		m + "4.message.role":                             "developer",
		"input.value":                                    llmparse.Format(body),
		"input.mime_type":                                "application/json",
	})
}

func TestChatRequestNotTraced(t *testing.T) {
	for _, body := range []string{``, `{`, `[]`, `"x"`, `null`, `{"model":"m"` + "\xff"} {
		if _, _, ok := parseChatRequest([]byte(body)); ok {
			t.Errorf("%q parsed", body)
		}
	}
	if _, _, ok := parseChatRequest([]byte(`{}`)); !ok {
		t.Error("an empty object is still a request (the server judges it)")
	}
}

func TestChatResponseExact(t *testing.T) {
	var r chatResult
	r.event(chatTestFixture(t, "chat_tools_response.json"))
	o := "gen_ai.output.messages.0.message."
	chatExact(t, r.attrs(), map[string]string{
		"gen_ai.request.model":                          "gpt-4o-2024-08-06",
		"gen_ai.response.model":                         "gpt-4o-2024-08-06",
		"gen_ai.response.id":                            "chatcmpl-Bt7Kq2LwX9cV1nM3pQ5rS8tU0vW",
		"gen_ai.response.finish_reasons":                `["tool_calls"]`,
		o + "role":                                      "assistant",
		o + "tool_calls.0.tool_call.id":                 "call_Xq1bV7nK2mL9pR3sT5uW8yZ0",
		o + "tool_calls.0.tool_call.function.name":      "get_weather",
		o + "tool_calls.0.tool_call.function.arguments": `{"city":"Paris"}`,
		o + "tool_calls.1.tool_call.id":                 "call_Ab4cD6eF8gH0iJ2kL4mN6oP8",
		o + "tool_calls.1.tool_call.function.name":      "get_weather",
		o + "tool_calls.1.tool_call.function.arguments": `{"city":"Tokyo"}`,
		"output.value":                                  `Function: get_weather({"city":"Paris"}) ` + "\n" + ` Function: get_weather({"city":"Tokyo"})`,
		"output.mime_type":                              "text/plain",
		"gen_ai.usage.input_tokens":                     "112",
		"gen_ai.usage.output_tokens":                    "46",
		"gen_ai.usage.total_tokens":                     "158",
		"gen_ai.usage.input_tokens.cache_read":          "64",
	})
}

func TestChatResponseAudioAndFunctionCall(t *testing.T) {
	var r chatResult
	r.event([]byte(`{"id":"c1","model":"gpt-4o-audio-preview","choices":[
		{"index":0,"message":{"role":"assistant","content":null,"audio":{"id":"audio_1","data":"UklGRg==","transcript":"Hello there.","expires_at":1}},"finish_reason":"stop"},
		{"index":1,"message":{"role":"assistant","content":null,"function_call":{"name":"lookup","arguments":"{}"}},"finish_reason":"function_call"}],
		"usage":{"prompt_tokens":10,"completion_tokens":20,"prompt_tokens_details":{"audio_tokens":3},"completion_tokens_details":{"audio_tokens":15}}}`))
	o := "gen_ai.output.messages."
	chatExact(t, r.attrs(), map[string]string{
		"gen_ai.request.model":                                     "gpt-4o-audio-preview",
		"gen_ai.response.model":                                    "gpt-4o-audio-preview",
		"gen_ai.response.id":                                       "c1",
		"gen_ai.response.finish_reasons":                           `["stop","function_call"]`,
		o + "0.message.role":                                       "assistant",
		o + "0.message.content.0.message_content.type":             "audio",
		o + "0.message.content.0.message_content.audio":            "UklGRg==",
		o + "0.message.content.0.message_content.audio.transcript": "Hello there.",
		o + "1.message.role":                                       "assistant",
		o + "1.message.function_call_name":                         "lookup",
		o + "1.message.function_call_arguments_json":               "{}",
		"output.value":                                             "Hello there.",
		"output.mime_type":                                         "text/plain",
		"gen_ai.usage.input_tokens":                                "10",
		"gen_ai.usage.output_tokens":                               "20",
		"gen_ai.usage.total_tokens":                                "30",
		"gen_ai.usage.input_tokens.audio":                          "3",
		"gen_ai.usage.output_tokens.audio":                         "15",
	})
}

// chatToChunks rewrites a whole completion as the stream of chunks that
// would deliver it: role first, then content, refusal and tool-call
// arguments a few characters at a time, finish reasons, then usage.
func chatToChunks(t *testing.T, whole []byte) [][]byte {
	var r struct {
		ID      string `json:"id"`
		Model   string `json:"model"`
		Choices []struct {
			Index   int    `json:"index"`
			Finish  string `json:"finish_reason"`
			Message struct {
				Role      string `json:"role"`
				Content   string `json:"content"`
				Refusal   string `json:"refusal"`
				ToolCalls []struct {
					ID       string `json:"id"`
					Function struct {
						Name      string `json:"name"`
						Arguments string `json:"arguments"`
					} `json:"function"`
				} `json:"tool_calls"`
			} `json:"message"`
		} `json:"choices"`
		Usage json.RawMessage `json:"usage"`
	}
	if err := json.Unmarshal(whole, &r); err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	emit := func(choice int, delta map[string]any, finish any) {
		b, _ := json.Marshal(map[string]any{"id": r.ID, "model": r.Model, "object": "chat.completion.chunk",
			"choices": []any{map[string]any{"index": choice, "delta": delta, "finish_reason": finish}}})
		out = append(out, b)
	}
	pieces := func(s string) []string {
		var p []string
		for len(s) > 3 {
			p, s = append(p, s[:3]), s[3:]
		}
		return append(p, s)
	}
	for _, c := range r.Choices {
		emit(c.Index, map[string]any{"role": c.Message.Role, "content": ""}, nil)
		for _, p := range pieces(c.Message.Content) {
			emit(c.Index, map[string]any{"content": p}, nil)
		}
		if c.Message.Refusal != "" {
			for _, p := range pieces(c.Message.Refusal) {
				emit(c.Index, map[string]any{"refusal": p}, nil)
			}
		}
		for k, tc := range c.Message.ToolCalls {
			emit(c.Index, map[string]any{"tool_calls": []any{map[string]any{"index": k, "id": tc.ID, "type": "function",
				"function": map[string]any{"name": tc.Function.Name, "arguments": ""}}}}, nil)
			for _, p := range pieces(tc.Function.Arguments) {
				emit(c.Index, map[string]any{"tool_calls": []any{map[string]any{"index": k, "function": map[string]any{"arguments": p}}}}, nil)
			}
		}
	}
	for _, c := range r.Choices {
		emit(c.Index, map[string]any{}, c.Finish)
	}
	b, _ := json.Marshal(map[string]any{"id": r.ID, "model": r.Model, "choices": []any{}, "usage": r.Usage})
	return append(out, b, []byte("[DONE]"))
}

// TestChatStreamSameAsWhole: a completion rebuilt from its stream chunks
// gives exactly the attributes of the completion received whole.
func TestChatStreamSameAsWhole(t *testing.T) {
	for _, name := range []string{"chat_response.json", "chat_tools_response.json", "chat_n2_response.json", "chat_refusal_response.json", "chat_reasoning_response.json"} {
		whole := chatTestFixture(t, name)
		var w, s chatResult
		w.event(whole)
		for _, c := range chatToChunks(t, whole) {
			s.event(c)
		}
		want := chatKVMap(w.attrs())
		chatExact(t, s.attrs(), want)
		if len(want) < 10 {
			t.Errorf("%s: only %d attributes", name, len(want))
		}
	}
}

func TestChatAPIError(t *testing.T) {
	for _, tc := range []struct {
		status int
		body   string
		want   string
	}{
		{401, string(chatTestFixture(t, "chat_error_401.json")), "openai: 401 invalid_request_error: Incorrect API key provided"},
		{500, `{"error":{"message":"boom","type":null,"code":"server_down"}}`, "openai: 500 server_down: boom"},
		{400, `{"object":"error","message":"max_tokens is too large","type":"BadRequestError","param":null,"code":400}`, "openai: 400 BadRequestError: max_tokens is too large"},
		{404, `{"error":"model 'llama9' not found"}`, "openai: 404: model 'llama9' not found"},
		{502, `<html>Bad Gateway</html>`, "openai: 502: Bad Gateway"},
		{503, ``, "openai: 503: Service Unavailable"},
	} {
		err := apiError("openai", tc.status, []byte(tc.body))
		var ae *llmparse.APIError
		if !errors.As(err, &ae) || ae.StatusCode != tc.status || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%d %s: %v, want %q", tc.status, tc.body, err, tc.want)
		}
	}
}

func TestChatStreamErrorEvent(t *testing.T) {
	c := &llmCall{exchange: exchange{provider: "azure"}, name: "ChatCompletion", acc: &chatResult{}}
	c.Response(&http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"text/event-stream"}}})
	c.Event([]byte(`{"id":"x","model":"m","choices":[{"index":0,"delta":{"content":"Hi"}}]}`))
	c.Event([]byte(`{"error":{"message":"overloaded","type":"server_error"}}`))
	attrs, err := c.End()
	if err == nil || err.Error() != "azure: server_error: overloaded" {
		t.Errorf("err %v", err)
	}
	if chatKVMap(attrs)["gen_ai.output.messages.0.message.content"] != "Hi" {
		t.Errorf("attrs %v", attrs)
	}
}

// TestChatParametersMatchShared: the parameters gathered while reading the
// request are those the shared requestParameters helper computes.
func TestChatParametersMatchShared(t *testing.T) {
	bodies := [][]byte{chatTestFixture(t, "chat_request.json"), chatTestFixture(t, "chat_tools_request.json"), chatTestFixture(t, "chat_image_request.json"),
		[]byte(`{"messages":[],"functions":[],"a":null,"b":{"x" : [1, 2.50, "é\u00e9"]},"c\u0041":"\n"}`), []byte(`{"messages":[]}`)}
	for _, b := range bodies {
		attrs, _, _ := parseChatRequest(b)
		var shared llmparse.Attrs
		requestParameters(&shared, b, "messages", "functions", "tools")
		got, want := chatKVMap(attrs)["gen_ai.request.parameters"], chatKVMap(shared)["gen_ai.request.parameters"]
		if got != want {
			t.Errorf("%s: %q, shared helper %q", b, got, want)
		}
	}
}

// TestChatKeysPastCache: messages, parts, tool calls and choices past the
// prebuilt keys get the same keys, built on the fly.
func TestChatKeysPastCache(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"model":"m","messages":[`)
	for i := 0; i < 40; i++ {
		b.WriteString(`{"role":"user","content":"m` + string(rune('a'+i%26)) + `"},`)
	}
	b.WriteString(`{"role":"user","content":[{"type":"text","text":"0"},{"type":"text","text":"1"},{"type":"text","text":"2"},{"type":"text","text":"3"},{"type":"text","text":"4"},{"type":"text","text":"5"}]}]}`)
	attrs, _, _ := parseChatRequest([]byte(b.String()))
	m := chatKVMap(attrs)
	if m["gen_ai.input.messages.39.message.content"] != "mn" || m["gen_ai.input.messages.40.message.contents.5.message_content.text"] != "5" ||
		m["gen_ai.input.messages.3.message.role"] != "user" {
		t.Errorf("keys past the cache: %v", m)
	}
	var r chatResult
	r.event([]byte(`{"choices":[{"index":6,"message":{"content":"six","tool_calls":[{"id":"a"},{"id":"b"},{"id":"c"},{"id":"d"},{"id":"e","function":{"name":"f","arguments":"{}"}}]}}]}`))
	m = chatKVMap(r.attrs())
	if m["gen_ai.output.messages.6.message.content"] != "six" || m["gen_ai.output.messages.6.message.tool_calls.4.tool_call.function.name"] != "f" {
		t.Errorf("output keys past the cache: %v", m)
	}
}

// TestChatCompatibleReasoning: reasoning text of OpenAI-compatible servers
// (DeepSeek's reasoning_content in a stream, Mistral's content parts) is
// kept as a thinking part; the answer stays the content.
func TestChatCompatibleReasoning(t *testing.T) {
	var s chatResult
	for _, c := range []string{
		`{"id":"d1","model":"deepseek-reasoner","choices":[{"index":0,"delta":{"role":"assistant","content":null,"reasoning_content":"Paris is "}}]}`,
		`{"id":"d1","model":"deepseek-reasoner","choices":[{"index":0,"delta":{"content":null,"reasoning_content":"the capital."}}]}`,
		`{"id":"d1","model":"deepseek-reasoner","choices":[{"index":0,"delta":{"content":"Paris."},"finish_reason":"stop"}]}`,
	} {
		s.event([]byte(c))
	}
	m := chatKVMap(s.attrs())
	o := "gen_ai.output.messages.0.message."
	if m[o+"content"] != "Paris." || m[o+"contents.0.message_content.type"] != "thinking" || m[o+"contents.0.message_content.text"] != "Paris is the capital." || m["output.value"] != "Paris." {
		t.Errorf("deepseek stream: %v", m)
	}
	var w chatResult
	w.whole([]byte(`{"id":"m1","model":"magistral-medium","choices":[{"index":0,"message":{"role":"assistant","content":[{"type":"thinking","thinking":[{"type":"text","text":"Think."}]},{"type":"text","text":"Paris."}]},"finish_reason":"stop"}]}`))
	m = chatKVMap(w.attrs())
	if m[o+"content"] != "Paris." || m[o+"contents.0.message_content.text"] != "Think." {
		t.Errorf("mistral parts: %v", m)
	}
}
