package fiopenai_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
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
	respExact(t, sp, respCommon(respParis("resp_0a1f3c5e7b9d2f4a0068e4c2fa91b48190a7c3d5e6f7a8b9c0")))
}

// respParis are the output attributes of the answer "The capital of France
// is Paris." in response id, whole or streamed: both record the same.
func respParis(id string) map[string]string {
	o := "gen_ai.output.messages.0.message."
	return map[string]string{
		"gen_ai.request.model":                "gpt-4o-mini-2024-07-18",
		"gen_ai.response.model":               "gpt-4o-mini-2024-07-18",
		"gen_ai.response.id":                  id,
		"gen_ai.response.finish_reasons":      `["completed"]`,
		o + "role":                            "assistant",
		o + "contents.0.message_content.type": "text",
		o + "contents.0.message_content.text": "The capital of France is Paris.",
		"gen_ai.usage.input_tokens":           "31",
		"gen_ai.usage.output_tokens":          "8",
		"gen_ai.usage.total_tokens":           "39",
		"output.value":                        "The capital of France is Paris.",
		"output.mime_type":                    "text/plain",
	}
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

func respStreamParams() responses.ResponseNewParams {
	return respParams()
}

// respStream reads a whole openai-go stream, returning the text deltas the
// app saw and the final response of response.completed, if any.
func respStream(t *testing.T, c openai.Client, p responses.ResponseNewParams) (deltas string, args string, final *responses.Response, types []string) {
	t.Helper()
	st := c.Responses.NewStreaming(respCtx(), p)
	for st.Next() {
		ev := st.Current()
		types = append(types, ev.Type)
		switch ev.Type {
		case "response.output_text.delta":
			deltas += ev.Delta
		case "response.function_call_arguments.delta":
			args += ev.Delta
		case "response.completed":
			r := ev.AsResponseCompleted().Response
			final = &r
		}
	}
	if err := st.Err(); err != nil {
		t.Fatal(err)
	}
	st.Close()
	return deltas, args, final, types
}

func TestResponsesOpenAIGoStream(t *testing.T) {
	tp, sr := chatRecorder()
	s := newChatReplay(t, chatReply{200, "responses_stream.sse", nil})
	text, _, final, types := respStream(t, chatOAClient(s, tp), respStreamParams())
	if text != "The capital of France is Paris." || final == nil || final.OutputText() != text || len(types) != 15 {
		t.Fatalf("app got %q %v %v", text, final, types)
	}
	if !strings.Contains(string(s.bodies[0]), `"stream":true`) {
		t.Fatalf("not a stream request: %s", s.bodies[0])
	}
	sp := chatOneSpan(t, sr)
	if sp.Name() != "Response" || sp.Status().Code != codes.Ok || len(sp.Events()) != 1 || sp.Events()[0].Name != "First Token Stream Event" {
		t.Errorf("name %q status %v events %v", sp.Name(), sp.Status(), sp.Events())
	}
	want := respParis("resp_0b5d7f9a1c3e5a7c0068e4c40a7e3c8193b2a1c0d9e8f7a6b5")
	want["input.value"] = `{"instructions": "You are a concise assistant for a travel agency.", "max_output_tokens": 64, "temperature": 0.2, "input": "What is the capital of France?", "model": "gpt-4o-mini", "stream": true}`
	want["gen_ai.request.parameters"] = `{"max_output_tokens": 64, "temperature": 0.2, "model": "gpt-4o-mini", "stream": true}`
	respExact(t, sp, respCommon(want))
}

// TestResponsesOpenAIGoStreamToolCall: a function call streamed as
// argument deltas; with no text, output.value is the final response's JSON.
func TestResponsesOpenAIGoStreamToolCall(t *testing.T) {
	tp, sr := chatRecorder()
	s := newChatReplay(t, chatReply{200, "responses_stream_tools.sse", nil})
	p := responses.ResponseNewParams{
		Model: "gpt-4o",
		Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("What's the weather in Paris?")},
		Tools: []responses.ToolUnionParam{responses.ToolParamOfFunction("get_weather",
			map[string]any{"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}}, "required": []string{"city"}, "additionalProperties": false}, true)},
	}
	_, args, final, _ := respStream(t, chatOAClient(s, tp), p)
	if args != `{"city":"Paris"}` || final == nil || final.Output[0].AsFunctionCall().CallID != "call_Zk3mP8qR1sT6uV9wX2yA5bC7" {
		t.Fatalf("app got %q %+v", args, final)
	}
	sp := chatOneSpan(t, sr)
	if sp.Status().Code != codes.Ok {
		t.Errorf("status %v", sp.Status())
	}
	a := chatAttrs(sp)
	// output.value: the response of response.completed, in the Python layout.
	var got, want any
	sse := string(chatFixture(t, "responses_stream_tools.sse"))
	last := sse[strings.LastIndex(sse, "data: ")+len("data: "):]
	var ev struct{ Response json.RawMessage }
	if err := json.Unmarshal([]byte(last), &ev); err != nil {
		t.Fatal(err)
	}
	json.Unmarshal(ev.Response, &want)
	if err := json.Unmarshal([]byte(a["output.value"]), &got); err != nil || !reflect.DeepEqual(got, want) || !strings.HasPrefix(a["output.value"], `{"id": "resp_0c8e0a2b4d6f8a0c0068e4c4f3b61c8191a9b8c7d6e5f4a3b2", "object": "response", `) {
		t.Errorf("output.value %s (%v)", a["output.value"], err)
	}
	// In the order openai-go writes the fields.
	tool := `{"strict": true, "parameters": {"additionalProperties": false, "properties": {"city": {"type": "string"}}, "required": ["city"], "type": "object"}, "name": "get_weather", "type": "function"}`
	o := "gen_ai.output.messages.0.message."
	respExact(t, sp, map[string]string{
		"gen_ai.span.kind":                              "LLM",
		"gen_ai.provider.name":                          "openai",
		"gen_ai.operation.name":                         "chat",
		"session.id":                                    "sess-1",
		"gen_ai.conversation.id":                        "sess-1",
		"user.id":                                       "user-1",
		"gen_ai.input.messages.1.message.role":          "user",
		"gen_ai.input.messages.1.message.content":       "What's the weather in Paris?",
		"input.mime_type":                               "application/json",
		"input.value":                                   `{"input": "What's the weather in Paris?", "model": "gpt-4o", "tools": [` + tool + `], "stream": true}`,
		"gen_ai.request.parameters":                     `{"model": "gpt-4o", "stream": true}`,
		"gen_ai.tool.definitions":                       "[" + tool + "]",
		"gen_ai.tool.definitions.0.tool.json_schema":    tool,
		"gen_ai.request.model":                          "gpt-4o-2024-08-06",
		"gen_ai.response.model":                         "gpt-4o-2024-08-06",
		"gen_ai.response.id":                            "resp_0c8e0a2b4d6f8a0c0068e4c4f3b61c8191a9b8c7d6e5f4a3b2",
		"gen_ai.response.finish_reasons":                `["completed"]`,
		o + "role":                                      "assistant",
		o + "tool_calls.0.tool_call.id":                 "call_Zk3mP8qR1sT6uV9wX2yA5bC7",
		o + "tool_calls.0.tool_call.function.name":      "get_weather",
		o + "tool_calls.0.tool_call.function.arguments": `{"city":"Paris"}`,
		"gen_ai.usage.input_tokens":                     "58",
		"gen_ai.usage.output_tokens":                    "16",
		"gen_ai.usage.total_tokens":                     "74",
		"output.value":                                  a["output.value"],
		"output.mime_type":                              "application/json",
	})
}

// TestResponsesOpenAIGoStreamErrorEvent: an error event in the middle of
// the stream ends the span in error, keeping the text seen before it.
func TestResponsesOpenAIGoStreamErrorEvent(t *testing.T) {
	tp, sr := chatRecorder()
	s := newChatReplay(t, chatReply{200, "responses_stream_error.sse", nil})
	text, _, final, types := respStream(t, chatOAClient(s, tp), respStreamParams())
	// The documented error event has no "error" field, so openai-go hands
	// it to the app as an event rather than failing the stream.
	if text != "The capital" || final != nil || types[len(types)-1] != "error" {
		t.Fatalf("app got %q %v %v", text, final, types)
	}
	sp := chatOneSpan(t, sr)
	if sp.Status().Code != codes.Error || !strings.HasSuffix(sp.Status().Description, "openai: server_error: The server had an error while processing your request. Sorry about that!") {
		t.Errorf("status %v", sp.Status())
	}
	o := "gen_ai.output.messages.0.message."
	respExact(t, sp, respCommon(map[string]string{
		"input.value":                         `{"instructions": "You are a concise assistant for a travel agency.", "max_output_tokens": 64, "temperature": 0.2, "input": "What is the capital of France?", "model": "gpt-4o-mini", "stream": true}`,
		"gen_ai.request.parameters":           `{"max_output_tokens": 64, "temperature": 0.2, "model": "gpt-4o-mini", "stream": true}`,
		"gen_ai.request.model":                "gpt-4o-mini-2024-07-18",
		"gen_ai.response.model":               "gpt-4o-mini-2024-07-18",
		"gen_ai.response.id":                  "resp_0d2f4b6c8e0a2c4e0068e4c5a1f2dc8190c9d8e7f6a5b4c3d2",
		o + "role":                            "assistant",
		o + "contents.0.message_content.type": "text",
		o + "contents.0.message_content.text": "The capital",
		"output.value":                        "The capital",
		"output.mime_type":                    "text/plain",
	}))
}

// respSSE answers a stream request with sse through NewTransport and
// returns the span once the app has read the body.
func respSSE(t *testing.T, sse string) sdktrace.ReadOnlySpan {
	t.Helper()
	tp, sr := chatRecorder()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, sse)
	}))
	defer srv.Close()
	hc := &http.Client{Transport: fiopenai.NewTransport(nil, fiopenai.WithTracerProvider(tp))}
	req, _ := http.NewRequestWithContext(respCtx(), http.MethodPost, srv.URL+"/v1/responses", strings.NewReader(`{"model":"gpt-4o-mini","input":"Hi","stream":true}`))
	res, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if string(got) != sse {
		t.Fatal("bytes changed")
	}
	return chatOneSpan(t, sr)
}

