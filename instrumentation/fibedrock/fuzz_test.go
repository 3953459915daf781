package fibedrock

import (
	"bytes"
	"encoding/base64"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/traceai-go/traceai/internal/eventstream"
)

// FuzzRoundTrip sends arbitrary request and response bodies, plain and as
// event-stream chunks, through the transport: the bytes pass unchanged,
// the span ends, and nothing panics.
func FuzzRoundTrip(f *testing.F) {
	files, _ := filepath.Glob("testdata/*")
	for _, name := range files {
		b, _ := os.ReadFile(name)
		f.Add(uint8(0), []byte(`{"messages":[{"role":"user","content":[{"text":"hi"}]}]}`), b)
		f.Add(uint8(3), []byte(`{"anthropic_version":"bedrock-2023-05-31","messages":[]}`), b)
	}
	paths := []string{"/model/m/converse", "/model/m/converse-stream", "/model/m/invoke", "/model/m/invoke-with-response-stream"}
	f.Fuzz(func(t *testing.T, which uint8, req, res []byte) {
		o := int(which) % len(paths)
		wire := res
		stream := o == 1 || o == 3
		if stream {
			payload := res
			typ := "contentBlockDelta"
			if o == 3 {
				payload = []byte(`{"bytes":"` + base64.StdEncoding.EncodeToString(res) + `"}`)
				typ = "chunk"
			}
			wire, _ = eventstream.Append(nil, &eventstream.Message{Headers: []eventstream.Header{
				eventstream.String(":event-type", typ), eventstream.String(":message-type", "event")}, Payload: payload})
			wire = append(wire, res...) // and the raw bytes as a (likely malformed) frame
		}
		sr := tracetest.NewSpanRecorder()
		base := roundTrip(func(r *http.Request) (*http.Response, error) {
			got, _ := io.ReadAll(r.Body)
			if !bytes.Equal(got, req) {
				t.Fatal("request changed")
			}
			ct := "application/json"
			if stream {
				ct = "application/vnd.amazon.eventstream"
			}
			return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {ct}}, Body: io.NopCloser(bytes.NewReader(wire)), Request: r}, nil
		})
		rt := NewTransport(base, WithTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr))))
		r, _ := http.NewRequest(http.MethodPost, "https://bedrock-runtime.us-east-1.amazonaws.com"+paths[o], bytes.NewReader(req))
		resp, err := rt.RoundTrip(r)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !bytes.Equal(got, wire) {
			t.Fatal("response changed")
		}
		if len(sr.Ended()) != 1 {
			t.Fatalf("%d spans", len(sr.Ended()))
		}
	})
}

type roundTrip func(*http.Request) (*http.Response, error)

func (f roundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
