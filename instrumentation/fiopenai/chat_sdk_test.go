package fiopenai_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/shared"
	goopenai "github.com/sashabaranov/go-openai"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/instrumentation/fiopenai"
)

const chatAPIKey = "sk-test-0123456789abcdefSECRETcret"

func chatFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// chatRecorder is a provider as traceai.Register builds one (the fi span processor
// first) with a span chatRecorder behind it.
func chatRecorder() (*sdktrace.TracerProvider, *tracetest.SpanRecorder) {
	sr := tracetest.NewSpanRecorder()
	return sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(fi.NewSpanProcessor()), sdktrace.WithSpanProcessor(sr)), sr
}

func chatAttrs(s sdktrace.ReadOnlySpan) map[string]string {
	m := map[string]string{}
	for _, kv := range s.Attributes() {
		m[string(kv.Key)] = kv.Value.Emit()
	}
	return m
}

func chatCtx() context.Context {
	ctx := fi.UsingSession(context.Background(), "sess-1")
	return fi.UsingUser(ctx, "user-1")
}

// chatReply is one answer of the chatReplay server: a status and a fixture.
type chatReply struct {
	status  int
	fixture string
	header  map[string]string
}

// chatReplay serves its replies in turn (the last one repeats) and keeps
// what it received.
type chatReplay struct {
	*httptest.Server
	mu      sync.Mutex
	replies []chatReply
	bodies  [][]byte
	headers []http.Header
	paths   []string
}

func newChatReplay(t testing.TB, replies ...chatReply) *chatReplay {
	s := &chatReplay{replies: replies}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		n := len(s.bodies)
		s.bodies = append(s.bodies, b)
		s.headers = append(s.headers, r.Header.Clone())
		s.paths = append(s.paths, r.URL.Path)
		rp := s.replies[min(n, len(s.replies)-1)]
		s.mu.Unlock()
		ct := "application/json"
		if strings.HasSuffix(rp.fixture, ".sse") {
			ct = "text/event-stream; charset=utf-8"
		}
		w.Header().Set("Content-Type", ct)
		for k, v := range rp.header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(rp.status)
		w.Write(chatFixture(t, rp.fixture))
	}))
	t.Cleanup(s.Close)
	return s
}

func chatOAClient(s *chatReplay, tp *sdktrace.TracerProvider, extra ...option.RequestOption) openai.Client {
	opts := append([]option.RequestOption{
		option.WithBaseURL(s.URL + "/v1"),
		option.WithAPIKey(chatAPIKey),
		option.WithMaxRetries(0),
		option.WithMiddleware(fiopenai.Middleware(fiopenai.WithTracerProvider(tp))),
	}, extra...)
	return openai.NewClient(opts...)
}

func chatGoClient(s *chatReplay, tp *sdktrace.TracerProvider) *goopenai.Client {
	cfg := goopenai.DefaultConfig(chatAPIKey)
	cfg.BaseURL = s.URL + "/v1"
	cfg.HTTPClient = &http.Client{Transport: fiopenai.NewTransport(nil, fiopenai.WithTracerProvider(tp))}
	return goopenai.NewClientWithConfig(cfg)
}

func chatParams() openai.ChatCompletionNewParams {
	return openai.ChatCompletionNewParams{
		Model: openai.ChatModelGPT4oMini,
		Messages: []openai.ChatCompletionMessageParamUnion{
			openai.SystemMessage("You are a concise assistant for a travel agency."),
			openai.UserMessage("What is the capital of France?"),
		},
		MaxTokens:   openai.Int(64),
		Temperature: openai.Float(0.2),
	}
}

// chatWant checks every key of w against the span's attributes; "" means the
// key must be absent.
func chatWant(t *testing.T, sp sdktrace.ReadOnlySpan, w map[string]string) {
	t.Helper()
	a := chatAttrs(sp)
	for k, v := range w {
		got, ok := a[k]
		if v == "" && ok {
			t.Errorf("%s = %q, chatWant no such key", k, got)
		} else if v != "" && got != v {
			t.Errorf("%s = %q, chatWant %q", k, got, v)
		}
	}
}

