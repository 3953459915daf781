package fiopenai_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	goopenai "github.com/sashabaranov/go-openai"
	"go.opentelemetry.io/otel/codes"

	"github.com/traceai-go/traceai/instrumentation/fiopenai"
)

func chatStreamParams(usage bool) openai.ChatCompletionNewParams {
	p := chatParams()
	if usage {
		p.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
	}
	return p
}

// chatOAStream reads a whole openai-go stream and returns what the SDK
// accumulated.
func chatOAStream(t *testing.T, c openai.Client, ctx context.Context, p openai.ChatCompletionNewParams) openai.ChatCompletionAccumulator {
	t.Helper()
	st := c.Chat.Completions.NewStreaming(ctx, p)
	var acc openai.ChatCompletionAccumulator
	for st.Next() {
		acc.AddChunk(st.Current())
	}
	if err := st.Err(); err != nil {
		t.Fatal(err)
	}
	st.Close()
	return acc
}

func TestChatOpenAIGoStream(t *testing.T) {
	for _, tc := range []struct {
		usage   bool
		fixture string
		id      string
	}{{false, "chat_stream.sse", "chatcmpl-Fs1aB2cD3eF4gH5iJ6kL7mN8oP"}, {true, "chat_stream_usage.sse", "chatcmpl-Gu2bC3dE4fG5hI6jK7lM8nO9pQ"}} {
		tp, sr := chatRecorder()
		s := newChatReplay(t, chatReply{200, tc.fixture, nil})
		acc := chatOAStream(t, chatOAClient(s, tp), chatCtx(), chatStreamParams(tc.usage))
		if acc.Choices[0].Message.Content != "The capital of France is Paris." {
			t.Fatalf("SDK accumulated %+v", acc.Choices)
		}
		sp := chatOneSpan(t, sr)
		if sp.Status().Code != codes.Ok || len(sp.Events()) != 1 || sp.Events()[0].Name != "First Token Stream Event" {
			t.Errorf("usage=%v: status %v events %v", tc.usage, sp.Status(), sp.Events())
		}
		w := map[string]string{
			"session.id":                               "sess-1",
			"user.id":                                  "user-1",
			"gen_ai.request.model":                     "gpt-4o-mini-2024-07-18",
			"gen_ai.response.model":                    "gpt-4o-mini-2024-07-18",
			"gen_ai.response.id":                       tc.id,
			"gen_ai.response.finish_reasons":           `["stop"]`,
			"gen_ai.output.messages.0.message.role":    "assistant",
			"gen_ai.output.messages.0.message.content": "The capital of France is Paris.",
			"output.value":                             "The capital of France is Paris.",
			"output.mime_type":                         "text/plain",
			"gen_ai.usage.input_tokens":                "",
			"gen_ai.usage.total_tokens":                "",
			"gen_ai.input.messages.1.message.content":  "What is the capital of France?",
		}
		if tc.usage {
			w["gen_ai.usage.input_tokens"], w["gen_ai.usage.output_tokens"], w["gen_ai.usage.total_tokens"] = "31", "8", "39"
			w["gen_ai.request.parameters"] = `{"model": "gpt-4o-mini", "max_tokens": 64, "temperature": 0.2, "stream_options": {"include_usage": true}, "stream": true}`
		}
		chatWant(t, sp, w)
	}
}

