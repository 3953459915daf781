package fihttp_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/instrumentation/fihttp"
)

var sink string

var app = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { sink = fi.SessionID(r.Context()) })

func benchHandler(b *testing.B, h http.Handler, hdr map[string]string) {
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(error) {}))
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(w, req)
	}
}

// BenchmarkHandlerBare is the baseline: the application handler alone.
func BenchmarkHandlerBare(b *testing.B) { benchHandler(b, app, nil) }

// BenchmarkHandlerNoIDs: middleware on a request without ids.
func BenchmarkHandlerNoIDs(b *testing.B) {
	benchHandler(b, fihttp.NewHandler(app), map[string]string{"Baggage": "tenant=blue"})
}

// BenchmarkHandlerHeader: session and user from X-Session-Id / X-User-Id.
func BenchmarkHandlerHeader(b *testing.B) {
	benchHandler(b, fihttp.NewHandler(app), map[string]string{"X-Session-Id": "sess-0123456789", "X-User-Id": "user-42"})
}

// BenchmarkHandlerBaggage: session and user from W3C baggage, stripped
// before the application sees the request.
func BenchmarkHandlerBaggage(b *testing.B) {
	benchHandler(b, fihttp.NewHandler(app), map[string]string{"Baggage": "session.id=sess-0123456789,user.id=user-42,tenant=blue"})
}

func otelApp(b *testing.B) http.Handler {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(fi.NewSpanProcessor()))
	b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return otelhttp.NewHandler(app, "app", otelhttp.WithTracerProvider(tp), otelhttp.WithPropagators(prop))
}

// BenchmarkOtelhttpBare is the realistic baseline: otelhttp server
// instrumentation (a recording span) without fihttp.
func BenchmarkOtelhttpBare(b *testing.B) {
	benchHandler(b, otelApp(b), map[string]string{"Baggage": "session.id=sess-0123456789,user.id=user-42,tenant=blue"})
}

// BenchmarkOtelhttpWithFihttp: the same request through
// fihttp.NewHandler(otelhttp.NewHandler(app)); the server span now carries
// session.id and user.id.
func BenchmarkOtelhttpWithFihttp(b *testing.B) {
	benchHandler(b, fihttp.NewHandler(otelApp(b)), map[string]string{"Baggage": "session.id=sess-0123456789,user.id=user-42,tenant=blue"})
}

type nopRT struct{}

func (nopRT) RoundTrip(r *http.Request) (*http.Response, error) {
	sink = r.Header.Get("Baggage")
	return &http.Response{StatusCode: 200, Body: http.NoBody, Request: r}, nil
}

func benchTransport(b *testing.B, rt http.RoundTripper, url string) {
	ctx := fi.UsingAttributes(context.Background(), fi.Attributes{SessionID: "sess-0123456789", UserID: "user-42"})
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := rt.RoundTrip(req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTransportBare is the baseline: the base round tripper alone.
func BenchmarkTransportBare(b *testing.B) { benchTransport(b, nopRT{}, "http://127.0.0.1/x") }

// BenchmarkTransportAllowed writes session and user baggage.
func BenchmarkTransportAllowed(b *testing.B) {
	benchTransport(b, fihttp.NewTransport(nopRT{}, fihttp.WithUserPropagation(true)), "http://127.0.0.1/x")
}

// BenchmarkTransportNotAllowed: a third-party host with ids in scope.
func BenchmarkTransportNotAllowed(b *testing.B) {
	benchTransport(b, fihttp.NewTransport(nopRT{}, fihttp.WithUserPropagation(true)), "https://api.openai.com/v1/chat/completions")
}
