package fianthropic_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go"
	"github.com/anthropics/anthropic-sdk-go/option"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/instrumentation/fianthropic"
)

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func recorder() (*sdktrace.TracerProvider, *tracetest.SpanRecorder) {
	sr := tracetest.NewSpanRecorder()
	return sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr)), sr
}

func attrs(s sdktrace.ReadOnlySpan) map[string]string {
	m := map[string]string{}
	for _, kv := range s.Attributes() {
		m[string(kv.Key)] = kv.Value.Emit()
	}
	return m
}

// server answers /v1/messages with the streamed fixture when the request
// asks for a stream and with the JSON fixture otherwise, and keeps the
// request bodies it received.
type server struct {
	*httptest.Server
	mu     sync.Mutex
	bodies [][]byte
	json   []byte
	sse    []byte
	status int
}

func newServer(t testing.TB, jsonName, sseName string) *server {
	s := &server{json: fixture(t, jsonName), sse: fixture(t, sseName), status: 200}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.bodies = append(s.bodies, b)
		status := s.status
		s.mu.Unlock()
		if bytes.Contains(b, []byte(`"stream":true`)) {
			w.Header().Set("Content-Type", "text/event-stream")
			w.WriteHeader(status)
			w.Write(s.sse)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.Write(s.json)
	}))
	t.Cleanup(s.Close)
	return s
}

func client(s *server, tp *sdktrace.TracerProvider, extra ...option.RequestOption) anthropic.Client {
	opts := append([]option.RequestOption{
		option.WithBaseURL(s.URL),
		option.WithAPIKey("sk-ant-test-secret"),
		option.WithMaxRetries(0),
		option.WithMiddleware(fianthropic.Middleware(fianthropic.WithTracerProvider(tp))),
		option.WithoutOpenTelemetry(),
	}, extra...)
	return anthropic.NewClient(opts...)
}

func sessionCtx() context.Context {
	ctx := fi.UsingSession(context.Background(), "sess-1")
	return fi.UsingUser(ctx, "user-1")
}

func params() anthropic.MessageNewParams {
	return anthropic.MessageNewParams{
		Model:     "claude-sonnet-4-5",
		MaxTokens: 1024,
		System:    []anthropic.TextBlockParam{{Text: "You are a terse weather assistant."}},
		Messages:  []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("What's the weather in Paris?"))},
	}
}

func TestSDKMessages(t *testing.T) {
	tp, sr := recorder()
	s := newServer(t, "messages_response.json", "stream_tools.sse")
	c := client(s, tp)
	msg, err := c.Messages.New(sessionCtx(), params())
	if err != nil {
		t.Fatal(err)
	}
	if msg.Content[0].Text != "Sunny, 21°C in Paris." {
		t.Fatalf("SDK got %q", msg.Content[0].Text)
	}
	spans := sr.Ended()
	if len(spans) != 1 {
		t.Fatalf("%d spans", len(spans))
	}
	sp := spans[0]
	if sp.Name() != "Messages" || sp.Status().Code != codes.Ok {
		t.Errorf("name %q status %v", sp.Name(), sp.Status())
	}
	a := attrs(sp)
	for k, v := range map[string]string{
		"gen_ai.span.kind":                     "LLM",
		"gen_ai.provider.name":                 "anthropic",
		"session.id":                           "sess-1",
		"user.id":                              "user-1",
		"gen_ai.request.model":                 "claude-sonnet-4-5-20250929",
		"gen_ai.input.messages.0.message.role": "user",
		"gen_ai.input.messages.0.message.contents.0.message_content.text": "What's the weather in Paris?",
		"gen_ai.prompts": `[{"text": "You are a terse weather assistant.", "type": "text"}]`,
		"gen_ai.output.messages.0.message.content": "Sunny, 21°C in Paris.",
		"gen_ai.usage.input_tokens":                "25",
		"gen_ai.usage.output_tokens":               "12",
		"gen_ai.usage.total_tokens":                "37",
	} {
		if a[k] != v {
			t.Errorf("%s = %q, want %q", k, a[k], v)
		}
	}
	for k, v := range a {
		if strings.Contains(v, "sk-ant-test-secret") {
			t.Errorf("API key recorded in %s", k)
		}
	}
}

