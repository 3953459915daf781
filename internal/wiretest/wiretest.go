// Package wiretest holds what the instrumentation packages' tests share: a
// round trip through an instrumented transport that checks that the bytes
// pass through unchanged both ways and that every span ends.
package wiretest

import (
	"bytes"
	"io"
	"net/http"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// Transport wraps base in a package's instrumentation reporting to tp, as
// NewTransport(base, WithTracerProvider(tp)) does.
type Transport func(base http.RoundTripper, tp trace.TracerProvider) http.RoundTripper

// RoundTrip posts req to url through wrap, answered with status, the
// Content-Type contentType (none when empty) and the body res. It fails t
// when the post fails, the bytes change either way or a span is left
// open, and returns the ended spans.
func RoundTrip(t testing.TB, wrap Transport, url string, req []byte, status int, contentType string, res []byte) []sdktrace.ReadOnlySpan {
	t.Helper()
	sr := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr))
	var sent []byte
	base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		sent, _ = io.ReadAll(r.Body)
		h := http.Header{}
		if contentType != "" {
			h.Set("Content-Type", contentType)
		}
		return &http.Response{StatusCode: status, Header: h, Body: io.NopCloser(bytes.NewReader(res)), Request: r}, nil
	})
	hc := &http.Client{Transport: wrap(base, tp)}
	resp, err := hc.Post(url, "application/json", bytes.NewReader(req))
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

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