// chatNoSecrets fails when the API key appears in any attribute, event or
// status of the spans.
func chatNoSecrets(t *testing.T, spans []sdktrace.ReadOnlySpan) {
	t.Helper()
	for _, sp := range spans {
		for _, kv := range sp.Attributes() {
			if strings.Contains(kv.Value.Emit(), chatAPIKey) || strings.Contains(kv.Value.Emit(), "Bearer") {
				t.Errorf("secret recorded in %s", kv.Key)
			}
		}
		for _, e := range sp.Events() {
			for _, kv := range e.Attributes {
				if strings.Contains(kv.Value.Emit(), chatAPIKey) {
					t.Errorf("secret recorded in event %s %s", e.Name, kv.Key)
				}
			}
		}
		if strings.Contains(sp.Status().Description, chatAPIKey) {
			t.Error("secret in status")
		}
	}
}

func chatOneSpan(t *testing.T, sr *tracetest.SpanRecorder) sdktrace.ReadOnlySpan {
	t.Helper()
	spans := sr.Ended()
	if len(spans) != 1 || len(sr.Started()) != 1 {
		t.Fatalf("%d spans ended, %d started; chatWant 1", len(spans), len(sr.Started()))
	}
	chatNoSecrets(t, spans)
	return spans[0]
}

func TestChatOpenAIGo(t *testing.T) {
	tp, sr := chatRecorder()
	s := newChatReplay(t, chatReply{200, "chat_response.json", nil})
	c := chatOAClient(s, tp)
	res, err := c.Chat.Completions.New(chatCtx(), chatParams())
	if err != nil {
		t.Fatal(err)
	}
	if res.Choices[0].Message.Content != "The capital of France is Paris." || res.Usage.TotalTokens != 39 {
		t.Fatalf("client got %+v", res)
	}
	sp := chatOneSpan(t, sr)
	if sp.Name() != "ChatCompletion" || sp.Status().Code != codes.Ok {
		t.Errorf("name %q status %v", sp.Name(), sp.Status())
	}
	chatWant(t, sp, map[string]string{
		"gen_ai.span.kind":                            "LLM",
		"gen_ai.provider.name":                        "openai",
		"gen_ai.operation.name":                       "chat",
		"session.id":                                  "sess-1",
		"gen_ai.conversation.id":                      "sess-1",
		"user.id":                                     "user-1",
		"gen_ai.request.model":                        "gpt-4o-mini-2024-07-18",
		"gen_ai.response.model":                       "gpt-4o-mini-2024-07-18",
		"gen_ai.response.id":                          "chatcmpl-Aq2xYz7nQ1bV3kLmN8pR4sT6uW0",
		"gen_ai.response.finish_reasons":              `["stop"]`,
		"gen_ai.request.parameters":                   `{"model": "gpt-4o-mini", "max_tokens": 64, "temperature": 0.2}`,
		"gen_ai.input.messages.0.message.role":        "system",
		"gen_ai.input.messages.0.message.content":     "You are a concise assistant for a travel agency.",
		"gen_ai.input.messages.1.message.role":        "user",
		"gen_ai.input.messages.1.message.content":     "What is the capital of France?",
		"gen_ai.output.messages.0.message.role":       "assistant",
		"gen_ai.output.messages.0.message.content":    "The capital of France is Paris.",
		"gen_ai.usage.input_tokens":                   "31",
		"gen_ai.usage.output_tokens":                  "8",
		"gen_ai.usage.total_tokens":                   "39",
		"gen_ai.usage.input_tokens.cache_read":        "",
		"gen_ai.usage.output_tokens.reasoning":        "",
		"gen_ai.tool.definitions":                     "",
		"gen_ai.request.retry_attempt":                "",
		"input.mime_type":                             "application/json",
		"input.value":                                 `{"messages": [{"content": "You are a concise assistant for a travel agency.", "role": "system"}, {"content": "What is the capital of France?", "role": "user"}], "model": "gpt-4o-mini", "max_tokens": 64, "temperature": 0.2}`,
		"output.value":                                "The capital of France is Paris.",
		"output.mime_type":                            "text/plain",
		"gen_ai.output.messages.0.message.tool_calls": "",
	})
}

