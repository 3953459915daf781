package fiopenai

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// The fuzz targets run their seed corpus (the recorded fixtures and the
// files under testdata/fuzz) in a normal test run; go test -fuzz explores
// further.

func chatFuzzSeeds(f *testing.F, pattern string) [][]byte {
	names, _ := filepath.Glob(filepath.Join("testdata", pattern))
	var out [][]byte
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, b)
	}
	if len(out) == 0 {
		f.Fatalf("no seeds for %s", pattern)
	}
	return out
}

// FuzzChatRequest: any request body parses without panicking, and a body
// that parses yields its input.value.
func FuzzChatRequest(f *testing.F) {
	for _, b := range chatFuzzSeeds(f, "chat_*request.json") {
		f.Add(b)
	}
	f.Add([]byte(`{"messages":[{"content":[{"type":"image_url","image_url":7},{"type":"text"}]},{"tool_calls":{"a":1}},{"function_call":"x"}],"tools":{}}`))
	f.Add([]byte(`{"messages":"x","tools":[null,1],"model":{"a":[]}}`))
	f.Add([]byte(`{"a":"\ud800","b":"\u00e9\n"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		attrs, _, ok := parseChatRequest(body)
		if ok && chatKVMap(attrs)["input.value"] == "" {
			t.Fatal("parsed request without input.value")
		}
	})
}

// FuzzChatResponse: any whole response body, under any status, gives
// attributes or an error without panicking.
func FuzzChatResponse(f *testing.F) {
	for _, b := range chatFuzzSeeds(f, "chat_*response.json") {
		f.Add(b, 200)
	}
	for _, b := range chatFuzzSeeds(f, "chat_error_*.json") {
		f.Add(b, 429)
	}
	f.Add([]byte(`{"choices":[{"index":-5,"message":{"tool_calls":[{"index":"x"}],"audio":1}},{"index":99999999999}],"usage":[]}`), 200)
	f.Add([]byte(`{"error":["x"]}`), 500)
	f.Fuzz(func(t *testing.T, body []byte, status int) {
		c := newChatCall(exchange{provider: "openai"}, nil)
		c.Response(&http.Response{StatusCode: status, Header: http.Header{}})
		c.Body(body)
		attrs, err := c.End()
		if status >= 400 && err == nil {
			t.Fatal("error status without error")
		}
		for _, kv := range attrs {
			if kv.Key == "" {
				t.Fatal("empty key")
			}
		}
	})
}

// FuzzChatStream sends a fuzzed request and answers it with a fuzzed event
// stream through NewTransport: no panic, the bytes pass through unchanged,
// and the span ends.
func FuzzChatStream(f *testing.F) {
	reqs := chatFuzzSeeds(f, "chat_*request.json")
	for i, b := range chatFuzzSeeds(f, "chat_*.sse") {
		f.Add(reqs[i%len(reqs)], b)
	}
	f.Add([]byte(`{"stream":true}`), []byte("data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":-1},{\"index\":1e40}]}}]}\n\ndata: [DONE]"))
	f.Add([]byte(`{}`), []byte("data: {\"error\":\"x\"}\r\ndata: {}\n\n\n:comment\nevent: x\ndata:"))
	f.Fuzz(func(t *testing.T, req, res []byte) {
		for _, s := range fuzzStream(t, "chat/completions", req, res) {
			for _, kv := range s.Attributes() {
				if strings.HasPrefix(string(kv.Key), "gen_ai.output.messages.-") {
					t.Fatalf("negative choice index key %s", kv.Key)
				}
			}
		}
	})
}

// fuzzStream posts req to path through NewTransport and answers it with
// the event stream res. It fails t when the bytes either way change or a
// span is not ended, and returns the spans.
func fuzzStream(t *testing.T, path string, req, res []byte) []sdktrace.ReadOnlySpan {
	t.Helper()
	sr := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr))
	var sent []byte
	base := chatRoundTrip(func(r *http.Request) (*http.Response, error) {
		sent, _ = io.ReadAll(r.Body)
		h := http.Header{"Content-Type": {"text/event-stream"}}
		return &http.Response{StatusCode: 200, Header: h, Body: io.NopCloser(bytes.NewReader(res)), Request: r}, nil
	})
	hc := &http.Client{Transport: NewTransport(base, WithTracerProvider(tp))}
	resp, err := hc.Post("http://x/v1/"+path, "application/json", bytes.NewReader(req))
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || !bytes.Equal(got, res) || !bytes.Equal(sent, req) {
		t.Fatalf("bytes changed (err %v)", err)
	}
	if len(sr.Started()) != len(sr.Ended()) {
		t.Fatal("span not ended")
	}
	return sr.Ended()
}

type chatRoundTrip func(*http.Request) (*http.Response, error)

func (f chatRoundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