// TestResponsesStreamWithoutCompleted: a stream that ends before
// response.completed still ends its span, with what the events brought:
// the text deltas of an unfinished message, a function call whose item
// came whole.
func TestResponsesStreamWithoutCompleted(t *testing.T) {
	sse := string(chatFixture(t, "responses_stream.sse"))
	sse = sse[:strings.Index(sse, "event: response.output_text.done")]
	tools := string(chatFixture(t, "responses_stream_tools.sse"))
	tools = tools[strings.Index(tools, "event: response.output_item.added"):strings.Index(tools, "event: response.completed")]
	sse += strings.ReplaceAll(tools, `"output_index":0`, `"output_index":1`)
	sp := respSSE(t, sse)
	if sp.Status().Code != codes.Ok {
		t.Errorf("status %v", sp.Status())
	}
	o := "gen_ai.output.messages."
	chatWant(t, sp, map[string]string{
		"gen_ai.response.id":                                      "resp_0b5d7f9a1c3e5a7c0068e4c40a7e3c8193b2a1c0d9e8f7a6b5",
		"gen_ai.response.finish_reasons":                          "",
		o + "0.message.role":                                      "assistant",
		o + "0.message.contents.0.message_content.text":           "The capital of France is Paris.",
		o + "1.message.role":                                      "assistant",
		o + "1.message.tool_calls.0.tool_call.id":                 "call_Zk3mP8qR1sT6uV9wX2yA5bC7",
		o + "1.message.tool_calls.0.tool_call.function.arguments": `{"city":"Paris"}`,
		"output.value":                                            "The capital of France is Paris.",
		"gen_ai.usage.total_tokens":                               "",
	})
	// Arguments still streaming when the body ends: what came so far.
	tools = string(chatFixture(t, "responses_stream_tools.sse"))
	sp = respSSE(t, tools[:strings.Index(tools, "event: response.function_call_arguments.done")-len("\n")])
	chatWant(t, sp, map[string]string{
		o + "0.message.tool_calls.0.tool_call.function.name":      "get_weather",
		o + "0.message.tool_calls.0.tool_call.function.arguments": `{"city":"Paris"}`,
		"output.value": "",
	})
}