func TestSDKStream(t *testing.T) {
	tp, sr := recorder()
	s := newServer(t, "messages_response.json", "stream_tools.sse")
	c := client(s, tp)
	st := c.Messages.NewStreaming(sessionCtx(), params())
	var acc anthropic.Message
	for st.Next() {
		if err := acc.Accumulate(st.Current()); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Err(); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if len(acc.Content) != 3 || acc.Content[1].Text != "Let me look that up." {
		t.Fatalf("SDK accumulated %+v", acc.Content)
	}
	spans := sr.Ended()
	if len(spans) != 1 {
		t.Fatalf("%d spans", len(spans))
	}
	a := attrs(spans[0])
	for k, v := range map[string]string{
		"session.id": "sess-1",
		"gen_ai.output.messages.0.message.content":                                   "Let me look that up.",
		"gen_ai.output.messages.0.message.tool_calls.0.tool_call.function.arguments": `{"location": "Paris"}`,
		"gen_ai.output.messages.0.message.contents.0.message_content.type":           "thinking",
		"gen_ai.usage.input_tokens":                                                  "472",
		"gen_ai.usage.output_tokens":                                                 "89",
		"gen_ai.usage.input_tokens.cache_read":                                       "1536",
		"gen_ai.response.finish_reasons":                                             `["tool_use"]`,
	} {
		if a[k] != v {
			t.Errorf("%s = %q, want %q", k, a[k], v)
		}
	}
	if spans[0].Status().Code != codes.Ok {
		t.Errorf("status %v", spans[0].Status())
	}
}

func TestSDKError(t *testing.T) {
	tp, sr := recorder()
	s := newServer(t, "error_response.json", "stream_error.sse")
	s.status = 529
	c := client(s, tp)
	_, err := c.Messages.New(sessionCtx(), params())
	var apiErr *anthropic.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 529 {
		t.Fatalf("err %v", err)
	}
	spans := sr.Ended()
	if len(spans) != 1 {
		t.Fatalf("%d spans", len(spans))
	}
	sp := spans[0]
	if sp.Status().Code != codes.Error || !strings.Contains(sp.Status().Description, "Overloaded") {
		t.Errorf("status %v", sp.Status())
	}
	if a := attrs(sp); a["session.id"] != "sess-1" || a["gen_ai.input.messages.0.message.role"] != "user" {
		t.Errorf("request attributes missing on error span: %v", a)
	}
	if len(sp.Events()) == 0 || sp.Events()[0].Name != "exception" {
		t.Errorf("events %v", sp.Events())
	}
}

func TestSDKStreamErrorEvent(t *testing.T) {
	tp, sr := recorder()
	s := newServer(t, "messages_response.json", "stream_error.sse")
	c := client(s, tp)
	st := c.Messages.NewStreaming(sessionCtx(), params())
	for st.Next() {
	}
	if st.Err() == nil {
		t.Fatal("SDK saw no error")
	}
	st.Close()
	spans := sr.Ended()
	if len(spans) != 1 || spans[0].Status().Code != codes.Error || !strings.Contains(spans[0].Status().Description, "Overloaded") {
		t.Fatalf("spans %d status %v", len(spans), spans[0].Status())
	}
	if got := attrs(spans[0])["gen_ai.output.messages.0.message.content"]; got != "Partial" {
		t.Errorf("partial output %q", got)
	}
}

// TestOneLLMSpanWithSDKTelemetry proves that a call makes exactly one span
// carrying gen_ai attributes when anthropic-sdk-go's own spans go through
// the global provider: with option.WithoutOpenTelemetry, as documented, and
// without it, where the middleware finds the SDK's span and fills it
// instead of starting a second one.
func TestOneLLMSpanWithSDKTelemetry(t *testing.T) {
	prev := otel.GetTracerProvider()
	t.Cleanup(func() { otel.SetTracerProvider(prev) })
	for _, documented := range []bool{true, false} {
		tp, sr := recorder()
		otel.SetTracerProvider(tp)
		s := newServer(t, "messages_response.json", "stream_tools.sse")
		opts := []option.RequestOption{
			option.WithBaseURL(s.URL), option.WithAPIKey("k"), option.WithMaxRetries(0),
			option.WithMiddleware(fianthropic.Middleware()),
		}
		if documented {
			opts = append(opts, option.WithoutOpenTelemetry())
		}
		c := anthropic.NewClient(opts...)
		if _, err := c.Messages.New(sessionCtx(), params()); err != nil {
			t.Fatal(err)
		}
		st := c.Messages.NewStreaming(sessionCtx(), params())
		for st.Next() {
		}
		st.Close()
		if err := st.Err(); err != nil {
			t.Fatal(err)
		}
		var llm, genai int
		for _, sp := range sr.Ended() {
			a := attrs(sp)
			if a["gen_ai.span.kind"] == "LLM" {
				llm++
			}
			for _, kv := range sp.Attributes() {
				if strings.HasPrefix(string(kv.Key), "gen_ai.") {
					genai++
					break
				}
			}
			if a["session.id"] != "sess-1" {
				t.Errorf("documented=%v: span %q without session.id", documented, sp.Name())
			}
			if a["gen_ai.output.messages.0.message.content"] == "" || a["gen_ai.usage.output_tokens"] == "" {
				t.Errorf("documented=%v: span %q (scope %s) lacks the response attributes", documented, sp.Name(), sp.InstrumentationScope().Name)
			}
			if wantScope := map[bool]string{true: fianthropic.ScopeName, false: "com.anthropic.sdk.go"}[documented]; sp.InstrumentationScope().Name != wantScope {
				t.Errorf("documented=%v: span from %s, want %s", documented, sp.InstrumentationScope().Name, wantScope)
			}
		}
		if llm != 2 || genai != 2 {
			t.Errorf("documented=%v: %d LLM spans, %d gen_ai spans for 2 calls; want 2 and 2", documented, llm, genai)
		}
	}
}

func TestSuppressTracing(t *testing.T) {
	tp, sr := recorder()
	s := newServer(t, "messages_response.json", "stream_tools.sse")
	c := client(s, tp)
	if _, err := c.Messages.New(fi.SuppressTracing(sessionCtx()), params()); err != nil {
		t.Fatal(err)
	}
	if n := len(sr.Ended()) + len(sr.Started()); n != 0 {
		t.Fatalf("%d spans under SuppressTracing", n)
	}
}

func TestMasking(t *testing.T) {
	tp, sr := recorder()
	s := newServer(t, "messages_response.json", "stream_tools.sse")
	cfg := fi.TraceConfig{HideInputs: true, HideOutputText: true}
	c := anthropic.NewClient(option.WithBaseURL(s.URL), option.WithAPIKey("k"), option.WithMaxRetries(0),
		option.WithoutOpenTelemetry(),
		option.WithMiddleware(fianthropic.Middleware(fianthropic.WithTracerProvider(tp), fianthropic.WithTraceConfig(cfg))))
	if _, err := c.Messages.New(sessionCtx(), params()); err != nil {
		t.Fatal(err)
	}
	a := attrs(sr.Ended()[0])
	if v, ok := a["input.value"]; ok && v != "__REDACTED__" {
		t.Errorf("input.value = %q", v)
	}
	for k := range a {
		if strings.HasPrefix(k, "gen_ai.input.messages") {
			t.Errorf("hidden input kept: %s", k)
		}
	}
	if got := a["gen_ai.output.messages.0.message.content"]; got != "__REDACTED__" {
		t.Errorf("output text = %q", got)
	}
	if a["session.id"] != "sess-1" {
		t.Error("context attributes lost")
	}
}

// TestPassThroughBytes checks, for every fixture, that what the application
// reads through the transport is byte-for-byte what the server sent, and
// that the request reaches the server unchanged.
func TestPassThroughBytes(t *testing.T) {
	names, _ := filepath.Glob("testdata/*")
	reqBody := fixture(t, "tools_request.json")
	for _, name := range names {
		want, _ := os.ReadFile(name)
		for _, status := range []int{200, 400} {
			var got []byte
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got, _ = io.ReadAll(r.Body)
				if strings.HasSuffix(name, ".sse") {
					w.Header().Set("Content-Type", "text/event-stream")
				}
				w.WriteHeader(status)
				w.Write(want)
			}))
			tp, _ := recorder()
			hc := &http.Client{Transport: fianthropic.NewTransport(nil, fianthropic.WithTracerProvider(tp))}
			res, err := hc.Post(srv.URL+"/v1/messages", "application/json", bytes.NewReader(reqBody))
			if err != nil {
				t.Fatal(err)
			}
			body, err := readSmall(res.Body)
			res.Body.Close()
			srv.Close()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(body, want) {
				t.Errorf("%s/%d: response bytes changed", name, status)
			}
			if !bytes.Equal(got, reqBody) {
				t.Errorf("%s/%d: request bytes changed", name, status)
			}
		}
	}
}