func TestChatOpenAIGoStreamToolCalls(t *testing.T) {
	tp, sr := chatRecorder()
	s := newChatReplay(t, chatReply{200, "chat_stream_tools.sse", nil})
	p := chatStreamParams(true)
	p.Tools = []openai.ChatCompletionToolUnionParam{chatWeatherTool()}
	acc := chatOAStream(t, chatOAClient(s, tp), chatCtx(), p)
	if len(acc.Choices[0].Message.ToolCalls) != 2 || acc.Choices[0].Message.ToolCalls[1].Function.Arguments != `{"city": "Tokyo"}` {
		t.Fatalf("SDK accumulated %+v", acc.Choices[0].Message.ToolCalls)
	}
	o := "gen_ai.output.messages.0.message."
	chatWant(t, chatOneSpan(t, sr), map[string]string{
		o + "role":                      "assistant",
		o + "content":                   "",
		o + "tool_calls.0.tool_call.id": "call_Xq1bV7nK2mL9pR3sT5uW8yZ0",
		o + "tool_calls.0.tool_call.function.name":      "get_weather",
		o + "tool_calls.0.tool_call.function.arguments": `{"city": "Paris"}`,
		o + "tool_calls.1.tool_call.id":                 "call_Ab4cD6eF8gH0iJ2kL4mN6oP8",
		o + "tool_calls.1.tool_call.function.name":      "get_weather",
		o + "tool_calls.1.tool_call.function.arguments": `{"city": "Tokyo"}`,
		"gen_ai.response.finish_reasons":                `["tool_calls"]`,
		"gen_ai.usage.input_tokens.cache_read":          "64",
		"gen_ai.usage.total_tokens":                     "158",
		"gen_ai.tool.definitions.0.tool.json_schema":    `{"function": {"name": "get_weather", "description": "Current weather for a city", "parameters": {"properties": {"city": {"description": "City name", "type": "string"}}, "required": ["city"], "type": "object"}}, "type": "function"}`,
		"output.value": `Function: get_weather({"city": "Paris"}) ` + "\n" + ` Function: get_weather({"city": "Tokyo"})`,
	})
}

func TestChatOpenAIGoStreamMultipleChoices(t *testing.T) {
	tp, sr := chatRecorder()
	s := newChatReplay(t, chatReply{200, "chat_stream_n2.sse", nil})
	p := chatStreamParams(false)
	p.N = openai.Int(2)
	acc := chatOAStream(t, chatOAClient(s, tp), chatCtx(), p)
	if len(acc.Choices) != 2 {
		t.Fatalf("SDK accumulated %d choices", len(acc.Choices))
	}
	chatWant(t, chatOneSpan(t, sr), map[string]string{
		"gen_ai.output.messages.0.message.content": "Paris.",
		"gen_ai.output.messages.1.message.content": "It is Paris.",
		"gen_ai.output.messages.1.message.role":    "assistant",
		"gen_ai.response.finish_reasons":           `["stop","stop"]`,
		"output.value":                             "Paris.",
	})
}

func TestChatOpenAIGoStreamErrorEvent(t *testing.T) {
	tp, sr := chatRecorder()
	s := newChatReplay(t, chatReply{200, "chat_stream_error.sse", nil})
	c := chatOAClient(s, tp)
	st := c.Chat.Completions.NewStreaming(chatCtx(), chatStreamParams(false))
	for st.Next() {
	}
	if st.Err() == nil {
		t.Fatal("SDK saw no error")
	}
	st.Close()
	sp := chatOneSpan(t, sr)
	if sp.Status().Code != codes.Error || !strings.Contains(sp.Status().Description, "openai: server_error: The server had an error") {
		t.Errorf("status %v", sp.Status())
	}
	chatWant(t, sp, map[string]string{
		"gen_ai.output.messages.0.message.content": "The capital",
		"gen_ai.response.id":                       "chatcmpl-Jx5eF6gH7iJ8kL9mN0oP1qR2sT",
	})
}