// TestResponsesStreamFailures: response.failed and an error event in the
// form some servers send (nested) end the span in error; response.incomplete
// does not (desc "").
func TestResponsesStreamFailures(t *testing.T) {
	for _, tc := range []struct{ sse, desc, status string }{
		{"event: response.failed\ndata: {\"type\":\"response.failed\",\"response\":{\"id\":\"resp_1\",\"object\":\"response\",\"status\":\"failed\",\"model\":\"gpt-4o-mini\",\"output\":[],\"error\":{\"code\":\"server_error\",\"message\":\"The model failed to generate a response.\"}},\"sequence_number\":3}\n\n",
			"openai: server_error: The model failed to generate a response.", `["failed"]`},
		{"event: response.incomplete\ndata: {\"type\":\"response.incomplete\",\"response\":{\"id\":\"resp_2\",\"object\":\"response\",\"status\":\"incomplete\",\"model\":\"gpt-4o-mini\",\"incomplete_details\":{\"reason\":\"max_output_tokens\"},\"output\":[{\"type\":\"message\",\"id\":\"msg_2\",\"status\":\"incomplete\",\"role\":\"assistant\",\"content\":[{\"type\":\"output_text\",\"text\":\"The capital of\",\"annotations\":[]}]}],\"usage\":{\"input_tokens\":9,\"output_tokens\":4,\"total_tokens\":13}},\"sequence_number\":9}\n\n",
			"", `["incomplete"]`},
		{"event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"code\":null,\"message\":\"Bad input\"},\"sequence_number\":1}\n\n",
			"openai: invalid_request_error: Bad input", ""},
	} {
		sp := respSSE(t, tc.sse)
		if tc.desc == "" && sp.Status().Code == codes.Error {
			t.Errorf("status %v, want no error", sp.Status())
		}
		if tc.desc != "" && (sp.Status().Code != codes.Error || !strings.HasSuffix(sp.Status().Description, ": "+tc.desc)) {
			t.Errorf("status %v, want %q", sp.Status(), tc.desc)
		}
		chatWant(t, sp, map[string]string{"gen_ai.response.finish_reasons": tc.status, "session.id": "sess-1"})
		if tc.status == `["incomplete"]` {
			chatWant(t, sp, map[string]string{"output.value": "The capital of", "gen_ai.usage.total_tokens": "13"})
		}
	}
}