// readSmall reads r in odd-sized pieces, to cross every event boundary.
func readSmall(r io.Reader) ([]byte, error) {
	var out []byte
	buf := make([]byte, 7)
	for {
		n, err := r.Read(buf)
		out = append(out, buf[:n]...)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
}

// TestStreamNotBuffered has the server send the first event and wait until
// the application has read it before sending the rest: a transport that
// buffered the stream would deadlock (and the test time out).
func TestStreamNotBuffered(t *testing.T) {
	events := bytes.SplitAfter(fixture(t, "stream_tools.sse"), []byte("\n\n"))
	got := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.Write(events[0])
		w.(http.Flusher).Flush()
		select {
		case <-got:
		case <-time.After(5 * time.Second):
			return
		}
		for _, e := range events[1:] {
			w.Write(e)
		}
	}))
	defer srv.Close()
	tp, sr := recorder()
	hc := &http.Client{Transport: fianthropic.NewTransport(nil, fianthropic.WithTracerProvider(tp))}
	res, err := hc.Post(srv.URL+"/v1/messages", "application/json", bytes.NewReader(fixture(t, "stream_request.json")))
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, len(events[0]))
	if _, err := io.ReadFull(res.Body, buf); err != nil {
		t.Fatal(err)
	}
	if len(sr.Ended()) != 0 {
		t.Fatal("span ended before the stream")
	}
	close(got)
	rest, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !bytes.Equal(append(buf, rest...), fixture(t, "stream_tools.sse")) {
		t.Fatal("stream bytes changed")
	}
	if len(sr.Ended()) != 1 || sr.Ended()[0].Status().Code != codes.Ok {
		t.Fatal("span not ended OK at EOF")
	}
}

