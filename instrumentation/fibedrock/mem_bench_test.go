package fibedrock_test

import (
	"bytes"
	"io"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
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

// BenchmarkMemConverseStream is ConverseStream through the real SDK over
// an in-memory network (no sockets, so less noise): bare, sdk-span (the
// floor) and instrumented.
func BenchmarkMemConverseStream(b *testing.B) {
	stream := converseStream(b, "converse_stream.jsonl")
	in := &bedrockruntime.ConverseStreamInput{ModelId: aws.String(claudeProfile), Messages: converseInput(claudeProfile).Messages,
		System: converseInput(claudeProfile).System}
	call := func(c *bedrockruntime.Client) error {
		out, err := c.ConverseStream(benchCtx(), in)
		if err != nil {
			return err
		}
		for range out.GetStream().Events() {
		}
		out.GetStream().Close()
		return out.GetStream().Err()
	}
	mem := memStream(stream, len(stream))
	run := func(b *testing.B, rt http.RoundTripper) {
		c := client("http://bedrock.invalid", rt, 1)
		b.ReportAllocs()
		for b.Loop() {
			if err := call(c); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("bare", func(b *testing.B) { run(b, mem) })
	b.Run("sdk-span", func(b *testing.B) {
		tp, sr := recorder()
		if err := call(client("http://bedrock.invalid", fibedrock.NewTransport(mem, fibedrock.WithTracerProvider(tp)), 1)); err != nil {
			b.Fatal(err)
		}
		attrs := sr.Ended()[0].Attributes()
		tracer := benchProvider(b).Tracer("floor")
		run(b, rtFunc(func(r *http.Request) (*http.Response, error) {
			ctx, span := tracer.Start(r.Context(), "bedrock.converse_stream", trace.WithAttributes(attrs...))
			defer span.End()
			return mem.RoundTrip(r.WithContext(ctx))
		}))
	})
	b.Run("instrumented", func(b *testing.B) {
		run(b, fibedrock.NewTransport(mem, fibedrock.WithTracerProvider(benchProvider(b))))
	})
}
