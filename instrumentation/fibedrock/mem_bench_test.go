package fibedrock_test

import (
	"bytes"
	"io"
	"net/http"
	"testing"

	"go.opentelemetry.io/otel/trace"

	"github.com/traceai-go/traceai/instrumentation/fibedrock"
)

// BenchmarkMemConverse isolates the instrumentation: the recorded Converse
// request sent over an in-memory transport that answers at once, read to
// the end, without the SDK. sdk-span is the same inside an SDK span with
// the attributes the instrumentation records.
func BenchmarkMemConverse(b *testing.B) {
	var reqBody []byte
	capture := rtFunc(func(r *http.Request) (*http.Response, error) {
		reqBody, _ = io.ReadAll(r.Body)
		return nil, io.EOF
	})
	client("http://x", capture, 1).Converse(benchCtx(), converseInput(claudeProfile))
	resp := fixture(b, "converse_response.json")
	mem := rtFunc(func(r *http.Request) (*http.Response, error) {
		io.Copy(io.Discard, r.Body)
		return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(bytes.NewReader(resp)), ContentLength: int64(len(resp)), Request: r}, nil
	})
	url := "https://bedrock-runtime.us-east-1.amazonaws.com/model/" + claudeProfile + "/converse"
	run := func(b *testing.B, rt http.RoundTripper) {
		b.ReportAllocs()
		for b.Loop() {
			req, _ := http.NewRequestWithContext(benchCtx(), http.MethodPost, url, bytes.NewReader(reqBody))
			res, err := rt.RoundTrip(req)
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
		}
	}
	b.Run("bare", func(b *testing.B) { run(b, mem) })
	b.Run("sdk-span", func(b *testing.B) {
		tracer := benchProvider(b).Tracer("floor")
		tp, sr := recorder()
		req, _ := http.NewRequestWithContext(benchCtx(), http.MethodPost, url, bytes.NewReader(reqBody))
		res, _ := fibedrock.NewTransport(mem, fibedrock.WithTracerProvider(tp)).RoundTrip(req)
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		attrs := sr.Ended()[0].Attributes()
		run(b, rtFunc(func(r *http.Request) (*http.Response, error) {
			ctx, span := tracer.Start(r.Context(), "bedrock.converse", trace.WithAttributes(attrs...))
			defer span.End()
			return mem.RoundTrip(r.WithContext(ctx))
		}))
	})
	b.Run("instrumented", func(b *testing.B) {
		run(b, fibedrock.NewTransport(mem, fibedrock.WithTracerProvider(benchProvider(b))))
	})
}
