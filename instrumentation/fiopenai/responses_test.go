package fiopenai_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/responses"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/instrumentation/fiopenai"
)

// Responses API tests: the real openai-go v3 client against recorded-shape
// fixtures (testdata/responses_*), following OpenAI's documented Response
// object and stream events.

const respInstructions = "You are a concise assistant for a travel agency."

// respCtx carries session and user as fi.UsingAttributes sets them.
func respCtx() context.Context {
	return fi.UsingAttributes(context.Background(), fi.Attributes{SessionID: "sess-1", UserID: "user-1"})
}

func respParams() responses.ResponseNewParams {
	return responses.ResponseNewParams{
		Model:           "gpt-4o-mini",
		Instructions:    openai.String(respInstructions),
		Input:           responses.ResponseNewParamsInputUnion{OfString: openai.String("What is the capital of France?")},
		MaxOutputTokens: openai.Int(64),
		Temperature:     openai.Float(0.2),
	}
}

// respExact fails unless the span has exactly the attributes of want.
func respExact(t *testing.T, sp sdktrace.ReadOnlySpan, want map[string]string) {
	t.Helper()
	got := chatAttrs(sp)
	var keys []string
	for k := range got {
		keys = append(keys, k)
	}
	for k := range want {
		if _, ok := got[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		if got[k] != want[k] {
			t.Errorf("%s = %q, want %q", k, got[k], want[k])
		}
	}
}

// respCommon are the attributes every span of respParams carries.
func respCommon(w map[string]string) map[string]string {
	m := map[string]string{
		"gen_ai.span.kind":                        "LLM",
		"gen_ai.provider.name":                    "openai",
		"gen_ai.operation.name":                   "chat",
		"session.id":                              "sess-1",
		"gen_ai.conversation.id":                  "sess-1",
		"user.id":                                 "user-1",
		"gen_ai.input.messages.0.message.role":    "system",
		"gen_ai.input.messages.0.message.content": respInstructions,
		"gen_ai.input.messages.1.message.role":    "user",
		"gen_ai.input.messages.1.message.content": "What is the capital of France?",
		"input.mime_type":                         "application/json",
		"input.value":                             `{"instructions": "You are a concise assistant for a travel agency.", "max_output_tokens": 64, "temperature": 0.2, "input": "What is the capital of France?", "model": "gpt-4o-mini"}`,
		"gen_ai.request.parameters":               `{"max_output_tokens": 64, "temperature": 0.2, "model": "gpt-4o-mini"}`,
	}
	for k, v := range w {
		m[k] = v
	}
	return m
}

func TestResponsesOpenAIGo(t *testing.T) {
	tp, sr := chatRecorder()
	s := newChatReplay(t, chatReply{200, "responses_response.json", nil})
	c := chatOAClient(s, tp)
	res, err := c.Responses.New(respCtx(), respParams())
	if err != nil {
		t.Fatal(err)
	}
	if res.OutputText() != "The capital of France is Paris." || res.Usage.TotalTokens != 39 || res.RawJSON() != string(chatFixture(t, "responses_response.json")) {
		t.Fatalf("client got %+v", res)
	}
	if got := string(s.bodies[0]); got != `{"instructions":"You are a concise assistant for a travel agency.","max_output_tokens":64,"temperature":0.2,"input":"What is the capital of France?","model":"gpt-4o-mini"}` {
		t.Fatalf("server got %s", got)
	}
	sp := chatOneSpan(t, sr)
	if sp.Name() != "Response" || sp.Status().Code != codes.Ok {
		t.Errorf("name %q status %v", sp.Name(), sp.Status())
	}
	o := "gen_ai.output.messages.0.message."
	respExact(t, sp, respCommon(map[string]string{
		"gen_ai.request.model":                "gpt-4o-mini-2024-07-18",
		"gen_ai.response.model":               "gpt-4o-mini-2024-07-18",
		"gen_ai.response.id":                  "resp_0a1f3c5e7b9d2f4a0068e4c2fa91b48190a7c3d5e6f7a8b9c0",
		"gen_ai.response.finish_reasons":      `["completed"]`,
		o + "role":                            "assistant",
		o + "contents.0.message_content.type": "text",
		o + "contents.0.message_content.text": "The capital of France is Paris.",
		"gen_ai.usage.input_tokens":           "31",
		"gen_ai.usage.output_tokens":          "8",
		"gen_ai.usage.total_tokens":           "39",
		"output.value":                        "The capital of France is Paris.",
		"output.mime_type":                    "text/plain",
	}))
}

// TestResponsesOpenAIGoReasoning: a reasoning model's summary becomes an
// assistant message of text parts; cached and reasoning tokens are kept.
func TestResponsesOpenAIGoReasoning(t *testing.T) {
	tp, sr := chatRecorder()
	s := newChatReplay(t, chatReply{200, "responses_reasoning_response.json", nil})
	c := chatOAClient(s, tp)
	p := responses.ResponseNewParams{
		Model: "o4-mini",
		Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("How do I get from Paris to Lyon?")},
	}
	p.Reasoning.Effort = "medium"
	p.Reasoning.Summary = "auto"
	res, err := c.Responses.New(respCtx(), p)
	if err != nil {
		t.Fatal(err)
	}
	if res.OutputText() != "Take the TGV: about 2 hours from Paris Gare de Lyon." || res.Usage.OutputTokensDetails.ReasoningTokens != 256 {
		t.Fatalf("client got %+v", res)
	}
	sp := chatOneSpan(t, sr)
	o := "gen_ai.output.messages."
	respExact(t, sp, map[string]string{
		"gen_ai.span.kind":                              "LLM",
		"gen_ai.provider.name":                          "openai",
		"gen_ai.operation.name":                         "chat",
		"session.id":                                    "sess-1",
		"gen_ai.conversation.id":                        "sess-1",
		"user.id":                                       "user-1",
		"gen_ai.input.messages.1.message.role":          "user",
		"gen_ai.input.messages.1.message.content":       "How do I get from Paris to Lyon?",
		"input.mime_type":                               "application/json",
		"input.value":                                   `{"input": "How do I get from Paris to Lyon?", "model": "o4-mini", "reasoning": {"effort": "medium", "summary": "auto"}}`,
		"gen_ai.request.parameters":                     `{"model": "o4-mini", "reasoning": {"effort": "medium", "summary": "auto"}}`,
		"gen_ai.request.model":                          "o4-mini-2025-04-16",
		"gen_ai.response.model":                         "o4-mini-2025-04-16",
		"gen_ai.response.id":                            "resp_07c2e4a6b8d0f1e30068e4c31d5a6c81a2b3c4d5e6f708192a",
		"gen_ai.response.finish_reasons":                `["completed"]`,
		o + "0.message.role":                            "assistant",
		o + "0.message.contents.0.message_content.type": "text",
		o + "0.message.contents.0.message_content.text": "**Comparing travel times**\n\nThe train from Paris to Lyon takes about two hours.",
		o + "0.message.contents.1.message_content.type": "text",
		o + "0.message.contents.1.message_content.text": "**Recommending the TGV**\n\nThe TGV is faster than driving.",
		o + "1.message.role":                            "assistant",
		o + "1.message.contents.0.message_content.type": "text",
		o + "1.message.contents.0.message_content.text": "Take the TGV: about 2 hours from Paris Gare de Lyon.",
		"gen_ai.usage.input_tokens":                     "1180",
		"gen_ai.usage.output_tokens":                    "342",
		"gen_ai.usage.total_tokens":                     "1522",
		"gen_ai.usage.input_tokens.cache_read":          "1024",
		"gen_ai.usage.output_tokens.reasoning":          "256",
		"output.value":                                  "Take the TGV: about 2 hours from Paris Gare de Lyon.",
		"output.mime_type":                              "text/plain",
	})
}