func TestChatGoOpenAI(t *testing.T) {
	tp, sr := chatRecorder()
	s := newChatReplay(t, chatReply{200, "chat_response.json", nil})
	c := chatGoClient(s, tp)
	res, err := c.CreateChatCompletion(chatCtx(), goopenai.ChatCompletionRequest{
		Model: "gpt-4o-mini",
		Messages: []goopenai.ChatCompletionMessage{
			{Role: "system", Content: "You are a concise assistant for a travel agency."},
			{Role: "user", Content: "What is the capital of France?", Name: "ana"},
		},
		MaxTokens:   64,
		Temperature: 0.2,
		User:        "end-user-42",
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Choices[0].Message.Content != "The capital of France is Paris." {
		t.Fatalf("client got %+v", res)
	}
	sp := chatOneSpan(t, sr)
	chatWant(t, sp, map[string]string{
		"gen_ai.span.kind":                         "LLM",
		"gen_ai.provider.name":                     "openai",
		"session.id":                               "sess-1",
		"user.id":                                  "user-1",
		"gen_ai.request.model":                     "gpt-4o-mini-2024-07-18",
		"gen_ai.request.parameters":                `{"model": "gpt-4o-mini", "max_tokens": 64, "temperature": 0.2, "stream": false, "user": "end-user-42"}`,
		"gen_ai.input.messages.1.message.name":     "ana",
		"gen_ai.input.messages.1.message.content":  "What is the capital of France?",
		"gen_ai.output.messages.0.message.content": "The capital of France is Paris.",
		"gen_ai.usage.total_tokens":                "39",
		"output.value":                             "The capital of France is Paris.",
	})
	if got := chatAttrs(sp)["input.value"]; got != string(chatPyLayout(s.bodies[0])) {
		t.Errorf("input.value %q is not the request body %q", got, s.bodies[0])
	}
}

// chatPyLayout is the Python layout of a compact JSON document without
// escapes, for comparing input.value with what the server received.
func chatPyLayout(b []byte) []byte {
	var out []byte
	in := false
	for i := 0; i < len(b); i++ {
		c := b[i]
		out = append(out, c)
		switch {
		case c == '"' && (i == 0 || b[i-1] != '\\'):
			in = !in
		case !in && (c == ',' || c == ':'):
			out = append(out, ' ')
		}
	}
	return out
}

func chatWeatherTool() openai.ChatCompletionToolUnionParam {
	return openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
		Name:        "get_weather",
		Description: openai.String("Current weather for a city"),
		Parameters: shared.FunctionParameters{
			"type":       "object",
			"properties": map[string]any{"city": map[string]any{"type": "string", "description": "City name"}},
			"required":   []string{"city"},
		},
	})
}

func TestChatOpenAIGoToolCalls(t *testing.T) {
	tp, sr := chatRecorder()
	s := newChatReplay(t, chatReply{200, "chat_tools_response.json", nil})
	c := chatOAClient(s, tp)
	prev := openai.ChatCompletionMessage{Role: "assistant", ToolCalls: []openai.ChatCompletionMessageToolCallUnion{{
		ID: "call_prev01", Type: "function", Function: openai.ChatCompletionMessageFunctionToolCallFunction{Name: "get_weather", Arguments: `{"city":"Berlin"}`},
	}}}
	params := openai.ChatCompletionNewParams{
		Model: openai.ChatModelGPT4o,
		Messages: []openai.ChatCompletionMessageParamUnion{
			openai.UserMessage("What's the weather in Paris and in Tokyo?"),
			prev.ToParam(),
			openai.ToolMessage(`{"temp_c":14,"sky":"cloudy"}`, "call_prev01"),
			openai.UserMessage("Now Paris and Tokyo, please."),
		},
		Tools: []openai.ChatCompletionToolUnionParam{chatWeatherTool()},
	}
	res, err := c.Chat.Completions.New(chatCtx(), params)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Choices[0].Message.ToolCalls) != 2 {
		t.Fatalf("client got %+v", res.Choices[0].Message)
	}
	sp := chatOneSpan(t, sr)
	tool := `{"function": {"name": "get_weather", "description": "Current weather for a city", "parameters": {"properties": {"city": {"description": "City name", "type": "string"}}, "required": ["city"], "type": "object"}}, "type": "function"}`
	chatWant(t, sp, map[string]string{
		"gen_ai.tool.definitions":                                                    "[" + tool + "]",
		"gen_ai.tool.definitions.0.tool.json_schema":                                 tool,
		"gen_ai.request.parameters":                                                  `{"model": "gpt-4o"}`,
		"gen_ai.input.messages.1.message.role":                                       "assistant",
		"gen_ai.input.messages.1.message.content":                                    "",
		"gen_ai.input.messages.1.message.tool_calls.0.tool_call.id":                  "call_prev01",
		"gen_ai.input.messages.1.message.tool_calls.0.tool_call.function.name":       "get_weather",
		"gen_ai.input.messages.1.message.tool_calls.0.tool_call.function.arguments":  `{"city":"Berlin"}`,
		"gen_ai.input.messages.2.message.role":                                       "tool",
		"gen_ai.input.messages.2.message.tool_call_id":                               "call_prev01",
		"gen_ai.input.messages.2.message.content":                                    `{"temp_c":14,"sky":"cloudy"}`,
		"gen_ai.output.messages.0.message.role":                                      "assistant",
		"gen_ai.output.messages.0.message.content":                                   "",
		"gen_ai.output.messages.0.message.tool_calls.0.tool_call.id":                 "call_Xq1bV7nK2mL9pR3sT5uW8yZ0",
		"gen_ai.output.messages.0.message.tool_calls.0.tool_call.function.name":      "get_weather",
		"gen_ai.output.messages.0.message.tool_calls.0.tool_call.function.arguments": `{"city":"Paris"}`,
		"gen_ai.output.messages.0.message.tool_calls.1.tool_call.id":                 "call_Ab4cD6eF8gH0iJ2kL4mN6oP8",
		"gen_ai.output.messages.0.message.tool_calls.1.tool_call.function.arguments": `{"city":"Tokyo"}`,
		"gen_ai.response.finish_reasons":                                             `["tool_calls"]`,
		"gen_ai.usage.input_tokens.cache_read":                                       "64",
		"output.value":                                                               `Function: get_weather({"city":"Paris"}) ` + "\n" + ` Function: get_weather({"city":"Tokyo"})`,
		"output.mime_type":                                                           "text/plain",
	})
}

