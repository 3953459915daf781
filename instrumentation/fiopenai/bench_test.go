package fiopenai_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/instrumentation/fiopenai"
)

// benchProvider is a provider as traceai.Register builds one: the fi span
// processor, then a batch processor in front of an exporter, one that drops
// the spans so that the benchmarks measure the pipeline, not an export.
func benchProvider(b *testing.B) *sdktrace.TracerProvider {
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithSpanProcessor(fi.NewSpanProcessor()),
		sdktrace.WithBatcher(tracetest.NewNoopExporter()),
	)
	b.Cleanup(func() { tp.Shutdown(context.Background()) })
	return tp
}

func benchClient(url string, mw option.Middleware) openai.Client {
	opts := []option.RequestOption{
		option.WithBaseURL(url + "/v1"),
		option.WithAPIKey(chatAPIKey),
		option.WithMaxRetries(0),
	}
	if mw != nil {
		opts = append(opts, option.WithMiddleware(mw))
	}
	return openai.NewClient(opts...)
}

func benchCtx() context.Context {
	return fi.UsingAttributes(context.Background(), fi.Attributes{
		SessionID: "bench-session", UserID: "bench-user",
		Tags: []string{"bench"}, Metadata: map[string]any{"plan": "pro"},
	})
}

// BenchmarkChatRoundTrip is one chat completion through openai-go v3 to a
// local server, without (bare) and with the instrumentation, and with an SDK
// span alone (the floor under any instrumentation that records a span).
func BenchmarkChatRoundTrip(b *testing.B) {
	resp := chatFixture(b, "chat_response.json")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body.Close()
		w.Header().Set("Content-Type", "application/json")
		w.Write(resp)
	}))
	defer srv.Close()
	params := chatParams()
	run := func(b *testing.B, c openai.Client) {
		ctx := benchCtx()
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.Chat.Completions.New(ctx, params); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("bare", func(b *testing.B) { run(b, benchClient(srv.URL, nil)) })
	b.Run("instrumented", func(b *testing.B) {
		run(b, benchClient(srv.URL, fiopenai.Middleware(fiopenai.WithTracerProvider(benchProvider(b)))))
	})
	// Two floors, through the same provider as instrumented: a middleware
	// that only starts and ends an SDK span, empty or carrying the
	// attributes the instrumentation records for this call, without
	// reading either body.
	b.Run("sdk-span-empty", func(b *testing.B) {
		run(b, benchClient(srv.URL, spanOnly(benchProvider(b), nil)))
	})
	b.Run("sdk-span", func(b *testing.B) {
		run(b, benchClient(srv.URL, spanOnly(benchProvider(b), recordedChatAttrs(b))))
	})
	b.Run("unsampled", func(b *testing.B) {
		tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.NeverSample()), sdktrace.WithSpanProcessor(fi.NewSpanProcessor()))
		run(b, benchClient(srv.URL, fiopenai.Middleware(fiopenai.WithTracerProvider(tp))))
	})
}

// spanOnly is a middleware that wraps each request in an SDK span with
// attrs and does nothing else.
func spanOnly(tp *sdktrace.TracerProvider, attrs []attribute.KeyValue) option.Middleware {
	tracer := tp.Tracer("floor")
	return func(r *http.Request, next option.MiddlewareNext) (*http.Response, error) {
		ctx, span := tracer.Start(r.Context(), "ChatCompletion", trace.WithAttributes(attrs...))
		defer span.End()
		return next(r.WithContext(ctx))
	}
}

