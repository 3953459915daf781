package figenai

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

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

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
		sr := tracetest.NewSpanRecorder()
		tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr))
		var sent []byte
		base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
			sent, _ = io.ReadAll(r.Body)
			h := http.Header{}
			if sse {
				h.Set("Content-Type", "text/event-stream")
			}
			return &http.Response{StatusCode: status, Header: h, Body: io.NopCloser(bytes.NewReader(res)), Request: r}, nil
		})
		hc := &http.Client{Transport: NewTransport(base, WithTracerProvider(tp))}
		resp, err := hc.Post(path, "application/json", bytes.NewReader(req))
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
	})
}
