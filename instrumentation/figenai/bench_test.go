package figenai_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/traceai-go/traceai/instrumentation/figenai"
)

// The benchmarks compare one figenai call sent bare, inside a plain
// OpenTelemetry span, and through this package, over loopback HTTP and
// over an in-memory transport (which isolates the instrumentation's cost).

type memTransport struct{ body []byte }

func (m memTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	io.Copy(io.Discard, r.Body)
	r.Body.Close()
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"text/event-stream"}},
		Body: io.NopCloser(bytes.NewReader(m.body)), Request: r}, nil
}

func benchRoundTrip(b *testing.B, rt http.RoundTripper, url string, req []byte, span bool) {
	tp := sdktrace.NewTracerProvider()
	tracer := tp.Tracer("bench")
	hc := &http.Client{Transport: rt}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		c := ctx
		var end func()
		if span {
			cc, sp := tracer.Start(ctx, "call")
			c, end = cc, func() { sp.End() }
		}
		r, _ := http.NewRequestWithContext(c, "POST", url, bytes.NewReader(req))
		res, err := hc.Do(r)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if end != nil {
			end()
		}
	}
}

func benchFixtures(b *testing.B) (req, json, sse []byte) {
	r, _ := os.ReadFile("testdata/generate_request.json")
	j, _ := os.ReadFile("testdata/generate_response.json")
	s, _ := os.ReadFile("testdata/stream_response.sse")
	return r, j, s
}

func benchServer(b *testing.B, body []byte, ct string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", ct)
		w.Write(body)
	}))
	b.Cleanup(srv.Close)
	return srv
}

func instrumented(base http.RoundTripper) http.RoundTripper {
	return figenai.NewTransport(base, figenai.WithTracerProvider(sdktrace.NewTracerProvider()))
}

func BenchmarkRoundTripBare(b *testing.B) {
	req, body, _ := benchFixtures(b)
	srv := benchServer(b, body, "application/json")
	benchRoundTrip(b, http.DefaultTransport, srv.URL+"/v1beta/models/gemini-2.5-flash:generateContent", req, false)
}

func BenchmarkRoundTripBareSpan(b *testing.B) {
	req, body, _ := benchFixtures(b)
	srv := benchServer(b, body, "application/json")
	benchRoundTrip(b, http.DefaultTransport, srv.URL+"/v1beta/models/gemini-2.5-flash:generateContent", req, true)
}

func BenchmarkRoundTripInstrumented(b *testing.B) {
	req, body, _ := benchFixtures(b)
	srv := benchServer(b, body, "application/json")
	benchRoundTrip(b, instrumented(http.DefaultTransport), srv.URL+"/v1beta/models/gemini-2.5-flash:generateContent", req, false)
}

func BenchmarkStreamBare(b *testing.B) {
	req, _, sse := benchFixtures(b)
	srv := benchServer(b, sse, "text/event-stream")
	benchRoundTrip(b, http.DefaultTransport, srv.URL+"/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", req, false)
}

func BenchmarkStreamInstrumented(b *testing.B) {
	req, _, sse := benchFixtures(b)
	srv := benchServer(b, sse, "text/event-stream")
	benchRoundTrip(b, instrumented(http.DefaultTransport), srv.URL+"/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", req, false)
}

func BenchmarkMemStreamBare(b *testing.B) {
	req, _, sse := benchFixtures(b)
	benchRoundTrip(b, memTransport{sse}, "http://mem/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", req, false)
}

func BenchmarkMemStreamBareSpan(b *testing.B) {
	req, _, sse := benchFixtures(b)
	benchRoundTrip(b, memTransport{sse}, "http://mem/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", req, true)
}

func BenchmarkMemStreamInstrumented(b *testing.B) {
	req, _, sse := benchFixtures(b)
	benchRoundTrip(b, instrumented(memTransport{sse}), "http://mem/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", req, false)
}
