package figenai

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/trace"

	"github.com/traceai-go/traceai/internal/wiretest"
)

// fuzzTransport is NewTransport as wiretest.RoundTrip takes it.
func fuzzTransport(base http.RoundTripper, tp trace.TracerProvider) http.RoundTripper {
	return NewTransport(base, WithTracerProvider(tp))
}

// FuzzTransport sends a fuzzed request body and answers it with a fuzzed
// response body (as JSON or as an event stream): the parsers must not
// panic, the bytes must pass through unchanged, and the span must end.
// By default only the seed corpus (the recorded fixtures) runs.
func FuzzTransport(f *testing.F) {
	reqs, _ := filepath.Glob("testdata/*request.json")
	resps, _ := filepath.Glob("testdata/*")
	for i, r := range resps {
		req, _ := os.ReadFile(reqs[i%len(reqs)])
		res, _ := os.ReadFile(r)
		f.Add(req, res, strings.HasSuffix(r, ".sse"), 200)
	}
	f.Add([]byte(`{"contents":[{"parts":[{"functionCall":{}}]}],"tools":[{"functionDeclarations":[{}]}]}`), []byte("data: {\"candidates\":[{\"index\":-5}]}\r\n\r\n"), true, 200)
	f.Add([]byte(`{`), []byte(`{"type":"error"}`), false, 500)
	paths := []string{"http://x/v1beta/models/gemini-2.5-flash:generateContent", "http://x/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", "http://x/v1beta/models/text-embedding-004:batchEmbedContents", "http://x/v1beta/models/text-embedding-004:embedContent"}
	f.Fuzz(func(t *testing.T, req, res []byte, sse bool, status int) {
		path := paths[(len(req)+len(res))%len(paths)]
		if status < 100 || status > 599 {
			status = 200
		}
		contentType := ""
		if sse {
			contentType = "text/event-stream"
		}
		wiretest.RoundTrip(t, fuzzTransport, path, req, status, contentType, res)
	})
}