// TestStreamClosedEarly ends the span when the application closes the body
// before the end of the stream, and TestStreamCanceled when its context is
// canceled.
func TestStreamClosedEarly(t *testing.T) {
	tp, sr := recorder()
	s := newServer(t, "messages_response.json", "stream_tools.sse")
	hc := &http.Client{Transport: fianthropic.NewTransport(nil, fianthropic.WithTracerProvider(tp))}
	res, err := hc.Post(s.URL+"/v1/messages", "application/json", bytes.NewReader(fixture(t, "stream_request.json")))
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 700)
	io.ReadFull(res.Body, buf)
	res.Body.Close()
	if len(sr.Ended()) != 1 {
		t.Fatalf("%d spans ended after Close", len(sr.Ended()))
	}
	if a := attrs(sr.Ended()[0]); a["gen_ai.response.id"] != "msg_01Stream9kL" {
		t.Errorf("partial stream attributes lost: %v", a)
	}
}

func TestStreamCanceled(t *testing.T) {
	events := bytes.SplitAfter(fixture(t, "stream_tools.sse"), []byte("\n\n"))
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.Write(events[0])
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	tp, sr := recorder()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "POST", srv.URL+"/v1/messages", bytes.NewReader(fixture(t, "stream_request.json")))
	hc := &http.Client{Transport: fianthropic.NewTransport(nil, fianthropic.WithTracerProvider(tp))}
	res, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.ReadFull(res.Body, make([]byte, len(events[0])))
	cancel()
	_, err = io.ReadAll(res.Body)
	if err == nil {
		t.Fatal("read after cancel succeeded")
	}
	res.Body.Close()
	if len(sr.Ended()) != 1 {
		t.Fatalf("%d spans ended after cancel", len(sr.Ended()))
	}
	if sr.Ended()[0].Status().Code != codes.Error {
		t.Errorf("status %v", sr.Ended()[0].Status())
	}
}

// keep attribute imported for helpers shared with other test files.
var _ = attribute.Key("")

// TestSDKRetry: the SDK runs its middlewares once per attempt, so a retried
// call is one span per attempt, the retry numbered.
func TestSDKRetry(t *testing.T) {
	tp, sr := recorder()
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		calls++
		w.Header().Set("Content-Type", "application/json")
		if calls == 1 {
			w.Header().Set("retry-after-ms", "1")
			w.WriteHeader(529)
			w.Write(fixture(t, "error_response.json"))
			return
		}
		w.Write(fixture(t, "messages_response.json"))
	}))
	defer srv.Close()
	c := anthropic.NewClient(option.WithBaseURL(srv.URL), option.WithAPIKey("k"), option.WithMaxRetries(1),
		option.WithoutOpenTelemetry(), option.WithMiddleware(fianthropic.Middleware(fianthropic.WithTracerProvider(tp))))
	if _, err := c.Messages.New(sessionCtx(), params()); err != nil {
		t.Fatal(err)
	}
	spans := sr.Ended()
	if len(spans) != 2 {
		t.Fatalf("%d spans for 2 attempts", len(spans))
	}
	if spans[0].Status().Code != codes.Error || spans[1].Status().Code != codes.Ok {
		t.Errorf("statuses %v %v", spans[0].Status(), spans[1].Status())
	}
	if a := attrs(spans[1]); a["gen_ai.request.retry_attempt"] != "1" || a["session.id"] != "sess-1" {
		t.Errorf("retry span %v", a)
	}
	if _, ok := attrs(spans[0])["gen_ai.request.retry_attempt"]; ok {
		t.Error("first attempt numbered as a retry")
	}
}