// BenchmarkStream1000 is a streamed chat completion of 1,000 chunks, each
// flushed on its own, read through openai-go v3's stream reader. It reports
// the time to the first chunk (ttfc-ns) and the time per chunk.
func BenchmarkStream1000(b *testing.B) {
	const chunks = 1000
	var sb strings.Builder
	for i := range chunks {
		fmt.Fprintf(&sb, "data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"created\":1740000000,\"model\":\"gpt-4o-mini-2024-07-18\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"tok%d \"},\"finish_reason\":null}]}\n\n", i)
	}
	lines := strings.SplitAfter(sb.String(), "\n\n")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body.Close()
		w.Header().Set("Content-Type", "text/event-stream")
		fl := w.(http.Flusher)
		for _, l := range lines {
			if l == "" {
				continue
			}
			w.Write([]byte(l))
			fl.Flush()
		}
		w.Write([]byte("data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"created\":1740000000,\"model\":\"gpt-4o-mini-2024-07-18\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n"))
	}))
	defer srv.Close()
	params := chatParams()
	run := func(b *testing.B, c openai.Client) {
		ctx := benchCtx()
		var first time.Duration
		b.ReportAllocs()
		for b.Loop() {
			start := time.Now()
			s := c.Chat.Completions.NewStreaming(ctx, params)
			n := 0
			for s.Next() {
				if n == 0 {
					first += time.Since(start)
				}
				n++
			}
			if err := s.Err(); err != nil || n != chunks+1 {
				b.Fatalf("%d chunks, %v", n, err)
			}
			s.Close()
		}
		b.ReportMetric(float64(first.Nanoseconds())/float64(b.N), "ttfc-ns")
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/chunks, "ns/chunk")
	}
	b.Run("bare", func(b *testing.B) { run(b, benchClient(srv.URL, nil)) })
	b.Run("instrumented", func(b *testing.B) {
		run(b, benchClient(srv.URL, fiopenai.Middleware(fiopenai.WithTracerProvider(benchProvider(b)))))
	})
}

// BenchmarkMiddlewareOnly is the instrumentation's own cost per chat call:
// the middleware around a next that answers from memory, no network.
func BenchmarkMiddlewareOnly(b *testing.B) {
	reqBody := chatFixture(b, "chat_request.json")
	resp := chatFixture(b, "chat_response.json")
	next := func(r *http.Request) (*http.Response, error) {
		io.Copy(io.Discard, r.Body)
		return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(bytes.NewReader(resp)), ContentLength: int64(len(resp)), Request: r}, nil
	}
	run := func(b *testing.B, mw func(*http.Request, func(*http.Request) (*http.Response, error)) (*http.Response, error)) {
		ctx := benchCtx()
		b.ReportAllocs()
		for b.Loop() {
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "https://api.openai.com/v1/chat/completions", bytes.NewReader(reqBody))
			res, err := mw(req, next)
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
		}
	}
	b.Run("bare", func(b *testing.B) {
		run(b, func(r *http.Request, next func(*http.Request) (*http.Response, error)) (*http.Response, error) {
			return next(r)
		})
	})
	b.Run("instrumented", func(b *testing.B) { run(b, fiopenai.Middleware(fiopenai.WithTracerProvider(benchProvider(b)))) })
}

// BenchmarkSpanFloor is the floor under the instrumented numbers: an SDK
// span with the attributes of a traced chat call (recorded once), started
// and ended through the same provider, without any parsing.
func BenchmarkSpanFloor(b *testing.B) {
	attrs := recordedChatAttrs(b)
	tracer := benchProvider(b).Tracer("floor")
	ctx := benchCtx()
	b.Logf("%d attributes", len(attrs))
	b.ReportAllocs()
	for b.Loop() {
		_, span := tracer.Start(ctx, "ChatCompletion", trace.WithAttributes(attrs...))
		span.End()
	}
}

// recordedChatAttrs returns the attributes the instrumentation records for
// the benchmarks' chat call.
func recordedChatAttrs(b *testing.B) []attribute.KeyValue {
	tp, sr := chatRecorder()
	req, _ := http.NewRequestWithContext(benchCtx(), http.MethodPost, "https://api.openai.com/v1/chat/completions", bytes.NewReader(chatFixture(b, "chat_request.json")))
	res, err := fiopenai.Middleware(fiopenai.WithTracerProvider(tp))(req, func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(bytes.NewReader(chatFixture(b, "chat_response.json")))}, nil
	})
	if err != nil {
		b.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return sr.Ended()[0].Attributes()
}