func TestChatOpenAIGoMultiPartImage(t *testing.T) {
	tp, sr := chatRecorder()
	s := newChatReplay(t, chatReply{200, "chat_response.json", nil})
	dataURL := "data:image/png;base64," + strings.Repeat("iVBORw0KGgo", 20)
	// A short limit: the data URL is redacted inside the input messages.
	cfg := fi.TraceConfig{Base64ImageMaxLength: 100}
	c := openai.NewClient(option.WithBaseURL(s.URL+"/v1"), option.WithAPIKey(chatAPIKey), option.WithMaxRetries(0),
		option.WithMiddleware(fiopenai.Middleware(fiopenai.WithTracerProvider(tp), fiopenai.WithTraceConfig(cfg))))
	_, err := c.Chat.Completions.New(chatCtx(), openai.ChatCompletionNewParams{
		Model: openai.ChatModelGPT4oMini,
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage([]openai.ChatCompletionContentPartUnionParam{
			openai.TextContentPart("What is in these images?"),
			openai.ImageContentPart(openai.ChatCompletionContentPartImageImageURLParam{URL: "https://upload.example.org/boardwalk.jpg", Detail: "low"}),
			openai.ImageContentPart(openai.ChatCompletionContentPartImageImageURLParam{URL: dataURL}),
		})},
	})
	if err != nil {
		t.Fatal(err)
	}
	sp := chatOneSpan(t, sr)
	if iv := chatAttrs(sp)["input.value"]; strings.Contains(iv, "iVBORw0KGgo") || !strings.Contains(iv, `"url": "__REDACTED__"`) || !strings.Contains(iv, "boardwalk.jpg") {
		t.Errorf("oversize data URL in input.value: %s", iv)
	}
	p := "gen_ai.input.messages.0.message."
	chatWant(t, sp, map[string]string{
		p + "role":                                 "user",
		p + "content":                              "",
		p + "contents.0.message_content.type":      "text",
		p + "contents.0.message_content.text":      "What is in these images?",
		p + "contents.1.message_content.type":      "image",
		p + "contents.1.message_content.image":     "https://upload.example.org/boardwalk.jpg",
		p + "contents.2.message_content.type":      "image",
		p + "contents.2.message_content.image":     "__REDACTED__",
		"gen_ai.input.images":                      `["https://upload.example.org/boardwalk.jpg", "__REDACTED__"]`,
		"gen_ai.output.messages.0.message.content": "The capital of France is Paris.",
	})

	// With the default limit the same data URL is kept.
	tp2, sr2 := chatRecorder()
	c = chatOAClient(s, tp2)
	c.Chat.Completions.New(chatCtx(), openai.ChatCompletionNewParams{
		Model: openai.ChatModelGPT4oMini,
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage([]openai.ChatCompletionContentPartUnionParam{
			openai.ImageContentPart(openai.ChatCompletionContentPartImageImageURLParam{URL: dataURL}),
		})},
	})
	chatWant(t, chatOneSpan(t, sr2), map[string]string{p + "contents.0.message_content.image": dataURL, "gen_ai.input.images": `["` + dataURL + `"]`})

	// Hidden images leave neither the parts nor the list.
	for _, cfg := range []fi.TraceConfig{fi.TraceConfig{HideInputImages: true}, fi.TraceConfig{HideInputs: true}, fi.TraceConfig{HideInputMessages: true}} {
		tp3, sr3 := chatRecorder()
		c = openai.NewClient(option.WithBaseURL(s.URL+"/v1"), option.WithAPIKey(chatAPIKey), option.WithMaxRetries(0),
			option.WithMiddleware(fiopenai.Middleware(fiopenai.WithTracerProvider(tp3), fiopenai.WithTraceConfig(cfg))))
		c.Chat.Completions.New(chatCtx(), openai.ChatCompletionNewParams{
			Model: openai.ChatModelGPT4oMini,
			Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage([]openai.ChatCompletionContentPartUnionParam{
				openai.TextContentPart("What is this?"),
				openai.ImageContentPart(openai.ChatCompletionContentPartImageImageURLParam{URL: dataURL}),
			})},
		})
		sp := chatOneSpan(t, sr3)
		chatWant(t, sp, map[string]string{p + "contents.1.message_content.image": "", "gen_ai.input.images": "", "session.id": "sess-1"})
		// input.value (the whole request) follows HideInputs and HideInputImages,
		// not HideInputMessages, as in the reference.
		if strings.Contains(chatAttrs(sp)["input.value"], "iVBORw0KGgo") != cfg.HideInputMessages {
			t.Errorf("hidden image kept in input.value")
		}
	}
}