func TestResponsesOpenAIGoHTTPError(t *testing.T) {
	tp, sr := chatRecorder()
	s := newChatReplay(t, chatReply{400, "responses_error_400.json", nil})
	c := chatOAClient(s, tp)
	_, err := c.Responses.New(respCtx(), respParams())
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || apiErr.Code != "invalid_type" {
		t.Fatalf("client error %v", err)
	}
	sp := chatOneSpan(t, sr)
	want := "openai: 400 invalid_request_error: Invalid type for 'input': expected one of a string or array of input items, but got an object instead."
	if sp.Status().Code != codes.Error || !strings.HasSuffix(sp.Status().Description, ": "+want) {
		t.Errorf("status %v", sp.Status())
	}
	if len(sp.Events()) != 1 || sp.Events()[0].Name != "exception" {
		t.Errorf("events %v", sp.Events())
	}
	respExact(t, sp, respCommon(map[string]string{"gen_ai.request.model": "gpt-4o-mini"}))
}

// respSend posts body to /v1/responses through NewTransport and returns
// the one span.
func respSend(t *testing.T, body []byte, reply string) (sdktrace.ReadOnlySpan, *tracetest.SpanRecorder) {
	t.Helper()
	tp, sr := chatRecorder()
	s := newChatReplay(t, chatReply{200, reply, nil})
	hc := &http.Client{Transport: fiopenai.NewTransport(nil, fiopenai.WithTracerProvider(tp))}
	req, _ := http.NewRequestWithContext(respCtx(), http.MethodPost, s.URL+"/v1/responses", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+chatAPIKey)
	res, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !bytes.Equal(got, chatFixture(t, reply)) || !bytes.Equal(s.bodies[0], body) {
		t.Fatal("bytes changed")
	}
	return chatOneSpan(t, sr), sr
}