func TestChatGoOpenAIStream(t *testing.T) {
	tp, sr := chatRecorder()
	s := newChatReplay(t, chatReply{200, "chat_stream_tools.sse", nil})
	c := chatGoClient(s, tp)
	st, err := c.CreateChatCompletionStream(chatCtx(), goopenai.ChatCompletionRequest{
		Model:         "gpt-4o",
		Messages:      []goopenai.ChatCompletionMessage{{Role: "user", Content: "Weather in Paris and Tokyo?"}},
		StreamOptions: &goopenai.StreamOptions{IncludeUsage: true},
		Tools: []goopenai.Tool{{Type: goopenai.ToolTypeFunction, Function: &goopenai.FunctionDefinition{
			Name: "get_weather", Parameters: map[string]any{"type": "object"}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var args strings.Builder
	for {
		r, err := st.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, ch := range r.Choices {
			for _, tc := range ch.Delta.ToolCalls {
				args.WriteString(tc.Function.Arguments)
			}
		}
	}
	st.Close()
	if args.String() != `{"city": "Paris"}{"city": "Tokyo"}` {
		t.Fatalf("client read %q", args.String())
	}
	chatWant(t, chatOneSpan(t, sr), map[string]string{
		"session.id": "sess-1",
		"gen_ai.output.messages.0.message.tool_calls.1.tool_call.function.arguments": `{"city": "Tokyo"}`,
		"gen_ai.usage.output_tokens":                 "46",
		"gen_ai.tool.definitions.0.tool.json_schema": `{"function": {"name": "get_weather", "parameters": {"type": "object"}}, "type": "function"}`,
		"gen_ai.request.parameters":                  `{"model": "gpt-4o", "stream": true, "stream_options": {"include_usage": true}}`,
	})
}

// chatHeldStream serves the first two events of chat_stream.sse, then holds
// the stream open until the request's context ends or release is closed.
func chatHeldStream(t *testing.T, release chan struct{}) *httptest.Server {
	events := bytes.SplitAfter(chatFixture(t, "chat_stream.sse"), []byte("\n\n"))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		w.Write(bytes.Join(events[:2], nil))
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// chatSettled waits until the number of goroutines is back to at most n.
func chatSettled(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for runtime.NumGoroutine() > n {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("goroutine leak: %d > %d\n%s", runtime.NumGoroutine(), n, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestChatStreamCanceled cancels the context of an openai-go stream after
// its first chunk: the span ends with ERROR and nothing is left running.
func TestChatStreamCanceled(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	srv := chatHeldStream(t, release)
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	before := runtime.NumGoroutine()
	tp, sr := chatRecorder()
	c := openai.NewClient(option.WithBaseURL(srv.URL+"/v1"), option.WithAPIKey(chatAPIKey), option.WithMaxRetries(0),
		option.WithHTTPClient(&http.Client{Transport: tr}),
		option.WithMiddleware(fiopenai.Middleware(fiopenai.WithTracerProvider(tp))))
	ctx, cancel := context.WithCancel(chatCtx())
	st := c.Chat.Completions.NewStreaming(ctx, chatStreamParams(false))
	if !st.Next() {
		t.Fatalf("no first chunk: %v", st.Err())
	}
	if len(sr.Ended()) != 0 {
		t.Fatal("span ended before the stream")
	}
	cancel()
	for st.Next() {
	}
	if !errors.Is(st.Err(), context.Canceled) {
		t.Errorf("client error %v, want context.Canceled", st.Err())
	}
	st.Close()
	sp := chatOneSpan(t, sr)
	if sp.Status().Code != codes.Error || !strings.Contains(sp.Status().Description, "context canceled") {
		t.Errorf("status %v", sp.Status())
	}
	chatWant(t, sp, map[string]string{"gen_ai.response.id": "chatcmpl-Fs1aB2cD3eF4gH5iJ6kL7mN8oP", "session.id": "sess-1"})
	tr.CloseIdleConnections()
	chatSettled(t, before)
}

// TestChatStreamCanceledUnread cancels a stream whose body the application
// never reads again nor closes: the span still ends, from the context.
func TestChatStreamCanceledUnread(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	srv := chatHeldStream(t, release)
	tp, sr := chatRecorder()
	hc := &http.Client{Transport: fiopenai.NewTransport(nil, fiopenai.WithTracerProvider(tp))}
	ctx, cancel := context.WithCancel(chatCtx())
	req, _ := http.NewRequestWithContext(ctx, "POST", srv.URL+"/v1/chat/completions", bytes.NewReader(chatFixture(t, "chat_request.json")))
	res, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	cancel()
	deadline := time.Now().Add(3 * time.Second)
	for len(sr.Ended()) == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if sp := chatOneSpan(t, sr); sp.Status().Code != codes.Error {
		t.Errorf("status %v", sp.Status())
	}
}

// TestChatStreamClosedEarly closes an openai-go stream after its first
// chunk: the span ends at Close with what had arrived.
func TestChatStreamClosedEarly(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	srv := chatHeldStream(t, release)
	tr := &http.Transport{}
	before := runtime.NumGoroutine()
	tp, sr := chatRecorder()
	c := openai.NewClient(option.WithBaseURL(srv.URL+"/v1"), option.WithAPIKey(chatAPIKey), option.WithMaxRetries(0),
		option.WithHTTPClient(&http.Client{Transport: tr}),
		option.WithMiddleware(fiopenai.Middleware(fiopenai.WithTracerProvider(tp))))
	st := c.Chat.Completions.NewStreaming(chatCtx(), chatStreamParams(false))
	if !st.Next() || !st.Next() {
		t.Fatalf("no chunks: %v", st.Err())
	}
	st.Close()
	sp := chatOneSpan(t, sr)
	chatWant(t, sp, map[string]string{
		"gen_ai.output.messages.0.message.content": "The",
		"gen_ai.response.id":                       "chatcmpl-Fs1aB2cD3eF4gH5iJ6kL7mN8oP",
		"gen_ai.response.finish_reasons":           "",
	})
	if len(sp.Events()) != 1 || sp.Events()[0].Name != "First Token Stream Event" {
		t.Errorf("events %v", sp.Events())
	}
	tr.CloseIdleConnections()
	chatSettled(t, before)
}

// TestChatStreamCut has the server drop the connection in the middle of
// the stream: the client gets its read error and the span ends with it.
func TestChatStreamCut(t *testing.T) {
	sse := chatFixture(t, "chat_stream.sse")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("Content-Length", strconv.Itoa(len(sse)))
		w.Write(sse[:len(sse)/2])
	}))
	defer srv.Close()
	tp, sr := chatRecorder()
	c := openai.NewClient(option.WithBaseURL(srv.URL+"/v1"), option.WithAPIKey(chatAPIKey), option.WithMaxRetries(0),
		option.WithMiddleware(fiopenai.Middleware(fiopenai.WithTracerProvider(tp))))
	st := c.Chat.Completions.NewStreaming(chatCtx(), chatStreamParams(false))
	n := 0
	for st.Next() {
		n++
	}
	if !errors.Is(st.Err(), io.ErrUnexpectedEOF) || n == 0 {
		t.Fatalf("client read %d chunks, error %v", n, st.Err())
	}
	st.Close()
	sp := chatOneSpan(t, sr)
	if sp.Status().Code != codes.Error || !strings.Contains(sp.Status().Description, "unexpected EOF") {
		t.Errorf("status %v", sp.Status())
	}
	if chatAttrs(sp)["gen_ai.output.messages.0.message.content"] == "" {
		t.Error("partial output lost")
	}
}

// TestChatTransportError: a request that never reaches a server ends its
// span with the transport's error, which the client gets unchanged.
func TestChatTransportError(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	tp, sr := chatRecorder()
	c := openai.NewClient(option.WithBaseURL(url+"/v1"), option.WithAPIKey(chatAPIKey), option.WithMaxRetries(0),
		option.WithMiddleware(fiopenai.Middleware(fiopenai.WithTracerProvider(tp))))
	_, err := c.Chat.Completions.New(chatCtx(), chatParams())
	var opErr *net.OpError
	if !errors.As(err, &opErr) {
		t.Fatalf("client error %v, want a *net.OpError", err)
	}
	sp := chatOneSpan(t, sr)
	if sp.Status().Code != codes.Error || !strings.Contains(sp.Status().Description, "connection refused") {
		t.Errorf("status %v", sp.Status())
	}
	chatWant(t, sp, map[string]string{"session.id": "sess-1", "gen_ai.input.messages.0.message.role": "system"})
}

// TestChatStreamHTTPError: a stream request answered with an HTTP error
// (JSON, not events) ends its span with the API error.
func TestChatStreamHTTPError(t *testing.T) {
	tp, sr := chatRecorder()
	s := newChatReplay(t, chatReply{429, "chat_error_429.json", nil})
	c := chatOAClient(s, tp)
	st := c.Chat.Completions.NewStreaming(chatCtx(), chatStreamParams(true))
	for st.Next() {
	}
	var apiErr *openai.Error
	if !errors.As(st.Err(), &apiErr) || apiErr.StatusCode != 429 {
		t.Fatalf("client error %v", st.Err())
	}
	st.Close()
	sp := chatOneSpan(t, sr)
	if sp.Status().Code != codes.Error || !strings.HasPrefix(sp.Status().Description, "openai.RateLimitError: openai: 429 requests: Rate limit reached") {
		t.Errorf("status %v", sp.Status())
	}
	// The exception names the provider's error, not the internal package
	// that builds it.
	var excType string
	for _, ev := range sp.Events() {
		for _, kv := range ev.Attributes {
			if ev.Name == "exception" && kv.Key == "exception.type" {
				excType = kv.Value.AsString()
			}
		}
	}
	if excType != "openai.RateLimitError" {
		t.Errorf("exception.type = %q", excType)
	}
	chatWant(t, sp, map[string]string{"gen_ai.output.messages.0.message.role": "", "session.id": "sess-1"})
}