func TestChatOpenAIGoMultipleChoices(t *testing.T) {
	tp, sr := chatRecorder()
	s := newChatReplay(t, chatReply{200, "chat_n2_response.json", nil})
	c := chatOAClient(s, tp)
	p := chatParams()
	p.N = openai.Int(2)
	res, err := c.Chat.Completions.New(chatCtx(), p)
	if err != nil || len(res.Choices) != 2 {
		t.Fatal(err, res)
	}
	chatWant(t, chatOneSpan(t, sr), map[string]string{
		"gen_ai.output.messages.0.message.content": "Paris.",
		"gen_ai.output.messages.1.message.role":    "assistant",
		"gen_ai.output.messages.1.message.content": "It is Paris, on the Seine.",
		"gen_ai.response.finish_reasons":           `["stop","length"]`,
		"output.value":                             "Paris.",
		"gen_ai.request.parameters":                `{"model": "gpt-4o-mini", "max_tokens": 64, "n": 2, "temperature": 0.2}`,
	})
}

func TestChatOpenAIGoRefusal(t *testing.T) {
	tp, sr := chatRecorder()
	s := newChatReplay(t, chatReply{200, "chat_refusal_response.json", nil})
	c := chatOAClient(s, tp)
	res, err := c.Chat.Completions.New(chatCtx(), chatParams())
	if err != nil || res.Choices[0].Message.Refusal == "" {
		t.Fatal(err, res)
	}
	sp := chatOneSpan(t, sr)
	chatWant(t, sp, map[string]string{
		"gen_ai.output.messages.0.message.content": "I'm sorry, I can't help with that request.",
		"output.value": "I'm sorry, I can't help with that request.",
	})
	if sp.Status().Code != codes.Ok {
		t.Errorf("a refusal is an answer, not an error: %v", sp.Status())
	}
}