// TestResponsesListInput: a list input with instructions, an image, a
// function call and its output, reasoning, a refusal, a built-in tool call
// and an item reference, flattened as the reference does.
func TestResponsesListInput(t *testing.T) {
	body := chatFixture(t, "responses_list_request.json")
	sp, _ := respSend(t, body, "responses_response.json")
	i := "gen_ai.input.messages."
	w := map[string]string{
		"gen_ai.span.kind":                                        "LLM",
		"gen_ai.provider.name":                                    "openai",
		"gen_ai.operation.name":                                   "chat",
		"session.id":                                              "sess-1",
		"gen_ai.conversation.id":                                  "sess-1",
		"user.id":                                                 "user-1",
		"input.mime_type":                                         "application/json",
		"gen_ai.request.parameters":                               `{"model": "gpt-4o", "temperature": 0.5, "store": false}`,
		"gen_ai.tool.definitions":                                 `[{"type": "function", "name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}, {"type": "web_search_preview"}]`,
		"gen_ai.tool.definitions.0.tool.json_schema":              `{"type": "function", "name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}`,
		"gen_ai.tool.definitions.1.tool.json_schema":              `{"type": "web_search_preview"}`,
		"gen_ai.input.images":                                     `["https://upload.example.com/eiffel.jpg"]`,
		i + "0.message.role":                                      "system",
		i + "0.message.content":                                   "You are a weather assistant.",
		i + "1.message.role":                                      "user",
		i + "1.message.contents.0.message_content.type":           "text",
		i + "1.message.contents.0.message_content.text":           "What's the weather where this photo was taken?",
		i + "1.message.contents.1.message_content.type":           "image",
		i + "1.message.contents.1.message_content.image":          "https://upload.example.com/eiffel.jpg",
		i + "2.message.role":                                      "assistant",
		i + "2.message.contents.0.message_content.type":           "text",
		i + "2.message.contents.0.message_content.text":           "The photo shows the Eiffel Tower.",
		i + "3.message.role":                                      "assistant",
		i + "3.message.tool_calls.0.tool_call.id":                 "call_Ab12",
		i + "3.message.tool_calls.0.tool_call.function.name":      "get_weather",
		i + "3.message.tool_calls.0.tool_call.function.arguments": `{"city":"Paris"}`,
		i + "4.message.role":                                      "tool",
		i + "4.message.tool_call_id":                              "call_Ab12",
		i + "4.message.content":                                   `{"temp_c":18,"sky":"clear"}`,
		// arguments "{}" are left out, as the reference does
		i + "5.message.role":                                 "assistant",
		i + "5.message.tool_calls.0.tool_call.id":            "call_Cd34",
		i + "5.message.tool_calls.0.tool_call.function.name": "get_time",
		i + "6.message.role":                                 "assistant",
		i + "6.message.contents.0.message_content.type":      "text",
		i + "6.message.contents.0.message_content.text":      "It is 18 °C and clear in Paris.",
		i + "6.message.contents.1.message_content.type":      "text",
		i + "6.message.contents.1.message_content.text":      "I can't share the exact location.",
		// 7: the item_reference, which leaves no keys
		i + "8.message.role":                                 "assistant",
		i + "8.message.tool_calls.0.tool_call.id":            "ws_01",
		i + "8.message.tool_calls.0.tool_call.function.name": "web_search_call",
		i + "9.message.role":                                 "tool",
		i + "9.message.tool_call_id":                         "call_Cd34",
		i + "9.message.content":                              "14:05",
		i + "10.message.role":                                "user",
		i + "10.message.content":                             "Thanks!",
		// The answer of the response fixture.
		"gen_ai.request.model":                  "gpt-4o-mini-2024-07-18",
		"gen_ai.response.model":                 "gpt-4o-mini-2024-07-18",
		"gen_ai.response.id":                    "resp_0a1f3c5e7b9d2f4a0068e4c2fa91b48190a7c3d5e6f7a8b9c0",
		"gen_ai.response.finish_reasons":        `["completed"]`,
		"gen_ai.output.messages.0.message.role": "assistant",
		"gen_ai.output.messages.0.message.contents.0.message_content.type": "text",
		"gen_ai.output.messages.0.message.contents.0.message_content.text": "The capital of France is Paris.",
		"gen_ai.usage.input_tokens":                                        "31",
		"gen_ai.usage.output_tokens":                                       "8",
		"gen_ai.usage.total_tokens":                                        "39",
		"output.value":                                                     "The capital of France is Paris.",
		"output.mime_type":                                                 "text/plain",
	}
	w["input.value"] = chatAttrs(sp)["input.value"]
	respExact(t, sp, w)
	// input.value is the whole request in the Python layout.
	if v := w["input.value"]; !strings.HasPrefix(v, `{"model": "gpt-4o", "instructions": "You are a weather assistant.", "input": [{"role": "user", "content": [{"type": "input_text", `) ||
		!strings.HasSuffix(v, `"temperature": 0.5, "store": false}`) || !strings.Contains(v, `"It is 18 °C and clear in Paris."`) {
		t.Errorf("input.value %s", v)
	}
}
