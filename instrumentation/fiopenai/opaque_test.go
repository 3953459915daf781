package fiopenai_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/instrumentation/fiopenai"
)

// A request body that is not JSON still gets its span (name, kind, context
// attributes, the HTTP error), and the server's answer reaches the caller.
func TestUnparsableRequestBody(t *testing.T) {
	s := newChatReplay(t, chatReply{status: 400, fixture: "chat_error_401.json"})
	tp, sr := chatRecorder()
	hc := &http.Client{Transport: fiopenai.NewTransport(nil, fiopenai.WithTracerProvider(tp))}
	req, _ := http.NewRequestWithContext(chatCtx(), http.MethodPost, s.URL+"/v1/chat/completions", strings.NewReader("model=gpt-4o&messages=hi"))
	req.Header.Set("Authorization", "Bearer "+chatAPIKey)
	res, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !bytes.Equal(got, chatFixture(t, "chat_error_401.json")) || res.StatusCode != 400 {
		t.Errorf("caller got %d %q", res.StatusCode, got)
	}
	if string(s.bodies[0]) != "model=gpt-4o&messages=hi" {
		t.Errorf("server got %q", s.bodies[0])
	}
	sp := chatOneSpan(t, sr)
	if sp.Name() != "ChatCompletion" || sp.Status().Code != codes.Error {
		t.Errorf("span %q status %v", sp.Name(), sp.Status())
	}
	chatWant(t, sp, map[string]string{
		"gen_ai.span.kind":     "LLM",
		"session.id":           "sess-1",
		"user.id":              "user-1",
		"input.value":          "",
		"gen_ai.request.model": "",
	})
}

// An unsampled call makes no recording span and reaches the caller
// unchanged; the server gets the request as sent.
func TestUnsampled(t *testing.T) {
	s := newChatReplay(t, chatReply{status: 200, fixture: "chat_response.json"})
	sr := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.NeverSample()), sdktrace.WithSpanProcessor(fi.NewSpanProcessor()), sdktrace.WithSpanProcessor(sr))
	hc := &http.Client{Transport: fiopenai.NewTransport(nil, fiopenai.WithTracerProvider(tp))}
	body := chatFixture(t, "chat_request.json")
	req, _ := http.NewRequestWithContext(chatCtx(), http.MethodPost, s.URL+"/v1/chat/completions", bytes.NewReader(body))
	res, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !bytes.Equal(got, chatFixture(t, "chat_response.json")) || !bytes.Equal(s.bodies[0], body) {
		t.Error("bytes changed")
	}
	if n := len(sr.Started()) + len(sr.Ended()); n != 0 {
		t.Errorf("%d spans recorded", n)
	}
}