func TestChatOpenAIGoReasoningUsage(t *testing.T) {
	tp, sr := chatRecorder()
	s := newChatReplay(t, chatReply{200, "chat_reasoning_response.json", nil})
	c := chatOAClient(s, tp)
	if _, err := c.Chat.Completions.New(chatCtx(), chatParams()); err != nil {
		t.Fatal(err)
	}
	chatWant(t, chatOneSpan(t, sr), map[string]string{
		"gen_ai.usage.input_tokens":            "1540",
		"gen_ai.usage.output_tokens":           "210",
		"gen_ai.usage.total_tokens":            "1750",
		"gen_ai.usage.input_tokens.cache_read": "1024",
		"gen_ai.usage.output_tokens.reasoning": "192",
		"gen_ai.request.model":                 "o3-mini-2025-01-31",
	})
}

func TestChatOpenAIGoHTTPErrors(t *testing.T) {
	for _, tc := range []struct {
		status  int
		fixture string
		desc    string
	}{
		{401, "chat_error_401.json", "openai: 401 invalid_request_error: Incorrect API key provided"},
		{429, "chat_error_429.json", "openai: 429 requests: Rate limit reached"},
		{500, "chat_error_500.json", "openai: 500 server_error: The server had an error"},
	} {
		tp, sr := chatRecorder()
		s := newChatReplay(t, chatReply{tc.status, tc.fixture, nil})
		c := chatOAClient(s, tp)
		_, err := c.Chat.Completions.New(chatCtx(), chatParams())
		var apiErr *openai.Error
		if !errors.As(err, &apiErr) || apiErr.StatusCode != tc.status || apiErr.Message == "" {
			t.Fatalf("%d: client error %v", tc.status, err)
		}
		sp := chatOneSpan(t, sr)
		if sp.Status().Code != codes.Error || !strings.Contains(sp.Status().Description, tc.desc) {
			t.Errorf("%d: status %v", tc.status, sp.Status())
		}
		if len(sp.Events()) == 0 || sp.Events()[0].Name != "exception" {
			t.Errorf("%d: no exception event: %v", tc.status, sp.Events())
		}
		chatWant(t, sp, map[string]string{
			"session.id":                           "sess-1",
			"gen_ai.input.messages.1.message.role": "user",
			"gen_ai.request.model":                 "gpt-4o-mini",
			"output.value":                         "",
			"gen_ai.response.model":                "",
		})
	}
}

func TestChatGoOpenAIHTTPError(t *testing.T) {
	tp, sr := chatRecorder()
	s := newChatReplay(t, chatReply{429, "chat_error_429.json", nil})
	c := chatGoClient(s, tp)
	_, err := c.CreateChatCompletion(chatCtx(), goopenai.ChatCompletionRequest{Model: "gpt-4o-mini",
		Messages: []goopenai.ChatCompletionMessage{{Role: "user", Content: "hi"}}})
	var apiErr *goopenai.APIError
	if !errors.As(err, &apiErr) || apiErr.HTTPStatusCode != 429 || apiErr.Code != "rate_limit_exceeded" {
		t.Fatalf("client error %v", err)
	}
	sp := chatOneSpan(t, sr)
	if sp.Status().Code != codes.Error || !strings.Contains(sp.Status().Description, "Rate limit reached") {
		t.Errorf("status %v", sp.Status())
	}
}

// TestOpenAIGoRetries: openai-go runs its middleware once per attempt, so
// a call retried after a 500 and a 429 is three spans; the retries carry
// gen_ai.request.retry_attempt 1 and 2, the first attempt none.
func TestChatOpenAIGoRetries(t *testing.T) {
	tp, sr := chatRecorder()
	fast := map[string]string{"retry-after-ms": "1"}
	s := newChatReplay(t, chatReply{500, "chat_error_500.json", fast}, chatReply{429, "chat_error_429.json", fast}, chatReply{200, "chat_response.json", nil})
	c := chatOAClient(s, tp, option.WithMaxRetries(2))
	if _, err := c.Chat.Completions.New(chatCtx(), chatParams()); err != nil {
		t.Fatal(err)
	}
	spans := sr.Ended()
	if len(spans) != 3 {
		t.Fatalf("%d spans for 3 attempts", len(spans))
	}
	chatNoSecrets(t, spans)
	for i, w := range []struct {
		code  codes.Code
		retry string
	}{{codes.Error, ""}, {codes.Error, "1"}, {codes.Ok, "2"}} {
		if spans[i].Status().Code != w.code {
			t.Errorf("attempt %d: status %v", i, spans[i].Status())
		}
		chatWant(t, spans[i], map[string]string{"gen_ai.request.retry_attempt": w.retry, "session.id": "sess-1"})
	}
	chatWant(t, spans[2], map[string]string{"output.value": "The capital of France is Paris."})
}

