package fiopenai_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/codes"

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
