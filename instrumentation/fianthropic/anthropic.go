package fianthropic

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/trace"

	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/fi/semconv"
	"github.com/traceai-go/traceai/internal/llmparse"
)

// ScopeName is the instrumentation scope of the spans.
const ScopeName = "github.com/traceai-go/traceai/instrumentation/fianthropic"

// sdkScope is the instrumentation scope of anthropic-sdk-go's own spans.
const sdkScope = "com.anthropic.sdk.go"

// Middleware returns a middleware for anthropic-sdk-go's
// option.WithMiddleware (the function type is the SDK's option.Middleware)
// that traces each Messages API request it sends.
//
// anthropic-sdk-go (v1.81 and later) makes its own span for each call
// through the global TracerProvider. Pass option.WithoutOpenTelemetry()
// with this middleware so that each call has one LLM span, this package's.
// Without it, the middleware writes its attributes on the SDK's span
// instead of starting a second one (attributes only: the SDK sets that
// span's status and ends it).
func Middleware(opts ...Option) func(*http.Request, func(*http.Request) (*http.Response, error)) (*http.Response, error) {
	return newWire(opts).Do
}

// NewTransport returns an http.RoundTripper that traces the Messages API
// requests sent through base (http.DefaultTransport when nil), for
// clients other than anthropic-sdk-go.
func NewTransport(base http.RoundTripper, opts ...Option) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &transport{base: base, wire: newWire(opts)}
}

type transport struct {
	base http.RoundTripper
	wire *llmparse.Wire
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	return t.wire.Do(req, t.base.RoundTrip)
}

func newWire(opts []Option) *llmparse.Wire {
	c := newConfig(opts)
	topts := []fi.TracerOption{fi.WithTracerProvider(c.tp), fi.WithInstrumentationName(ScopeName)}
	if c.cfgSet {
		topts = append(topts, fi.WithTraceConfig(c.cfg))
	}
	w := llmparse.NewWire(adapter{}, fi.NewTracer(topts...))
	w.Adopt = sdkSpan
	return w
}

// sdkSpan returns anthropic-sdk-go's own span for the call in ctx, if the
// SDK made one that records.
func sdkSpan(ctx context.Context) trace.Span {
	s := trace.SpanFromContext(ctx)
	scoped, ok := s.(interface{ InstrumentationScope() instrumentation.Scope })
	if !ok || !s.IsRecording() || !strings.HasPrefix(scoped.InstrumentationScope().Name, sdkScope) {
		return nil
	}
	return s
}

type adapter struct{}

func (adapter) Match(req *http.Request) bool {
	return req.Method == http.MethodPost && strings.HasSuffix(req.URL.Path, "/messages")
}

func (adapter) Start(req *http.Request, body []byte) (llmparse.Call, bool) {
	attrs, _, stream := parseRequest(body)
	if attrs == nil {
		return nil, false
	}
	// anthropic-sdk-go numbers its retries in this header.
	if n, err := strconv.Atoi(req.Header.Get("X-Stainless-Retry-Count")); err == nil && n > 0 {
		attrs.Int(semconv.LLMRetryAttempt, int64(n))
	}
	return &call{attrs: attrs, stream: stream}, true
}

type call struct {
	attrs  llmparse.Attrs
	stream bool
	status int
	sse    bool
	body   []byte
	events stream
}

func (c *call) Span() (string, semconv.SpanKind, []attribute.KeyValue) {
	return "Messages", semconv.SpanKindLLM, c.attrs
}

func (c *call) Response(res *http.Response) llmparse.Framing {
	c.status = res.StatusCode
	if res.StatusCode < 400 && strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		c.sse = true
		return llmparse.FramingSSE
	}
	return llmparse.FramingJSON
}

func (c *call) Body(b []byte)  { c.body = b }
func (c *call) Event(b []byte) { c.events.event(b) }

func (c *call) End() ([]attribute.KeyValue, error) {
	if c.status >= 400 {
		typ, msg := parseError(c.body)
		if msg == "" {
			msg = http.StatusText(c.status)
		}
		return nil, &llmparse.APIError{Provider: "anthropic", StatusCode: c.status, Type: typ, Message: msg}
	}
	if c.sse {
		var err error
		if c.events.errMsg != "" || c.events.errTyp != "" {
			err = &llmparse.APIError{Provider: "anthropic", Type: c.events.errTyp, Message: c.events.errMsg}
		}
		return c.events.attrs(), err
	}
	attrs := parseResponse(c.body)
	if attrs != nil && !hasKey(attrs, semconv.OutputValue) && json.Valid(c.body) {
		// No text (a tool call only): the whole message, as the reference records it.
		attrs.Str(semconv.OutputValue, llmparse.Format(c.body))
		attrs.Str(semconv.OutputMimeType, string(semconv.MimeTypeJSON))
	}
	return attrs, nil
}

func hasKey(kvs []attribute.KeyValue, k attribute.Key) bool {
	for _, kv := range kvs {
		if kv.Key == k {
			return true
		}
	}
	return false
}
