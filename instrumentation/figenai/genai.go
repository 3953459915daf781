package figenai

import (
	"net/http"
	"strings"

	"go.opentelemetry.io/otel/attribute"

	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/fi/semconv"
	"github.com/traceai-go/traceai/internal/llmparse"
)

// ScopeName is the instrumentation scope of the spans.
const ScopeName = "github.com/traceai-go/traceai/instrumentation/figenai"

// NewTransport returns an http.RoundTripper that traces the Gemini API
// requests sent through base (http.DefaultTransport when nil). Give it to
// google.golang.org/genai as the Transport of ClientConfig.HTTPClient.
// Requests to other methods pass through untouched.
func NewTransport(base http.RoundTripper, opts ...Option) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &transport{base: base, wire: newWire(opts)}
}

// Middleware returns the same tracing as NewTransport in the middleware
// shape (request, next) used by SDKs that accept one.
func Middleware(opts ...Option) func(*http.Request, func(*http.Request) (*http.Response, error)) (*http.Response, error) {
	return newWire(opts).Do
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
	return llmparse.NewWire(adapter{}, fi.NewTracer(topts...))
}

type adapter struct{}

func (adapter) Match(req *http.Request) bool {
	_, _, ok := route(req.URL.Path)
	return ok && req.Method == http.MethodPost
}

func (adapter) Start(req *http.Request, body []byte) (llmparse.Call, bool) {
	model, method, _ := route(req.URL.Path)
	c := &call{method: method}
	switch method {
	case methodEmbed, methodBatchEmbed:
		c.attrs = parseEmbed(model, body)
	default:
		c.attrs = parseGenerate(model, body)
	}
	return c, true
}

type call struct {
	method string
	attrs  llmparse.Attrs
	status int
	sse    bool
	body   []byte
	gen    generation

	errStatus, errMsg string // an error inside a stream
}

func (c *call) Span() (string, semconv.SpanKind, []attribute.KeyValue) {
	switch c.method {
	case methodStream:
		return spanGenerateStream, semconv.SpanKindLLM, c.attrs
	case methodEmbed:
		return spanEmbed, semconv.SpanKindEmbedding, c.attrs
	case methodBatchEmbed:
		return spanBatchEmbed, semconv.SpanKindEmbedding, c.attrs
	}
	return spanGenerate, semconv.SpanKindLLM, c.attrs
}

func (c *call) Response(res *http.Response) llmparse.Framing {
	c.status = res.StatusCode
	if res.StatusCode < 400 && c.method == methodStream && strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		c.sse = true
		c.gen.stream = true
		return llmparse.FramingSSE
	}
	return llmparse.FramingJSON
}

func (c *call) Body(b []byte) { c.body = b }

func (c *call) Event(b []byte) {
	// A stream can carry an error object in place of a chunk.
	if st, msg := parseError(b); msg != "" {
		c.errStatus, c.errMsg = st, msg
		return
	}
	c.gen.add(b)
}

func (c *call) End() ([]attribute.KeyValue, error) {
	if c.status >= 400 {
		st, msg := parseError(c.body)
		if msg == "" {
			msg = http.StatusText(c.status)
		}
		return nil, &llmparse.APIError{Provider: "google", StatusCode: c.status, Type: st, Message: msg}
	}
	if c.errMsg != "" {
		return c.gen.attrs(), &llmparse.APIError{Provider: "google", Type: c.errStatus, Message: c.errMsg}
	}
	switch c.method {
	case methodEmbed, methodBatchEmbed:
		return parseEmbedResponse(c.body), nil
	}
	if !c.sse {
		if !c.gen.add(c.body) {
			return nil, nil
		}
	}
	attrs := c.gen.attrs()
	if !c.sse && !hasKey(attrs, semconv.OutputValue) {
		// No text (function calls only): the whole response, as the reference records it.
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
