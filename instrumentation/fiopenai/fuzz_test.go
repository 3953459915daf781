package fiopenai

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/traceai-go/traceai/internal/wiretest"
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
		fuzzWhole(t, "ChatCompletion", &chatResult{}, body, status)
	})
}

// fuzzWhole hands body, under status, to the Call of an endpoint whose
// spans are named name and whose responses acc reads: an error status must
// give an error, and no attribute an empty key.
func fuzzWhole(t *testing.T, name string, acc result, body []byte, status int) {
	t.Helper()
	c := &llmCall{exchange: exchange{provider: "openai"}, name: name, acc: acc}
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
	return wiretest.RoundTrip(t, fuzzTransport, "http://x/v1/"+path, req, 200, "text/event-stream", res)
}

// fuzzTransport is NewTransport as wiretest.RoundTrip takes it.
func fuzzTransport(base http.RoundTripper, tp trace.TracerProvider) http.RoundTripper {
	return NewTransport(base, WithTracerProvider(tp))
}