// TestResponsesStreamChunked: served in pieces of random sizes and read
// with random buffer sizes, every stream fixture reaches the app byte for
// byte and gives the span the same attributes as when served whole.
func TestResponsesStreamChunked(t *testing.T) {
	for _, name := range []string{"responses_stream.sse", "responses_stream_tools.sse", "responses_stream_error.sse"} {
		sse := chatFixture(t, name)
		whole := chatAttrs(respSSE(t, string(sse)))
		for seed := int64(1); seed <= 20; seed++ {
			rng := rand.New(rand.NewSource(seed))
			tp, sr := chatRecorder()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.Copy(io.Discard, r.Body)
				w.Header().Set("Content-Type", "text/event-stream")
				chatChunked(w, sse, rng)
			}))
			hc := &http.Client{Transport: fiopenai.NewTransport(nil, fiopenai.WithTracerProvider(tp))}
			req, _ := http.NewRequestWithContext(respCtx(), http.MethodPost, srv.URL+"/v1/responses", strings.NewReader(`{"model":"gpt-4o-mini","input":"Hi","stream":true}`))
			res, err := hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			got, err := chatReadRandom(res.Body, rand.New(rand.NewSource(seed)))
			res.Body.Close()
			srv.Close()
			if err != nil || !bytes.Equal(got, sse) {
				t.Fatalf("%s seed %d: bytes changed (%v)", name, seed, err)
			}
			if a := chatAttrs(chatOneSpan(t, sr)); !reflect.DeepEqual(a, whole) {
				t.Fatalf("%s seed %d: attributes %v, whole %v", name, seed, a, whole)
			}
		}
	}
}