func TestChatSuppressTracing(t *testing.T) {
	tp, sr := chatRecorder()
	s := newChatReplay(t, chatReply{200, "chat_response.json", nil})
	oc := chatOAClient(s, tp)
	if _, err := oc.Chat.Completions.New(fi.SuppressTracing(chatCtx()), chatParams()); err != nil {
		t.Fatal(err)
	}
	if _, err := chatGoClient(s, tp).CreateChatCompletion(fi.SuppressTracing(context.Background()), goopenai.ChatCompletionRequest{Model: "m",
		Messages: []goopenai.ChatCompletionMessage{{Role: "user", Content: "hi"}}}); err != nil {
		t.Fatal(err)
	}
	if n := len(sr.Started()); n != 0 {
		t.Fatalf("%d spans under SuppressTracing", n)
	}
}

// TestChatAzure sends go-openai's Azure requests (api-key header, deployment
// path, api-version query) to a *.openai.azure.com host that resolves to
// the test server.
func TestChatAzure(t *testing.T) {
	tp, sr := chatRecorder()
	s := newChatReplay(t, chatReply{200, "chat_response.json", nil})
	addr := s.Listener.Addr().String()
	base := &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}}
	cfg := goopenai.DefaultAzureConfig(chatAPIKey, "http://contoso-eu.openai.azure.com")
	cfg.HTTPClient = &http.Client{Transport: fiopenai.NewTransport(base, fiopenai.WithTracerProvider(tp))}
	c := goopenai.NewClientWithConfig(cfg)
	if _, err := c.CreateChatCompletion(chatCtx(), goopenai.ChatCompletionRequest{Model: "gpt-4o-mini",
		Messages: []goopenai.ChatCompletionMessage{{Role: "user", Content: "hi"}}}); err != nil {
		t.Fatal(err)
	}
	if s.headers[0].Get("api-key") != chatAPIKey || !strings.HasPrefix(s.paths[0], "/openai/deployments/") {
		t.Fatalf("not an Azure request: %s %v", s.paths[0], s.headers[0])
	}
	chatWant(t, chatOneSpan(t, sr), map[string]string{
		"gen_ai.provider.name":                     "azure",
		"gen_ai.output.messages.0.message.content": "The capital of France is Paris.",
	})

	tp, sr = chatRecorder()
	s2 := newChatReplay(t, chatReply{401, "chat_error_401.json", nil})
	addr = s2.Listener.Addr().String()
	base.CloseIdleConnections()
	cfg.HTTPClient = &http.Client{Transport: fiopenai.NewTransport(base, fiopenai.WithTracerProvider(tp))}
	_, err := goopenai.NewClientWithConfig(cfg).CreateChatCompletion(chatCtx(), goopenai.ChatCompletionRequest{Model: "gpt-4o-mini",
		Messages: []goopenai.ChatCompletionMessage{{Role: "user", Content: "hi"}}})
	if err == nil {
		t.Fatal("no error")
	}
	if d := chatOneSpan(t, sr).Status().Description; !strings.Contains(d, "azure: 401 invalid_request_error: Incorrect API key") {
		t.Errorf("status %q", d)
	}
}

func TestChatMasking(t *testing.T) {
	tp, sr := chatRecorder()
	s := newChatReplay(t, chatReply{200, "chat_response.json", nil})
	cfg := fi.TraceConfig{HideInputs: true, HideOutputText: true}
	c := openai.NewClient(option.WithBaseURL(s.URL+"/v1"), option.WithAPIKey(chatAPIKey), option.WithMaxRetries(0),
		option.WithMiddleware(fiopenai.Middleware(fiopenai.WithTracerProvider(tp), fiopenai.WithTraceConfig(cfg))))
	if _, err := c.Chat.Completions.New(chatCtx(), chatParams()); err != nil {
		t.Fatal(err)
	}
	sp := chatOneSpan(t, sr)
	chatWant(t, sp, map[string]string{
		"input.value":                              "__REDACTED__",
		"input.mime_type":                          "",
		"gen_ai.input.messages.0.message.role":     "",
		"gen_ai.output.messages.0.message.content": "__REDACTED__",
		"gen_ai.output.messages.0.message.role":    "assistant",
		"session.id":                               "sess-1",
	})
}