// TestResponsesImageMasking: with input images hidden, the image of a list
// input leaves no trace (message key, gen_ai.input.images, the data URL in
// input.value); the text around it stays.
func TestResponsesImageMasking(t *testing.T) {
	tp, sr := chatRecorder()
	s := newChatReplay(t, chatReply{200, "responses_response.json", nil})
	cfg := fi.TraceConfig{HideInputImages: true}
	c := openai.NewClient(option.WithBaseURL(s.URL+"/v1"), option.WithAPIKey(chatAPIKey), option.WithMaxRetries(0),
		option.WithMiddleware(fiopenai.Middleware(fiopenai.WithTracerProvider(tp), fiopenai.WithTraceConfig(cfg))))
	const dataURL = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
	p := responses.ResponseNewParams{
		Model: "gpt-4o",
		Input: responses.ResponseNewParamsInputUnion{OfInputItemList: responses.ResponseInputParam{
			responses.ResponseInputItemParamOfMessage(responses.ResponseInputMessageContentListParam{
				responses.ResponseInputContentParamOfInputText("What is in this picture?"),
				{OfInputImage: &responses.ResponseInputImageParam{ImageURL: openai.String(dataURL), Detail: responses.ResponseInputImageDetailAuto}},
			}, responses.EasyInputMessageRoleUser),
		}},
	}
	if _, err := c.Responses.New(respCtx(), p); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(s.bodies[0]), dataURL) {
		t.Fatalf("server got %s", s.bodies[0])
	}
	sp := chatOneSpan(t, sr)
	i := "gen_ai.input.messages.1.message.contents."
	chatWant(t, sp, map[string]string{
		"gen_ai.input.messages.1.message.role": "user",
		i + "0.message_content.text":           "What is in this picture?",
		i + "1.message_content.image":          "",
		"gen_ai.input.images":                  "",
	})
	for k, v := range chatAttrs(sp) {
		if strings.Contains(v, "iVBORw0KGgo") {
			t.Errorf("image data in %s", k)
		}
	}
	if !strings.Contains(chatAttrs(sp)["input.value"], `"What is in this picture?"`) {
		t.Errorf("input.value %s", chatAttrs(sp)["input.value"])
	}
}

// TestResponsesBuiltinToolOutputs: the output items of built-in tools, as
// a stream's final response brings them: a generated image as an image
// part with its status, the other calls as tool calls named by their item
// type (or their function, for MCP), a computer call's action as its
// arguments.
func TestResponsesBuiltinToolOutputs(t *testing.T) {
	resp := `{"id":"resp_9","object":"response","status":"completed","model":"gpt-4.1-2025-04-14","output":[` +
		`{"id":"ws_1","type":"web_search_call","status":"completed","action":{"type":"search","query":"Paris weather"}},` +
		`{"id":"ig_1","type":"image_generation_call","status":"completed","result":"iVBORw0KGgo="},` +
		`{"id":"cu_1","type":"computer_call","call_id":"call_cu1","action":{"type":"click","button":"left","x":10,"y":20},"pending_safety_checks":[],"status":"completed"},` +
		`{"id":"mcp_1","type":"mcp_call","name":"roll","server_label":"dice","arguments":"{\"sides\":6}","output":"4"},` +
		`{"id":"fs_1","type":"file_search_call","status":"completed","queries":["refund policy"],"results":null}],` +
		`"usage":{"input_tokens":20,"output_tokens":5,"total_tokens":25}}`
	sp := respSSE(t, "event: response.completed\ndata: {\"type\":\"response.completed\",\"response\":"+resp+",\"sequence_number\":1}\n\n")
	o := "gen_ai.output.messages."
	chatWant(t, sp, map[string]string{
		o + "0.message.role":                                      "assistant",
		o + "0.message.tool_calls.0.tool_call.id":                 "ws_1",
		o + "0.message.tool_calls.0.tool_call.function.name":      "web_search_call",
		o + "0.message.tool_calls.0.tool_call.function.arguments": `{"type": "search", "query": "Paris weather"}`,
		o + "1.message.role":                                      "assistant",
		o + "1.message.contents.0.message_content.type":           "image",
		o + "1.message.contents.0.message_content.image":          "iVBORw0KGgo=",
		o + "1.message.contents.0.message_content.image.status":   "completed",
		o + "2.message.tool_calls.0.tool_call.id":                 "call_cu1",
		o + "2.message.tool_calls.0.tool_call.function.name":      "computer_call",
		o + "2.message.tool_calls.0.tool_call.function.arguments": `{"type": "click", "button": "left", "x": 10, "y": 20}`,
		o + "3.message.tool_calls.0.tool_call.id":                 "mcp_1",
		o + "3.message.tool_calls.0.tool_call.function.name":      "roll",
		o + "3.message.tool_calls.0.tool_call.function.arguments": `{"sides":6}`,
		o + "3.message.content":                                   "",
		o + "4.message.tool_calls.0.tool_call.id":                 "fs_1",
		o + "4.message.tool_calls.0.tool_call.function.name":      "file_search_call",
		o + "4.message.tool_calls.0.tool_call.function.arguments": "",
		"output.mime_type":                                        "application/json",
		"gen_ai.usage.total_tokens":                               "25",
	})
	if v := chatAttrs(sp)["output.value"]; !strings.HasPrefix(v, `{"id": "resp_9", "object": "response", `) {
		t.Errorf("output.value %s", v)
	}
}
